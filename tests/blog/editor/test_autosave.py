"""The editor that never loses work: autosave, conflicts between tabs, the live preview (blog/editor/)."""

import json

import pytest
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from blog import services
from blog.models import Post, PostVersion
from users.roles import Role

AUTOSAVE, PREVIEW = "/write/autosave/", "/write/preview/"


def _json(response):
    return json.loads(response.content)


def test_the_first_autosave_of_a_new_post_makes_a_draft(writer, author):
    answer = writer.post(AUTOSAVE, {"post": "", "title": "", "content": "Half a sentence", "tags": "sqlite"})
    assert answer.status_code == 200
    body = _json(answer)
    post = Post.objects.get(slug=body["post"])
    assert body["created"] and body["revision"] == post.revision == 1
    assert body["edit_url"] == f"/posts/{post.slug}/edit/"
    assert (post.author, post.title, post.content, post.published_at) == (
        author,
        "Untitled draft",
        "Half a sentence",
        None,
    )
    assert [tag.name for tag in post.tags.all()] == ["sqlite"]
    assert not Post.objects.published().exists()


def test_an_empty_new_post_is_not_saved(writer):
    assert writer.post(AUTOSAVE, {"post": "", "title": " ", "content": "  "}).status_code == 400
    assert not Post.objects.exists()


def test_autosave_moves_the_draft_on_one_revision_at_a_time(writer, draft):
    for n, text in enumerate(["Second", "Third"], start=1):
        answer = writer.post(
            AUTOSAVE, {"post": draft.slug, "title": "Notes", "content": text, "revision": draft.revision + n - 1}
        )
        assert answer.status_code == 200 and _json(answer)["revision"] == draft.revision + n
    draft.refresh_from_db()
    assert draft.content == "Third" and draft.revision == 3 and not draft.is_published


def test_an_older_tab_never_saves_over_a_newer_version(writer, draft):
    first = draft.revision
    assert (
        writer.post(AUTOSAVE, {"post": draft.slug, "title": "Notes", "content": "Tab B", "revision": first}).status_code
        == 200
    )
    answer = writer.post(AUTOSAVE, {"post": draft.slug, "title": "Notes", "content": "Tab A", "revision": first})
    assert answer.status_code == 409
    theirs = _json(answer)["conflict"]
    assert theirs["content"] == "Tab B" and theirs["revision"] == first + 1
    assert Post.objects.get(pk=draft.pk).content == "Tab B"
    assert not PostVersion.objects.exists()


def test_keeping_mine_saves_over_it_and_keeps_the_other_version(writer, draft):
    first = draft.revision
    writer.post(AUTOSAVE, {"post": draft.slug, "title": "Notes", "content": "Tab B", "revision": first})
    answer = writer.post(
        AUTOSAVE, {"post": draft.slug, "title": "Notes", "content": "Tab A", "revision": first, "overwrite": "1"}
    )
    assert answer.status_code == 200
    assert Post.objects.get(pk=draft.pk).content == "Tab A"
    (kept,) = PostVersion.objects.all()
    assert (kept.post_id, kept.content, kept.revision) == (draft.pk, "Tab B", first + 1)
    page = writer.get(f"/posts/{draft.slug}/edit/").content.decode()
    assert "Versions set aside" in page and "Tab B" in page


def test_the_same_text_from_two_tabs_is_no_conflict(writer, draft):
    first = draft.revision
    for _ in range(2):
        answer = writer.post(AUTOSAVE, {"post": draft.slug, "title": "Notes", "content": "Same", "revision": first})
        assert answer.status_code == 200


@pytest.mark.parametrize("state", ["published", "scheduled", "submitted"])
def test_a_post_readers_see_or_editors_review_is_never_autosaved(writer, author, state):
    post = services.post_create(author=author, title="Out", content="As published.")
    if state == "published":
        services.post_publish(by=author, post=post)
    elif state == "scheduled":
        services.post_publish(by=author, post=post, publish_at=timezone.now() + timezone.timedelta(days=1))
    else:
        Post.objects.filter(pk=post.pk).update(submitted_at=timezone.now())
    post.refresh_from_db()
    answer = writer.post(
        AUTOSAVE, {"post": post.slug, "title": "Out", "content": "Half typ", "revision": post.revision}
    )
    assert answer.status_code == 409 and _json(answer)["draft"] is False
    after = Post.objects.get(pk=post.pk)
    assert (after.content, after.submitted_at is None) == ("As published.", state != "submitted")
    assert 'data-mode="browser"' in writer.get(f"/posts/{post.slug}/edit/").content.decode()


def test_a_logged_out_tab_is_told_where_to_log_in_and_nothing_is_saved(client, draft):
    for answer in (client.post(AUTOSAVE, {"post": draft.slug, "content": "x"}), client.get(AUTOSAVE)):
        assert answer.status_code == 401 and _json(answer)["login"] == "/accounts/login/"
    assert client.post(PREVIEW, {"content": "x"}).status_code == 401
    assert Post.objects.get(pk=draft.pk).content == "First thoughts."


