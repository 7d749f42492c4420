"""Property-based tests: whatever a client sends, the answer is never a 500."""

from urllib.parse import quote, urlsplit

import pytest
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from blog.models import Post
from site.models import RateLimitCounter
from users.models import User

pytestmark = pytest.mark.django_db


examples = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)


def answered(status, allowed, *inputs):
    """`status` is one of `allowed`, or the 400 every request with a NUL byte gets (site.middleware.refuse_nul)."""
    return status in allowed or (status == 400 and any("\x00" in value for value in inputs))


# Unicode of every kind, control characters and NUL included; sometimes huge.
nasty = st.one_of(
    st.text(),
    st.text(alphabet=st.characters(max_codepoint=0x1F), max_size=20),
    st.text(min_size=300, max_size=5000),
    st.sampled_from(["", " ", "\x00", "a@b", "a@b.c", "ANN@X.ORG", "../../etc", "<script>", "%00", "日本語@例え.jp"]),
    # NUL inside otherwise plausible input: PostgreSQL refuses it in any text
    # value, so each must be turned away before it reaches a query.
    st.builds("{}\x00{}".format, st.text(max_size=30), st.sampled_from(["", "@example.org", "a@b.c", " x"])),
)


@given(email=nasty, name=nasty, password1=nasty, password2=nasty)
@examples
def test_signup_form(client, email, name, password1, password2):
    before = User.objects.count()
    response = client.post(
        reverse("users:signup"), {"email": email, "display_name": name, "password1": password1, "password2": password2}
    )
    assert answered(response.status_code, (200, 302, 429), email, name, password1, password2)
    if response.status_code != 302:
        assert User.objects.count() == before


@given(username=nasty, password=nasty)
@examples
def test_login_form(client, username, password):
    # 429 once the failures pile up: the cool-off answers before any password is checked.
    status = client.post(reverse("users:login"), {"username": username, "password": password}).status_code
    assert answered(status, (200, 302, 429), username, password)


@given(title=nasty, content=nasty, action=st.sampled_from(["publish", "draft", "other"]))
@examples
def test_post_form(client, author, title, content, action):
    client.force_login(author)
    before = Post.objects.count()
    response = client.post(reverse("blog:post-create"), {"title": title, "content": content, action: "1"})
    assert answered(response.status_code, (200, 302), title, content)
    if response.status_code != 302:
        assert Post.objects.count() == before


@given(title=nasty, content=nasty)
@examples
def test_post_edit_form(client, post, title, content):
    client.force_login(post.author)
    response = client.post(reverse("blog:post-edit", args=[post.slug]), {"title": title, "content": content})
    assert answered(response.status_code, (200, 302), title, content)
    post.refresh_from_db()
    assert post.title and post.slug == "hello-world"


@given(value=nasty)
@examples
def test_url_parameters(client, post, user, value):
    RateLimitCounter.objects.all().delete()  # Each example gets the resend redirect, not the cool-off.
    client.force_login(user)
    part = quote(value, safe="")
    for url in (
        f"/posts/{part}/",
        f"/posts/{part}/edit/",
        f"/authors/{part}/",
        f"/accounts/verify/{part}/",
        f"/?older={part}",
        f"/?newer={part}",
        f"/authors/{post.author.pk}/?older={part}",
    ):
        assert client.get(url).status_code in (200, 302, 400, 404), url
    response = client.post("/accounts/verify/resend/", {"next": value})
    assert answered(response.status_code, (302,), value)
    if response.status_code == 400:
        return
    assert urlsplit(response["Location"]).netloc in ("", "testserver") and not response["Location"].startswith("//")


@given(number=st.integers(min_value=-(10**30), max_value=10**30))
@examples
def test_numeric_ids(client, number):
    assert client.get(f"/authors/{number}/").status_code in (200, 404)
    assert client.get(f"/?older={number}.{number}").status_code == 200
    assert client.get(f"/?newer={number}.1").status_code == 200


@given(query=nasty)
@examples
def test_admin_search(admin_client, query):
    for name in ("users_user", "blog_post", "blog_report", "users_emailverification"):
        assert answered(admin_client.get(reverse(f"admin:{name}_changelist"), {"q": query}).status_code, (200,), query)


@given(email=nasty)
@examples
def test_password_reset_form(client, email):
    assert answered(client.post(reverse("users:password-reset"), {"email": email}).status_code, (200, 302, 429), email)


@given(uid=nasty, token=nasty)
@examples
def test_password_reset_link(client, uid, token):
    url = f"/accounts/password/reset/{quote(uid, safe='') or 'x'}/{quote(token, safe='') or 'x'}/"
    assert answered(client.get(url).status_code, (200, 302, 404), uid, token)


# Charsets a form body may claim: Django accepts only UTF-8 for urlencoded forms.
charsets = st.one_of(
    st.sampled_from(["utf-16", "utf-16-le", "utf-32", "latin-1", "cp1252", "ascii", "utf-8", "UTF-8", "bogus", ""]),
    st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E, exclude_characters=";,\"'"), max_size=20),
)


@given(charset=charsets, path=st.sampled_from(["/accounts/login/", "/accounts/signup/", "/accounts/password/reset/"]))
@examples
def test_form_posts_in_any_charset_with_a_valid_csrf_token(charset, path):
    client = Client(enforce_csrf_checks=True)
    client.get(path)
    token = client.cookies["csrftoken"].value
    body = f"csrfmiddlewaretoken={token}&username=a%40x.org&email=a%40x.org&password=b"
    try:
        data = body.encode(charset)
    except (LookupError, ValueError):
        data = body.encode()  # A charset Python does not know: the bytes are UTF-8 anyway.
    content_type = f"application/x-www-form-urlencoded; charset={charset}"
    response = client.generic("POST", path, data, content_type=content_type)
    assert response.status_code in (200, 302, 400, 403, 429)
    assert User.objects.count() == 0


@given(
    next_url=st.one_of(
        st.sampled_from(
            [
                "/accounts/login/",
                "/accounts/login/?next=/accounts/login/",
                "/accounts/login/?a=1",
                "//testserver/accounts/login/",
                "http://testserver/accounts/login/",
                "/accounts/login",
            ]
        ),
        nasty,
    )
)
@examples
def test_login_page_for_a_logged_in_user_with_any_next(client, user, next_url):
    client.force_login(user)
    response = client.get("/accounts/login/", {"next": next_url})
    assert answered(response.status_code, (302,), next_url)
    if response.status_code == 400:
        return
    # Following the redirect never comes back to the login page.
    assert urlsplit(response["Location"]).path != "/accounts/login/"


DATE_HIERARCHIES = {
    "/admin/blog/post/": "created_at",
    "/admin/blog/report/": "day",
    "/admin/blog/dailyviews/": "day",
    "/admin/blog/dailysources/": "day",
    "/admin/users/emailverification/": "created_at",
    "/admin/users/accountmail/": "created_at",
}


@given(
    year=st.one_of(st.integers(-10, 100_000), st.sampled_from([1, 9999, 10000])),
    month=st.one_of(st.none(), st.integers(-1, 14), st.just(12)),
    day=st.one_of(st.none(), st.integers(-1, 33), st.just(31)),
)
@examples
def test_admin_date_hierarchy_with_any_date(admin_client, year, month, day):
    for url, field in DATE_HIERARCHIES.items():
        params = {f"{field}__year": year}
        if month is not None:
            params[f"{field}__month"] = month
            if day is not None:
                params[f"{field}__day"] = day
        assert admin_client.get(url, params).status_code in (200, 302), (url, params)
