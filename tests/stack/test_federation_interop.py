"""
Following an author from another fediverse server, end to end: the site as
deployed (gunicorn and a `run_huey` consumer) and a peer on loopback whose
WebFinger lookup, signing and signature checks are bovine's code
(harness/fediverse/), not this project's. The peer follows, gets the Accept,
then a new post (Create) and its edit (Update), likes the post, and
unfollows; each activity it receives must pass bovine's signature check.
"""

import pytest

from harness.fediverse import FediversePeer
from harness.live import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.slow]

AUTHOR = (
    "from blog import services\n"
    "from users.models import User\n"
    "ada = User.objects.create_user(email='ada@example.org', password=None, is_verified=True, role='author',"
    " display_name='Ada Lovelace')\n"
    "services.post_create(author=ada, title='Before anyone followed', content='Old news.', publish=True)\n"
    "print(ada.actor.handle, ada.actor.uri)\n"
)


def _of_type(kind):
    return lambda got: [item for item in got if (item["activity"] or {}).get("type") == kind]


@pytest.fixture
def federated_site(make_live_site):
    return make_live_site(FEDERATION_ENABLED="1", FEDERATION_ALLOW_PRIVATE="1")


def test_a_reader_elsewhere_follows_gets_posts_and_edits_and_unfollows(federated_site, tmp_path):
    site = federated_site
    handle, actor_uri = site.shell(AUTHOR).split()
    with FediversePeer(tmp_path / "peer.log") as peer:
        followed = peer.follow(f"{handle}@127.0.0.1:{site.port}")
        assert followed["status"] == 202 and followed["actor"]["id"] == actor_uri

        [accept] = peer.wait_for(_of_type("Accept"))
        assert accept["verified"] and accept["signer"] == actor_uri, (accept, peer.log())
        assert accept["activity"]["object"]["id"] == followed["follow_id"]
        assert site.db("select remote_id from blog_follower") == [(peer.actor_id,)]

        site.shell(
            "from blog import services\n"
            "from blog.models import Post\n"
            "from users.models import User\n"
            "ada = User.objects.get(email='ada@example.org')\n"
            "post = services.post_create(author=ada, title='For the fediverse', content='Hello, *followers*.',"
            " publish=True)\n"
            "services.post_update(post=Post.objects.get(pk=post.pk), by=ada, title='For the fediverse',"
            " content='Hello again, *followers*.')\n"
        )
        got = peer.wait_for(lambda got: _of_type("Create")(got) and _of_type("Update")(got))
        [create], [update] = _of_type("Create")(got), _of_type("Update")(got)
        assert all(item["verified"] and item["signer"] == actor_uri for item in (create, update))
        assert {item["path"] for item in (create, update)} == {"/inbox"}  # The server's shared inbox, once.
        article = create["activity"]["object"]
        assert article["type"] == "Article" and article["attributedTo"] == actor_uri
        assert "<em>followers</em>" in article["content"] and "Before anyone" not in article["content"]
        assert update["activity"]["object"]["id"] == article["id"]
        assert "Hello again" in update["activity"]["object"]["content"]

        assert peer.like(article["id"], inbox=followed["actor"]["inbox"]) == 202
        assert site.db("select kind, remote_actor from blog_reaction") == [("like", peer.actor_id)]

        assert peer.unfollow(followed["follow_id"]) == 202
        assert site.db("select count(*) from blog_follower") == [(0,)]
        site.shell(
            "from blog import services\n"
            "from users.models import User\n"
            "services.post_create(author=User.objects.get(email='ada@example.org'), title='After',"
            " content='Nobody follows.', publish=True)\n"
        )
        wait_for(lambda: "huey" in site.log("consumer").lower(), 5)
        # Whatever is owed is sent within a second or two by an idle consumer; nothing is owed to the peer now.
        assert site.db("select count(*) from blog_activitydelivery where sent_at is null") == [(0,)]
        assert [item["activity"]["type"] for item in peer.received()] == ["Accept", "Create", "Update"]
