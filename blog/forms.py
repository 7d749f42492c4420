from datetime import timedelta

from django import forms
from django.utils import timezone
from django.utils.text import slugify

from blog.models import (
    CONTENT_MAX_LENGTH,
    DRAFT_SLUG_PREFIX,
    SLUG_MAX_LENGTH,
    TAG_MAX_LENGTH,
    TAGS_PER_POST,
    TITLE_MAX_LENGTH,
    Post,
)
from blog.rendering import HTML
from site.addresses import MailboxField
from site.text import single_line

SCHEDULE_MAX_DAYS = 3653


class PostForm(forms.ModelForm):
    # Any text: it is made into an address (a slug) rather than refused for a space.
    planned_slug = forms.CharField(
        required=False,
        label="Address",
        max_length=SLUG_MAX_LENGTH - 12,
        help_text="The end of the post's web address, for example my-first-post. Left empty, it comes from the title.",
    )
    tags = forms.CharField(
        required=False,
        max_length=(TAG_MAX_LENGTH + 2) * TAGS_PER_POST,
        help_text="Separated by commas, for example: sqlite, self-hosting",
    )
    # The revision the text was loaded at: Save refuses to write over a newer one (blog.services.Conflict).
    revision = forms.IntegerField(required=False, min_value=1, max_value=2**31 - 1, widget=forms.HiddenInput)
    publish_at = forms.DateTimeField(
        required=False,
        label="Publish at",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text="Leave empty to publish now. In the site's time zone.",
    )

    class Meta:
        model = Post
        fields = ["title", "planned_slug", "content", "tags", "publish_at"]
        widgets = {"content": forms.Textarea(attrs={"rows": 16})}
        help_texts = {
            "content": "Markdown works here: **bold**, _italic_, [links](https://…), # headings, lists, ```code```."
        }
        error_messages = {
            "title": {"max_length": f"Keep the title to {TITLE_MAX_LENGTH} characters or fewer."},
            "content": {"max_length": f"Posts are limited to {CONTENT_MAX_LENGTH:,} characters."},
        }

    def __init__(self, *args, can_schedule: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if not can_schedule:
            del self.fields["publish_at"]  # A Contributor's posts are published by an Editor.
        post = self.instance
        if not post.pk:
            return
        self.initial.setdefault("revision", post.revision)
        if post.markup == HTML:
            self.fields["content"].help_text = (
                "This post came from another blog as HTML that Markdown could not say without a loss, and stays "
                "HTML: the same safe tags as every post (headings, lists, links, pictures, tables, code)."
            )
        if "tags" not in self.data:
            self.initial["tags"] = ", ".join(tag.name for tag in post.tags.all())
        if post.is_published:
            self.fields.pop("publish_at", None)  # Already out: unpublish first to schedule again.
        elif post.published_at and "publish_at" in self.fields:
            self.initial.setdefault("publish_at", timezone.localtime(post.published_at))
        if not post.slug.startswith(DRAFT_SLUG_PREFIX):
            del self.fields["planned_slug"]  # Published or scheduled once: the address never changes.

    def post_fields(self) -> dict:
        """The cleaned fields a post is written with (the revision is the editor's, not the post's)."""
        return {name: value for name, value in self.cleaned_data.items() if name != "revision"}

    def clean_title(self):
        title = single_line(self.cleaned_data["title"])
        if not title:
            raise forms.ValidationError("A title needs some visible text.")
        return title

    def clean_publish_at(self):
        when = self.cleaned_data.get("publish_at")
        if when and when > timezone.now() + timedelta(days=SCHEDULE_MAX_DAYS):
            # Also keeps year 9999 from overflowing when stored in UTC.
            raise forms.ValidationError("Choose a time within the next ten years.")
        return when

    def clean_planned_slug(self) -> str:
        return slugify(self.cleaned_data["planned_slug"], allow_unicode=True).strip("-_")

    def clean_tags(self) -> list[str]:
        return tags_clean(self.cleaned_data["tags"])


def tags_clean(text: str) -> list[str]:
    """Tag names as typed, separated by commas: cleaned, each once; ValidationError saying what is wrong."""
    names: list[str] = []
    for raw in text.split(","):
        name = single_line(raw).lower()
        if not name:
            continue
        if len(name) > TAG_MAX_LENGTH:
            raise forms.ValidationError(f"Keep each tag to {TAG_MAX_LENGTH} characters or fewer.")
        if not slugify(name, allow_unicode=True):
            raise forms.ValidationError(f"“{name}” needs a letter or a digit to be a tag.")
        if name not in names:
            names.append(name)
    if len(names) > TAGS_PER_POST:
        raise forms.ValidationError(f"Up to {TAGS_PER_POST} tags a post.")
    return names


class ReviewPublishForm(forms.Form):
    publish_at = forms.DateTimeField(required=False)

    def clean_publish_at(self):
        when = self.cleaned_data.get("publish_at")
        if when and when > timezone.now() + timedelta(days=SCHEDULE_MAX_DAYS):
            raise forms.ValidationError("Choose a time within the next ten years.")
        return when


class ReturnForm(forms.Form):
    note = forms.CharField(max_length=2000)

    def clean_note(self):
        note = self.cleaned_data["note"].strip()
        if not note:
            raise forms.ValidationError("A note needs some text.")
        return note


class SubscribeForm(forms.Form):
    email = MailboxField(label="Your email", max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"}))
