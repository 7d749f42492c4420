"""A remote fediverse server on loopback for the inbox's tests: its actor, its key, what it is sent."""

import json
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from blog.federation.keys import key_pair_make
from site.signatures import sign

_pair = key_pair_make  # The site's own pairs (blog/federation/keys.py).


PAIRS = [_pair(), _pair()]


class Remote:
    """A fediverse server on loopback with one actor, bo: its document, its key, its inbox."""

    def __init__(self):
        self.private, self.public = PAIRS[0]
        self.received, self.fetches = [], 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                outer.fetches += 1
                body = json.dumps(outer.document_at(self.path)).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/activity+json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                outer.received.append((self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(202)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.uri = f"{self.base}/users/bo"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    @property
    def key_id(self):
        return f"{self.uri}#main-key"

    def document_at(self, path):
        """What a GET of `path` answers: the actor, wherever asked (its key is in it)."""
        return self.document()

    def document(self):
        return {
            "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
            "id": self.uri,
            "type": "Person",
            "preferredUsername": "bo",
            "inbox": f"{self.uri}/inbox",
            "endpoints": {"sharedInbox": f"{self.base}/inbox"},
            "publicKey": {"id": self.key_id, "owner": self.uri, "publicKeyPem": self.public},
        }

    def post(self, client, path, activity, *, private=None, now=None, body=None, headers=None):
        body = body if body is not None else json.dumps(activity).encode()
        signed = sign(
            method="POST", path=path, host="testserver", body=body, key_id=self.key_id,
            private_key_pem=private or self.private, now=now or datetime.now(UTC),
        )  # fmt: skip
        extra = {
            f"HTTP_{name.upper()}": value for name, value in {**signed, **(headers or {})}.items() if name != "Host"
        }
        return client.post(path, body, content_type="application/activity+json", **extra)


def follow_of(remote, ann, n=1):
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{remote.uri}#follows/{n}",
        "type": "Follow",
        "actor": remote.uri,
        "object": ann.uri,
    }
