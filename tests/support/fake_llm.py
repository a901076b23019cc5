"""A fake OpenAI-compatible model server for TESTS ONLY: a real HTTP server on 127.0.0.1 in a thread.

It speaks the shapes of vLLM, llama.cpp, Azure serverless, Azure AI model inference and Azure OpenAI (classic and
v1): any path ending in /chat/completions is served, so each test endpoint can use its own path prefix
(e.g. base_url=f"{fake.url}/ep1/v1"). Faults are scripted per path prefix and consumed in order:

    fake.script("/ep1", "429", "500", "ok")            # then normal answers
    fake.script("/ep2", Fault("latency", seconds=0.5))
    fake.context("/small", n_ctx=4096, shape="llamacpp")  # real overflow check on every request
    fake.requests  # [Recorded(method, path, query, headers, body)]

Fault names: ok, latency, 429 (retry-after-ms), 429s (retry-after seconds only), 500, 502, 503_loading, timeout
(black hole), reset (TCP RST), content_filter (Azure 400), content_filter_output (200, finish_reason
content_filter), overflow_vllm, overflow_llamacpp, 401, 403, 404, length (200, the answer cut at max_tokens:
the first half of the normal reply, finish_reason "length", as when a model runs out of output tokens).

Use from any test package: `from tests.support.fake_llm import fake_llm, fake_llm_server  # noqa: F401` in a
conftest.py, then request the `fake_llm` fixture (reset for each test; the server lives for the session). Worker
processes reach it over HTTP at `fake_llm.url`. Standalone: `python -m tests.support.fake_llm --port 8999`.
"""

from __future__ import annotations

import json
import socket
import struct
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

FAULTS = (
    "ok",
    "latency",
    "429",
    "429s",
    "500",
    "502",
    "503_loading",
    "timeout",
    "reset",
    "content_filter",
    "content_filter_output",
    "overflow_vllm",
    "overflow_llamacpp",
    "401",
    "403",
    "404",
    "length",
)


@dataclass(frozen=True)
class Fault:
    kind: str
    seconds: float = 0.0  # latency, black-hole duration, or retry-after
    status: int = 0

    def __post_init__(self) -> None:
        if self.kind not in FAULTS:
            raise ValueError(f"unknown fault {self.kind!r}; use one of {', '.join(FAULTS)}")


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names
    body: Any


@dataclass
class _Context:
    n_ctx: int
    shape: str  # "vllm" | "llamacpp"


def default_reply(body: dict[str, Any]) -> str:
    messages = body.get("messages") or []
    last = next((m.get("content", "") for m in reversed(messages) if m.get("role") == "user"), "")
    return f"FAKE[{body.get('model', '')}]: {str(last)[:80]}"


