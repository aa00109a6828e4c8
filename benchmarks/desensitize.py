"""Desensitization speed: start-up, messages/s, and a suggest request's context.

    python benchmarks/desensitize.py [--messages 1000]

1. Start-up: a fresh process imports the package, builds LAC and the analyzer,
   and desensitizes one message.
2. Throughput: 1,000 chat messages of about 80 characters (built from the
   synthetic eval lines), one thread, names on; then the same workload through
   a Presidio analyzer made only of Presidio's own predefined recognizers
   (no NLP model), printed as a ratio.
3. Suggest context: each conversation has 20 messages when its first request
   comes (a cold cache), then grows one message per request; each request
   desensitizes its last 20 messages through the per-conversation cache (only
   new messages are analysed) and, for comparison, without it.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

from evals.pii import load_cases
from knowledge.desensitize import get_desensitizer
from knowledge.desensitize.cache import ConversationCache

SECRET = "benchmark-secret-" + "x" * 32
STARTUP = (
    "import time; t = time.perf_counter()\n"
    "from knowledge.desensitize import get_desensitizer\n"
    f"get_desensitizer({SECRET!r}).desensitize('王总您好，我手机13800138000')\n"
    "print(time.perf_counter() - t)"
)


def chat_messages(count: int) -> list[str]:
    """About-80-character messages: dev eval lines joined until they reach 70 characters."""
    lines = [case.text for case in load_cases(split="dev")]
    messages, index = [], 0
    while len(messages) < count:
        message = lines[index % len(lines)]
        index += 1
        while len(message) < 70:
            message += " " + lines[index % len(lines)]
            index += 1
        messages.append(message[:100])
    return messages


def percentile(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def presidio_predefined_analyzer():
    """Presidio with only its predefined recognizers for English and no NLP model.

    Its email/URL recognizers call tldextract, which would fetch the public-suffix
    list: they get an extractor that uses the snapshot inside the tldextract wheel.
    """
    import tldextract
    from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
    from presidio_analyzer.nlp_engine import NoOpNlpEngine
    from presidio_analyzer.predefined_recognizers import SpacyRecognizer

    tldextract.extract = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)
    engine = NoOpNlpEngine(models=[{"lang_code": "en", "model_name": "none"}])
    engine.load()
    registry = RecognizerRegistry(supported_languages=["en"])
    registry.load_predefined_recognizers(languages=["en"], nlp_engine=engine)
    registry.recognizers = [r for r in registry.recognizers if not isinstance(r, SpacyRecognizer)]
    return AnalyzerEngine(registry=registry, nlp_engine=engine, supported_languages=["en"])


def throughput(label: str, analyse, messages: list[str]) -> float:
    analyse(messages[0])  # warm
    started = time.perf_counter()
    for message in messages:
        analyse(message)
    rate = len(messages) / (time.perf_counter() - started)
    print(f"{label:<44} {rate:>8.0f} messages/s")
    return rate


def suggest_context(messages: list[str], *, cached: bool, conversations: int = 10, turns: int = 40) -> list[float]:
    """Each conversation has 20 messages before its first request (a cold cache), then grows."""
    desensitizer = get_desensitizer(SECRET)
    cache = ConversationCache(desensitizer)
    latencies = []
    length = turns + 20
    for conversation in range(conversations):
        history = messages[conversation * length : (conversation + 1) * length]
        for turn in range(20, length):
            window = history[turn - 20 : turn]
            started = time.perf_counter()
            if cached:
                cache.desensitize("benchmark", f"c{conversation}", window)
            else:
                for text in window:
                    desensitizer.desensitize(text)
            latencies.append((time.perf_counter() - started) * 1000)
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1000)
    args = parser.parse_args()
    messages = chat_messages(args.messages)
    average = sum(map(len, messages)) / len(messages)
    print(f"workload: {len(messages)} messages, {average:.0f} characters on average; {os.cpu_count()} cores")

    startups = [float(subprocess.run([sys.executable, "-c", STARTUP], capture_output=True, text=True, check=True).stdout) for _ in range(3)]
    print(f"{'start-up (import + build + first message)':<44} {statistics.median(startups):>8.2f} s (median of 3)")

    ours = throughput("智策 desensitize (names on, LAC)", get_desensitizer(SECRET).desensitize, messages)
    baseline = presidio_predefined_analyzer()
    theirs = throughput("Presidio predefined recognizers only", lambda text: baseline.analyze(text=text, language="en"), messages)
    print(f"{'ratio 智策 / Presidio predefined':<44} {ours / theirs:>8.2f}x")

    for cached in (True, False):
        latencies = suggest_context(messages, cached=cached)
        label = f"suggest context, last 20 ({'cached' if cached else 'no cache'})"
        print(f"{label:<44} p50 {percentile(latencies, 50):6.1f} ms  p95 {percentile(latencies, 95):6.1f} ms  max {max(latencies):6.1f} ms")


if __name__ == "__main__":
    main()
