"""A NUL byte anywhere in a request gets a 4xx on both engines, never a 500 (make test runs this on each)."""

from urllib.parse import quote

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from users.models import User
from users.roles import Role

pytestmark = pytest.mark.django_db

with_nul = st.builds("{}\x00{}".format, st.text(max_size=20), st.text(max_size=20))
PLACES = ["path", "query", "query name", "cookie", "session cookie", "form field", "form name", "admin search"]
PAGES = ["/", "/accounts/login/", "/accounts/signup/", "/write/", "/admin/users/user/"]


def _send(client, place, text, page):
    if place == "path":
        return client.get(f"/posts/{quote(text, safe='')}/")
    if place == "query":
        return client.get(page, {"page": text})
    if place == "query name":
        return client.get(f"{page}?{quote(text, safe='')}=1")
    if place in ("cookie", "session cookie"):
        # A Cookie header carries Latin-1 only: what a browser could send.
        latin = text.encode("latin-1", "ignore").decode("latin-1")
        client.cookies["theme" if place == "cookie" else "sessionid"] = latin
        return client.get(page)
    if place == "form field":
        return client.post(page, {"username": text, "password": "x", "title": text, "content": text})
    if place == "form name":
        return client.post(page, {text: "x"})
    return client.get("/admin/users/user/", {"q": text, "is_active__exact": text})


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(place=st.sampled_from(PLACES), text=with_nul, page=st.sampled_from(PAGES), logged_in=st.booleans())
def test_a_nul_anywhere_is_a_client_error(make_user, place, text, page, logged_in):
    client = Client()
    if logged_in:
        owner = User.objects.filter(email="owner@x.org").first()
        client.force_login(owner or make_user(email="owner@x.org", verified=True, role=Role.OWNER))
    response = _send(client, place, text, page)
    assert 400 <= response.status_code < 500