def test_a_tab_asks_for_a_fresh_csrf_token(author):
    client = Client(enforce_csrf_checks=True)
    client.force_login(author)
    token = _json(client.get(AUTOSAVE))["csrf"]
    assert client.post(AUTOSAVE, {"content": "x"}).status_code == 403
    assert client.post(AUTOSAVE, {"content": "x"}, HTTP_X_CSRFTOKEN=token).status_code == 200


def test_another_writers_draft_is_not_found(make_user, draft):
    other = Client()
    other.force_login(make_user(email="other@example.com", verified=True, role=Role.AUTHOR))
    answer = other.post(AUTOSAVE, {"post": draft.slug, "title": "Mine", "content": "Taken", "revision": draft.revision})
    assert answer.status_code == 404
    assert other.post(PREVIEW, {"post": draft.slug, "content": "x"}).status_code == 404
    assert Post.objects.get(pk=draft.pk).title == "Notes"


def test_a_role_that_does_not_write_saves_nothing(make_user):
    nobody = Client()
    nobody.force_login(make_user(email="reader@example.com", verified=True, role=None))
    assert nobody.post(AUTOSAVE, {"title": "Hi", "content": "x"}).status_code == 403
    assert not Post.objects.exists()


def test_autosave_has_its_own_limit(writer, settings):
    from blog.editor import views

    settings.RATELIMIT_ENABLED = True
    views.AUTOSAVE_PER_ACCOUNT = type(views.AUTOSAVE_PER_ACCOUNT)("autosave:user", 2, 600)
    try:
        codes = [writer.post(AUTOSAVE, {"title": "T", "content": f"v{n}"}).status_code for n in range(3)]
    finally:
        views.AUTOSAVE_PER_ACCOUNT = type(views.AUTOSAVE_PER_ACCOUNT)("autosave:user", 300, 600)
    assert codes[-1] == 429
    assert Post.objects.count() == 2


def test_the_save_button_refuses_an_older_text_and_shows_both(writer, draft):
    first = draft.revision
    writer.post(AUTOSAVE, {"post": draft.slug, "title": "Notes", "content": "From the other tab", "revision": first})
    fields = {"title": "Notes", "content": "From this page", "tags": "", "revision": first, "planned_slug": ""}
    answer = writer.post(f"/posts/{draft.slug}/edit/", fields)
    assert answer.status_code == 409
    page = answer.content.decode()
    assert "From the other tab" in page and "From this page" in page and "Save mine over it" in page
    assert Post.objects.get(pk=draft.pk).content == "From the other tab"
    assert writer.post(f"/posts/{draft.slug}/edit/", {**fields, "overwrite": "1"}).status_code == 302
    assert Post.objects.get(pk=draft.pk).content == "From this page"
    assert PostVersion.objects.get().content == "From the other tab"


def test_the_edit_form_carries_the_revision_and_publishes_a_draft(writer, draft):
    page = writer.get(f"/posts/{draft.slug}/edit/").content.decode()
    assert f'name="revision" value="{draft.revision}"' in page and 'data-mode="server"' in page
    fields = {"title": "Notes", "content": "Done.", "tags": "", "revision": draft.revision, "planned_slug": ""}
    assert writer.post(f"/posts/{draft.slug}/edit/", {**fields, "publish": "1"}).status_code == 302
    assert Post.objects.published().get(pk=draft.pk).content == "Done."


def test_a_save_that_worked_names_the_browsers_copy_it_carried(writer, draft, author):
    fields = {"title": "Notes", "content": "Done.", "tags": "", "revision": draft.revision, "planned_slug": ""}
    copy = f"{author.pk}/{draft.slug}:abc123"
    answer = writer.post(f"/posts/{draft.slug}/edit/", {**fields, "editor_copy": copy}, follow=True)
    assert f'data-forget="{copy}"' in answer.content.decode()
    answer = writer.post(
        "/write/", {"title": "New", "content": "x", "draft": "1", "editor_copy": 'new:x" onclick="y'}, follow=True
    )
    assert "data-forget" not in answer.content.decode() and "Draft saved" in answer.content.decode()


def test_the_live_preview_is_the_saved_rendering(writer):
    body = _json(writer.post(PREVIEW, {"content": "Some **bold** text"}))
    assert body == {"html": "<p>Some <strong>bold</strong> text</p>\n", "words": 3}
    body = _json(writer.post(PREVIEW, {"content": "<script>alert(1)</script><img src=x onerror=alert(1)>"}))
    assert "<script" not in body["html"] and "<img" not in body["html"]


def test_any_edit_of_the_text_moves_the_revision_on(draft):
    first = draft.revision
    Post.objects.get(pk=draft.pk).save()  # No change: no new revision.
    assert Post.objects.get(pk=draft.pk).revision == first
    loaded = Post.objects.get(pk=draft.pk)
    loaded.content = "Changed in the admin"
    loaded.save(update_fields=["content"])
    assert Post.objects.get(pk=draft.pk).revision == first + 1


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    fields=st.dictionaries(
        st.sampled_from(["post", "title", "content", "tags", "revision", "overwrite"]),
        st.one_of(st.text(max_size=50), st.integers(-5, 2**40).map(str)),
    )
)
def test_no_autosave_input_makes_a_500(writer, draft, fields):
    answer = writer.post(AUTOSAVE, fields)
    assert answer.status_code in (200, 400, 404, 409), answer.content[:300]
