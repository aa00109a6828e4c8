"""Keys through the API: created by admins, stored hashed, revoked at once, audited."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import text

from audit import ledger
from core.db import get_engine, head_revision, read_session
from core.keys import Role
from core.settings import Settings


def _auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_when_an_admin_creates_a_key_then_it_works_once_and_is_stored_only_hashed(
    client: TestClient, make_key: Callable[[Role], str], sqlite_settings: Settings
) -> None:
    admin = make_key(Role.admin)
    created = client.post("/v1/keys", json={"name": "李经理的侧边栏", "role": "rep"}, headers=_auth(admin))
    assert created.status_code == 201
    body = created.json()
    assert body["role"] == "rep" and body["key"].startswith("zk_")
    me = client.get("/v1/me", headers=_auth(body["key"])).json()
    assert me == {"key_id": body["id"], "name": "李经理的侧边栏", "role": "rep"}

    listed = client.get("/v1/keys", headers=_auth(admin)).json()
    assert body["id"] in {k["id"] for k in listed}
    assert all("key" not in k and "key_hash" not in k for k in listed)
    with get_engine(sqlite_settings.resolved_database_url).connect() as connection:
        rows = connection.execute(text("SELECT * FROM api_key")).all()
        stored = connection.execute(text("SELECT key_hash FROM api_key WHERE id = :id"), {"id": body["id"]}).scalar_one()
    assert body["key"] not in repr(rows)
    assert stored == hashlib.sha256(body["key"].encode()).hexdigest()
    assert body["key"] not in client.get("/v1/keys", headers=_auth(admin)).text


def test_when_a_key_is_revoked_then_it_is_refused_and_both_steps_are_in_the_ledger(
    client: TestClient, make_key: Callable[[Role], str], sqlite_settings: Settings
) -> None:
    admin = make_key(Role.admin)
    admin_id = client.get("/v1/me", headers=_auth(admin)).json()["key_id"]
    rep = client.post("/v1/keys", json={"name": "rep", "role": "rep"}, headers=_auth(admin)).json()
    assert client.get("/v1/me", headers=_auth(rep["key"])).status_code == 200

    revoked = client.post(f"/v1/keys/{rep['id']}/revoke", headers=_auth(admin))
    assert revoked.status_code == 200 and revoked.json()["revoked_at"] is not None
    assert client.get("/v1/me", headers=_auth(rep["key"])).status_code == 401
    assert rep["id"] not in {k["id"] for k in client.get("/v1/keys", headers=_auth(admin)).json()}
    assert rep["id"] in {k["id"] for k in client.get("/v1/keys?include_revoked=true", headers=_auth(admin)).json()}
    again = client.post(f"/v1/keys/{rep['id']}/revoke", headers=_auth(admin))
    assert again.status_code == 200

    with read_session(get_engine(sqlite_settings.resolved_database_url)) as session:
        events = [(e.kind, e.actor_key_id, e.actor_role) for e in ledger.events(session) if rep["id"] in e.payload]
    assert events == [("key.created", admin_id, "admin"), ("key.revoked", admin_id, "admin")]


def test_when_an_unknown_key_id_is_revoked_then_404(client: TestClient, make_key: Callable[[Role], str]) -> None:
    response = client.post("/v1/keys/deadbeef/revoke", headers=_auth(make_key(Role.admin)))
    assert response.status_code == 404
    assert "zhice keys list" in response.json()["detail"]


def test_when_the_ledger_is_intact_or_tampered_then_verify_says_so(
    client: TestClient, make_key: Callable[[Role], str], sqlite_settings: Settings
) -> None:
    auditor = _auth(make_key(Role.auditor))
    for _ in range(3):
        make_key(Role.rep)
    healthy = client.get("/v1/audit/verify", headers=auditor).json()
    assert healthy["ok"] and healthy["events"] == 4 and healthy["first_bad_seq"] is None
    with get_engine(sqlite_settings.resolved_database_url).begin() as connection:
        connection.exec_driver_sql("DROP TRIGGER ledger_event_no_update")
        connection.exec_driver_sql("UPDATE ledger_event SET actor_role = 'auditor' WHERE seq = 3")
    broken = client.get("/v1/audit/verify", headers=auditor).json()
    assert (broken["ok"], broken["first_bad_seq"]) == (False, 3)


def test_when_the_database_is_ready_then_readyz_names_the_schema(client: TestClient) -> None:
    assert client.get("/readyz").json() == {"status": "ready", "schema": head_revision()}
