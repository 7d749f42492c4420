"""The editor's edges, each found by a review: races with Publish, one draft per editor page, both sides kept."""

import json

import pytest
from django.test import Client
from django.utils import timezone

from blog import services
from blog.editor.services import post_autosave
from blog.models import Post, PostVersion
from blog.services import NotADraft
from users.roles import Role

AUTOSAVE = "/write/autosave/"


def _json(response):
    return json.loads(response.content)


def test_an_autosave_read_before_a_publish_never_unpublishes_it(author, draft):
    stale = Post.objects.get(pk=draft.pk)  # The autosave's copy, read as a draft.
    services.post_publish(by=author, post=Post.objects.get(pk=draft.pk))
    published = Post.objects.get(pk=draft.pk)
    with pytest.raises(NotADraft):
        post_autosave(by=author, post=stale, title="Notes", content="Half", tags=None, revision=stale.revision)
    after = Post.objects.get(pk=draft.pk)
    assert (after.published_at, after.slug, after.content) == (
        published.published_at,
        published.slug,
        "First thoughts.",
    )


def test_an_autosave_read_before_a_submit_never_takes_it_out_of_review(author, draft):
    stale = Post.objects.get(pk=draft.pk)
    services.post_submit(by=author, post=Post.objects.get(pk=draft.pk))
    with pytest.raises(NotADraft):
        post_autosave(by=author, post=stale, title="Notes", content="Half", tags=None, revision=stale.revision)
    assert Post.objects.get(pk=draft.pk).submitted_at is not None


def test_one_editor_page_makes_one_draft_however_its_saves_race(writer, author):
    fields = {"title": "T", "content": "Begun", "editor_key": "abcdef1234567890"}
    first, second = (_json(writer.post(AUTOSAVE, fields)) for _ in range(2))
    assert first["post"] == second["post"] and first["created"] and second["created"]
    # Its Publish button, pressed before the page learnt of the draft, publishes that draft.
    response = writer.post(
        "/write/", {"title": "T", "content": "Done", "publish": "1", "editor_key": "abcdef1234567890"}
    )
    assert response.status_code == 302
    (post,) = Post.objects.all()
    assert post.is_published and post.content == "Done"
    # A second press, after it went out, makes no second post.
    writer.post("/write/", {"title": "T", "content": "Done", "publish": "1", "editor_key": "abcdef1234567890"})
    assert Post.objects.count() == 1


def test_another_accounts_editor_key_reaches_nothing_of_theirs(writer, make_user):
    other = make_user(email="other@example.com", verified=True, role=Role.AUTHOR)
    theirs = services.post_create(author=other, title="Theirs", content="x", editor_key="abcdef1234567890")
    answer = writer.post(AUTOSAVE, {"title": "Mine", "content": "y", "editor_key": "abcdef1234567890"})
    assert answer.status_code == 200 and _json(answer)["post"] != theirs.slug
    assert Post.objects.get(pk=theirs.pk).content == "x"


def test_taking_the_saved_version_keeps_this_tabs_text_aside(writer, draft):
    first = draft.revision
    writer.post(AUTOSAVE, {"post": draft.slug, "title": "Notes", "content": "Tab B", "revision": first})
    answer = writer.post(
        AUTOSAVE, {"post": draft.slug, "title": "Notes", "content": "Tab A", "revision": first, "set_aside": "1"}
    )
    assert answer.status_code == 200 and _json(answer) == {"set_aside": True}
    assert Post.objects.get(pk=draft.pk).content == "Tab B"
    assert PostVersion.objects.get().content == "Tab A"


def test_an_existing_post_is_saved_only_with_the_revision_its_text_was_based_on(writer, draft):
    answer = writer.post(AUTOSAVE, {"post": draft.slug, "title": "Notes", "content": "No base"})
    assert answer.status_code == 400 and "revision" in _json(answer)["error"]
    assert Post.objects.get(pk=draft.pk).content == "First thoughts."


def test_tags_are_left_alone_unless_sent_and_a_half_typed_one_never_stops_the_text(writer, draft):
    fields = {"post": draft.slug, "title": "Notes", "revision": draft.revision}
    answer = _json(writer.post(AUTOSAVE, {**fields, "content": "Two"}))
    assert [tag.name for tag in Post.objects.get(pk=draft.pk).tags.all()] == ["kept"]
    answer = writer.post(
        AUTOSAVE, {**fields, "revision": answer["revision"], "content": "Three", "tags": "ok, " + "x" * 80}
    )
    body = _json(answer)
    assert answer.status_code == 200 and "tags_refused" in body
    post = Post.objects.get(pk=draft.pk)
    assert post.content == "Three" and [tag.name for tag in post.tags.all()] == ["kept"]


def test_two_saves_that_never_read_each_other_get_two_revisions(draft):
    one, other = Post.objects.get(pk=draft.pk), Post.objects.get(pk=draft.pk)
    one.content, other.content = "From the admin", "From a shell"
    one.save()
    other.save()
    assert {one.revision, other.revision} == {draft.revision + 1, draft.revision + 2}
    assert Post.objects.get(pk=draft.pk).revision == draft.revision + 2


