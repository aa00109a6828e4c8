"""Erasing a data subject over HTTP reaches the append-only ledger: the text of every
conversation they appeared in becomes unreadable, the chain still verifies, the counts stay."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from audit import ledger
from audit.export import export_jsonl
from audit.sealing import ERASED, is_sealed, keyring_for
from audit.verify import verify_jsonl
from core.db import get_engine, read_session
from core.keys import Role
from tests.conftest import demo_service

PHONE = "13912340000"


def _conversation(conversation_id: str, text: str) -> dict:
    return {
        "conversation_id": conversation_id,
        "customer": {"id": conversation_id, "industry": "industrial_equipment", "attributes": {}},
        "messages": [{"role": "rep", "text": "您好，报价单发您了。"}, {"role": "customer", "text": text}],
    }


def _readable_export(settings) -> list[dict]:
    out = io.StringIO()
    with read_session(get_engine(settings.resolved_database_url)) as session:
        export_jsonl(session, out, keyring_for(settings), since=datetime(2000, 1, 1, tzinfo=UTC), until=datetime.now(UTC) + timedelta(days=1))
    return [json.loads(line) for line in out.getvalue().splitlines()]


def _sealed_texts(record: dict) -> list[str]:
    stored, readable = json.loads(record["payload"]), record["readable_payload"]
    texts = [(stored.get(k), readable.get(k)) for k in ("text", "final_text", "reason")]
    texts += [(s["text"], r["text"]) for s, r in zip(stored.get("context", []), readable.get("context", []), strict=True)]
    return [opened for sealed, opened in texts if sealed is not None and is_sealed(sealed)]


def test_when_a_subject_is_erased_then_their_conversations_read_deleted_and_the_chain_and_counts_hold(tmp_path: Path) -> None:
    with demo_service(tmp_path, (Role.rep, Role.legal, Role.auditor)) as (client, headers, settings):
        theirs = client.post("/v1/suggest", json=_conversation("room-subject", f"太贵了，便宜点我们就签。我手机 {PHONE}"), headers=headers[Role.rep]).json()
        first = theirs["suggestions"][0]
        edited = {"action": "edited", "final_text": first["text"] + f" 有问题打我电话 {PHONE}", "reason": "加上联系方式"}
        assert client.post(f"/v1/suggestions/{first['id']}/action", json=edited, headers=headers[Role.rep]).status_code == 201
        others = client.post("/v1/suggest", json=_conversation("room-other", "太贵了，能便宜点吗？"), headers=headers[Role.rep]).json()
        report_before = client.get("/v1/audit/report", headers=headers[Role.auditor]).json()

        erased = client.post("/v1/pool/erasure", json={"value": "139 1234 0000"}, headers=headers[Role.legal])
        assert erased.status_code == 200 and erased.json()["ledger_keys_destroyed"] == 1

        assert client.get("/v1/audit/verify", headers=headers[Role.auditor]).json()["ok"]
        report_after = client.get("/v1/audit/report", headers=headers[Role.auditor]).json()
        assert report_after["totals"] == report_before["totals"] and report_after["trusted"]
        records = _readable_export(settings)
        by_request: dict[str | None, list[str]] = {}
        for record in records:
            by_request.setdefault(record["request_id"], []).extend(_sealed_texts(record))
        assert by_request[theirs["request_id"]] and set(by_request[theirs["request_id"]]) == {ERASED}
        assert by_request[others["request_id"]] and ERASED not in by_request[others["request_id"]]
        (erasure,) = [r for r in records if r["kind"] == "pool.erased"]
        assert len(json.loads(erasure["payload"])["ledger_keys"]) == 1 and PHONE not in erasure["payload"]
        export = tmp_path / "export.jsonl"
        export.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
        assert verify_jsonl(export, from_genesis=True).ok
        with read_session(get_engine(settings.resolved_database_url)) as session:
            assert all(PHONE not in e.payload for e in ledger.events(session))
