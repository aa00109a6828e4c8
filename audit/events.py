"""The ledger's event kinds: one pydantic model per kind, shared by writers and readers.

A writer builds a model and appends it (the kind comes from the model)::

    ledger.append(session, PoolWithdrawn(snippet_id=sid, reason=masked), actor=actor)

A reader parses a stored payload back by kind::

    event = events.parse(row.kind, row.payload)   # a PoolWithdrawn

Schema versions: a model's ``version`` is a class attribute. Version 1 is the
shape written today and is stored without a version key, so its payload bytes
(and hashes) are exactly those of the hand-written dicts before these models;
a later version of a kind would be stored with ``"v": 2`` (and :func:`parse`
taught to read both), and a payload without ``v`` is version 1. Fields that
older writers did not yet write have defaults, so every event already in a
ledger still parses.

Free text is :class:`~core.desensitized.DesensitizedText`: refused as a plain
``str`` on write, read back as ``str``. ``docs/ledger.md`` lists the kinds and
fields generated from these models (``python -m audit.ledger_doc``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue, model_serializer

from core.desensitized import READ_BACK, DesensitizedText
from core.errors import LedgerError


class LedgerPayload(BaseModel):
    """The payload of one ledger event kind, named as a class keyword: ``class X(LedgerPayload, kind="x.done")``."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    kind: ClassVar[str]
    version: ClassVar[int] = 1
    added_later: ClassVar[frozenset[str]] = frozenset()  # optional fields left out when None, so older rows keep their bytes
    # conversation text sealed under the conversation's data key (audit.sealing): paths into
    # the payload, "*" for every item of a list
    sealed: ClassVar[tuple[tuple[str, ...], ...]] = ()

    def __init_subclass__(cls, kind: str | None = None, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if kind is not None:
            cls.kind = kind

    def payload(self) -> dict[str, Any]:
        """The JSON object the ledger stores (and hashes as canonical text)."""
        data = {k: v for k, v in self.model_dump(mode="json").items() if not (v is None and k in self.added_later)}
        return data if self.version == 1 else {"v": self.version, **data}

    @classmethod
    def map_sealed(cls, data: dict[str, Any], change: Callable[[str], str]) -> dict[str, Any]:
        """``data`` (a payload dict of this kind, changed in place) with ``change`` applied to
        each sealed field that holds text."""
        for path in cls.sealed:
            _map_path(data, path, change)
        return data


def _map_path(node: Any, path: tuple[str, ...], change: Callable[[str], str]) -> None:
    head, rest = path[0], path[1:]
    if head == "*":
        children = node if isinstance(node, list) else []
    elif isinstance(node, dict) and node.get(head) is not None:
        if not rest:
            node[head] = change(node[head])
            return
        children = [node[head]]
    else:
        return
    for child in children:
        _map_path(child, rest, change)


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# keys ---------------------------------------------------------------------------------


class _KeyEvent(LedgerPayload):
    key_id: str
    role: str


class KeyCreated(_KeyEvent, kind="key.created"):
    """An API key was created (the key itself is never recorded)."""


class KeyRevoked(_KeyEvent, kind="key.revoked"):
    """An API key was revoked."""


# suggestions --------------------------------------------------------------------------


class SourceRef(_Part):
    """A retrieved snippet a suggestion rests on, with its retrieval score."""

    snippet_id: str
    score: float


class SuggestionShown(LedgerPayload, kind="suggestion.shown"):
    """A suggestion, recorded before the rep sees it; ``suggestion_id`` names it."""
    scenario: str
    agent: str
    agent_version: str
    prompt_version: str | None = Field(None, description="the LLM prompt (id@version); null: extractive")
    move: str | None = Field(None, description="the playbook move (agents/playbook.yaml); null when retrieved or composed; absent in the first rows")
    composer: str | None = Field(None, description="who wrote it: playbook, retrieved, rule or llm; absent in the first rows")
    text: DesensitizedText
    confidence: float
    sources: list[SourceRef]
    anchors: list[str] = Field(description="legal anchor ids")
    latency_ms: int
    added_later: ClassVar[frozenset[str]] = frozenset({"composer"})
    sealed: ClassVar[tuple[tuple[str, ...], ...]] = (("text",),)


class ContextTurn(_Part):
    """A turn of the conversation as the agents were given it."""

    role: str
    text: DesensitizedText


class Intervention(_Part):
    """The compliance guard repaired (or, ``dropped``, refused) an agent's draft."""

    agent: str
    rules: list[str]
    dropped: bool
    anchors: list[str] | None = Field(None, description="the legal anchors of those rules (absent in rows before 2026-12-05 and for the grounding check)")

    @model_serializer(mode="wrap")
    def _without_nulls(self, handler: Any) -> dict[str, Any]:
        return {key: value for key, value in handler(self).items() if value is not None}


class Chart(_Part):
    """The comparison chart of a response (a Vega-Lite spec)."""

    title: str
    vega_lite: dict[str, JsonValue]


class RuleError(_Part):
    rule: str
    error: str


class RulesRun(_Part):
    """The trigger rules that fired, and those that failed with their error."""

    fired: list[str] = Field(default_factory=list)
    errors: list[RuleError] = Field(default_factory=list)


class LlmRun(_Part):
    """One agent's use of the LLM; keys that do not apply are left out."""

    agent: str
    prompt: str
    failure: str | None = None
    message: str | None = None
    ms: int | None = None
    used: int | None = None
    circuit: str | None = None  # the circuit breaker's state after the call: closed, open, half_open

    @model_serializer(mode="wrap")
    def _without_nulls(self, handler: Any) -> dict[str, Any]:
        return {key: value for key, value in handler(self).items() if value is not None}


class SuggestSummary(LedgerPayload, kind="suggest.response"):
    """A suggest request's summary, recorded also when the client left early."""
    conversation: str = Field(description="keyed hash (core.hashing.pseudonym)")
    customer: str = Field(description="keyed hash (core.hashing.pseudonym)")
    industry: str | None = Field(description="as the client sent it")
    product_line: str | None = Field(None, description="the line under discussion as resolved; absent in the first rows")
    scenario: str
    agents: list[str]
    context: list[ContextTurn]
    suggestions: list[str] = Field(description="ids of the suggestions shown")
    interventions: list[Intervention]
    chart: Chart | None
    degraded: bool
    notes: list[str] = Field(description="system notes on the run (not user text)")
    rules: RulesRun = Field(default_factory=RulesRun)
    tags: list[str] = Field(default_factory=list)
    llm: list[LlmRun] = Field(default_factory=list)
    latency_ms: int
    sealed: ClassVar[tuple[tuple[str, ...], ...]] = (("context", "*", "text"),)


class SuggestionAction(LedgerPayload, kind="suggestion.action"):
    """What the rep did with a suggestion; once per suggestion."""
    action: Literal["adopted", "edited", "rejected", "ignored"]
    final_text: DesensitizedText | None
    edit_distance: int | None
    reason: DesensitizedText | None = None
    sealed: ClassVar[tuple[tuple[str, ...], ...]] = (("final_text",), ("reason",))


# manager controls and sample scripts --------------------------------------------------


class ControlUpdated(LedgerPayload, kind="control.updated"):
    """A manager control changed; ``value`` is its new stored form."""
    key: str
    value: JsonValue


class ScriptEvent(LedgerPayload):
    """What every sample-script event records: the script's revision after the step."""

    script_id: str
    revision: int
    scenario: str
    status: str
    move: str | None = Field(None, description="the playbook move the script phrases; absent when none (and in rows before 2026-12-04)")
    added_later: ClassVar[frozenset[str]] = frozenset({"move"})


class _ScriptText(ScriptEvent):
    text: DesensitizedText


class _ScriptDecision(ScriptEvent):
    reason: DesensitizedText


class ScriptCreated(_ScriptText, kind="script.created"):
    """A sample script was written, pending legal review."""


class ScriptEdited(_ScriptText, kind="script.edited"):
    """A new revision of a sample script, pending legal review again."""


class ScriptRetired(ScriptEvent, kind="script.retired"):
    """A sample script left the library."""


class ScriptApproved(_ScriptDecision, kind="script.approved"):
    """Legal approved a sample script revision."""


class ScriptRejected(_ScriptDecision, kind="script.rejected"):
    """Legal rejected a sample script revision."""


# legal's compliance exemplar bank -----------------------------------------------------


class ExemplarAdded(LedgerPayload, kind="exemplar.added"):
    """Legal added a sentence to the exemplar bank: a violation of ``rule`` or fair under it."""

    exemplar_id: str
    rule: str
    verdict: str
    text: DesensitizedText


class ExemplarRetired(LedgerPayload, kind="exemplar.retired"):
    """Legal took a sentence out of the exemplar bank."""

    exemplar_id: str
    rule: str


# the fuel factory: ingest, annotation, review, pool -----------------------------------


class DialoguesIngested(LedgerPayload, kind="dialogues.ingested"):
    """Chat exports were ingested into the annotation queue."""
    source: str
    dialogues: int
    snippet_ids: list[str] = Field(description="the snippets created")
    duplicates: int
    skipped: int
    non_text: int


class AnnotationRecorded(LedgerPayload, kind="annotation.recorded"):
    """An annotator labelled a snippet."""
    snippet_id: str
    annotator: str
    outcome: str
    scenario: str
    quality: int
    high_value: bool
    tags: list[str]
    to_review: bool
    disputed: bool
    move: str | None = Field(None, description="the playbook move the annotator says the reply makes; absent when none (and in rows before 2026-12-04)")
    added_later: ClassVar[frozenset[str]] = frozenset({"move"})


class _ReviewEvent(LedgerPayload):
    snippet_id: str
    outcome: str | None
    scenario: str | None
    disputed: bool
    reason: DesensitizedText


class ReviewApproved(_ReviewEvent, kind="review.approved"):
    """Legal approved a labelled snippet into the pool."""


class ReviewRejected(_ReviewEvent, kind="review.rejected"):
    """Legal rejected a labelled snippet."""


class PoolWithdrawn(LedgerPayload, kind="pool.withdrawn"):
    """An approved snippet was taken out of the pool."""
    snippet_id: str
    reason: DesensitizedText


class PoolErased(LedgerPayload, kind="pool.erased"):
    """A data subject was erased: their snippets, and the keys of the conversations they
    appeared in (never the value or its fingerprints)."""
    snippets_removed: int
    snippet_ids: list[str]
    by_status: dict[str, int] = Field(description="removed snippets per status")
    ledger_keys: list[str] | None = Field(
        None, description="ids of the conversation data keys destroyed, whose sealed ledger text now reads 已删除; absent in rows before 2026-12-05"
    )
    added_later: ClassVar[frozenset[str]] = frozenset({"ledger_keys"})


EVENTS: dict[str, type[LedgerPayload]] = {
    model.kind: model
    for model in (
        KeyCreated,
        KeyRevoked,
        SuggestionShown,
        SuggestSummary,
        SuggestionAction,
        ControlUpdated,
        ScriptCreated,
        ScriptEdited,
        ScriptRetired,
        ScriptApproved,
        ScriptRejected,
        ExemplarAdded,
        ExemplarRetired,
        DialoguesIngested,
        AnnotationRecorded,
        ReviewApproved,
        ReviewRejected,
        PoolWithdrawn,
        PoolErased,
    )
}
"""Every kind the ledger holds, by kind string."""


def parse(kind: str, payload_text: str) -> LedgerPayload:
    """The stored payload of a ``kind`` event as its model (any schema version it was written in);
    sealed fields stay sealed (``audit.sealing.Opener.event`` opens them)."""
    return parse_data(kind, json.loads(payload_text))


def parse_data(kind: str, data: dict[str, Any]) -> LedgerPayload:
    """A payload already read as a dict, as its model."""
    model = EVENTS.get(kind)
    if model is None:
        raise LedgerError(f"unknown ledger event kind {kind!r}: known kinds are listed in docs/ledger.md")
    data = dict(data)
    version = data.pop("v", 1)
    if version != model.version:
        raise LedgerError(f"{kind} event in schema version {version}: this code reads version {model.version}")
    return model.model_validate(data, context=READ_BACK)
