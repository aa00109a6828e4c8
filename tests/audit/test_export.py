"""Exports re-verify with our code and with the standalone recipe in docs/ledger.md."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine

from audit import ledger
from audit.export import export_jsonl, local_day_bounds
from audit.events import SuggestionShown
from audit.sealing import ERASED, Keyring
from audit.verify import MalformedExport, verify_jsonl
from core.db import read_session, write_session
from tests.workers import Probe

RECIPE = Path(__file__).parents[2] / "docs" / "ledger.md"
SYSTEM = ledger.Actor(key_id=None, role="system")
KEYRING = Keyring("m" * 32)


@pytest.fixture
def recipe(tmp_path: Path) -> Path:
    code = re.search(r"```python\n(.*?)```", RECIPE.read_text(encoding="utf-8"), re.S).group(1)
    script = tmp_path / "verify_ledger_export.py"
    script.write_text(code, encoding="utf-8")
    return script


def _export(engine: Engine, path: Path, since: datetime | None = None, until: datetime | None = None) -> int:
    since = since or datetime(2000, 1, 1, tzinfo=UTC)
    until = until or datetime.now(UTC) + timedelta(days=1)
    with read_session(engine) as session, path.open("w", encoding="utf-8") as out:
        return export_jsonl(session, out, KEYRING, since=since, until=until)


def _fill(engine: Engine, n: int) -> None:
    for i in range(n):
        with write_session(engine) as session:
            ledger.append(session, Probe(n=i, score=i / 3, text="报价 <CN_MOBILE_1>"), actor=SYSTEM)


def _run(recipe: Path, export: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(recipe), str(export)], capture_output=True, text=True, check=False)


def test_when_the_whole_ledger_is_exported_then_both_verifiers_accept_it(engine: Engine, tmp_path: Path, recipe: Path) -> None:
    _fill(engine, 12)
    export = tmp_path / "all.jsonl"
    assert _export(engine, export) == 12
    assert verify_jsonl(export, from_genesis=True).ok
    outcome = _run(recipe, export)
    assert outcome.returncode == 0, outcome.stdout
    with read_session(engine) as session:
        assert outcome.stdout.strip() == f"OK 12 events, head {ledger.head(session).hash}"


def test_when_conversation_text_was_sealed_and_then_shredded_then_the_recipe_still_verifies_the_export(engine: Engine, tmp_path: Path, recipe: Path, desensitizer) -> None:
    text = desensitizer.desensitize("王总，首付三成可以吗？").text
    shown = SuggestionShown(scenario="price", agent="a", agent_version="1", text=text, confidence=0.8, sources=[], anchors=[], latency_ms=9)
    for conversation in ("erased", "kept"):
        with write_session(engine) as session:
            ledger.append(session, shown, actor=SYSTEM, sealer=KEYRING.sealer(session, conversation, [f"fp-{conversation}"]))
    with write_session(engine) as session:
        KEYRING.shred(session, ["fp-erased"])
    export = tmp_path / "sealed.jsonl"
    _export(engine, export)
    readable = [json.loads(line)["readable_payload"]["text"] for line in export.read_text(encoding="utf-8").splitlines()]
    assert readable == [ERASED, text] and "首付" not in "".join(json.loads(line)["payload"] for line in export.read_text(encoding="utf-8").splitlines())
    assert verify_jsonl(export, from_genesis=True).ok
    assert _run(recipe, export).returncode == 0


def test_when_a_line_is_tampered_then_both_verifiers_name_its_seq(engine: Engine, tmp_path: Path, recipe: Path) -> None:
    _fill(engine, 5)
    export = tmp_path / "all.jsonl"
    _export(engine, export)
    lines = export.read_text(encoding="utf-8").splitlines()
    record = json.loads(lines[2])
    record["payload"] = record["payload"].replace("报价", "保证收益")
    lines[2] = json.dumps(record, ensure_ascii=False)
    export.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert verify_jsonl(export).first_bad_seq == 3
    outcome = _run(recipe, export)
    assert outcome.returncode == 1
    assert "seq 3" in outcome.stdout


def test_when_a_time_range_is_exported_then_it_is_a_verifiable_run_of_seqs(engine: Engine, tmp_path: Path, recipe: Path) -> None:
    _fill(engine, 10)
    with read_session(engine) as session:
        stamps = [e.ts for e in ledger.events(session)]
    export = tmp_path / "range.jsonl"
    written = _export(engine, export, since=stamps[3], until=stamps[8])
    seqs = [json.loads(line)["seq"] for line in export.read_text(encoding="utf-8").splitlines()]
    assert written == len(seqs) and seqs == list(range(seqs[0], seqs[0] + len(seqs)))
    assert 4 in seqs and 9 not in seqs
    assert verify_jsonl(export).ok
    assert not verify_jsonl(export, from_genesis=True).ok
    assert _run(recipe, export).returncode == 0


def test_when_an_export_line_is_not_json_then_its_line_number_is_reported(tmp_path: Path) -> None:
    export = tmp_path / "bad.jsonl"
    export.write_text('{"seq": 1}\n', encoding="utf-8")
    with pytest.raises(MalformedExport, match=r"bad.jsonl:1: missing fields"):
        verify_jsonl(export)
    export.write_text("not json\n", encoding="utf-8")
    with pytest.raises(MalformedExport, match=r"bad.jsonl:1: not JSON"):
        verify_jsonl(export)


def test_when_days_are_given_then_bounds_are_local_midnights() -> None:
    since, until = local_day_bounds(date(2026, 10, 1), date(2026, 12, 31), ZoneInfo("Asia/Shanghai"))
    assert since.astimezone(UTC) == datetime(2026, 9, 30, 16, tzinfo=UTC)
    assert until.astimezone(UTC) == datetime(2026, 12, 31, 16, tzinfo=UTC)
