import pytest

from blog import services
from blog.federation.services import actor_ensure
from tests.blog.federation.remote import Remote
from users.roles import Role


@pytest.fixture
def remote(settings):
    settings.FEDERATION_ENABLED = settings.FEDERATION_ALLOW_PRIVATE = True
    settings.SITE_URL = "http://testserver"
    made = Remote()
    yield made
    made.httpd.shutdown()


@pytest.fixture
def ann(make_user):
    user = make_user(email="ann@example.com", verified=True, role=Role.AUTHOR, display_name="Ann")
    services.post_create(author=user, title="Small servers", content="A box.", publish=True)
    return actor_ensure(user=user)
