"""Soak: mixed traffic against `zhice serve --demo` for N minutes, the server's RSS over time.

    python benchmarks/soak.py [--minutes 10] [--clients 4] [--port 8798] [--sample-s 15]

Loopback only: the server runs on 127.0.0.1 on a fresh data dir (SQLite, embedded
Chroma). Each client loops over a mix that touches every cache the service has:

* a rep asks for suggestions in a *new* conversation every time (the desensitization
  cache is keyed by conversation), one request in five with a 4,000-character message,
  then records an action (adopted, edited, rejected, ignored) and fetches the chart;
* the streaming route; the compliance check, contract review and /v1/desensitize;
* a manager reads the controls and the annotation stats, an annotator takes and labels
  queue items, an auditor pulls the quarterly report now and then;
* bad input: malformed and deeply nested JSON, unknown fields, huge numbers, NUL.

Every ``--sample-s`` seconds it prints the server's RSS (VmRSS from /proc) and what was
sent; at the end, the growth from the first sample after warm-up (one minute) to the
last, and the number of 5xx answers. Target: growth ≤ 10 % over 10 minutes, no 5xx.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import httpx2

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from benchmarks.suggest import body, demo_server, long_body, make_keys, zhice  # noqa: E402

WARM_UP_S = 60
ACTIONS = ["adopted", "edited", "rejected", "ignored"]
CONTRACT = "甲方逾期付款的，每日按合同总额的1%支付违约金，不设上限。乙方交付的全部源代码及知识产权归甲方所有。"
BAD_BODIES = [
    b'{"conversation_id": "x", "customer": {"id": "c"',  # cut short
    b"[" * 5000 + b"]" * 5000,  # deep nesting
    json.dumps({"conversation_id": "x", "customer": {"id": "c"}, "messages": [{"role": "customer", "text": "a"}], "surprise": 1}).encode(),
    json.dumps({"conversation_id": "x", "customer": {"id": "c"}, "messages": [{"role": "customer", "text": "a"}], "budget_ms": 1e300}).encode(),
    json.dumps({"conversation_id": "x\u0000", "customer": {"id": "c"}, "messages": [{"role": "customer", "text": "价格\u0000"}]}).encode(),
]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")


class Traffic:
    """One client's loop; counts answers by status class into a shared Counter."""

    def __init__(self, url: str, keys: dict[str, str], counts: Counter, lock: threading.Lock, seed: int) -> None:
        self.url, self.keys, self.counts, self.lock = url, keys, counts, lock
        self.rng = random.Random(seed)
        self.client = httpx2.Client(timeout=60)

    def send(self, method: str, path: str, role: str, **kwargs) -> httpx2.Response:
        response = self.client.request(method, f"{self.url}{path}", headers={"Authorization": f"Bearer {self.keys[role]}", **kwargs.pop("headers", {})}, **kwargs)
        with self.lock:
            self.counts[f"{response.status_code // 100}xx"] += 1
            self.counts["sent"] += 1
        return response

    def suggest(self, n: int) -> None:
        payload = long_body(n) if n % 5 == 0 else body(n, prefix=f"soak-{self.rng.random():.12f}")
        answer = self.send("POST", "/v1/suggest", "rep", json=payload)
        if answer.status_code != 200:
            return
        data = answer.json()
        if data["suggestions"]:
            first = data["suggestions"][0]
            action = self.rng.choice(ACTIONS)
            act = {"action": action, **({"final_text": first["text"] + "（已改）"} if action == "edited" else {})}
            self.send("POST", f"/v1/suggestions/{first['id']}/action", "rep", json=act)
        if data.get("chart"):
            self.send("GET", data["chart"]["svg_url"], "rep")

    def others(self, n: int) -> None:
        step = n % 6
        if step == 0:
            self.send("POST", "/v1/suggest/stream", "rep", json=body(n, prefix=f"stream-{n}-{self.rng.random():.9f}"))
        elif step == 1:
            self.send("POST", "/v1/compliance/check", "legal", json={"text": "我们的设备保证一年回本，收益翻倍，比衡川强多了。"})
            self.send("POST", "/v1/contracts/review", "legal", json={"text": CONTRACT})
        elif step == 2:
            self.send("POST", "/v1/desensitize", "manager", json={"text": f"王建国手机1380013{n % 10000:04d}，邮箱 wang{n}@example.com"})
        elif step == 3:
            self.send("GET", "/v1/controls", "manager")
            self.send("GET", "/v1/annotation/stats", "manager")
        elif step == 4:
            item = self.send("GET", "/v1/annotation/next", "annotator")
            if item.status_code == 200:
                snippet = item.json()["snippet_id"]
                self.send("POST", f"/v1/annotation/{snippet}", "annotator", json={"outcome": "won", "scenario": "price", "quality": 3})
        else:
            bad = BAD_BODIES[n % len(BAD_BODIES)]
            self.send("POST", "/v1/suggest", "rep", content=bad, headers={"Content-Type": "application/json"})
        if n % 40 == 0:
            self.send("GET", "/v1/audit/report", "auditor")

    def run(self, until: float) -> None:
        for n in itertools.count():
            if time.monotonic() >= until:
                break
            self.suggest(n)
            self.others(n)
        self.client.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--port", type=int, default=8798)
    parser.add_argument("--sample-s", type=float, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data:
        env = {**os.environ, "ZHICE_DATA_DIR": data, "ZHICE_LOG_LEVEL": "WARNING"}
        env.pop("ZHICE_DATABASE_URL", None)
        admin = zhice("keys", "create", "--role", "admin", "--name", "soak admin", env=env).communicate()[0].strip().splitlines()[-1]
        url = f"http://127.0.0.1:{args.port}"
        with demo_server(env, args.port) as server:
            roles = ("rep", "legal", "manager", "annotator", "auditor")
            keys = [{role: make_keys(url, admin, 1, role)[0] for role in roles} for _ in range(args.clients)]
            counts, lock = Counter(), threading.Lock()
            started = time.monotonic()
            until = started + args.minutes * 60
            clients = [threading.Thread(target=Traffic(url, keys[c], counts, lock, seed=c).run, args=(until,)) for c in range(args.clients)]
            for thread in clients:
                thread.start()
            print(f"soak: {args.clients} clients for {args.minutes:g} min against {url} (pid {server.pid}), {os.cpu_count()} cores")
            print(f"{'elapsed s':>9} {'RSS MB':>8} {'sent':>7} {'2xx':>6} {'4xx':>6} {'5xx':>4}")
            samples: list[tuple[float, float]] = []
            while any(thread.is_alive() for thread in clients):
                time.sleep(args.sample_s if time.monotonic() < until else 2)  # then the clients' last requests
                elapsed, rss = time.monotonic() - started, rss_mb(server.pid)
                samples.append((elapsed, rss))
                with lock:
                    print(f"{elapsed:9.0f} {rss:8.1f} {counts['sent']:7d} {counts['2xx']:6d} {counts['4xx']:6d} {counts['5xx']:4d}", flush=True)
            after_warm_up = next((rss for elapsed, rss in samples if elapsed >= WARM_UP_S), samples[0][1])
            final, peak = samples[-1][1], max(rss for _, rss in samples)
            growth = (final - after_warm_up) / after_warm_up * 100
            print(f"RSS after warm-up {after_warm_up:.1f} MB, final {final:.1f} MB, peak {peak:.1f} MB: growth {growth:+.1f} % (target ≤ 10 %)")
            print(f"answers: {counts['sent']} in all, {counts['5xx']} 5xx (target 0)")


if __name__ == "__main__":
    main()
