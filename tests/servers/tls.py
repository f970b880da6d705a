"""Serve a test server over TLS on loopback with a certificate from a throwaway CA (trustme)."""

from __future__ import annotations

import json
import ssl
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import trustme


class TLSServer:
    """A ThreadingHTTPServer on 127.0.0.1 over TLS; `answer(handler)` answers every request."""

    def __init__(self) -> None:
        self.ca = trustme.CA()

    def answer(self, handler: BaseHTTPRequestHandler) -> None:
        raise NotImplementedError

    def start(self) -> str:
        """Serve on a free loopback port; return https://127.0.0.1:PORT."""
        answer: Callable[[BaseHTTPRequestHandler], None] = self.answer

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # quiet
                pass

            def do_GET(self) -> None:
                answer(self)

            def do_POST(self) -> None:
                answer(self)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
        self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.url = f"https://127.0.0.1:{self.httpd.server_address[1]}"
        return self.url

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def ca_file(self, path) -> str:
        """Write the CA certificate (PEM) to `path` and return it: what --ca-bundle takes."""
        self.ca.cert_pem.write_to_path(str(path))
        return str(path)


def body_of(handler: BaseHTTPRequestHandler) -> bytes:
    length = int(handler.headers.get("Content-Length") or 0)
    return handler.rfile.read(length) if length else b""


def send_json(handler: BaseHTTPRequestHandler, status: int, body: object, headers: dict | None = None) -> None:
    data = json.dumps(body).encode()
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(data)))
    for key, value in (headers or {}).items():
        handler.send_header(key, value)
    handler.end_headers()
    handler.wfile.write(data)
