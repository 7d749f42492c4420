"""Autosaving a draft: the same services as the Save button, with the revision the tab's text was based on."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from blog import services
from blog.models import Post
from users import roles
from users.roles import NotAllowed

if TYPE_CHECKING:
    from users.models import User

UNTITLED = "Untitled draft"


class NotADraft(Exception):
    """Published, scheduled or in review: its text changes only with the Save button (the editor keeps it meanwhile)."""


@dataclass(frozen=True)
class Autosaved:
    post: Post
    created: bool


def autosaves_to_server(post: Post) -> bool:
    """
    A draft nobody reads yet is saved as its writer types; a post that is
    public, scheduled or waiting for an Editor changes only when its writer
    says so (an autosave would publish half a sentence, or take it out of review).
    """
    return post.published_at is None and post.submitted_at is None


def post_autosave(
    *,
    by: User,
    post: Post | None,
    title: str,
    content: str,
    tags: Sequence[str] | None,
    revision: int | None,
    overwrite: bool = False,
) -> Autosaved:
    """
    Save the text typed so far: a new draft for a post not saved yet, or
    the draft `post`. Raises services.Conflict (nothing saved) if the draft
    changed since `revision`, unless `overwrite`; NotADraft for a post
    whose text changes only with Save; NotAllowed and QuotaReached as Save does.
    """
    title = title or UNTITLED
    if post is None:
        if not roles.may_write(by):
            raise NotAllowed(f"{by} may not write")
        created = services.post_create(author=by, title=title, content=content, tags=tags or ())
        return Autosaved(post=created, created=True)
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
    )
    return Autosaved(post=saved, created=False)
