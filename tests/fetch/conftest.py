"""A real HTTP server on 127.0.0.1 serving fixture files, with fault injection."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import PurePosixPath

import pytest


@dataclass
class Served:
    """Files and behaviour of the test server; ``requests`` records every hit."""

    files: dict[str, bytes] = field(default_factory=dict)
    content_types: dict[str, str] = field(default_factory=dict)
    cut_after: dict[str, int] = field(default_factory=dict)  # bytes, once
    corrupt: set[str] = field(default_factory=set)
    no_length: set[str] = field(default_factory=set)  # no Content-Length, close
    drip: dict[str, float] = field(default_factory=dict)  # seconds per byte
    whole_206: set[str] = field(default_factory=set)  # 206 with the whole file
    requests: list[tuple[str, str | None]] = field(default_factory=list)
    url: str = ""

    def hits(self, name: str) -> list[str | None]:
        return [rng for path, rng in self.requests if path == name]


def _handler(state: Served) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # keep test output clean
            pass

        def do_GET(self):
            name = PurePosixPath(self.path.split("?")[0]).name
            state.requests.append((name, self.headers.get("Range")))
            if name not in state.files:
                self.send_error(404)
                return
            body = state.files[name]
            if name in state.corrupt:
                body = body[:-1] + bytes([body[-1] ^ 0xFF])
            start = 0
            rng = self.headers.get("Range")
            if rng and name in state.whole_206:
                self.send_response(206)
            elif rng:
                start = int(rng.split("=")[1].split("-")[0])
                self.send_response(206)
                self.send_header(
                    "Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}"
                )
            else:
                self.send_response(200)
            part = body[start:]
            self.send_header(
                "Content-Type",
                state.content_types.get(name, "application/octet-stream"),
            )
            if name not in state.no_length:
                self.send_header("Content-Length", str(len(part)))
            self.end_headers()
            if name in state.drip:
                try:
                    for i in range(len(part)):
                        self.wfile.write(part[i : i + 1])
                        self.wfile.flush()
                        time.sleep(state.drip[name])
                except OSError:  # the client gave up: what is being tested
                    pass
                return
            cut = state.cut_after.pop(name, None)
            if cut is not None:
                self.wfile.write(part[:cut])
                self.wfile.flush()
                self.close_connection = True
                return
            self.wfile.write(part)

    return Handler


@pytest.fixture
def server():
    state = Served()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    yield state
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=5)
