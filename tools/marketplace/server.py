"""The marketplace over HTTP on 127.0.0.1 (standard library only): GET /<platform>/orders lists orders;
POST /_admin/faults asks for misbehaviour; GET /_admin/requests tells what was asked of it."""

from __future__ import annotations

import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from urllib.parse import parse_qs, urlsplit

from tools.marketplace.store import Marketplace, Response

log = logging.getLogger(__name__)


def _handler(marketplace: Marketplace) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _send(self, response: Response) -> None:
            try:
                self.send_response(response.status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(response.body)))
                for name, value in response.headers:
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(response.body)
            except (BrokenPipeError, ConnectionResetError):
                # The client gave up waiting (a slow page on request): nobody is left to answer.
                log.debug("marketplace client went away before the answer")

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            segments = [s for s in parts.path.split("/") if s]
            if segments == ["_admin", "requests"]:
                body = json.dumps([{"platform": p, "status": s} for p, s in marketplace.requests]).encode()
                self._send(Response(200, body))
                return
            if len(segments) == 2 and segments[1] == "orders":
                try:
                    size = int(query.get("page_size", "100"))
                except ValueError:
                    self._send(Response(400, b'{"error":"page_size must be an integer"}'))
                    return
                self._send(
                    marketplace.listing(segments[0], query.get("cursor", ""), query.get("modified_since", ""), size)
                )
                return
            self._send(Response(404, b'{"error":"not found"}'))

        def do_POST(self) -> None:
            if urlsplit(self.path).path != "/_admin/faults":
                self._send(Response(404, b'{"error":"not found"}'))
                return
            length = int(self.headers.get("Content-Length", "0"))
            try:
                marketplace.set_faults(**json.loads(self.rfile.read(length) or b"{}"))
            except (ValueError, TypeError) as error:
                self._send(Response(400, json.dumps({"error": str(error)}).encode()))
                return
            self._send(Response(204, b""))

        def log_message(self, format: str, *args: object) -> None:
            log.debug("marketplace %s", format % args)

    return Handler


class MarketplaceServer:
    """Serves ``marketplace`` on a loopback port in a background thread: ``with MarketplaceServer(m) as s:``."""

    def __init__(self, marketplace: Marketplace, host: str = "127.0.0.1", port: int = 0) -> None:
        self.marketplace = marketplace
        self._server = ThreadingHTTPServer((host, port), _handler(marketplace))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="marketplace", daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> MarketplaceServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> MarketplaceServer:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()
