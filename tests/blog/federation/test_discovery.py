"""Finding and reading an author from the fediverse: WebFinger, the actor, its outbox, NodeInfo (blog/federation/)."""

import json
from io import StringIO

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core.management import call_command
from django.utils import timezone
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from blog import services
from blog.federation.documents import wants_activity_json
from blog.federation.services import actor_ensure, handle_from
from blog.models import Actor
from users.roles import Role

AP = "application/activity+json"
LD = 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'


@pytest.fixture(autouse=True)
def _federation_on(settings):
    settings.FEDERATION_ENABLED = True
    settings.SITE_URL = "https://blog.example"


@pytest.fixture
def ann(make_user):
    user = make_user(email="ann@example.com", verified=True, role=Role.AUTHOR, display_name="Ann Author")
    services.post_create(author=user, title="Small servers", content="A [box](/about/) under the desk.", publish=True)
    return user


NOW = timezone.now()


def _json(response):
    assert response["Content-Type"].startswith(
        ("application/activity+json", "application/jrd+json", "application/json")
    )
    return json.loads(response.content)


def test_webfinger_finds_an_author_by_handle_and_by_page(client, ann):
    found = _json(client.get("/.well-known/webfinger", {"resource": "acct:ann_author@blog.example"}))
    assert found["subject"] == "acct:ann_author@blog.example"
    (self_link,) = [link for link in found["links"] if link["rel"] == "self"]
    assert self_link == {"rel": "self", "type": AP, "href": f"https://blog.example/authors/{ann.pk}/"}
    by_page = _json(client.get("/.well-known/webfinger", {"resource": f"https://blog.example/authors/{ann.pk}/"}))
    assert by_page["subject"] == found["subject"]
    assert client.get("/.well-known/webfinger", {"resource": "acct:@ANN_author@BLOG.example"}).status_code == 200


@pytest.mark.parametrize(
    "resource, status",
    [
        ("", 400),
        ("acct:ann_author@other.example", 404),
        ("acct:nobody@blog.example", 404),
        ("https://blog.example/posts/small-servers/", 404),
        ("https://other.example/authors/1/", 404),
        ("mailto:ann@example.com", 404),
    ],
)
def test_webfinger_answers_nothing_else(client, ann, resource, status):
    actor_ensure(user=ann)
    assert client.get("/.well-known/webfinger", {"resource": resource}).status_code == status


def test_only_accounts_that_publish_are_actors(client, make_user):
    contributor = make_user(email="c@example.com", verified=True, role=Role.CONTRIBUTOR, display_name="Cory")
    assert client.get(f"/authors/{contributor.pk}/", HTTP_ACCEPT=AP).status_code == 404
    assert client.get(f"/authors/{contributor.pk}/outbox/").status_code == 404
    assert not Actor.objects.exists()


def test_the_author_page_asked_for_as_activitystreams_is_the_actor(client, ann):
    for accept in (AP, LD, f"{AP}, text/html;q=0.5"):
        actor = _json(client.get(f"/authors/{ann.pk}/", HTTP_ACCEPT=accept))
        assert actor["type"] == "Person" and actor["id"] == f"https://blog.example/authors/{ann.pk}/"
    assert actor["preferredUsername"] == "ann_author" and actor["name"] == "Ann Author"
    assert actor["inbox"] == f"https://blog.example/authors/{ann.pk}/inbox/"
    assert actor["outbox"] == f"https://blog.example/authors/{ann.pk}/outbox/"
    assert actor["endpoints"]["sharedInbox"] == "https://blog.example/inbox/"
    key = actor["publicKey"]
    assert key["id"] == actor["id"] + "#main-key" and key["owner"] == actor["id"]
    public = serialization.load_pem_public_key(key["publicKeyPem"].encode())
    assert isinstance(public, rsa.RSAPublicKey) and public.key_size == 2048
    assert "PRIVATE" not in json.dumps(actor)
    stored = Actor.objects.get(user=ann)
    private = serialization.load_pem_private_key(stored.private_key_pem.encode(), password=None)
    assert private.public_key().public_numbers() == public.public_numbers()  # The pair the site signs with.


def test_a_browser_and_a_server_at_the_same_address_each_get_theirs_however_cached(client, ann):
    path = f"/authors/{ann.pk}/"
    assert client.get(path, HTTP_ACCEPT="text/html").content.startswith(b"<!doctype html>")  # Now kept.
    assert _json(client.get(path, HTTP_ACCEPT=AP))["type"] == "Person"
    page = client.get(path, HTTP_ACCEPT="text/html,application/xhtml+xml")
    assert page.content.startswith(b"<!doctype html>") and "Accept" in page["Vary"]


