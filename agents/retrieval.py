"""What agents ground their drafts in: approved won-deal snippets and sample scripts
from the store, and the rival and our product from the catalog."""

from __future__ import annotations

from agents.base import AgentContext
from knowledge.catalog import Product
from knowledge.store import POOL, SCRIPTS

TAGGED_POOL = 24


def tagged(hits: list, tags: tuple[str, ...]) -> list:
    """The hits carrying any of ``tags`` (pool metadata keeps tags comma-joined)."""
    wanted = set(tags)
    return [hit for hit in hits if wanted & set(str(hit.metadata.get("tags", "")).split(","))]


def won_examples(context: AgentContext, scenario: str, k: int = 8) -> list:
    """Nearest approved won-deal snippets: those carrying a tag a trigger rule asked for
    first, then of the scenario in the customer's industry, then of the scenario anywhere,
    then any won deal; plus the scenario's sample scripts."""
    query = context.query
    filters = [{"$and": [{"scenario": scenario}, {"outcome": "won"}]}, {"outcome": "won"}]
    if context.industry:
        filters.insert(0, {"$and": [{"scenario": scenario}, {"outcome": "won"}, {"industry": context.industry}]})
    hits: list = []
    if context.retrieve_tags:
        hits = tagged(context.store.search(POOL, query, TAGGED_POOL, {"outcome": "won"}), context.retrieve_tags)[:k]
    for where in filters:
        if len(hits) >= 3:
            break
        seen = {h.id for h in hits}
        hits += [h for h in context.store.search(POOL, query, k, where) if h.id not in seen]
    return hits + context.store.search(SCRIPTS, query, 3, {"scenario": scenario})


def rival_and_ours(context: AgentContext) -> tuple[Product | None, Product | None]:
    """The competitor named in the conversation (or the nearest alternative in the
    customer's industry) and our product of the same industry."""
    mentioned = [p for turn in context.customer_turns for p in context.catalog.mentioned(turn)]
    rival = next((p for p in mentioned if not p.ours), None)
    industry = rival.industry if rival else context.industry or next((p.industry for p in mentioned), None)
    if industry is None:
        return None, None
    rival = rival or next(iter(context.catalog.competitors(industry)), None)
    ours = next((p for p in mentioned if p.ours and p.industry == industry), None) or next(iter(context.catalog.ours(industry)), None)
    return rival, ours
