"""
A fediverse server on loopback for the interoperability tests: one actor
whose signing, signature checks and WebFinger lookups are bovine's code (a
maintained ActivityPub library), not this project's. It runs in its own
virtualenv (.venv/peer, `make peer`) and imports nothing from the site.

    .venv/peer/bin/python harness/fediverse/peer.py --port 8123

Its actor is http://127.0.0.1:<port>/users/alice. The tests drive it over
its control routes:

    POST /control/follow    {"account": "handle@host"}  -> {"follow_id", "actor", "status"}
    POST /control/unfollow  {"follow_id": ...}          -> {"status"}
    POST /control/like      {"object": url}             -> {"status"}
    GET  /control/received                              -> [{"activity", "signer", "verified", "path"}]

Whatever reaches its inboxes is checked with bovine's SignatureChecker
(draft-cavage HTTP Signatures with the Digest, the signer's key fetched
from its actor document) and kept with the result; a request that fails
the check is answered 401, as Mastodon answers it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import uuid

import aiohttp
from aiohttp import web
from bovine.clients.lookup_account import lookup_with_webfinger
from bovine.clients.signed_http import SignedHttpClient
from bovine.crypto import build_validate_http_signature_raw, generate_rsa_public_private_key
from bovine.crypto.types import CryptographicIdentifier

ACTIVITY_JSON = "application/activity+json"
CONTEXT = ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"]


class Peer:
    def __init__(self, port: int, name: str) -> None:
        self.base = f"http://127.0.0.1:{port}"
        self.actor_id = f"{self.base}/users/{name}"
        self.name = name
        self.public_pem, self.private_pem = generate_rsa_public_private_key()
        self.received: list[dict] = []
        self.follows: dict[str, dict] = {}  # Follow id -> the Follow, for Undo.
        self.session: aiohttp.ClientSession | None = None
        self.validate = build_validate_http_signature_raw(self.key_fetch)

    def actor(self) -> dict:
        return {
            "@context": CONTEXT,
            "id": self.actor_id,
            "type": "Person",
            "preferredUsername": self.name,
            "name": self.name.title(),
            "inbox": f"{self.actor_id}/inbox",
            "outbox": f"{self.actor_id}/outbox",
            "followers": f"{self.actor_id}/followers",
            "endpoints": {"sharedInbox": f"{self.base}/inbox"},
            "publicKey": {"id": f"{self.actor_id}#main-key", "owner": self.actor_id, "publicKeyPem": self.public_pem},
        }

    def client(self) -> SignedHttpClient:
        assert self.session is not None
        return SignedHttpClient(self.session, f"{self.actor_id}#main-key", self.private_pem)

    async def key_fetch(self, key_id: str) -> CryptographicIdentifier | None:
        """The signer's key, from its actor document (fetched with a signed GET, as Mastodon fetches)."""
        response = await self.client().get(key_id.split("#", 1)[0], headers={"accept": ACTIVITY_JSON})
        if response.status != 200:
            return None
        document = json.loads(await response.text())
        key = document.get("publicKey", document)
        if key.get("id") != key_id:
            return None
        return CryptographicIdentifier.from_public_key(key)

    def activity(self, kind: str, obj: object) -> dict:
        """An activity of this actor's, with an id of its own."""
        return {
            "@context": CONTEXT[0],
            "id": f"{self.base}/activities/{uuid.uuid4()}",
            "type": kind,
            "actor": self.actor_id,
            "object": obj,
        }

    async def post(self, inbox: str, activity: dict) -> int:
        response = await self.client().post(inbox, json.dumps(activity))
        return response.status

    async def remote_actor(self, account: str) -> dict:
        host = account.rsplit("@", 1)[1]
        actor_id = await lookup_with_webfinger(
            self.session, f"http://{host}/.well-known/webfinger", {"resource": f"acct:{account}"}
        )
        if actor_id is None:
            raise web.HTTPNotFound(text=f"WebFinger knows no {account}")
        response = await self.client().get(actor_id, headers={"accept": ACTIVITY_JSON})
        return json.loads(await response.text())

    # Routes.

    async def actor_get(self, request: web.Request) -> web.Response:
        return web.json_response(self.actor(), content_type=ACTIVITY_JSON)

    async def inbox_post(self, request: web.Request) -> web.Response:
        body = await request.read()

        async def read() -> bytes:
            return body

        signer = await self.validate(request.method, str(request.url), request.headers, read)
        try:
            activity = json.loads(body)
        except ValueError:
            activity = None
        verified = signer is not None and isinstance(activity, dict) and activity.get("actor") == signer
        self.received.append({"path": request.path, "activity": activity, "signer": signer, "verified": verified})
        return web.Response(status=202 if verified else 401)

    async def follow(self, request: web.Request) -> web.Response:
        target = await self.remote_actor((await request.json())["account"])
        follow = self.activity("Follow", target["id"])
        self.follows[follow["id"]] = {"follow": follow, "inbox": target["inbox"]}
        status = await self.post(target["inbox"], follow)
        return web.json_response({"follow_id": follow["id"], "actor": target, "status": status})

    async def unfollow(self, request: web.Request) -> web.Response:
        known = self.follows[(await request.json())["follow_id"]]
        undo = self.activity("Undo", known["follow"])
        return web.json_response({"status": await self.post(known["inbox"], undo)})

    async def like(self, request: web.Request) -> web.Response:
        wanted = await request.json()
        like = self.activity("Like", wanted["object"])
        return web.json_response({"status": await self.post(wanted["inbox"], like)})

    async def received_get(self, request: web.Request) -> web.Response:
        return web.json_response(self.received)


async def main(port: int, name: str) -> None:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    peer = Peer(port, name)
    app = web.Application()
    app.add_routes(
        [
            web.get(f"/users/{name}", peer.actor_get),
            web.post(f"/users/{name}/inbox", peer.inbox_post),
            web.post("/inbox", peer.inbox_post),
            web.post("/control/follow", peer.follow),
            web.post("/control/unfollow", peer.unfollow),
            web.post("/control/like", peer.like),
            web.get("/control/received", peer.received_get),
        ]
    )
    async with aiohttp.ClientSession() as session:
        peer.session = session
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        print(f"peer ready at {peer.actor_id}", flush=True)
        await asyncio.Event().wait()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--name", default="alice")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.port, arguments.name))
