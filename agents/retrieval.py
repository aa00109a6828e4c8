"""What agents ground their drafts in: approved won-deal snippets and sample scripts
from the store, and the rival and our product from the catalog."""

from __future__ import annotations

from agents.base import AgentContext, Draft
from agents.composers.extractive import AS_IS_FLOOR, compose
from knowledge.catalog import Product
from knowledge.store import POOL, SCRIPTS

TAGGED_POOL = 24


def tagged(hits: list, tags: tuple[str, ...]) -> list:
    """The hits carrying any of ``tags`` (pool metadata keeps tags comma-joined)."""
    wanted = set(tags)
    return [hit for hit in hits if wanted & set(str(hit.metadata.get("tags", "")).split(","))]


def won_examples(context: AgentContext, scenario: str, k: int = 8) -> list:
    """Nearest approved won-deal snippets: those carrying a tag a trigger rule asked for
    first, then of the scenario in the product line discussed, then (only when the line is
    unknown) of the scenario anywhere and any won deal; plus the scenario's sample scripts.
    A known line never borrows another line's replies."""
    query = context.query
    if context.product_line:
        won = {"$and": [{"outcome": "won"}, {"industry": context.product_line}]}
        filters = [{"$and": [{"scenario": scenario}, {"outcome": "won"}, {"industry": context.product_line}]}]
    else:
        won = {"outcome": "won"}
        filters = [{"$and": [{"scenario": scenario}, {"outcome": "won"}]}, won]
    hits: list = []
    if context.retrieve_tags:
        hits = tagged(context.store.search(POOL, query, TAGGED_POOL, won), context.retrieve_tags)[:k]
    for where in filters:
        if len(hits) >= 3:
            break
        seen = {h.id for h in hits}
        hits += [h for h in context.store.search(POOL, query, k, where) if h.id not in seen]
    return hits + context.store.search(SCRIPTS, query, 3, {"scenario": scenario})


def won_replies(agent: str, context: AgentContext, hits: list, limit: int = 3) -> list[Draft]:
    """Of ``hits`` (:func:`won_examples`), the replies close enough to this conversation to
    be shown as-is (those a trigger rule asked for whatever they score), best first."""
    chosen = frozenset(hit.id for hit in tagged(hits, context.retrieve_tags)) if context.retrieve_tags else frozenset()
    return compose(agent, hits, limit, conversation="\n".join(context.customer_turns), floor=AS_IS_FLOOR, chosen=chosen)


def rival_and_ours(context: AgentContext) -> tuple[Product | None, Product | None]:
    """The competitor named in the conversation (None when nobody named one: a rival is
    never invented) and our product of its line (the one named, else the line's); a named
    rival's line wins over the line the request was resolved to."""
    mentioned = [p for turn in context.turns for p in context.catalog.mentioned(turn.text)]
    rival = next((p for p in mentioned if not p.ours), None)
    line = rival.industry if rival else context.product_line
    if line is None:
        return None, None
    ours = next((p for p in mentioned if p.ours and p.industry == line), None) or next(iter(context.catalog.ours(line)), None)
    return rival, ours
