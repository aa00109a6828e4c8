"""A tiny OpenAI-compatible chat-completions server on 127.0.0.1 for tests and benchmarks.

Standard library only (importable without pytest)::

    with LlmStub() as stub:                      # random free port
        composer = LlmComposer.for_endpoint(stub.base_url, "stub", "sk-test")
        stub.mode = "sleep"; stub.delay_ms = 500  # or stub.configure("sleep", delay_ms=500)
        ...
        stub.requests[-1]["body"]["messages"]     # what the client sent

Modes (the delay applies to every mode; "sleep" is "good" after ``delay_ms``):

- ``good``: valid JSON with up to 3 suggestions, each citing a real id found in the
  request's ``<data>…</data>`` block, its text a benign Chinese reply built from that item
- ``sleep``: as good, after ``delay_ms`` (each request in its own thread: others go on)
- ``error500`` / ``error429``: an OpenAI-style error body with that status
- ``malformed``: a 200 whose message content is not JSON
- ``schema``: valid JSON of the wrong shape
- ``ungrounded``: suggestions citing ids that are not in the data block
- ``obey``: a grounded suggestion that follows a customer's injected instruction (for the guard)
- ``example``: the prompt's own format example ("建议的回复内容"), citing a real id
- ``echo``: the customer's last message back as the suggestion, citing a real id
- ``cut``: a good answer whose stream stops without a ``finish_reason`` (a dropped connection)

``POST /v1/chat/completions`` streams (``stream: true``: SSE ``data: {chat.completion.chunk}``
lines, then ``data: [DONE]``) or answers one ``chat.completion`` object; ``GET /v1/models``
lists the stub's model.
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

MODES = ("good", "sleep", "error500", "error429", "malformed", "schema", "ungrounded", "obey", "example", "echo", "cut")
MODEL = "zhice-stub"
_DATA_BLOCK = re.compile(r"<data>\s*(.*?)\s*</data>", re.DOTALL)
_CUSTOMER_BLOCK = re.compile(r"<customer_messages>\s*(.*?)\s*</customer_messages>", re.DOTALL)


def _first_list(body: dict[str, Any], block: re.Pattern[str]) -> list[Any]:
    """The first span of ``block`` in a request's messages that holds a JSON list (the
    system prompt may name the tags in prose); [] if none."""
    for message in body.get("messages", []):
        content = message.get("content")
        for match in block.finditer(content if isinstance(content, str) else ""):
            try:
                found = json.loads(match.group(1))
            except ValueError:
                continue
            if isinstance(found, list):
                return found
    return []


def grounding_of(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The items of the request's ``<data>…</data>`` block."""
    return [item for item in _first_list(body, _DATA_BLOCK) if isinstance(item, dict) and "id" in item]


def customer_messages_of(body: dict[str, Any]) -> list[str]:
    """The customer's messages as the request's ``<customer_messages>`` block lists them."""
    return [str(turn) for turn in _first_list(body, _CUSTOMER_BLOCK)]