def test_versions_set_aside_count_against_the_drafts_quota(make_user, settings):
    settings.QUOTAS = {**settings.QUOTAS, "contributor": {**settings.QUOTAS["contributor"], "drafts_kb": 2}}
    contributor = make_user(email="c@example.com", verified=True, role=Role.CONTRIBUTOR)
    post = services.post_create(author=contributor, title="T", content="x")
    services.post_version_set_aside(by=contributor, post=post, title="T", content="y" * 1500, revision=1)
    with pytest.raises(services.QuotaReached):
        services.post_version_set_aside(by=contributor, post=post, title="T", content="y" * 1500, revision=1)
    with pytest.raises(services.QuotaReached):
        services.post_update(by=contributor, post=Post.objects.get(pk=post.pk), title="T", content="z" * 600)


@pytest.mark.parametrize("button", ["publish", "submit"])
def test_a_button_the_role_may_not_press_saves_nothing(make_user, button):
    contributor = make_user(email="c@example.com", verified=True, role=Role.CONTRIBUTOR)
    editor = make_user(email="e@example.com", verified=True, role=Role.EDITOR)
    post = services.post_create(author=contributor, title="Mine", content="As written.")
    client = Client()
    client.force_login(contributor if button == "publish" else editor)
    fields = {"title": "Mine", "content": "Changed", "tags": "", "revision": post.revision, "planned_slug": ""}
    assert client.post(f"/posts/{post.slug}/edit/", {**fields, button: "1"}).status_code == 403
    after = Post.objects.get(pk=post.pk)
    assert (after.content, after.published_at, after.submitted_at) == ("As written.", None, None)


def test_a_page_made_from_unsaved_text_says_so_to_the_editor(writer, draft):
    fields = {"title": "", "content": "Typed", "tags": "", "revision": draft.revision, "planned_slug": ""}
    page = writer.post(f"/posts/{draft.slug}/edit/", fields).content.decode()  # Refused: no title.
    assert 'data-unsaved="1"' in page and 'data-mode="server"' in page
    preview = writer.post(f"/posts/{draft.slug}/edit/", {**fields, "title": "T", "preview": "1"}).content.decode()
    assert 'data-unsaved="1"' in preview and 'data-mode="server"' in preview  # A draft's preview still autosaves.
    assert 'data-unsaved=""' in writer.get(f"/posts/{draft.slug}/edit/").content.decode()


def test_unknown_posts_are_answered_in_json(writer):
    answer = writer.post(AUTOSAVE, {"post": "_nope", "title": "T", "content": "x", "revision": 1})
    assert answer.status_code == 404 and "error" in _json(answer)
    assert writer.post("/write/preview/", {"post": "_nope", "content": "x"}).status_code == 404


def test_scheduled_time_is_kept_by_an_edit(writer, author, draft):
    later = timezone.now() + timezone.timedelta(days=2)
    services.post_publish(by=author, post=draft, publish_at=later)
    post = Post.objects.get(pk=draft.pk)
    fields = {"title": "Notes", "content": "Edited", "tags": "", "revision": post.revision}
    assert writer.post(f"/posts/{post.slug}/edit/", fields).status_code == 302
    assert abs((Post.objects.get(pk=draft.pk).published_at - later).total_seconds()) < 60


def test_a_page_that_never_heard_of_its_draft_cannot_save_over_a_newer_version(writer):
    key = {"editor_key": "abcdef1234567890"}
    made = _json(writer.post(AUTOSAVE, {"title": "T", "content": "First", **key}))
    newer = {"post": made["post"], "title": "T", "content": "Newer, from another tab", "revision": made["revision"]}
    assert writer.post(AUTOSAVE, newer).status_code == 200
    old = writer.post(AUTOSAVE, {"title": "T", "content": "Old tab", **key})  # Its first answer never came.
    assert old.status_code == 409 and _json(old)["conflict"]["content"] == "Newer, from another tab"
    button = writer.post("/write/", {"title": "T", "content": "Old tab", "publish": "1", **key})
    assert button.status_code == 409 and "Save mine over it" in button.content.decode()
    (post,) = Post.objects.all()
    assert post.content == "Newer, from another tab" and not post.is_published


def test_a_tab_left_behind_by_another_account_saves_nothing(writer, author, draft):
    answer = writer.post(AUTOSAVE, {"title": "T", "content": "Ann's words", "account": author.pk + 1000})
    assert answer.status_code == 409 and _json(answer)["account"] is True
    assert Post.objects.count() == 1
    assert writer.post(AUTOSAVE, {"title": "T", "content": "Mine", "account": author.pk}).status_code == 200


def test_a_conflict_shows_the_saved_versions_tags(writer, draft):
    first = draft.revision
    writer.post(AUTOSAVE, {"post": draft.slug, "title": "Notes", "content": "B", "revision": first, "tags": "x, y"})
    answer = writer.post(AUTOSAVE, {"post": draft.slug, "title": "Notes", "content": "A", "revision": first})
    assert _json(answer)["conflict"]["tags"] in ("x, y", "y, x")
