"""
The fediverse at scale, through the real consumer and gunicorn.

Delivery: one post to 10,000 followers on 500 servers, each server a
loopback address of its own (127.0.x.y, so each is its own pace bucket)
answering 202. Once with each server's shared inbox (500 deliveries, as
Mastodon servers are reached), once with personal inboxes only (10,000
deliveries, 20 a server): deliveries per second, time to the last one, the
consumer's peak memory, lost and duplicated.

Inbox: signed Likes from 200 remote actors (their keys fetched once from
the same loopback servers, then kept) POSTed by 8 clients at once to the
shared inbox: requests per second with each signature checked, and their
answers.

    .venv/bin/python -m bench.federation [--followers N] [--servers N]
"""

import argparse
import asyncio
import collections
import http.client
import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from bench.stacks import Stack, memory_kib, process_tree
from harness.live import SmtpServer, wait_for
from harness.ports import free_port

SETUP = """
from blog.federation.services import actor_ensure
from blog.models import Follower
from django.utils import timezone
from users.models import User
author = User.objects.create_user(email="writer@bench.example", password=None, is_verified=True, role="author",
                                  display_name="Writer")
actor = actor_ensure(user=author)
now = timezone.now()
servers = {servers!r}
Follower.objects.bulk_create([
    Follower(actor=actor, remote_id=f"http://{{servers[n % len(servers)]}}/users/f{{n}}",
             inbox=f"http://{{servers[n % len(servers)]}}/users/f{{n}}/inbox",
             shared_inbox=f"http://{{servers[n % len(servers)]}}/inbox" if {shared!r} else "",
             accepted_at=now)
    for n in range({followers})
], batch_size=1000)
print(author.pk)
"""

PUBLISH = (
    "from blog import services; from users.models import User; "
    "services.post_create(author=User.objects.get(pk={pk}), title='To the fediverse', content='Hello. ' * 60,"
    " publish=True)"
)


def _addresses(count):
    """`count` loopback addresses other than 127.0.0.1 (the whole of 127/8 is loopback on Linux)."""
    return [f"127.0.{1 + n // 250}.{1 + n % 250}" for n in range(count)]


class Servers:
    """
    Many fediverse servers on loopback, one asyncio loop in a thread: every
    address answers POSTs with 202 (keeping what arrived, and when) and GETs
    of /users/<name> with an actor document whose key `keys` gives.
    """

    def __init__(self, addresses, keys=None):
        self.addresses, self.port, self.keys = addresses, free_port(), keys or {}
        self.arrivals = []  # (address, path, time)
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):
        self.thread.start()
        self.ready.wait(30)
        return self

    def __exit__(self, *exc):
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)

    def _run(self):
        asyncio.set_event_loop(self.loop)
        for address in self.addresses:
            self.loop.run_until_complete(asyncio.start_server(self._serve, address, self.port, backlog=512))
        self.ready.set()
        self.loop.run_forever()

    async def _serve(self, reader, writer):
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method, path, _ = lines[0].split(" ", 2)
            headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
            length = int({k.lower(): v for k, v in headers.items()}.get("content-length", 0))
            if length:
                await reader.readexactly(length)
            host = writer.get_extra_info("sockname")[0]
            if method == "POST":
                self.arrivals.append((host, path, time.time()))
                answer = b"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            else:
                uri = f"http://{host}:{self.port}{path}"
                body = json.dumps(
                    {
                        "id": uri,
                        "type": "Person",
                        "inbox": f"{uri}/inbox",
                        "publicKey": {"id": f"{uri}#main-key", "owner": uri, "publicKeyPem": self.keys.get(path, "")},
                    }
                ).encode()
                answer = (
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/activity+json\r\nConnection: close\r\n"
                    + f"Content-Length: {len(body)}\r\n\r\n".encode()
                    + body
                )
            writer.write(answer)
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, ValueError):
            pass
        finally:
            writer.close()


def _peak_rss(stack, peak, stop):
    while not stop.is_set():
        if (process := stack.site.processes.get("consumer")) is not None:
            peak["rss"] = max(peak["rss"], sum(memory_kib(p)[0] for p in process_tree(process.pid)))
        time.sleep(0.2)


def delivery_run(folder, static_root, *, followers, servers, shared):
    addresses = _addresses(servers)
    with SmtpServer() as smtp, Servers(addresses) as inboxes:
        stack = Stack("huey", folder, smtp.port, static_root, FEDERATION_ENABLED="1", FEDERATION_ALLOW_PRIVATE="1")
        stack.site.migrate()
        names = [f"{address}:{inboxes.port}" for address in addresses]
        setup = SETUP.format(servers=names, followers=followers, shared=shared)
        author = int(stack.site.shell(setup).strip().splitlines()[-1])
        stack.site.start_consumer()
        expected = servers if shared else followers
        peak, stop = {"rss": 0}, threading.Event()
        sampler = threading.Thread(target=_peak_rss, args=(stack, peak, stop))
        sampler.start()
        try:
            started = time.time()
            stack.site.shell(PUBLISH.format(pk=author))
            wait_for(lambda: len(inboxes.arrivals) >= expected, 1800, interval=0.5, message=f"{expected} deliveries")
            last = max(at for _, _, at in inboxes.arrivals)
            time.sleep(3)  # Let any duplicate arrive before counting.
            received = collections.Counter((host, path) for host, path, _ in inboxes.arrivals)
            owed = stack.site.db("select count(*) from blog_activitydelivery where sent_at is null")[0][0]
        finally:
            stop.set()
            sampler.join()
            stack.stop()
    seconds = last - started
    return {
        "followers": followers,
        "servers": servers,
        "deliveries": expected,
        "last_delivery_seconds": round(seconds, 1),
        "deliveries_per_s": round(expected / seconds, 1),
        "lost": expected - len(received),
        "duplicates": sum(n - 1 for n in received.values()),
        "still_owed": owed,
        "consumer_peak_rss_mib": round(peak["rss"] / 1024, 1),
    }


