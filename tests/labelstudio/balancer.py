"""A round-robin HTTP load balancer for the replica tests: one address in front of several
`serve` replicas, as a deployment puts one. Each request goes to the next replica; a replica
that refuses the connection or drops it (it was killed) is skipped and the request goes to
the next one, as a load balancer's retry does. Webhooks are safe to resend: the store
drops a duplicate event."""
from __future__ import annotations

import itertools
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx

FORWARDED_HEADERS = ("content-type", "x-webhook-secret", "authorization")


class Balancer:
    def __init__(self, backends: list[str]):
        self.backends = backends
        self.sent: dict[str, int] = {backend: 0 for backend in backends}
        self._next = itertools.count()
        self._lock = threading.Lock()
        self._http = httpx.Client(timeout=10)
        balancer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                balancer.forward(self, "POST", body)

            def do_GET(self):
                balancer.forward(self, "GET", None)

            def log_message(self, *arguments):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> None:
        self.thread.start()

    def forward(self, handler: BaseHTTPRequestHandler, method: str, body: bytes | None) -> None:
        headers = {name: value for name, value in handler.headers.items()
                   if name.lower() in FORWARDED_HEADERS}
        with self._lock:
            first = next(self._next)
        for offset in range(len(self.backends)):
            backend = self.backends[(first + offset) % len(self.backends)]
            try:
                response = self._http.request(method, backend + handler.path, content=body,
                                              headers=headers)
            except httpx.TransportError:
                continue  # down or killed mid-request: the next replica takes it
            with self._lock:
                self.sent[backend] += 1
            handler.send_response(response.status_code)
            handler.send_header("content-type", response.headers.get("content-type", ""))
            handler.send_header("content-length", str(len(response.content)))
            handler.end_headers()
            handler.wfile.write(response.content)
            return
        handler.send_response(502)
        handler.send_header("content-length", "0")
        handler.end_headers()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._http.close()
