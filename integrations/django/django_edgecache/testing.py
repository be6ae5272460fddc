"""A stand-in edge for your tests: a purge endpoint on loopback that checks every request's
signature with the PyPI standardwebhooks library, records it, and answers as told.

    edge = StandInEdge(secret)                  # then EDGECACHE["PURGE_URL"] = edge.url
    ...save something...
    assert edge.received[-1]["json"] == {"tags": [...]}
    edge.status = 503                           # the edge is failing now
    edge.close()
"""
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook


class StandInEdge:
    def __init__(self, secret: str, status: int = 200):
        self.status = status
        self.received: list[dict] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                headers = {k.lower(): v for k, v in self.headers.items()}
                try:
                    Webhook(secret).verify(body, headers)
                    verified = True
                except Exception:  # noqa: BLE001 — any refusal of the reference verifier
                    verified = False
                outer.received.append(
                    {"path": self.path, "headers": headers, "body": body, "json": json.loads(body or b"null"),
                     "id": headers.get("webhook-id"), "verified": verified}
                )
                status = outer.status if verified else 401
                answer = json.dumps({"id": headers.get("webhook-id"), "purged": json.loads(body or b"null")}).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/_edgecache/purge"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
