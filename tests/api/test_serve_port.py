"""`zhice serve` refuses a port it cannot bind, naming the port and the --port fix, before anything starts."""

from __future__ import annotations

import socket

import pytest
import typer

from api.cli import refuse_taken_port


def test_when_the_port_is_taken_then_serve_exits_with_the_port_and_the_fix(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(typer.Exit) as exited:
            refuse_taken_port("127.0.0.1", port)
    assert exited.value.exit_code == 1
    said = capsys.readouterr().err.replace("\n", "")  # the CLI console writes to stderr
    assert f"127.0.0.1:{port}" in said and f"--port {port + 1}" in said


def test_when_the_port_is_free_then_serve_goes_on() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    refuse_taken_port("127.0.0.1", port)
