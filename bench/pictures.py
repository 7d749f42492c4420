"""
Pictures: 24-megapixel camera JPEGs (6000×4000, about 10 MB) uploaded to a
real site (gunicorn with one worker, run_huey), as the Write page's script
sends them. Measured: the upload's answer time (the web worker cleans the
picture: decode, turn, strip, scale to 2400 px), upload-to-variants-ready
(the consumer has made the WebP and JPEG copies at 480, 960 and 1600 px,
recorded them, and the largest is served), the variants one consumer makes a second from a
backlog (the consumer stopped while pictures arrive, then started), and the
peak resident memory (VmHWM) of the web worker and of the consumer.

    .venv/bin/python -m bench.pictures
"""

from __future__ import annotations

import io
import json
import re
import statistics
import tempfile
import time
import urllib.error
import urllib.request
from datetime import datetime
from pathlib import Path

from PIL import Image

from harness.live import Client, LiveSite, SmtpServer, _children, collectstatic, wait_for

DONE = "select variants_at is not null from blog_image where id = ?"
LATENCY_UPLOADS = 8
BACKLOG_UPLOADS = 16
PASSWORD = "bench-password-long-enough"
AUTHOR = f"""
from users.models import User
User.objects.create_user(email="painter@bench.example", password={PASSWORD!r}, is_verified=True, role="editor")
"""


def photo(seed: int, size: tuple[int, int] = (6000, 4000)) -> bytes:
    """A camera-sized JPEG that compresses as a photo does (gradients and grain), about 10 MB."""
    gradient = Image.linear_gradient("L").resize(size)
    grain = Image.effect_noise(size, 20 + seed % 10)
    image = Image.merge("RGB", (gradient, grain, gradient.transpose(Image.Transpose.ROTATE_180)))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=88)
    return out.getvalue()


def _peak_mib(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return round(int(re.search(r"VmHWM:\s+(\d+) kB", status)[1]) / 1024, 1)


def _upload(client: Client, data: bytes, n: int) -> tuple[float, dict]:
    started = time.perf_counter()
    status, _, body = client.post_file(
        "/pictures/upload/", {"alt": f"Photo {n}"}, "file", f"IMG_{n:04}.JPG", data, "image/jpeg", token_from="/write/"
    )
    elapsed = time.perf_counter() - started
    assert status == 201, (status, body[:300])
    return elapsed, json.loads(body)


def _served(url: str) -> bool:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, method="HEAD"), timeout=10) as response:
            return response.status == 200
    except urllib.error.HTTPError:
        return False


def _largest_variant(url: str) -> str:
    return re.sub(r"\.jpg$", "-1600.webp", url)


def run(tmp: Path, static_root: Path) -> dict:
    photos = [photo(n) for n in range(3)]
    with SmtpServer() as smtp:
        site = LiveSite(tmp / "site", smtp.port, static_root, {"WEB_CONCURRENCY": "1"})
        try:
            site.migrate()
            site.shell(AUTHOR)
            site.start_web()
            site.start_consumer()
            client = Client(site.url)
            client.post_form("/accounts/login/", {"username": "painter@bench.example", "password": PASSWORD})
            [worker] = _children(site.processes["web"].pid)
            client.get("/write/")  # The worker has served a page: its memory before any picture.
            web_before = _peak_mib(worker)

            answers, ready = [], []
            for n in range(LATENCY_UPLOADS):
                data = _distinct(photos[n % len(photos)], n)
                started = time.perf_counter()
                answered, image = _upload(client, data, n)
                answers.append(answered)
                # Ready: recorded as made, with the posts showing it rendered again, and its largest copy served.
                wait_for(lambda pk=image["id"]: site.db(DONE, (pk,))[0][0], 120, interval=0.02, message="variants")
                variant = site.url + _largest_variant(image["url"])
                wait_for(lambda v=variant: _served(v), 10, interval=0.02, message=variant)
                ready.append(time.perf_counter() - started)
            web_peak = _peak_mib(worker)
            consumer_peak = _peak_mib(site.processes["consumer"].pid)

            # A backlog: pictures arrive while no consumer runs, then one consumer makes them all.
            site.stop("consumer")
            for n in range(LATENCY_UPLOADS, LATENCY_UPLOADS + BACKLOG_UPLOADS):
                _upload(client, _distinct(photos[n % len(photos)], n), n)
            site.start_consumer()
            wait_for(
                lambda: site.db("select count(*) from blog_image where variants_at is null")[0][0] == 0,
                600,
                interval=0.2,
                message="the backlog's variants",
            )
            stamps = sorted(
                datetime.fromisoformat(str(row[0]))
                for row in site.db("select variants_at from blog_image order by id desc limit ?", (BACKLOG_UPLOADS,))
            )
            file, made = site.db("select file, variants from blog_image order by id desc limit 1")[0]
            per_picture = len({name for v in json.loads(made) for name in (v["webp"], v["fallback"])} - {file})
            span = (stamps[-1] - stamps[0]).total_seconds()
            per_second = (len(stamps) - 1) / span if span else None
        finally:
            site.stop_all()
    return {
        "uploads": LATENCY_UPLOADS,
        "backlog": BACKLOG_UPLOADS,
        "photo_mb": round(len(photos[0]) / 1e6, 1),
        "upload_answer_ms_p50": round(statistics.median(answers) * 1000),
        "upload_answer_ms_max": round(max(answers) * 1000),
        "ready_ms_p50": round(statistics.median(ready) * 1000),
        "ready_ms_max": round(max(ready) * 1000),
        "pictures_per_second": round(per_second, 2) if per_second else None,
        "variant_files_per_second": round(per_second * per_picture, 1) if per_second else None,
        "files_per_picture": per_picture,
        "web_worker_peak_mib_before": web_before,
        "web_worker_peak_mib": web_peak,
        "consumer_peak_mib": consumer_peak,
    }


def _distinct(data: bytes, n: int) -> bytes:
    """The same photo, one pixel row tinted by n: a different picture after cleaning (a new hash)."""
    image = Image.open(io.BytesIO(data))
    image.load()
    for x in range(0, 64):
        image.putpixel((x, 0), (n * 7 % 256, n * 13 % 256, n * 29 % 256))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=88)
    return out.getvalue()


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as folder:
        static = collectstatic(Path(folder) / "static")
        print(json.dumps(run(Path(folder), static), indent=2))