# Run in the site's shell (a remote server's work, done before the clock starts): key pairs for the
# remote actors, and distinct signed Likes from them, each from a client address of its own.
SIGN = """
import json
from datetime import UTC, datetime
from blog.federation.keys import key_pair_make
from site.signatures import sign
pairs = [key_pair_make() for _ in range({actors})]
actors = [("http://" + {addresses!r}[n % {count}] + ":{port}/users/r" + str(n), pairs[n]) for n in range({actors})]
made = []
for n in range({requests}):
    uri, (private, public) = actors[n % len(actors)]
    body = json.dumps({{"id": f"{{uri}}#likes/{{n}}", "type": "Like", "actor": uri, "object": {post!r}}})
    headers = sign(method="POST", path="/inbox/", host={host!r}, body=body.encode(), key_id=f"{{uri}}#main-key",
                   private_key_pem=private, now=datetime.now(UTC))
    headers.update({{"Content-Type": "application/activity+json", "X-Forwarded-For": f"198.51.100.{{n % 250 + 1}}"}})
    made.append([headers, body])
keys = {{"/users/r" + str(n): public for n, (_, (private, public)) in enumerate(actors)}}
print(json.dumps({{"keys": keys, "requests": made}}))
"""


def inbox_run(folder, static_root, *, actors=200, requests=3000, clients=8):
    addresses = _addresses(10)
    with SmtpServer() as smtp, Servers(addresses) as remotes:
        stack = Stack(
            "huey", folder, smtp.port, static_root, FEDERATION_ENABLED="1", FEDERATION_ALLOW_PRIVATE="1",
            WEB_CONCURRENCY="2",
        )  # fmt: skip
        stack.start()
        slug = (
            stack.site.shell(
                "from blog import services; from users.models import User\n"
                "a = User.objects.create_user(email='liked@bench.example', password=None, is_verified=True,"
                " role='author')\n"
                "print(services.post_create(author=a, title='Liked', content='x', publish=True).get_absolute_url())"
            )
            .strip()
            .splitlines()[-1]
        )
        host = stack.url.split("//", 1)[1]
        script = SIGN.format(
            actors=actors, addresses=addresses, count=len(addresses), port=remotes.port, requests=requests,
            post=stack.url + slug, host=host,
        )  # fmt: skip
        made = json.loads(stack.site.shell(script).strip().splitlines()[-1])
        remotes.keys.update(made["keys"])
        # Each remote actor's first Like: its key is fetched and kept, so what is timed is the steady state.
        warm, timed = made["requests"][:actors], made["requests"][actors:]
        statuses = collections.Counter()

        def send(chunk):
            connection = http.client.HTTPConnection(host, timeout=60)
            for headers, body in chunk:
                connection.request("POST", "/inbox/", body=body.encode(), headers=headers)
                answer = connection.getresponse()
                answer.read()
                statuses[answer.status] += 1
            connection.close()

        try:
            with ThreadPoolExecutor(clients) as pool:
                list(pool.map(send, [warm[n::clients] for n in range(clients)]))
            warmed = dict(statuses)
            statuses.clear()
            started = time.time()
            with ThreadPoolExecutor(clients) as pool:
                list(pool.map(send, [timed[n::clients] for n in range(clients)]))
            seconds = time.time() - started
            likes = stack.site.db("select count(*) from blog_reaction")[0][0]
            kept = stack.site.db("select count(*) from blog_remoteactor")[0][0]
        finally:
            stack.stop()
    return {
        "remote_actors": actors,
        "requests": len(timed),
        "clients": clients,
        "gunicorn_workers": 2,
        "requests_per_s": round(len(timed) / seconds, 1),
        "answers_first": warmed,
        "answers": dict(statuses),
        "likes_counted": likes,
        "keys_kept": kept,
    }


def run(folder, static_root, followers=10_000, servers=500):
    results = {
        "shared_inboxes": delivery_run(
            folder / "shared", static_root, followers=followers, servers=servers, shared=True
        ),
    }
    print("fediverse, shared inboxes:", results["shared_inboxes"], flush=True)
    results["personal_inboxes"] = delivery_run(
        folder / "personal", static_root, followers=followers, servers=servers, shared=False
    )
    print("fediverse, personal inboxes:", results["personal_inboxes"], flush=True)
    results["inbox"] = inbox_run(folder / "inbox", static_root)
    print("fediverse, inbox:", results["inbox"], flush=True)
    return results


if __name__ == "__main__":
    import tempfile
    from pathlib import Path

    from harness.live import collectstatic

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--followers", type=int, default=10_000)
    parser.add_argument("--servers", type=int, default=500)
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="qp-bench-") as tmp:
        static = Path(tmp) / "static"
        collectstatic(static)
        print(json.dumps(run(Path(tmp), static, arguments.followers, arguments.servers), indent=2))
