"""A real HTTP gateway on 127.0.0.1 for relay tests: it follows a script of answers, then accepts."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

OK = b'HTTP/1.0 200 OK\r\nContent-Type: application/json\r\nContent-Length: 12\r\n\r\n{"ok": true}'


class Gateway:
    """Answers requests in turn from `script` ("drop", "hang", "500", "ok"), then "ok"; records what it accepted."""

    def __init__(self, script: list[str] | None = None) -> None:
        self.script = list(script or [])
        self.accepted: list[dict] = []
        self.headers: list[dict] = []
        self.seen = 0
        self.release = threading.Event()
        self.lock = threading.Lock()
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with gateway.lock:
                    gateway.seen += 1
                    answer = gateway.script.pop(0) if gateway.script else "ok"
                if answer == "drop":  # fails on purpose: the connection closes without an answer
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                if answer == "hang":  # outlasts the client's timeout; released when the test ends
                    gateway.release.wait(5)
                    return
                if answer == "500":
                    self.send_response(500)
                    self.end_headers()
                    return
                with gateway.lock:
                    gateway.accepted.append(json.loads(body))
                    gateway.headers.append(dict(self.headers))
                # status, headers and body in one write: split writes stall on Nagle and delayed ACKs
                self.wfile.write(OK)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/send"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Gateway:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()
