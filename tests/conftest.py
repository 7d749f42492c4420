import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone
from huey.contrib import djhuey
from huey.contrib.djhuey import HUEY

from blog.models import Post
from harness.live import CHROMIUM, CHROMIUM_ARGS, LiveSite, SmtpServer, collectstatic
from users.models import EmailVerification
from users.roles import Role

PASSWORD = "a-long-enough-passphrase-42"


@pytest.fixture(autouse=True)
def _test_settings(settings):
    # Real password hashing is deliberately slow; the tests do not measure it.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Production uses the manifest storage, which needs collectstatic first.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _page_cache(settings, tmp_path):
    # Each test keeps pages in its own folder (on PostgreSQL, in the test
    # database's table, emptied with every test's rollback).
    if settings.PAGE_CACHE == "file":
        settings.CACHES = {
            **settings.CACHES,
            "pages": {**settings.CACHES["pages"], "LOCATION": str(tmp_path / "page-cache")},
        }


@pytest.fixture(autouse=True)
def _media_storage(settings, tmp_path):
    """Each test keeps its pictures in a folder of its own."""
    settings.STORAGES = {
        **settings.STORAGES,
        "media": {**settings.STORAGES["media"], "OPTIONS": {**settings.STORAGES["media"]["OPTIONS"]}},
    }
    if "location" in settings.STORAGES["media"]["OPTIONS"]:
        settings.STORAGES["media"]["OPTIONS"]["location"] = tmp_path / "media"


@pytest.fixture
def page_cache_off(settings):
    """For tests that read a page's template context, which a page answered from the page cache has not."""
    settings.CACHES = {**settings.CACHES, "pages": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}


@pytest.fixture
def password():
    return PASSWORD


@pytest.fixture
def make_user(db):
    """An account, an Author unless told otherwise (`role=Role.CONTRIBUTOR`, or None for no role at all)."""

    def make(email="ann@example.com", verified=False, role=Role.AUTHOR, **extra):
        return get_user_model().objects.create_user(
            email=email, password=PASSWORD, is_verified=verified, role=role, **extra
        )

    return make


@pytest.fixture
def user(make_user):
    return make_user()


@pytest.fixture
def author(make_user):
    return make_user(email="author@example.com", verified=True, display_name="Author")


@pytest.fixture
def make_post(author):
    """A post by `author` (the fixture's by default), published now unless told otherwise.

    `days_ago=N` publishes it N days back; `published_at=None` makes a draft.
    """

    def make(title="Hello world", content="First paragraph.\n\nSecond one.", days_ago=None, **fields):
        fields.setdefault("author", author)
        if days_ago is not None:
            fields["published_at"] = timezone.now() - timedelta(days=days_ago)
        return Post.objects.create(title=title, content=content, **fields)

    return make


@pytest.fixture
def post(make_post):
    return make_post()


@pytest.fixture
def owed_verification(user):
    """A verification mail owed to `user` (the fixture's by default), as signup leaves it."""

    def make(owner=None, **fields):
        owner = owner or user
        return EmailVerification.objects.create(user=owner, email=owner.email, **fields)

    return make


@pytest.fixture(autouse=True)
def huey_inline():
    """Unit tests run tasks inline (root conftest.py); drop whatever they scheduled, whatever happens."""
    yield HUEY
    HUEY.flush()


def pytest_collection_modifyitems(config, items):
    """
    `sqlite_only` and `postgres_only` tests are skipped, saying why, on the
    other engine. What does not depend on the engine (`one_engine`: pages in
    a browser, the validators, the README's deploy and `make run` on their
    SQLite default) runs in the SQLite pass only: the PostgreSQL pass is for
    what the engine changes, and the unit suite covers every view on both.
    """
    engine = connection.vendor
    for item in items:
        if engine != "sqlite" and any(
            item.get_closest_marker(name) for name in ("one_engine", "browser", "validators")
        ):
            item.add_marker(pytest.mark.skip(reason="the same on either engine: the SQLite pass runs it"))
        for marker, needs in (("sqlite_only", "sqlite"), ("postgres_only", "postgresql")):
            if item.get_closest_marker(marker) and engine != needs:
                item.add_marker(pytest.mark.skip(reason=f"needs {needs}, the suite runs on {engine}"))


@pytest.fixture
def huey_queue(monkeypatch):
    """
    The real queue (the test DATA_DIR's file, or the test database's tables on
    PostgreSQL) instead of inline tasks; emptied before and after.
    """
    # A consumer's tasks close stale connections around each run; in a test
    # that would close the connection holding the test's transaction.
    monkeypatch.setattr(djhuey, "close_old_connections", lambda: None)
    HUEY.immediate = False
    HUEY.flush()
    try:
        yield HUEY
    finally:
        HUEY.flush()
        HUEY.storage.close()
        HUEY.immediate = True


@pytest.fixture
def author_client(client, author):
    client.force_login(author)
    return client


@pytest.fixture
def admin_client(client, make_user):
    client.force_login(make_user(email="boss@x.org", verified=True, is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def smtp():
    with SmtpServer() as server:
        yield server


@pytest.fixture(scope="session")
def static_root(tmp_path_factory):
    """collectstatic once for every live site: production serves the manifest."""
    return collectstatic(tmp_path_factory.mktemp("static"))


@pytest.fixture
def make_live_site(tmp_path, smtp, static_root):
    """Start a migrated, empty site (gunicorn + run_huey) with extra environment; all stopped afterwards."""
    sites = []

    def make(consumer=True, **extra_env):
        site = LiveSite(tmp_path / f"site{len(sites)}", smtp.port, static_root, extra_env)
        sites.append(site)
        site.migrate()
        site.start_web()
        if consumer:
            site.start_consumer()
        return site

    yield make
    for site in sites:
        site.stop_all()


@pytest.fixture
def live_site(make_live_site):
    return make_live_site()


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: .ci/run should have installed Debian's chromium package")
        pytest.skip(f"browser tests need Debian's Chromium at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Screenshots:
    """
    test-artifacts/screenshots/ (postgresql/ inside it for that pass), where
    each name is written once a run: a second screenshot under a name taken
    would hide the first, which then is never looked at.
    """

    def __init__(self, folder: Path) -> None:
        self.folder, self.taken = folder, set()

    def __truediv__(self, name: str) -> Path:
        assert name not in self.taken, f"screenshot {name} is taken twice in one run: give one of them another name"
        self.taken.add(name)
        return self.folder / name


@pytest.fixture(scope="session")
def screenshots():
    folder = Path(__file__).resolve().parent.parent / "test-artifacts" / "screenshots"
    if os.environ.get("DATABASE_URL"):
        folder /= "postgresql"
    folder.mkdir(parents=True, exist_ok=True)
    return Screenshots(folder)
