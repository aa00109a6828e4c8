"""The fuel factory's services on both backends: ingest, the annotation queue (leases,
double labelling, quota), agreement, the review gate, withdrawal and erasure."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from audit import ledger
from audit.sealing import Keyring
from audit.verify import verify_ledger
from core import clock
from core.db import read_session, write_session
from core.errors import Conflict, NotFound
from core.settings import Settings
from knowledge.ingest.formats import Message, Skipped
from knowledge.snippets.agreement import agreement, cohen_kappa
from knowledge.snippets.ingest import ingest
from knowledge.snippets.models import (
    Annotation,
    Lease,
    Snippet,
    SnippetFingerprint,
    SnippetStatus,
)
from knowledge.snippets.pool import erase, sync, withdraw
from knowledge.snippets.queue import Labels, next_for_annotator, progress, record_labels
from knowledge.snippets.review import ReviewDecision, decide, next_for_reviewer
from knowledge.store import POOL, KnowledgeStore, get_store

SCENARIOS = {"price", "competitor", "contract", "stall", "delivery", "after_sales", "procurement", "other"}
ANNOTATOR = ledger.Actor(key_id="ann1", role="annotator")
LEGAL = ledger.Actor(key_id="legal1", role="legal")
TZ = Settings().tz


def _messages(conversation: str, *pairs: tuple[str, str]) -> list[Message]:
    out = []
    for n, (customer, reply) in enumerate(pairs):
        out.append(Message(conversation, None, "customer", customer, f"第 {2 * n + 1} 行"))
        out.append(Message(conversation, None, "rep", reply, f"第 {2 * n + 2} 行"))
    return out


CONVERSATION = _messages(
    "room-1",
    ("你们报价太贵了，预算只有三十万，我手机 13800138000", "理解您的预算压力，我们可以分两期付款，首期只付四成。"),
    ("分期的话利息怎么算", "分期不加利息，合同里写明两期的时间和金额。"),
)


@pytest.fixture
def store(settings: Settings) -> KnowledgeStore:
    return get_store(settings.model_copy(update={"embedder": "hashing"}))


def _ingest(engine: Engine, desensitizer, records, share: float = 0.0):
    return ingest(
        engine, records, desensitizer=desensitizer, secret="s" * 40, source="test", industry="industrial_equipment",
        double_share=share, actor=ledger.CLI_ADMIN,
    )


def _label(engine: Engine, snippet_id: str, annotator: str, **labels) -> Annotation:
    values = {"outcome": "won", "scenario": "price", "quality": 4, "high_value": True} | labels
    with write_session(engine) as session:
        return record_labels(session, snippet_id, annotator, Labels(**values), scenarios=SCENARIOS, tz=TZ, actor=ANNOTATOR)


def _next(engine: Engine, annotator: str, lease_seconds: int = 600) -> str | None:
    with write_session(engine) as session:
        snippet = next_for_annotator(session, annotator, lease_seconds)
        return snippet.id if snippet else None


def test_when_a_conversation_is_ingested_then_snippets_are_desensitized_and_queued(engine: Engine, desensitizer) -> None:
    report = _ingest(engine, desensitizer, [*CONVERSATION, Skipped("第 9 行", "缺少字段 text", "malformed"), Skipped("第 10 行", "图片", "non_text")])
    assert (report.dialogues, report.snippets_created, report.non_text) == (1, 2, 1)
    assert [s.location for s in report.skipped] == ["第 9 行"]
    with read_session(engine) as session:
        snippets = session.exec(select(Snippet).order_by(Snippet.created_at)).all()
        assert {s.status for s in snippets} == {SnippetStatus.annotating}
        stored = json.dumps([s.model_dump(mode="json") for s in snippets], ensure_ascii=False)
        assert "13800138000" not in stored and "<CN_MOBILE_1>" in stored
        second = next(s for s in snippets if "利息" in s.customer)
        assert [turn["role"] for turn in json.loads(second.context)] == ["customer", "rep"]
        assert session.exec(select(SnippetFingerprint)).all(), "erasure fingerprints are linked"
        (event,) = ledger.find(session, "dialogues.ingested")
        assert "13800138000" not in event.payload


def test_when_the_same_content_is_ingested_again_then_nothing_new_is_created(engine: Engine, desensitizer) -> None:
    assert _ingest(engine, desensitizer, CONVERSATION).snippets_created == 2
    again = _ingest(engine, desensitizer, CONVERSATION)
    assert (again.snippets_created, again.duplicates) == (0, 2)
    grown = _ingest(engine, desensitizer, CONVERSATION + _messages("room-1", ("什么时候能签", "本周五前可以把合同发您。")))
    assert (grown.snippets_created, grown.duplicates) == (1, 2)


def test_when_two_annotators_ask_then_they_never_get_the_same_item(engine: Engine, desensitizer) -> None:
    _ingest(engine, desensitizer, CONVERSATION)
    first, second, third = _next(engine, "a"), _next(engine, "b"), _next(engine, "c")
    assert first and second and first != second
    assert third is None  # two items, both leased
    assert _next(engine, "a") == first  # asking again renews the same lease


def test_when_a_lease_expires_then_the_item_goes_back_to_the_queue(engine: Engine, desensitizer) -> None:
    _ingest(engine, desensitizer, CONVERSATION[:2])
    taken = _next(engine, "a", lease_seconds=60)
    assert _next(engine, "b") is None
    with clock.simulated(clock.now() + timedelta(seconds=61)):
        assert _next(engine, "b") == taken
        with pytest.raises(Conflict, match="已由其他标注员领取"):
            _label(engine, taken, "a")
        _label(engine, taken, "b")
    with read_session(engine) as session:
        assert session.get(Snippet, taken).status == SnippetStatus.review
        assert not session.exec(select(Lease)).all()


def test_when_a_snippet_is_double_labelled_then_two_people_label_it_and_disagreement_is_flagged(engine: Engine, desensitizer) -> None:
    _ingest(engine, desensitizer, CONVERSATION[:2], share=1.0)
    taken = _next(engine, "a")
    assert _next(engine, "b") == taken  # the second label may be held at the same time …
    assert _next(engine, "c") is None  # … but by no third person
    _label(engine, taken, "a")
    with pytest.raises(Conflict, match="已经标注过"):
        _label(engine, taken, "a")
    with read_session(engine) as session:
        assert session.get(Snippet, taken).status == SnippetStatus.annotating
    _label(engine, taken, "b", scenario="stall")
    with read_session(engine) as session:
        snippet = session.get(Snippet, taken)
        assert (snippet.status, snippet.disputed, snippet.scenario) == (SnippetStatus.review, True, "price")


def test_when_an_annotator_labels_high_value_snippets_then_progress_counts_them_against_the_quota(engine: Engine, desensitizer) -> None:
    _ingest(engine, desensitizer, _messages("room-q", *[(f"第{n}个问题：交期多久能到货呢", f"第{n}个回答：签约后两周内到货。") for n in range(4)]))
    for n in range(4):
        _label(engine, _next(engine, "a"), "a", high_value=n != 1)
    day = clock.now().astimezone(TZ).date().isoformat()
    with read_session(engine) as session:
        today = progress(session, "a", day, quota=3)
        assert today == {"day": day, "labelled": 4, "high_value": 3, "quota": 3, "remaining": 0, "met": True}
        assert progress(session, "b", day, quota=3)["met"] is False


def test_when_labels_match_the_textbook_example_then_kappa_is_0_4() -> None:
    # Wikipedia's worked example: 50 items, yes/yes 20, yes/no 5, no/yes 10, no/no 15 → κ = 0.4
    first = ["yes"] * 25 + ["no"] * 25
    second = ["yes"] * 20 + ["no"] * 5 + ["yes"] * 10 + ["no"] * 15
    assert cohen_kappa(first, second) == pytest.approx(0.4)
    assert cohen_kappa(["a", "a"], ["a", "a"]) is None
    assert cohen_kappa([], []) is None


def test_when_items_are_double_labelled_then_agreement_reports_kappa_per_label(engine: Engine, desensitizer) -> None:
    _ingest(engine, desensitizer, CONVERSATION, share=1.0)
    for annotator, outcomes in (("a", ["won", "lost"]), ("b", ["won", "won"])):
        for outcome in outcomes:
            _label(engine, _next(engine, annotator), annotator, outcome=outcome)
    with read_session(engine) as session:
        result = agreement(session)
    assert result["outcome"]["items"] == 2 and result["outcome"]["observed_agreement"] == 0.5
    assert result["scenario"]["kappa"] is None  # one category throughout: undefined, not 1


def _reviewed(engine: Engine, store: KnowledgeStore, desensitizer, decision: str) -> str:
    _ingest(engine, desensitizer, CONVERSATION[:2])
    taken = _next(engine, "a")
    _label(engine, taken, "a")
    with write_session(engine) as session:
        assert next_for_reviewer(session, "legal1", 600).id == taken
        reviewed = ReviewDecision(decision=decision, reason="理由").model_copy(update={"reason": desensitizer.desensitize("理由").text})
        decide(session, store, taken, "legal1", reviewed, scenarios=SCENARIOS, actor=LEGAL)
    return taken


def test_when_legal_approves_then_the_snippet_enters_the_pool_and_rejected_ones_never_do(engine: Engine, store: KnowledgeStore, desensitizer) -> None:
    assert store.count(POOL) == 0
    approved = _reviewed(engine, store, desensitizer, "approve")
    assert store.ids(POOL) == {approved}
    hit = store.search(POOL, "报价太贵了，预算不够", 5)[0]
    assert hit.id == approved and hit.metadata["outcome"] == "won" and "<CN_MOBILE_1>" in hit.document
    with write_session(engine) as session:
        with pytest.raises(Conflict):
            decide(session, store, approved, "legal1", ReviewDecision(decision="reject", reason="x"), scenarios=SCENARIOS, actor=LEGAL)


def test_when_legal_rejects_then_the_snippet_never_reaches_the_pool(engine: Engine, store: KnowledgeStore, desensitizer) -> None:
    rejected = _reviewed(engine, store, desensitizer, "reject")
    assert rejected not in store.ids(POOL)
    with write_session(engine) as session:
        assert session.get(Snippet, rejected).status == SnippetStatus.rejected
        assert sync(session, store) == {"added": 0, "removed": 0}
        kinds = [e.kind for e in ledger.events(session)]
    assert kinds == ["dialogues.ingested", "annotation.recorded", "review.rejected"]


def test_when_an_unlabelled_snippet_is_sent_to_review_then_409(engine: Engine, store: KnowledgeStore, desensitizer) -> None:
    _ingest(engine, desensitizer, CONVERSATION[:2])
    with write_session(engine) as session:
        (snippet,) = session.exec(select(Snippet)).all()
        with pytest.raises(Conflict):
            decide(session, store, snippet.id, "legal1", ReviewDecision(decision="approve"), scenarios=SCENARIOS, actor=LEGAL)
        with pytest.raises(NotFound):
            decide(session, store, "0" * 64, "legal1", ReviewDecision(decision="approve"), scenarios=SCENARIOS, actor=LEGAL)


def test_when_a_snippet_is_withdrawn_then_it_leaves_the_pool_at_once(engine: Engine, store: KnowledgeStore, desensitizer) -> None:
    approved = _reviewed(engine, store, desensitizer, "approve")
    with write_session(engine) as session:
        withdraw(session, store, approved, desensitizer.desensitize("客户要求").text, actor=LEGAL)
    assert store.count(POOL) == 0 and store.search(POOL, "报价太贵了", 5) == []
    with write_session(engine) as session, pytest.raises(Conflict):
        withdraw(session, store, approved, "again", actor=LEGAL)


def test_when_a_value_is_erased_then_every_tied_snippet_goes_and_it_is_refused_later(engine: Engine, store: KnowledgeStore, desensitizer) -> None:
    approved = _reviewed(engine, store, desensitizer, "approve")
    _ingest(engine, desensitizer, _messages("room-2", ("别家便宜多了", "我们可以把参数表发您对比一下。")))
    with write_session(engine) as session:
        summary = erase(session, store, Keyring("m" * 32), desensitizer.fingerprints_for("138 0013 8000"), actor=LEGAL)
    assert summary["snippet_ids"] == [approved] and summary["by_status"] == {"approved": 1}
    assert store.count(POOL) == 0
    with read_session(engine) as session:
        assert session.get(Snippet, approved) is None
        assert not session.exec(select(Annotation).where(Annotation.snippet_id == approved)).all()
        assert len(session.exec(select(Snippet)).all()) == 1  # the other conversation stays
        (event,) = ledger.find(session, "pool.erased")
        assert "13800138000" not in event.payload and "138 0013 8000" not in event.payload
        assert verify_ledger(session).ok
    again = _ingest(engine, desensitizer, CONVERSATION)
    assert again.snippets_created == 0 and len(again.skipped) == 1 and "删除请求" in again.skipped[0].reason


def test_when_the_pool_and_the_database_disagree_then_sync_follows_the_database(engine: Engine, store: KnowledgeStore, desensitizer) -> None:
    approved = _reviewed(engine, store, desensitizer, "approve")
    store.delete(POOL, [approved])
    store.upsert(POOL, ["stray-erased"], ["一条数据库里已不存在的片段"], [{"outcome": "won"}])
    with write_session(engine) as session:
        assert sync(session, store) == {"added": 1, "removed": 1}
    assert store.ids(POOL) == {approved}


def test_when_many_annotators_ask_at_once_then_no_item_is_handed_out_twice(engine: Engine, desensitizer) -> None:
    from concurrent.futures import ThreadPoolExecutor

    pairs = [(f"问题{n}：交期能提前吗，第{n}批货", f"回答{n}：我和工厂确认后今天回复您第{n}批的日期。") for n in range(24)]
    _ingest(engine, desensitizer, _messages("room-many", *pairs))

    def grab(annotator: str) -> list[str]:
        taken = []
        while (snippet_id := _next(engine, annotator)) is not None:
            taken.append(snippet_id)
            _label(engine, snippet_id, annotator)
        return taken

    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(grab, [f"ann-{n}" for n in range(6)]))
    handed = [snippet_id for taken in results for snippet_id in taken]
    assert len(handed) == 24 and len(set(handed)) == 24
    assert sum(1 for taken in results if taken) >= 2, "the work was shared"


def test_when_a_note_is_not_desensitized_then_the_labels_are_refused(engine: Engine, desensitizer) -> None:
    _ingest(engine, desensitizer, CONVERSATION[:2])
    taken = _next(engine, "a")
    with pytest.raises(TypeError, match="desensitizer"):
        _label(engine, taken, "a", note="王总说下周签")
    masked = desensitizer.desensitize("王总说下周签").text
    with write_session(engine) as session:
        labels = Labels(outcome="won", scenario="price", quality=4).model_copy(update={"note": masked})
        assert record_labels(session, taken, "a", labels, scenarios=SCENARIOS, tz=TZ, actor=ANNOTATOR).note == masked
