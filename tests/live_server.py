"""A real `zhice serve` in a subprocess on a fresh data dir, for tests that need real HTTP."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx2


@dataclass
class LiveServer:
    url: str
    data_dir: Path
    env: dict[str, str]

    def zhice(self, *args: str) -> str:
        command = [sys.executable, "-c", "from core.cli import main; main()", *args]
        return subprocess.run(command, env=self.env, capture_output=True, text=True, timeout=300, check=True).stdout


def start_server(
    data: Path, *, demo: bool, before: list[list[str]] = (), log: Path | None = None, env_extra: dict[str, str] | None = None
) -> Iterator[LiveServer]:
    """``log``: the server's stdout and stderr go there, at INFO; else nowhere, at WARNING."""
    env = {**os.environ, "ZHICE_DATA_DIR": str(data), "ZHICE_LOG_LEVEL": "INFO" if log else "WARNING", "COLUMNS": "200"}
    env.pop("ZHICE_DATABASE_URL", None)
    env.update(env_extra or {})
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = LiveServer(f"http://127.0.0.1:{port}", data, env)
    for args in before:
        server.zhice(*args)
    command = [sys.executable, "-c", "from core.cli import main; main()", "serve", "--port", str(port), *(["--demo"] if demo else [])]
    output = log.open("wb") if log else None
    process = subprocess.Popen(command, env=env, stdout=output or subprocess.DEVNULL, stderr=subprocess.STDOUT if output else subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx2.get(f"{server.url}/healthz", timeout=1).status_code == 200 and (not demo or httpx2.get(f"{server.url}/sidebar/demo.json", timeout=2).status_code == 200):
                break
        except httpx2.TransportError:
            pass
        time.sleep(0.3)
    try:
        yield server
    finally:  # also when the test failed half-way (the generator is closed)
        process.terminate()
        process.wait(timeout=20)
        if output:
            output.close()
