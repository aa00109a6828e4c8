"""Throughput of the fuel factory: ingest, and handing out annotation items.

    python benchmarks/fuel.py [--conversations 200] [--next 200]

Writes a synthetic WeCom-style export (made up here, no real data), ingests it
(desensitization dominates: one LAC pass per message), then times
``next_for_annotator`` + ``record_labels`` per item on SQLite, as annotators would
press Next and Enter. Prints messages/s, snippets/s and percentiles per item.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
from pathlib import Path

from audit.ledger import CLI_ADMIN
from core.db import get_engine, upgrade, write_session
from core.settings import Settings
from knowledge.desensitize import get_desensitizer
from knowledge.ingest.formats import read_file
from knowledge.snippets.ingest import ingest
from knowledge.snippets.queue import Labels, next_for_annotator, record_labels

ASKS = ["你们价格太贵了，预算只有{n}万，能便宜点吗？", "交期多久？我们{n}号要用", "售后响应要多久，上次等了{n}天", "衡川比你们便宜{n}万，你们优势是什么？"]
REPLIES = ["理解您的预算压力，可以分{n}期付款，总价不变。", "签约后{n}天内到货，我把排产计划发您。", "四小时内响应，{n}小时内工程师到场。", "我把两家的参数表发您，您对比一下能耗和维保。"]


def export(path: Path, conversations: int, rng: random.Random) -> int:
    lines = 0
    with path.open("w", encoding="utf-8") as out:
        for c in range(conversations):
            customer, rep = f"wmBench{c:06d}", f"rep{c % 7}"
            for turn in range(4):
                pick, n = rng.randrange(len(ASKS)), rng.randint(2, 40)
                for who, text in ((customer, ASKS[pick]), (rep, REPLIES[pick])):
                    record = {"msgid": f"b{c}-{turn}-{who}", "action": "send", "from": who, "tolist": [rep if who == customer else customer],
                              "roomid": "", "msgtime": 1764300000000 + lines * 1000, "msgtype": "text", "text": {"content": text.format(n=n)}}
                    out.write(json.dumps(record, ensure_ascii=False) + "\n")
                    lines += 1
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=200)
    parser.add_argument("--next", type=int, default=200, help="Items to hand out and label.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(data_dir=Path(folder))
        engine = get_engine(settings.resolved_database_url)
        upgrade(engine)
        desensitizer = get_desensitizer(settings.secret_key.get_secret_value())
        path = Path(folder) / "export.jsonl"
        messages = export(path, args.conversations, random.Random(7))
        started = time.perf_counter()
        report = ingest(engine, read_file(path, default_tz=settings.timezone), desensitizer=desensitizer, secret=settings.secret_key.get_secret_value(),
                        source="bench", industry=None, double_share=0.1, actor=CLI_ADMIN)
        seconds = time.perf_counter() - started
        print(f"ingest: {messages} messages, {report.dialogues} conversations → {report.snippets_created} snippets in {seconds:.1f} s "
              f"({messages / seconds:.0f} messages/s, {report.snippets_created / seconds:.0f} snippets/s)")
        samples = []
        labels = Labels(outcome="won", scenario="price", quality=4, high_value=False)
        for n in range(args.next):
            annotator = f"ann-{n % 3}"
            started = time.perf_counter()
            with write_session(engine) as session:
                snippet = next_for_annotator(session, annotator, 900)
            if snippet is None:
                break
            with write_session(engine) as session:
                record_labels(session, snippet.id, annotator, labels, scenarios={"price"}, tz=settings.tz, actor=CLI_ADMIN)
            samples.append((time.perf_counter() - started) * 1000)
        q = statistics.quantiles(samples, n=100, method="inclusive")
        print(f"next + label, SQLite: {len(samples)} items, p50 {q[49]:.1f} ms, p95 {q[94]:.1f} ms, p99 {q[98]:.1f} ms")
        engine.dispose()


if __name__ == "__main__":
    main()
