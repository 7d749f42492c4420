"""
The README's deploy serves pictures with Caddy (deploy/Caddyfile), straight
from DATA_DIR/media: Debian's Caddy runs that file, on loopback and plain
HTTP, and serves a picture the site kept, with the web process's headers,
and nothing else from the folder. It lets a picture's upload through at the
picture's size, and no other body.
"""

import http.client
import http.server
import io
import os
import shutil
import subprocess
import threading
import time
from pathlib import Path

import pytest
from django.core.files.storage import storages

from blog.media import services
from harness.ports import free_port
from tests.blog.media.conftest import picture

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def caddy(tmp_path, settings):
    if shutil.which("caddy") is None:
        pytest.fail("Caddy is not installed: `make test` installs Debian's caddy (make caddy)")
    data = tmp_path / "data"
    settings.STORAGES = {
        **settings.STORAGES,
        "media": {**settings.STORAGES["media"], "OPTIONS": {**settings.STORAGES["media"]["OPTIONS"]}},
    }
    settings.STORAGES["media"]["OPTIONS"]["location"] = data / "media"
    port, upstream = free_port(), free_port()
    config = (ROOT / "deploy" / "Caddyfile").read_text()
    config = config.replace("blog.example.com", f"http://127.0.0.1:{port}").replace(
        "{\n\tservers", "{\n\tadmin off\n\tservers"
    )
    config = config.replace("/var/lib/quick_publisher", str(data)).replace("127.0.0.1:8000", f"127.0.0.1:{upstream}")
    (tmp_path / "Caddyfile").write_text(config)
    (data / "media").mkdir(parents=True)
    (data / "db.sqlite3").write_text("the database")
    env = {
        **os.environ,
        "XDG_DATA_HOME": str(tmp_path / "xdg"),
        "XDG_CONFIG_HOME": str(tmp_path / "xdg"),
        "HOME": str(tmp_path),
    }
    process = subprocess.Popen(
        ["caddy", "run", "--config", str(tmp_path / "Caddyfile"), "--adapter", "caddyfile"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 20
    while True:
        try:
            http.client.HTTPConnection("127.0.0.1", port, timeout=1).connect()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"caddy did not start: {process.stderr.read().decode()[-2000:]}") from None
            time.sleep(0.1)
    site = http.server.ThreadingHTTPServer(("127.0.0.1", upstream), _Site)
    threading.Thread(target=site.serve_forever, daemon=True).start()
    yield port, data
    site.shutdown()
    process.terminate()
    process.wait(timeout=10)


class _Site(http.server.BaseHTTPRequestHandler):
    """Stands for gunicorn: reads the whole body and says how much came."""

    def do_POST(self) -> None:
        try:
            length = len(self.rfile.read(int(self.headers["Content-Length"])))
        except (ConnectionError, OSError):
            return  # Cut off by the proxy at its size limit.
        self.send_response(200)
        self.end_headers()
        self.wfile.write(f"got {length}".encode())

    def do_GET(self) -> None:
        self.send_response(404)
        self.end_headers()
        self.wfile.write(b"Not found here either.")

    def log_message(self, *args: object) -> None:
        pass


def _request(port, method, path, body=None, headers=None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    except (ConnectionResetError, BrokenPipeError):
        return 0, {}, b""
    finally:
        connection.close()


def test_caddy_serves_a_kept_picture_with_the_sites_headers(caddy, author, django_capture_on_commit_callbacks):
    port, _ = caddy
    with django_capture_on_commit_callbacks(execute=True):
        image = services.image_upload(by=author, file=io.BytesIO(picture("JPEG", size=(800, 600))))
    image.refresh_from_db()
    status, headers, body = _request(port, "GET", image.url)
    assert status == 200
    with storages["media"].open(image.file) as kept:
        assert body == kept.read()
    assert headers["Content-Type"] == "image/jpeg"
    assert headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    status, headers, _ = _request(port, "GET", "/media/" + image.variants[0]["webp"])
    assert status == 200 and headers["Content-Type"] == "image/webp"


@pytest.mark.parametrize(
    "path",
    [
        "/media/../db.sqlite3",
        "/media/%2e%2e/db.sqlite3",
        "/media/images/ab/" + "a" * 32 + ".html",
        "/media/planted.html",
        "/media/",
        "/media/images/ab/" + "b" * 32 + ".jpg",  # The right shape, no such file.
    ],
)
def test_caddy_serves_nothing_else_from_the_folder(caddy, path):
    port, data = caddy
    (data / "media" / "planted.html").write_text("<script>alert(1)</script>")
    (data / "media" / "images" / "ab").mkdir(parents=True, exist_ok=True)
    (data / "media" / "images" / "ab" / ("a" * 32 + ".html")).write_text("<script>alert(1)</script>")
    status, headers, body = _request(port, "GET", path)
    assert status == 404 and b"script" not in body and b"the database" not in body
    assert "immutable" not in headers.get("Cache-Control", "")  # A picture uploaded later takes the name.


def test_caddy_lets_a_picture_through_at_its_size_and_no_other_body(caddy):
    port, _ = caddy
    big = b"x" * 5_000_000
    headers = {"Content-Type": "application/octet-stream"}
    for path in ("/write/picture/", "/pictures/upload/", "/pictures/", "/write/", "/posts/a-post/edit/"):
        assert _request(port, "POST", path, big, headers)[::2] == (200, b"got 5000000"), path
    # Refused at the door (Caddy 2.6 answers a body past its size with a 502, or cuts it off).
    status, _, body = _request(port, "POST", "/accounts/login/", big, headers)
    assert status in (0, 413, 502) and b"got" not in body
