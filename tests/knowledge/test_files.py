"""Files: every good record kept and desensitized, every bad one reported with its line."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.errors import BadRequest
from knowledge.desensitize import Desensitizer
from knowledge.desensitize.files import desensitize_file


def test_when_a_jsonl_file_has_bad_lines_then_they_are_reported_and_the_rest_kept(desensitizer: Desensitizer, tmp_path: Path) -> None:
    source = tmp_path / "chat.jsonl"
    source.write_bytes(
        "\n".join(
            [
                json.dumps({"conversation_id": "c1", "text": "王总，我手机13800138000"}, ensure_ascii=False),
                "not json",
                json.dumps({"conversation_id": "c1", "text": "13800138000 是王总的"}, ensure_ascii=False),
                json.dumps({"text": 5}),
                "[1, 2]",
            ]
        ).encode()
        + b"\n\xff\xfe broken bytes\n"
    )
    target = tmp_path / "out.jsonl"
    report = desensitize_file(source, target, desensitizer)
    assert report.written == 2
    assert [problem.split(": ", 1)[0] for problem in report.skipped] == ["chat.jsonl:2", "chat.jsonl:4", "chat.jsonl:5", "chat.jsonl:6"]
    lines = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
    assert [line["text"] for line in lines] == ["<PERSON_1>总，我手机<CN_MOBILE_1>", "<CN_MOBILE_1> 是<PERSON_1>总的"]
    assert set(lines[0]["pii_fingerprints"]) == set(lines[1]["pii_fingerprints"])
    assert "13800138000" not in target.read_text(encoding="utf-8")


def test_when_a_csv_file_is_given_then_chosen_columns_are_desensitized(desensitizer: Desensitizer, tmp_path: Path) -> None:
    source = tmp_path / "chat.csv"
    source.write_text(
        "conversation_id,ts,role,text,note\nc1,1,customer,黄女士 vx: huang_li88,联系人黄女士\nc1,2,rep,好的黄女士,x,extra\n",
        encoding="utf-8",
    )
    target = tmp_path / "out.csv"
    report = desensitize_file(source, target, desensitizer, fields=("text", "note"))
    assert report.written == 1 and report.skipped == ["chat.csv:3: more values than columns"]
    rows = list(csv.DictReader(target.open(encoding="utf-8")))
    assert rows[0]["text"] == "<PERSON_1>女士 vx: <WECHAT_ID_1>"
    assert rows[0]["note"] == "联系人<PERSON_1>女士"
    assert len(rows[0]["pii_fingerprints"].split()) == 1  # the WeChat ID; a bare surname (黄) gets none


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [("chat.txt", "x", "不支持"), ("chat.csv", "a,b\n1,2\n", "缺少列 text"), ("chat.csv", None, "UTF-8")],
)
def test_when_a_file_cannot_be_read_as_asked_then_the_error_says_how_to_fix(
    desensitizer: Desensitizer, tmp_path: Path, name: str, content: str | None, message: str
) -> None:
    source = tmp_path / name
    source.write_bytes(content.encode() if content is not None else "text\n报价".encode("gb18030"))
    with pytest.raises(BadRequest, match=message):
        desensitize_file(source, tmp_path / f"out-{name}", desensitizer)


def test_when_the_cli_runs_then_it_writes_next_to_the_input_and_summarizes(tmp_path: Path) -> None:
    source = tmp_path / "chat.jsonl"
    source.write_text('{"text": "李经理 13912345678"}\n{"oops": 1}\n', encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-c", "from core.cli import main; main()", "desensitize", str(source)],
        capture_output=True, text=True, timeout=120, check=False, env={**os.environ, "COLUMNS": "200"},
    )
    assert done.returncode == 0, done.stderr
    assert "wrote 1 records" in done.stderr and "chat.jsonl:2" in done.stderr
    assert json.loads((tmp_path / "chat.desensitized.jsonl").read_text(encoding="utf-8"))["text"] == "<PERSON_1>经理 <CN_MOBILE_1>"
