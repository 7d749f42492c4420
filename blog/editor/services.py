"""Autosaving a draft: the same services as the Save button, with the revision the tab's text was based on."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from blog import services
from blog.models import Post
from blog.services import NotADraft
from users import roles
from users.roles import NotAllowed

if TYPE_CHECKING:
    from users.models import User

UNTITLED = "Untitled draft"

__all__ = ["Autosaved", "NotADraft", "autosaves_to_server", "post_autosave", "post_begun"]


@dataclass(frozen=True)
class Autosaved:
    post: Post
    created: bool  # The tab's first save: it edits this draft from now on.


def autosaves_to_server(post: Post) -> bool:
    """
    A draft nobody reads yet is saved as its writer types; a post that is
    public, scheduled or waiting for an Editor changes only when its writer
    says so (an autosave would publish half a sentence, or take it out of review).
    """
    return post.published_at is None and post.submitted_at is None


def post_begun(*, author: User, editor_key: str) -> Post | None:
    """The post an editor page began (its key), if it has been saved once: a draft, or published since."""
    if not editor_key:
        return None
    return Post.objects.filter(author=author, editor_key=editor_key).first()


def post_autosave(
    *,
    by: User,
    post: Post | None,
    title: str,
    content: str,
    tags: Sequence[str] | None,
    revision: int | None,
    overwrite: bool = False,
    editor_key: str = "",
) -> Autosaved:
    """
    Save the text typed so far: a new draft for a post not saved yet (or
    the one this editor page began, `editor_key`, if its answer was lost or
    another tab restored it), or the draft `post`. Raises services.Conflict
    (nothing saved) if the draft changed since `revision`, unless
    `overwrite`; NotADraft for a post whose text changes only with Save;
    NotAllowed and QuotaReached as Save does.
    """
    title = title or UNTITLED
    created = post is None
    if post is None and (post := post_begun(author=by, editor_key=editor_key)) is not None:
        # A page that never heard of its draft wrote on its first revision: a newer one is a conflict, not lost.
        revision = revision or 1
    if post is None:
        if not roles.may_write(by):
            raise NotAllowed(f"{by} may not write")
        made = services.post_create(author=by, title=title, content=content, tags=tags or (), editor_key=editor_key)
        return Autosaved(post=made, created=True)
    if not autosaves_to_server(post):
        raise NotADraft(f"post {post.pk} is not a draft")
    saved = services.post_update(
        by=by,
        post=post,
        title=title,
        content=content,
        tags=list(tags) if tags is not None else None,
        revision=revision,
        overwrite=overwrite,
        drafts_only=True,
    )
    return Autosaved(post=saved, created=created)
