"""Pool management: withdrawal, erasure by a PII value, and keeping the pool equal to
what the database says is approved."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from sqlalchemy import delete
from sqlmodel import Session, select

from audit import ledger
from audit.events import PoolErased, PoolWithdrawn
from audit.sealing import Keyring
from core import clock
from core.desensitized import DesensitizedText
from core.errors import Conflict, NotFound
from knowledge.snippets.models import (
    Annotation,
    ErasedFingerprint,
    Lease,
    Snippet,
    SnippetFingerprint,
    SnippetStatus,
)
from knowledge.snippets.review import pool_entry
from knowledge.store import POOL, KnowledgeStore


def withdraw(session: Session, store: KnowledgeStore, snippet_id: str, reason: DesensitizedText, *, actor: ledger.Actor, request_id: str | None = None) -> Snippet:
    """Take an approved snippet out of the pool at once."""
    snippet = session.get(Snippet, snippet_id)
    if snippet is None:
        raise NotFound("没有这条片段：它可能已被删除或编号有误。")
    if snippet.status != SnippetStatus.approved:
        raise Conflict(f"只有已批准入库的片段可以撤下；这条的状态是 {snippet.status}。")
    event = PoolWithdrawn(snippet_id=snippet_id, reason=reason)
    snippet.status = SnippetStatus.withdrawn
    snippet.decision_reason = reason
    session.add(snippet)
    ledger.append(session, event, actor=actor, request_id=request_id)
    session.flush()
    store.delete(POOL, [snippet_id])  # inside the transaction: if this fails, nothing changed
    return snippet


def erase(
    session: Session, store: KnowledgeStore, keyring: Keyring, fingerprints: Sequence[str], *, actor: ledger.Actor, request_id: str | None = None
) -> dict:
    """Remove every snippet (and its labels, leases, fingerprints) tied to a data subject's
    value, given only the value's fingerprints; destroy the ledger keys of every conversation
    the value appeared in (their sealed text reads 已删除 from then on); refuse that value at
    later ingests. The ledger records what was removed, never the value or its fingerprints."""
    ids = sorted(set(session.exec(select(SnippetFingerprint.snippet_id).where(SnippetFingerprint.fingerprint.in_(list(fingerprints)))).all()))
    statuses = Counter(session.exec(select(Snippet.status).where(Snippet.id.in_(ids))).all()) if ids else Counter()
    for table, column in ((Lease, Lease.snippet_id), (Annotation, Annotation.snippet_id), (SnippetFingerprint, SnippetFingerprint.snippet_id), (Snippet, Snippet.id)):
        if ids:
            session.exec(delete(table).where(column.in_(ids)))
    now = clock.now()
    for fingerprint in fingerprints:
        if session.get(ErasedFingerprint, fingerprint) is None:
            session.add(ErasedFingerprint(fingerprint=fingerprint, erased_at=now))
    shredded = keyring.shred(session, fingerprints)
    event = PoolErased(snippets_removed=len(ids), snippet_ids=ids, by_status=dict(sorted(statuses.items())), ledger_keys=shredded)
    ledger.append(session, event, actor=actor, request_id=request_id)
    session.flush()
    store.delete(POOL, ids)
    return event.model_dump()


def sync(session: Session, store: KnowledgeStore) -> dict[str, int]:
    """Make the pool hold exactly the snippets the database says are approved: missing
    ones added, everything else (withdrawn, rejected, erased, unknown) removed. Call it
    inside a write session, so no withdrawal or erasure is half done meanwhile."""
    present = store.ids(POOL)
    approved = {s.id: s for s in session.exec(select(Snippet).where(Snippet.status == SnippetStatus.approved)).all()}
    missing = [approved[snippet_id] for snippet_id in approved.keys() - present]
    for snippet in missing:
        store.upsert(POOL, *([value] for value in pool_entry(snippet)))
    stray = sorted(present - approved.keys())
    store.delete(POOL, stray)
    return {"added": len(missing), "removed": len(stray)}