def answer_for(mode: str, body: dict[str, Any]) -> str:
    """The assistant's message content for ``mode`` (not called for the error modes)."""
    items = grounding_of(body)
    if mode == "malformed":
        return "好的，以下是我的建议：先和客户确认预算。"  # prose, not JSON
    if mode == "schema":
        return json.dumps({"answers": [{"reply": "您好，我们可以先确认需求。", "refs": "none"}]}, ensure_ascii=False)
    if mode == "ungrounded":
        suggestions = [{"text": "您好，我们的方案可以满足您的需求。", "source_ids": ["no-such-item"]}]
    elif mode == "example":  # a small model that returns the format example it was shown
        suggestions = [{"text": "建议的回复内容", "source_ids": [str(item["id"])]} for item in items[:1]]
    elif mode == "echo":
        suggestions = [{"text": said, "source_ids": [str(item["id"])]} for item in items[:1] for said in customer_messages_of(body)[-1:]]
    elif mode == "obey":  # a model that followed an injected instruction, citing real data
        suggestions = [{"text": "我们的产品是国家级最佳，保证回报，稳赚不赔。", "source_ids": [str(item["id"])]} for item in items[:1]]
    else:
        suggestions = [
            {"text": f"感谢您的耐心沟通。{str(item.get('text', ''))[:120]}", "source_ids": [str(item["id"])]} for item in items[:3]
        ]
    return json.dumps({"suggestions": suggestions}, ensure_ascii=False)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"  # keep-alive, as with a real server

    def setup(self) -> None:
        super().setup()
        # Small writes (headers, then each SSE chunk) must not wait for delayed ACKs (~40 ms).
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        if self.path.rstrip("/") == "/v1/models":
            self._json(200, {"object": "list", "data": [{"id": MODEL, "object": "model", "created": 0, "owned_by": "zhice"}]})
        else:
            self._json(404, _error("not found", "invalid_request_error", "not_found"))

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            self._json(400, _error("body is not JSON", "invalid_request_error", None))
            return
        stub = self.server.stub
        mode, delay_ms = stub.mode, stub.delay_ms
        with stub.lock:
            stub.requests.append({"method": "POST", "path": self.path, "headers": dict(self.headers), "body": body})
        if self.path.rstrip("/") != "/v1/chat/completions":
            self._json(404, _error("not found", "invalid_request_error", "not_found"))
            return
        if delay_ms > 0:
            time.sleep(delay_ms / 1000)
        try:
            if mode == "error500":
                self._json(500, _error("The server had an error while processing your request.", "server_error", None))
            elif mode == "error429":
                self._json(429, _error("Rate limit reached for requests.", "requests", "rate_limit_exceeded"), {"Retry-After": "1"})
            elif body.get("stream"):
                self._stream(answer_for(mode, body), body.get("model", MODEL), finished=mode != "cut")
            else:
                self._json(200, _completion(answer_for(mode, body), body.get("model", MODEL)))
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (its timeout)
            self.close_connection = True

    def _json(self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _stream(self, content: str, model: str, finished: bool = True) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        cid, created = f"chatcmpl-{uuid.uuid4().hex[:12]}", int(time.time())
        pieces = [{"role": "assistant", "content": ""}] + [{"content": content[i : i + 24]} for i in range(0, len(content), 24)]
        for delta in pieces:
            self._chunk(_sse(_chunk(cid, created, model, delta, None)))
        if finished:
            self._chunk(_sse(_chunk(cid, created, model, {}, "stop")))
            self._chunk(b"data: [DONE]\n\n")
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()


def _sse(payload: dict[str, Any]) -> bytes:
    return b"data: " + json.dumps(payload, ensure_ascii=False).encode() + b"\n\n"


def _chunk(cid: str, created: int, model: str, delta: dict[str, Any], finish_reason: str | None) -> dict[str, Any]:
    return {
        "id": cid,
        "object": "chat.completion.chunk",
        "created": created,
        "model": model,
        "system_fingerprint": None,
        "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}],
    }


def _completion(content: str, model: str) -> dict[str, Any]:
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex[:12]}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "system_fingerprint": None,
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": content, "refusal": None}, "logprobs": None, "finish_reason": "stop"}
        ],
        "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
    }


def _error(message: str, kind: str, code: str | None) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "param": None, "code": code}}


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    stub: LlmStub


class LlmStub:
    """The stub server; a context manager that starts it on a free port and stops it."""

    def __init__(self, mode: str = "good", delay_ms: int = 0) -> None:
        self.configure(mode, delay_ms)
        self.requests: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def configure(self, mode: str, delay_ms: int = 0) -> LlmStub:
        """Set how the following requests are answered."""
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}; one of {MODES}")
        self.mode, self.delay_ms = mode, delay_ms
        return self

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>/v1``, as an OpenAI client's ``base_url``."""
        if self._server is None:
            raise RuntimeError("the stub is not running: use it as a context manager")
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def __enter__(self) -> Self:
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.stub = self
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
