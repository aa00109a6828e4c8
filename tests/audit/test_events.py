"""Typed ledger events: stored rows of every shape parse, new writes keep today's bytes,
free text must be desensitized, and docs/ledger.md matches the models."""

from __future__ import annotations

import ast
import hashlib
import hmac
from pathlib import Path

import pytest
from pydantic import ValidationError

from audit import events, ledger_doc
from audit.chain import canonical_json
from audit.events import EVENTS, PoolWithdrawn, SuggestionAction, SuggestionShown, SuggestSummary
from core.desensitized import DesensitizedText
from core.errors import LedgerError
from core.hashing import keyed_hash, pseudonym

ROOT = Path(__file__).resolve().parents[2]

# One payload per kind, as today's writers put it in the ledger (canonical JSON).
TODAY = {
    "key.created": '{"key_id":"a1b2c3d4e5f6","role":"rep"}',
    "key.revoked": '{"key_id":"a1b2c3d4e5f6","role":"rep"}',
    "suggestion.shown": '{"agent":"script_suggestion","agent_version":"1.0","anchors":["ad-absolute"],"confidence":0.812,'
    '"latency_ms":120,"move":"price.total_cost","prompt_version":null,"scenario":"price","sources":[{"score":0.8731,"snippet_id":"s1"}],"text":"<PERSON_1>您好，这款的价格"}',
    "suggest.response": '{"agents":["script_suggestion"],"chart":{"title":"A 与 B 对比","vega_lite":{"data":{"values":[{"a":1,"b":2.5}]},"mark":"bar"}},'
    '"context":[{"role":"customer","text":"我手机 <CN_MOBILE_1>"}],"conversation":"0123456789abcdef","customer":"fedcba9876543210",'
    '"degraded":false,"industry":null,"interventions":[{"agent":"script_suggestion","dropped":false,"rules":["superlative"]},{"agent":"script_suggestion","anchors":["ad-return","ad-false"],"dropped":true,"rules":["guaranteed-return"]}],"latency_ms":340,'
    '"llm":[{"agent":"script_suggestion","ms":210,"prompt":"script_suggestion@2","used":2},{"agent":"x","failure":"timeout","message":"m","prompt":"x@1"}],'
    '"notes":[],"product_line":"industrial_equipment","rules":{"errors":[{"error":"no such key","rule":"vip"}],"fired":["low_price"]},"scenario":"price",'
    '"suggestions":["s1"],"tags":["low_price"]}',
    "suggestion.action": '{"action":"edited","edit_distance":4,"final_text":"<PERSON_1>您好","reason":null}',
    "control.updated": '{"key":"canary","value":{"script_suggestion":{"share":0.1,"version":2}}}',
    "script.created": '{"revision":1,"scenario":"price","script_id":"ab12","status":"pending","text":"理解您的顾虑"}',
    "script.edited": '{"revision":2,"scenario":"price","script_id":"ab12","status":"pending","text":"理解您的顾虑"}',
    "script.retired": '{"revision":2,"scenario":"price","script_id":"ab12","status":"retired"}',
    "script.approved": '{"reason":"","revision":2,"scenario":"price","script_id":"ab12","status":"approved"}',
    "script.rejected": '{"reason":"措辞绝对","revision":2,"scenario":"price","script_id":"ab12","status":"rejected"}',
    "exemplar.added": '{"exemplar_id":"e1","rule":"guaranteed-return","text":"明年就能翻本","verdict":"violation"}',
    "exemplar.retired": '{"exemplar_id":"e1","rule":"guaranteed-return"}',
    "dialogues.ingested": '{"dialogues":3,"duplicates":0,"non_text":1,"skipped":0,"snippet_ids":["s1","s2"],"source":"wecom"}',
    "annotation.recorded": '{"annotator":"k1","disputed":false,"high_value":true,"outcome":"won","quality":4,"scenario":"price",'
    '"snippet_id":"s1","tags":["low_price"],"to_review":true}',
    "review.approved": '{"disputed":false,"outcome":"won","reason":"","scenario":"price","snippet_id":"s1"}',
    "review.rejected": '{"disputed":true,"outcome":null,"reason":"理由","scenario":null,"snippet_id":"s1"}',
    "pool.withdrawn": '{"reason":"客户要求","snippet_id":"s1"}',
    "pool.erased": '{"by_status":{"approved":1},"snippet_ids":["s1"],"snippets_removed":1}',
}

# Shapes earlier writers stored (from the history of api/routes/suggest.py).
OLDER = {
    "suggestion.shown": '{"agent":"a","agent_version":"1.0","anchors":[],"confidence":0.7,"latency_ms":9,"scenario":"price","sources":[],"text":"t"}',
    "suggest.response": '{"agents":["a"],"chart":null,"context":[],"conversation":"c","customer":"k","degraded":true,"industry":"制造",'
    '"interventions":[],"latency_ms":9,"notes":["n"],"scenario":"price","suggestions":[]}',
    "suggestion.action": '{"action":"adopted","edit_distance":null,"final_text":null}',
}


