"""A client that leaves mid-stream: the request's summary still reaches the ledger (real server)."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator

import httpx2
import pytest

from tests.live_server import LiveServer, start_server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    yield from start_server(tmp_path_factory.mktemp("stream"), demo=True)


def test_when_the_client_leaves_mid_stream_then_the_summary_is_still_recorded(server: LiveServer) -> None:
    key = httpx2.get(f"{server.url}/sidebar/demo.json", timeout=5).json()["key"]
    body = {"conversation_id": "leaver", "customer": {"id": "c", "industry": "industrial_equipment"},
            "messages": [{"role": "customer", "text": "衡川的 HC-75 比你们便宜好几万，你们有什么优势？"}]}
    request_id = None
    with httpx2.stream("POST", f"{server.url}/v1/suggest/stream", json=body, headers={"Authorization": f"Bearer {key}"}, timeout=30) as response:
        for line in response.iter_lines():
            if line.startswith("data: ") and request_id is None:
                request_id = json.loads(line[6:])["request_id"]
            if line == "event: suggestion":
                break  # leave after the first suggestion's header
    deadline = time.monotonic() + 15
    summaries: list = []
    while time.monotonic() < deadline and not summaries:
        with sqlite3.connect(server.data_dir / "zhice.db") as connection:
            summaries = connection.execute("SELECT payload FROM ledger_event WHERE kind = 'suggest.response' AND request_id = ?", (request_id,)).fetchall()
            shown = [row[0] for row in connection.execute("SELECT suggestion_id FROM ledger_event WHERE kind = 'suggestion.shown' AND request_id = ? ORDER BY seq", (request_id,))]
        time.sleep(0.2)
    assert summaries, "no suggest.response after the client left"
    payload = json.loads(summaries[0][0])
    assert payload["suggestions"] == shown and 1 <= len(shown) <= 3