@dataclass
class FakeLLM:
    host: str = "127.0.0.1"
    port: int = 0
    blackhole_seconds: float = 30.0
    requests: list[Recorded] = field(default_factory=list)
    reply: Callable[[dict[str, Any]], str] = default_reply

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._scripts: dict[str, deque[Fault]] = {}
        self._contexts: dict[str, _Context] = {}
        self._stop = threading.Event()
        self._in_flight: dict[str, int] = {}
        self._peak: dict[str, int] = {}
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------ control
    @property
    def url(self) -> str:
        assert self._server is not None, "call start() first"
        return f"http://{self.host}:{self._server.server_address[1]}"

    def start(self) -> FakeLLM:
        handler = type("Handler", (_Handler,), {"fake": self})
        self._server = ThreadingHTTPServer((self.host, self.port), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-llm", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def reset(self) -> None:
        with self._lock:
            self._scripts.clear()
            self._contexts.clear()
            self.requests.clear()
            self._in_flight.clear()
            self._peak.clear()
            self.reply = default_reply

    def script(self, prefix: str, *faults: str | Fault) -> None:
        """Queue faults for requests whose path starts with `prefix` (longest prefix wins)."""
        parsed = [fault if isinstance(fault, Fault) else _parse(fault) for fault in faults]
        with self._lock:
            self._scripts.setdefault(prefix, deque()).extend(parsed)

    def peak_in_flight(self, prefix: str) -> int:
        """Most chat requests under `prefix` the server was handling at the same moment."""
        with self._lock:
            return max((n for path, n in self._peak.items() if path.startswith(prefix)), default=0)

    def _enter(self, path: str) -> None:
        with self._lock:
            self._in_flight[path] = self._in_flight.get(path, 0) + 1
            self._peak[path] = max(self._peak.get(path, 0), self._in_flight[path])

    def _leave(self, path: str) -> None:
        with self._lock:
            self._in_flight[path] = self._in_flight.get(path, 1) - 1

    def context(self, prefix: str, *, n_ctx: int, shape: str = "vllm") -> None:
        with self._lock:
            self._contexts[prefix] = _Context(n_ctx, shape)

    def requests_to(self, prefix: str) -> list[Recorded]:
        with self._lock:
            return [r for r in self.requests if r.path.startswith(prefix)]

    # ------------------------------------------------------------ used by the handler
    def _next_fault(self, path: str) -> Fault:
        with self._lock:
            prefixes = sorted((p for p in self._scripts if path.startswith(p)), key=len, reverse=True)
            for prefix in prefixes:
                queue = self._scripts[prefix]
                if queue:
                    return queue.popleft()
        return Fault("ok")

    def _context_for(self, path: str) -> _Context | None:
        with self._lock:
            prefixes = sorted((p for p in self._contexts if path.startswith(p)), key=len, reverse=True)
            return self._contexts[prefixes[0]] if prefixes else None

    def _record(self, item: Recorded) -> None:
        with self._lock:
            self.requests.append(item)


def _parse(text: str) -> Fault:
    name, _, arg = text.partition(":")
    return Fault(name, seconds=float(arg) if arg else 0.0)


def _estimate_tokens(body: dict[str, Any]) -> int:
    chars = sum(len(str(m.get("content", ""))) for m in body.get("messages") or [])
    return chars // 4 + 1


class _Handler(BaseHTTPRequestHandler):
    fake: FakeLLM
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        return

    def _read_body(self) -> Any:
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            return json.loads(raw) if raw else None
        except ValueError:
            return raw.decode(errors="replace")

    def _send(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _record(self, body: Any) -> str:
        split = urlsplit(self.path)
        query = {key: values[-1] for key, values in parse_qs(split.query).items()}
        headers = {name.lower(): value for name, value in self.headers.items()}
        self.fake._record(Recorded(self.command, split.path, query, headers, body))
        return split.path

    def do_GET(self) -> None:
        path = self._record(None)
        if path.endswith("/health"):
            fault = self.fake._next_fault(path)
            if fault.kind == "503_loading":
                self._send(503, {"error": {"code": 503, "message": "Loading model", "type": "unavailable_error"}})
            elif fault.kind in ("401", "403"):
                self._send(int(fault.kind), {"error": {"code": fault.kind, "message": "Access denied"}})
            elif fault.kind == "500":
                self._send(500, {"error": {"message": "internal", "code": 500}})
            else:
                self._send(200, {"status": "ok"})
        elif path.endswith("/models"):
            fault = self.fake._next_fault(path)
            if fault.kind in ("401", "403"):
                self._send(int(fault.kind), {"error": {"code": fault.kind, "message": "Access denied"}})
                return
            if fault.kind == "timeout":
                self.fake._stop.wait(min(fault.seconds or self.fake.blackhole_seconds, 120))
                self.close_connection = True
                return
            self._send(200, {"object": "list", "data": [{"id": "fake-mistral", "object": "model"}]})
        else:
            self._send(404, {"error": {"message": f"no route {path}", "code": 404}})

    def do_POST(self) -> None:
        body = self._read_body()
        path = self._record(body)
        if not path.endswith("/chat/completions") or not isinstance(body, dict):
            self._send(404, {"error": {"message": f"no route {path}", "code": 404}})
            return
        self.fake._enter(path)
        try:
            self._chat(path, body)
        finally:
            self.fake._leave(path)

    def _chat(self, path: str, body: dict[str, Any]) -> None:
        fault = self.fake._next_fault(path)
        if fault.kind == "latency":
            time.sleep(fault.seconds)
        handler = _FAULT_HANDLERS.get(fault.kind)
        if handler is not None:
            handler(self, fault, body)
            return
        context = self.fake._context_for(path)
        if context is not None:
            requested = _estimate_tokens(body) + int(body.get("max_tokens") or 0)
            if requested > context.n_ctx:
                _overflow(self, context.shape, context.n_ctx, requested)
                return
        self._complete(body, "stop")

    def _complete(self, body: dict[str, Any], finish: str) -> None:
        text = "" if finish == "content_filter" else self.fake.reply(body)
        if finish == "length":
            text = text[: max(1, len(text) // 2)]  # what a model cut at its output limit returns: a prefix
        prompt = _estimate_tokens(body)
        self._send(
            200,
            {
                "id": "chatcmpl-fake",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": body.get("model") or "fake-mistral",
                "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": finish}],
                "usage": {
                    "prompt_tokens": prompt,
                    "completion_tokens": len(text) // 4 + 1,
                    "total_tokens": prompt + len(text) // 4 + 1,
                },
            },
        )


def _rate_limited(h: _Handler, fault: Fault, body: Any) -> None:
    seconds = fault.seconds or 0.05
    headers = {"retry-after": str(max(1, round(seconds)))}
    if fault.kind == "429":
        headers["retry-after-ms"] = str(int(seconds * 1000))
    message = "Requests to the ChatCompletions_Create Operation have exceeded the rate limit. Please retry later."
    h._send(429, {"error": {"code": "429", "message": message}}, headers)


def _server_error(h: _Handler, fault: Fault, body: Any) -> None:
    status = int(fault.kind)
    h._send(
        status, {"object": "error", "message": "Internal server error", "type": "InternalServerError", "code": status}
    )


def _loading(h: _Handler, fault: Fault, body: Any) -> None:
    h._send(503, {"error": {"code": 503, "message": "Loading model", "type": "unavailable_error"}})


def _blackhole(h: _Handler, fault: Fault, body: Any) -> None:
    h.fake._stop.wait(min(fault.seconds or h.fake.blackhole_seconds, 120))
    h.close_connection = True


def _reset(h: _Handler, fault: Fault, body: Any) -> None:
    h.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    h.connection.close()
    h.close_connection = True


def _content_filter(h: _Handler, fault: Fault, body: Any) -> None:
    h._send(
        400,
        {
            "error": {
                "message": "The response was filtered due to the prompt triggering Azure OpenAI's "
                "content management policy.",
                "type": None,
                "param": "prompt",
                "code": "content_filter",
                "status": 400,
                "innererror": {
                    "code": "ResponsibleAIPolicyViolation",
                    "content_filter_result": {
                        "hate": {"filtered": True, "severity": "high"},
                        "violence": {"filtered": False, "severity": "safe"},
                    },
                },
            }
        },
    )


def _content_filter_output(h: _Handler, fault: Fault, body: Any) -> None:
    h._complete(body, "content_filter")


def _length(h: _Handler, fault: Fault, body: Any) -> None:
    h._complete(body, "length")


def _overflow(h: _Handler, shape: str, n_ctx: int, requested: int) -> None:
    if shape == "llamacpp":
        h._send(
            400,
            {
                "error": {
                    "code": 400,
                    "type": "exceed_context_size_error",
                    "message": f"request ({requested} tokens) exceeds the available context size ({n_ctx} tokens), "
                    "try increasing it",
                    "n_prompt_tokens": requested,
                    "n_ctx": n_ctx,
                }
            },
        )
    else:
        h._send(
            400,
            {
                "object": "error",
                "type": "BadRequestError",
                "param": None,
                "code": 400,
                "message": f"This model's maximum context length is {n_ctx} tokens. However, you requested "
                f"{requested} tokens ({requested - 100} in the messages, 100 in the completion). "
                "Please reduce the length of the messages or completion.",
            },
        )


def _overflow_vllm(h: _Handler, fault: Fault, body: Any) -> None:
    _overflow(h, "vllm", 4096, 5000)


def _overflow_llamacpp(h: _Handler, fault: Fault, body: Any) -> None:
    _overflow(h, "llamacpp", 4096, 5000)


def _auth(h: _Handler, fault: Fault, body: Any) -> None:
    status = int(fault.kind)
    message = (
        "Access denied due to invalid subscription key or wrong API endpoint."
        if status == 401
        else "The principal lacks the required data action."
    )
    h._send(status, {"error": {"code": "PermissionDenied" if status == 403 else "401", "message": message}})


def _not_found(h: _Handler, fault: Fault, body: Any) -> None:
    h._send(404, {"error": {"code": "DeploymentNotFound", "message": "The API deployment does not exist."}})


_FAULT_HANDLERS: dict[str, Callable[[_Handler, Fault, Any], None]] = {
    "429": _rate_limited,
    "429s": _rate_limited,
    "500": _server_error,
    "502": _server_error,
    "503_loading": _loading,
    "timeout": _blackhole,
    "reset": _reset,
    "content_filter": _content_filter,
    "content_filter_output": _content_filter_output,
    "overflow_vllm": _overflow_vllm,
    "overflow_llamacpp": _overflow_llamacpp,
    "401": _auth,
    "403": _auth,
    "404": _not_found,
    "length": _length,
}


@pytest.fixture(scope="session")
def fake_llm_server() -> Iterator[FakeLLM]:
    server = FakeLLM().start()
    yield server
    server.stop()


@pytest.fixture
def fake_llm(fake_llm_server: FakeLLM) -> Iterator[FakeLLM]:
    fake_llm_server.reset()
    yield fake_llm_server
    fake_llm_server.reset()


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="Run the test fake model server (never in production).")
    parser.add_argument("--port", type=int, default=8999)
    args = parser.parse_args()
    fake = FakeLLM(port=args.port).start()
    print(f"fake LLM listening on {fake.url}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        fake.stop()
