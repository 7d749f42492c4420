import pytest
from django.contrib.auth import get_user_model

from blog.models import Post

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


@pytest.fixture
def password():
    return PASSWORD


@pytest.fixture
def make_user(db):
    def make(email="ann@example.com", verified=False, **extra):
        return get_user_model().objects.create_user(email=email, password=PASSWORD, is_verified=verified, **extra)

    return make


@pytest.fixture
def user(make_user):
    return make_user()


@pytest.fixture
def author(make_user):
    return make_user(email="author@example.com", verified=True, display_name="Author")


@pytest.fixture
def post(author):
    return Post.objects.create(author=author, title="Hello world", content="First paragraph.\n\nSecond one.")


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
    from tests.live import SmtpServer

    with SmtpServer() as server:
        yield server


@pytest.fixture(scope="session")
def static_root(tmp_path_factory):
    """collectstatic once for every live site: production serves the manifest."""
    from tests.live import LiveSite

    root = tmp_path_factory.mktemp("static")
    LiveSite(tmp_path_factory.mktemp("collect"), 25, root).manage("collectstatic", "--no-input", "-v0")
    return root


@pytest.fixture
def make_live_site(tmp_path, smtp, static_root):
    """Start a migrated, empty site (gunicorn + run_huey) with extra environment; all stopped afterwards."""
    from tests.live import LiveSite

    sites = []

    def make(consumer=True, **extra_env):
        site = LiveSite(tmp_path / f"site{len(sites)}", smtp.port, static_root, extra_env)
        site.data_dir.mkdir()
        sites.append(site)
        site.manage("migrate", "--no-input", "-v0")
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


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    import os

    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: .ci/run should have installed Debian's chromium package")
        pytest.skip(f"browser tests need Debian's Chromium at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def screenshots():
    from pathlib import Path

    folder = Path(__file__).resolve().parent.parent / "test-artifacts" / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder
