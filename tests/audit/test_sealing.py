"""Crypto-shredding: conversation text sealed under a per-conversation key, the chain
hashing the ciphertext, and erasure destroying the key without breaking the chain."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from audit import events, ledger
from audit.events import ContextTurn, SuggestionAction, SuggestionShown, SuggestSummary
from audit.export import export_jsonl
from audit.key_table import LedgerKey
from audit.sealing import ERASED, UNREADABLE, Keyring, is_sealed, key_id_of
from audit.verify import verify_jsonl, verify_ledger
from core.db import flush_erased, get_engine, read_session, upgrade, write_session
from core.desensitized import DesensitizedText
from core.errors import LedgerError
from knowledge.desensitize import get_desensitizer

REP = ledger.Actor(key_id="rep-1", role="rep")
KEYRING = Keyring("the-master-key-of-these-tests-" + "x" * 10)
TEXT = "<PERSON_1>总，首付三成、尾款验收后30天付清，您看可以吗？"


def _masked(text: str) -> DesensitizedText:
    return get_desensitizer("test-secret-" + "x" * 32).desensitize(text).text


def _shown() -> SuggestionShown:
    text = _masked("王总，首付三成、尾款验收后30天付清，您看可以吗？")
    return SuggestionShown(scenario="price", agent="script_suggestion", agent_version="1", text=text, confidence=0.8, sources=[], anchors=[], latency_ms=30)


def _summary(*turns: str) -> SuggestSummary:
    return SuggestSummary(
        conversation="conv", customer="cust", industry=None, scenario="price", agents=["script_suggestion"],
        context=[ContextTurn(role="customer", text=_masked(t)) for t in turns], suggestions=["s1"],
        interventions=[], chart=None, degraded=False, notes=[], latency_ms=30,
    )


def _append(engine: Engine, event: events.LedgerPayload, conversation: str, prints: tuple[str, ...] = (), **ids: str) -> ledger.LedgerEvent:
    with write_session(engine) as session:
        row = ledger.append(session, event, actor=REP, sealer=KEYRING.sealer(session, conversation, prints), **ids)
        session.expunge(row)
        return row


def test_when_conversation_text_is_appended_then_the_chain_holds_only_ciphertext_that_opens(engine: Engine) -> None:
    row = _append(engine, _shown(), "conv-a", ("fp-a",), suggestion_id="s1")
    stored = json.loads(row.payload)
    assert is_sealed(stored["text"]) and "首付" not in row.payload and stored["scenario"] == "price"
    with read_session(engine) as session:
        opened = KEYRING.opener(session).event(row.kind, row.payload)
        assert opened.text == TEXT and verify_ledger(session).ok


def test_when_a_summary_has_turns_then_each_turn_is_sealed_and_the_rest_stays_plain(engine: Engine) -> None:
    row = _append(engine, _summary("太贵了", "13912345678 找我"), "conv-a")
    stored = json.loads(row.payload)
    assert all(is_sealed(turn["text"]) for turn in stored["context"]) and stored["context"][0]["role"] == "customer"
    assert stored["suggestions"] == ["s1"] and stored["conversation"] == "conv"
    with read_session(engine) as session:
        readable = KEYRING.opener(session).payload(row.kind, row.payload)
    assert [turn["text"] for turn in readable["context"]] == ["太贵了", "<CN_MOBILE_1> 找我"]


def test_when_conversation_text_comes_without_a_sealer_then_the_append_is_refused(engine: Engine) -> None:
    with write_session(engine) as session, pytest.raises(LedgerError, match="sealer"):
        ledger.append(session, _shown(), actor=REP)
    # an action with no text needs no key
    with write_session(engine) as session:
        ledger.append(session, SuggestionAction(action="adopted", final_text=None, edit_distance=None), actor=REP)


def test_when_one_conversation_appends_again_then_it_reuses_its_key_and_another_gets_its_own(engine: Engine) -> None:
    first, second = _append(engine, _shown(), "conv-a"), _append(engine, _summary("好"), "conv-a")
    other = _append(engine, _shown(), "conv-b")
    key = key_id_of(json.loads(first.payload)["text"])
    assert key == key_id_of(json.loads(second.payload)["context"][0]["text"])
    assert key != key_id_of(json.loads(other.payload)["text"])


def test_when_a_subject_is_erased_then_only_their_conversations_read_deleted_and_the_chain_verifies(engine: Engine, tmp_path: Path) -> None:
    theirs = _append(engine, _shown(), "conv-a", ("fp-subject", "fp-other"))
    theirs_later = _append(engine, _summary("我手机 13912345678"), "conv-a")
    others = _append(engine, _shown(), "conv-b", ("fp-other",))
    untouched = _append(engine, _shown(), "conv-c", ("fp-third",))
    with write_session(engine) as session:
        shredded = KEYRING.shred(session, ["fp-subject"])
    assert shredded == [key_id_of(json.loads(theirs.payload)["text"])]
    with read_session(engine) as session:
        opener = KEYRING.opener(session)
        assert opener.event(theirs.kind, theirs.payload).text == ERASED
        assert opener.event(theirs_later.kind, theirs_later.payload).context[0].text == ERASED
        assert opener.event(others.kind, others.payload).text == TEXT  # shares a value, not the subject
        assert opener.event(untouched.kind, untouched.payload).text == TEXT
        assert verify_ledger(session).ok
        assert session.get(LedgerKey, shredded[0]).shredded_at is not None
    export = tmp_path / "export.jsonl"
    with read_session(engine) as session, export.open("w", encoding="utf-8") as out:
        export_jsonl(session, out, KEYRING, since=datetime(2000, 1, 1, tzinfo=UTC), until=datetime.now(UTC) + timedelta(days=1))
    records = [json.loads(line) for line in export.read_text(encoding="utf-8").splitlines()]
    assert verify_jsonl(export, from_genesis=True).ok
    assert [r["readable_payload"].get("text") for r in records if r["kind"] == "suggestion.shown"] == [ERASED, TEXT, TEXT]


def test_when_an_erased_conversation_or_value_comes_again_then_it_is_sealed_unreadable_from_the_start(engine: Engine) -> None:
    before = _append(engine, _shown(), "conv-a", ("fp-subject",))
    with write_session(engine) as session:
        KEYRING.shred(session, ["fp-subject"])
    rest_of_answer = _append(engine, _summary("好"), "conv-a")  # the summary of an answer in flight, or a later turn
    elsewhere = _append(engine, _shown(), "conv-new", ("fp-subject", "fp-x"))  # the erased value in a new conversation
    unrelated = _append(engine, _shown(), "conv-other", ("fp-x",))
    with read_session(engine) as session:
        opener = KEYRING.opener(session)
        assert opener.event(before.kind, before.payload).text == ERASED
        assert opener.event(rest_of_answer.kind, rest_of_answer.payload).context[0].text == ERASED
        assert opener.event(elsewhere.kind, elsewhere.payload).text == ERASED
        assert opener.event(unrelated.kind, unrelated.payload).text == TEXT
        assert verify_ledger(session).ok


def test_when_the_master_key_changed_then_appends_go_on_under_a_new_key_and_old_text_waits_for_the_old_key(engine: Engine) -> None:
    old = _append(engine, _shown(), "conv-a")
    other = Keyring("another-master-key-" + "z" * 20)
    with write_session(engine) as session:
        row = ledger.append(session, _shown(), actor=REP, sealer=other.sealer(session, "conv-a"))
        session.expunge(row)
    with read_session(engine) as session:
        assert other.opener(session).event(row.kind, row.payload).text == TEXT
        assert other.opener(session).event(old.kind, old.payload).text == UNREADABLE
        assert KEYRING.opener(session).event(old.kind, old.payload).text == TEXT


def test_when_the_master_key_is_another_then_text_reads_unreadable_not_deleted(engine: Engine) -> None:
    row = _append(engine, _shown(), "conv-a")
    with read_session(engine) as session:
        assert Keyring("another-master-key-" + "y" * 20).opener(session).event(row.kind, row.payload).text == UNREADABLE


def test_when_rows_predate_sealing_then_their_plain_text_reads_as_it_was(engine: Engine) -> None:
    plain = '{"agent":"a","agent_version":"1","anchors":[],"confidence":0.5,"latency_ms":1,"scenario":"price","sources":[],"text":"旧的明文"}'
    with read_session(engine) as session:
        assert KEYRING.opener(session).event("suggestion.shown", plain).text == "旧的明文"


def test_when_a_key_is_shredded_on_sqlite_then_its_wrapped_bytes_are_gone_from_the_files(tmp_path: Path) -> None:
    engine = get_engine(f"sqlite:///{tmp_path / 'zhice.db'}")
    upgrade(engine)
    _append(engine, _shown(), "conv-a", ("fp-subject",))
    with read_session(engine) as session:
        wrapped = session.exec(select(LedgerKey.wrapped)).one()
    with write_session(engine) as session:
        KEYRING.shred(session, ["fp-subject"])
    flush_erased(engine)
    on_disk = b"".join(path.read_bytes() for path in tmp_path.iterdir() if path.name.startswith("zhice.db"))
    assert wrapped.encode() not in on_disk
