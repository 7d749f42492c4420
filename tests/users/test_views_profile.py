import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_profile_display_name_is_shown_as_author(client, author, post):
    client.force_login(author)
    response = client.post(reverse("users:profile"), {"display_name": "  Ada   Lovelace ", "report_frequency": "daily"})
    assert response.status_code == 302
    author.refresh_from_db()
    assert author.display_name == "Ada Lovelace"
    assert "by <a href" in client.get(post.get_absolute_url()).content.decode()
    assert "Ada Lovelace" in client.get("/").content.decode()


def test_profile_rejects_overlong_names(author_client, author):
    response = author_client.post(reverse("users:profile"), {"display_name": "x" * 81})
    assert response.status_code == 200 and response.context["form"].errors
    author.refresh_from_db()
    assert author.display_name == "Author"
