"""Ingest: chat exports → desensitized snippets waiting in the annotation queue.

Everything is desensitized before it is kept (one placeholder numbering per
conversation) and the erasure fingerprints of the values it held are linked to
each snippet. Re-ingesting the same content is idempotent (snippet ids are keyed
on the conversation and the texts); content of an erased data subject is refused.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlmodel import Session, select

from audit import ledger
from audit.events import DialoguesIngested
from core import clock
from core.db import write_session
from core.hashing import keyed_hash
from knowledge.desensitize import Desensitizer, Pseudonyms
from knowledge.ingest.cutting import (
    SnippetDraft,
    cut,
    group_conversations,
    snippet_key,
    turns_of,
)
from knowledge.ingest.formats import Message, Skipped
from knowledge.snippets.models import (
    ErasedFingerprint,
    Snippet,
    SnippetFingerprint,
    SnippetStatus,
)

_SHARE_SCALE = 10_000


@dataclass
class IngestReport:
    """What one ingest did; ``skipped`` lists each record left out and why."""

    dialogues: int = 0
    snippets_created: int = 0
    duplicates: int = 0
    non_text: int = 0
    skipped: list[Skipped] = field(default_factory=list)


@dataclass(frozen=True)
class _Prepared:
    conversation_ref: str
    drafts: list[SnippetDraft]
    fingerprints: tuple[str, ...]
    location: str


def conversation_ref(conversation_id: str, secret: str) -> str:
    """A stable pseudonymous id for a conversation (its raw id may name a person)."""
    return keyed_hash(secret, conversation_id, "conversation")


def labels_needed(snippet_id: str, double_share: float) -> int:
    """2 for a deterministic ``double_share`` of snippets (agreement is measured on those), else 1."""
    return 2 if int(snippet_id[:8], 16) % _SHARE_SCALE < round(double_share * _SHARE_SCALE) else 1


def _prepare(conversation_id: str, messages: list[Message], desensitizer: Desensitizer, secret: str) -> _Prepared:
    pseudonyms = Pseudonyms()
    masked, prints = [], []
    for message in messages:
        result = desensitizer.desensitize(message.text, pseudonyms)
        masked.append(Message(message.conversation_id, message.ts, message.role, result.text, message.location))
        prints.extend(result.fingerprints)
    return _Prepared(conversation_ref(conversation_id, secret), cut(turns_of(masked)), tuple(dict.fromkeys(prints)), messages[0].location)


def ingest(
    engine: Engine,
    records: Iterable[Message | Skipped],
    *,
    desensitizer: Desensitizer,
    secret: str,
    source: str,
    industry: str | None,
    double_share: float,
    actor: ledger.Actor,
    request_id: str | None = None,
    progress: Callable[[int, int], None] = lambda done, total: None,
) -> IngestReport:
    """Desensitize, cut and queue ``records``; the malformed ones are reported and skipped.
    ``progress(done, total)`` is called per conversation."""
    report = IngestReport()
    messages: list[Message] = []
    for record in records:
        if isinstance(record, Skipped):
            if record.kind == "non_text":
                report.non_text += 1
            else:
                report.skipped.append(record)
        else:
            messages.append(record)
    conversations = group_conversations(messages)
    report.dialogues = len(conversations)
    prepared = []
    for done, (conversation_id, conversation) in enumerate(conversations.items(), start=1):
        prepared.append(_prepare(conversation_id, conversation, desensitizer, secret))
        progress(done, len(conversations))
    with write_session(engine) as session:
        created = _store(session, prepared, report, source=source, industry=industry, double_share=double_share)
        if created:
            event = DialoguesIngested(
                source=source,
                dialogues=report.dialogues,
                snippet_ids=created,
                duplicates=report.duplicates,
                skipped=len(report.skipped),
                non_text=report.non_text,
            )
            ledger.append(session, event, actor=actor, request_id=request_id)
    return report


def _store(session: Session, prepared: list[_Prepared], report: IngestReport, *, source: str, industry: str | None, double_share: float) -> list[str]:
    erased = set(session.exec(select(ErasedFingerprint.fingerprint)).all()) if prepared else set()
    created: list[str] = []
    now = clock.now()
    for item in prepared:
        if erased.intersection(item.fingerprints):
            report.skipped.append(
                Skipped(item.location, "该对话涉及已执行删除请求的数据主体，按删除要求不再收录", "malformed")
            )
            continue
        for draft in item.drafts:
            snippet_id = snippet_key(item.conversation_ref, draft)
            if snippet_id in created or session.get(Snippet, snippet_id) is not None:
                report.duplicates += 1
                continue
            session.add(
                Snippet(
                    id=snippet_id,
                    source=source,
                    conversation_ref=item.conversation_ref,
                    industry=industry,
                    customer=draft.customer,
                    reply=draft.reply,
                    context=json.dumps([{"role": t.role, "text": t.text} for t in draft.context], ensure_ascii=False),
                    status=SnippetStatus.annotating,
                    labels_needed=labels_needed(snippet_id, double_share),
                    created_at=now,
                )
            )
            session.add_all(SnippetFingerprint(fingerprint=f, snippet_id=snippet_id) for f in item.fingerprints)
            created.append(snippet_id)
    report.snippets_created = len(created)
    return created