def test_the_outbox_holds_the_authors_public_posts_as_create_article(client, ann, make_user):
    services.post_create(author=ann, title="A draft", content="Not yet.")
    other = make_user(email="o@example.com", verified=True, role=Role.AUTHOR)
    services.post_create(author=other, title="Not Ann's", content="x", publish=True)
    outbox = _json(client.get(f"/authors/{ann.pk}/outbox/"))
    assert outbox["type"] == "OrderedCollection" and outbox["totalItems"] == 1
    page = _json(client.get(outbox["first"].removeprefix("https://blog.example")))
    (create,) = page["orderedItems"]
    article = create["object"]
    assert create["type"] == "Create" and create["actor"] == f"https://blog.example/authors/{ann.pk}/"
    # Its id is under the actor (a post's address can be too long to hold one), and fits the 255 kept.
    assert create["id"].startswith(create["actor"] + "#create/") and len(create["id"]) < 255
    assert article["type"] == "Article" and article["name"] == "Small servers"
    assert 'href="https://blog.example/about/"' in article["content"]  # Links made absolute.
    assert article["to"] == ["https://www.w3.org/ns/activitystreams#Public"]
    assert client.get(f"/authors/{ann.pk}/outbox/?page=2").status_code == 404
    assert client.get(f"/authors/{ann.pk}/outbox/?page=x").status_code == 400


def test_the_followers_collection_gives_its_size_only(client, ann):
    """Accepted followers only: a request waiting for the author's approval does not follow yet."""
    actor = actor_ensure(user=ann)
    actor.followers.create(
        remote_id="https://social.example/users/bo", inbox="https://social.example/users/bo/inbox", accepted_at=NOW
    )
    actor.followers.create(remote_id="https://social.example/users/cy", inbox="https://social.example/users/cy/inbox")
    followers = _json(client.get(f"/authors/{ann.pk}/followers/"))
    assert followers["totalItems"] == 1 and "orderedItems" not in followers and "social.example" not in str(followers)


def test_nodeinfo_says_what_the_site_is(client, ann):
    links = _json(client.get("/.well-known/nodeinfo"))
    assert links["links"][0]["href"] == "https://blog.example/nodeinfo/2.1"
    info = _json(client.get("/nodeinfo/2.1"))
    assert info["version"] == "2.1" and info["protocols"] == ["activitypub"]
    assert info["software"]["name"] == "quick_publisher" and info["usage"]["localPosts"] == 1


def test_switched_off_every_address_is_a_404(client, ann, settings):
    settings.FEDERATION_ENABLED = False
    for path in (
        "/.well-known/webfinger?resource=acct:ann_author@blog.example",
        "/.well-known/nodeinfo",
        "/nodeinfo/2.1",
        f"/authors/{ann.pk}/outbox/",
        f"/authors/{ann.pk}/followers/",
        f"/authors/{ann.pk}/inbox/",
        "/inbox/",
    ):
        assert client.get(path).status_code == 404, path
    assert client.get(f"/authors/{ann.pk}/", HTTP_ACCEPT=AP).content.startswith(b"<!doctype html>")


def test_handles_come_from_names_and_are_unique(make_user):
    assert handle_from("Ann Author", fallback="x") == "ann_author"
    assert handle_from("Zoë Ørsted-Ñu", fallback="x") == "zoe_rsted_nu"
    assert handle_from("李", fallback="author7") == "author7"
    first = make_user(email="a1@example.com", verified=True, role=Role.AUTHOR, display_name="Ann")
    second = make_user(email="a2@example.com", verified=True, role=Role.AUTHOR, display_name="Ann")
    assert [actor_ensure(user=u).handle for u in (first, second)] == ["ann", "ann_2"]
    assert actor_ensure(user=first).public_key_pem == Actor.objects.get(user=first).public_key_pem  # Made once.


@pytest.mark.parametrize(
    "accept, wanted",
    [
        (AP, True),
        (LD, True),
        ("application/ld+json", False),
        ("text/html", False),
        ("text/html, " + AP, False),
        ("", False),
    ],
)
def test_what_counts_as_asking_for_activitystreams(accept, wanted):
    assert wants_activity_json(accept) is wanted


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(resource=st.text(max_size=80))
@example(resource="acct:\x00@blog.example")  # PostgreSQL refuses a NUL in a query: no handle has one.
@example(resource="acct:ann\x00@blog.example")
def test_no_webfinger_resource_makes_a_500(client, ann, resource):
    assert client.get("/.well-known/webfinger", {"resource": resource}).status_code in (200, 400, 404)


def test_an_author_who_publishes_becomes_findable_by_handle(client, make_user):
    writer = make_user(email="w@example.com", verified=True, role=Role.AUTHOR, display_name="Wren")
    draft = services.post_create(author=writer, title="Soon", content="x")
    assert not Actor.objects.exists()  # A draft is nobody's business yet.
    services.post_publish(by=writer, post=draft)
    assert client.get("/.well-known/webfinger", {"resource": "acct:wren@blog.example"}).status_code == 200


def test_the_command_gives_earlier_authors_their_actors(make_user, settings):
    settings.FEDERATION_ENABLED = False
    earlier = make_user(email="e@example.com", verified=True, role=Role.AUTHOR, display_name="Early Bird")
    services.post_create(author=earlier, title="Before", content="x", publish=True)
    make_user(email="c@example.com", verified=True, role=Role.CONTRIBUTOR, display_name="Cory")
    settings.FEDERATION_ENABLED = True
    out = StringIO()
    call_command("actors_make", "--dry-run", stdout=out)
    assert "@early_bird" in out.getvalue() and not Actor.objects.exists()
    call_command("actors_make", stdout=StringIO())
    assert list(Actor.objects.values_list("handle", flat=True)) == ["early_bird"]
