import pytest
from django.test import Client

from blog import services


@pytest.fixture
def writer(author):
    """A verified Author's logged-in client."""
    author.is_verified = True
    author.save(update_fields=["is_verified"])
    client = Client()
    client.force_login(author)
    return client


@pytest.fixture
def draft(author):
    return services.post_create(author=author, title="Notes", content="First thoughts.", tags=["kept"])
