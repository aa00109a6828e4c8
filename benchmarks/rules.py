"""What the CEL trigger rules cost a suggest request.

    python benchmarks/rules.py [--rounds 2000]

Evaluates the shipped rules (4) and a set of 20 realistic rules against one
customer's attributes and conversation signals, and prints p50/p95/p99 per
request and the one-off compile time. Rules run inside the 800 ms budget.
"""

from __future__ import annotations

import argparse
import statistics
import time

from agents.rules import RuleSet, Signals, TriggerRule, load_rules

EXTRA = [
    ("tier-gold", "has(customer.attributes.tier) && customer.attributes.tier == 'gold'"),
    ("big-seats", "has(customer.attributes.seats) && customer.attributes.seats >= 100"),
    ("price-long", "conversation.scenario == 'price' && conversation.turns > 5"),
    ("named-rival", "'衡川' in conversation.competitors"),
    ("too-expensive", "conversation.text.contains('太贵')"),
    ("cold-chain", "conversation.industry == 'cold_chain'"),
    ("stall-long", "conversation.scenario == 'stall' && conversation.customer_turns >= 6"),
    ("low-renewal", "has(customer.attributes.renewal_score) && customer.attributes.renewal_score < 50"),
    ("region-east", "has(customer.attributes.region) && customer.attributes.region in ['华东', '华南']"),
    ("rival-prefix", "conversation.competitors.exists(c, c.startsWith('衡'))"),
    ("discount-high", "has(customer.attributes.discount) && customer.attributes.discount > 0.15"),
    ("contract-words", "conversation.scenario == 'contract' || conversation.text.contains('合同')"),
    ("many-complaints", "has(customer.attributes.complaints) && customer.attributes.complaints >= 5"),
    ("new-customer", "has(customer.attributes.months) && customer.attributes.months < 6"),
    ("procurement", "conversation.scenario == 'procurement'"),
    ("no-industry", "conversation.industry == null && conversation.turns > 2"),
]
ATTRIBUTES = {"budget_sensitive": True, "renewal_score": 65.0, "complaints": 3, "tier": "gold", "region": "华东", "seats": 120, "discount": 0.2, "months": 18}
SIGNALS = Signals(scenario="price", industry="cold_chain", turns=6, customer_turns=3, competitors=("衡川 HC-75",), text="你们太贵了，衡川便宜，合同也要再看看")


def measure(rules: list[TriggerRule], rounds: int) -> None:
    started = time.perf_counter()
    rule_set = RuleSet(rules)
    compile_ms = (time.perf_counter() - started) * 1000
    rule_set.evaluate(ATTRIBUTES, SIGNALS)
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        result = rule_set.evaluate(ATTRIBUTES, SIGNALS)
        samples.append((time.perf_counter() - started) * 1000)
    q = statistics.quantiles(samples, n=100, method="inclusive")
    print(f"{len(rules):>5} {compile_ms:>10.1f} {q[49]:>8.2f} {q[94]:>8.2f} {q[98]:>8.2f} {len(result.fired):>6} {len(result.errors):>6}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2000)
    args = parser.parse_args()
    shipped = load_rules()
    extra = [TriggerRule(id=rule_id, description="benchmark", condition=condition, action={"tags": ["bench"]}) for rule_id, condition in EXTRA]
    print("CEL trigger rules (cel-python), one request's evaluation")
    print(f"{'rules':>5} {'compile ms':>10} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'fired':>6} {'errors':>6}")
    measure(shipped, args.rounds)
    measure(shipped + extra, args.rounds)


if __name__ == "__main__":
    main()
