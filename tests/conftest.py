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
def live_site(tmp_path, smtp, static_root):
    """A migrated, empty site with gunicorn and run_huey running; stopped afterwards."""
    from tests.live import LiveSite

    site = LiveSite(tmp_path, smtp.port, static_root)
    site.manage("migrate", "--no-input", "-v0")
    try:
        site.start_web()
        site.start_consumer()
        yield site
    finally:
        site.stop_all()
