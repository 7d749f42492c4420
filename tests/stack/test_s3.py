"""
Pictures past one box: kept in an S3-compatible bucket through Django's
storage API (django-storages), against a real S3 server on loopback (moto's
server mode, harness/s3.py), configured the way an operator does, from the
environment. No client is mocked.
"""

import io
import json
import os
import subprocess
import sys
import tarfile
import urllib.request
import zipfile
from pathlib import Path

import pytest
from django.core.files.storage import storages
from storages.backends.s3 import S3Storage

from blog.media import pruning, services
from blog.models import Image
from harness.s3 import BUCKET, S3Server
from site.backups import media_backup
from tests.blog.media.conftest import picture

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def s3():
    with S3Server() as server:
        yield server


def _settings_from_environment(s3, tmp_path):
    """STORAGES["media"] and MEDIA_URL as site/settings.py makes them from the operator's environment."""
    code = (
        "import json; from django.conf import settings; "
        "print(json.dumps({'storage': settings.STORAGES['media'], 'url': settings.MEDIA_URL}))"
    )
    environment = {**os.environ, **s3.environment(), "DATA_DIR": str(tmp_path), "DJANGO_DEBUG": "1"}
    out = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code], cwd=ROOT, env=environment, capture_output=True, check=True
    )
    return json.loads(out.stdout.decode().strip().splitlines()[-1])


@pytest.fixture
def bucket(s3, settings, tmp_path, monkeypatch):
    configured = _settings_from_environment(s3, tmp_path)
    assert configured["storage"]["BACKEND"] == "storages.backends.s3.S3Storage"
    for name, value in s3.environment().items():
        monkeypatch.setenv(name, value)
    settings.STORAGES = {**settings.STORAGES, "media": configured["storage"]}
    settings.MEDIA_URL = configured["url"]
    for key in s3.keys():
        s3.client().delete_object(Bucket=BUCKET, Key=key)
    return s3


def _fetch(url):
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read(), response.headers


def test_an_upload_and_its_variants_land_in_the_bucket_and_are_served_from_it(
    bucket, author, make_post, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        image = services.image_upload(by=author, file=io.BytesIO(picture("JPEG", size=(1000, 700))), alt="Sea")
    image.refresh_from_db()
    assert isinstance(storages["media"], S3Storage)
    assert bucket.keys() == sorted([image.file, *image.variant_names()])
    assert image.url == f"{bucket.endpoint}/{BUCKET}/{image.file}"
    body, headers = _fetch(image.url)
    assert body.startswith(b"\xff\xd8") and headers["Content-Type"] == "image/jpeg"
    assert headers["Cache-Control"] == "public, max-age=31536000, immutable"
    webp, headers = _fetch(f"{bucket.endpoint}/{BUCKET}/{image.variants[0]['webp']}")
    assert headers["Content-Type"] == "image/webp" and webp.startswith(b"RIFF")
    post = make_post(content=image.markdown)
    assert f'srcset="{bucket.endpoint}/{BUCKET}/images/' in post.content_html
    assert 'width="1000" height="700"' in post.content_html


def test_backup_export_and_removal_go_through_the_bucket(
    bucket, author, author_client, tmp_path, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        image = services.image_upload(by=author, file=io.BytesIO(picture("PNG", size=(600, 400))))
    image.refresh_from_db()
    media_backup(dest=tmp_path / "copy")
    with tarfile.open(tmp_path / "copy" / "media.tar") as tar:
        assert sorted(tar.getnames()) == bucket.keys()
    archive = zipfile.ZipFile(io.BytesIO(b"".join(author_client.get("/dashboard/export/").streaming_content)))
    assert archive.read(f"media/{image.file}") == _fetch(image.url)[0]
    with django_capture_on_commit_callbacks(execute=True):
        services.image_delete(by=author, image=image)
    assert bucket.keys() == [] and not Image.objects.exists()
    assert pruning.images_prune().stray_files == []