def test_when_every_kind_is_written_today_then_the_registry_has_a_model_for_it() -> None:
    assert set(EVENTS) == set(TODAY)
    assert all(model.model_config["extra"] == "forbid" and model.version == 1 for model in EVENTS.values())


@pytest.mark.parametrize("kind", sorted(TODAY))
def test_when_a_stored_payload_is_parsed_and_written_again_then_its_bytes_are_unchanged(kind: str) -> None:
    event = events.parse(kind, TODAY[kind])
    assert type(event) is EVENTS[kind]
    assert canonical_json(event.payload()) == TODAY[kind]


def test_when_rows_of_older_shapes_are_read_then_the_missing_fields_take_their_defaults() -> None:
    shown = events.parse("suggestion.shown", OLDER["suggestion.shown"])
    response = events.parse("suggest.response", OLDER["suggest.response"])
    action = events.parse("suggestion.action", OLDER["suggestion.action"])
    assert isinstance(shown, SuggestionShown) and shown.prompt_version is None
    assert isinstance(response, SuggestSummary) and (response.rules.fired, response.tags, response.llm, response.product_line) == ([], [], [], None)
    assert isinstance(action, SuggestionAction) and action.reason is None
    assert events.parse("suggestion.action", '{"v":1,"action":"ignored","edit_distance":null,"final_text":null}').action == "ignored"


def test_when_a_payload_is_unknown_or_has_extra_fields_then_parsing_refuses_it() -> None:
    with pytest.raises(LedgerError, match="unknown ledger event kind"):
        events.parse("no.such", "{}")
    with pytest.raises(LedgerError, match="version 2"):
        events.parse("pool.withdrawn", '{"v":2,"reason":"","snippet_id":"s1"}')
    with pytest.raises(ValidationError):
        events.parse("pool.withdrawn", '{"reason":"","snippet_id":"s1","value":"13800138000"}')


def test_when_plain_text_is_written_then_it_is_refused_and_desensitized_text_is_kept(desensitizer) -> None:
    with pytest.raises(ValidationError, match="desensitizer"):
        PoolWithdrawn(snippet_id="s1", reason="王总要求撤下")
    with pytest.raises(ValidationError, match="desensitizer"):
        SuggestionAction(action="edited", final_text="王总您好", edit_distance=3)
    masked = desensitizer.desensitize("王总要求撤下，电话 13800138000").text
    assert isinstance(masked, DesensitizedText)
    event = PoolWithdrawn(snippet_id="s1", reason=masked)
    assert "13800138000" not in canonical_json(event.payload())
    assert type(events.parse(event.kind, canonical_json(event.payload())).reason) is str  # reading never mints
    assert PoolWithdrawn(snippet_id="s1", reason="").reason == ""  # nothing to desensitize


def _constructs_desensitized_text(path: Path) -> bool:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call):
            name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)
            if name == "DesensitizedText":
                return True
    return False


def test_when_the_code_is_read_then_only_the_desensitizer_makes_desensitized_text() -> None:
    packages = ("core", "audit", "prompts", "knowledge", "agents", "evals", "api", "benchmarks", "tests")
    makers = {
        path.relative_to(ROOT).as_posix()
        for package in packages
        for path in (ROOT / package).rglob("*.py")
        if _constructs_desensitized_text(path)
    }
    assert makers and all(maker.startswith("knowledge/desensitize/") for maker in makers), makers


def test_when_the_models_change_then_docs_ledger_md_must_be_regenerated() -> None:
    document = ledger_doc.DOC.read_text(encoding="utf-8")
    assert ledger_doc.updated(document) == document, "docs/ledger.md is out of date: run python -m audit.ledger_doc"


def test_when_identifiers_are_hashed_then_the_digests_of_stored_data_are_unchanged() -> None:
    secret = "s" * 32
    digest = hmac.new(secret.encode(), b"conversation:wx-42", hashlib.sha256).hexdigest()
    assert keyed_hash(secret, "wx-42", "conversation") == digest  # snippet conversation_ref, snippet ids
    assert keyed_hash(secret, "13800138000", None) == hmac.new(secret.encode(), b"13800138000", hashlib.sha256).hexdigest()  # fingerprints
    assert pseudonym(secret, "zhao@example.com", "labelstudio") == hmac.new(secret.encode(), b"labelstudio:zhao@example.com", hashlib.sha256).hexdigest()[:16]
    assert pseudonym(secret, "wx-42", "conversation") != pseudonym(secret, "wx-42", "customer")


def test_when_an_event_is_built_around_validation_then_the_ledger_still_refuses_plain_text(engine) -> None:
    from audit.ledger import CLI_ADMIN, append
    from core.db import write_session
    from core.errors import LedgerError

    for event in (
        SuggestionAction.model_construct(action="edited", final_text="王总 13800138000", edit_distance=3, reason=None),
        SuggestionAction.model_validate_json('{"action": "edited", "final_text": "王总 13800138000", "edit_distance": 3}'),
    ):
        with pytest.raises(LedgerError, match="desensitizer"), write_session(engine) as session:
            append(session, event, actor=CLI_ADMIN)
