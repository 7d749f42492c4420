from django import forms

from blog.forms import tags_clean
from blog.models import CONTENT_MAX_LENGTH, TITLE_MAX_LENGTH
from site.text import single_line


class AutosaveForm(forms.Form):
    """What the editor sends as one types: the Write form's text, the draft it belongs to, and its revision."""

    tags_refused = ""

    post = forms.CharField(required=False, max_length=200)
    title = forms.CharField(required=False, max_length=TITLE_MAX_LENGTH)
    content = forms.CharField(required=False, max_length=CONTENT_MAX_LENGTH)
    tags = forms.CharField(required=False, max_length=2000)
    revision = forms.IntegerField(required=False, min_value=1, max_value=2**31 - 1)
    overwrite = forms.BooleanField(required=False)
    # Keep this text among the post's versions set aside instead of saving it (the tab took the saved version).
    set_aside = forms.BooleanField(required=False)
    editor_key = forms.RegexField(regex=r"^[a-z0-9]{8,32}$", required=False)
    # The account the page was opened by: a tab left behind when another account logs in here saves nothing of its.
    account = forms.IntegerField(required=False)

    def clean_title(self) -> str:
        return single_line(self.cleaned_data["title"])

    def clean_tags(self) -> list[str] | None:
        """Tags as typed; None if absent or not valid yet: a half-typed tag never stops the text."""
        if "tags" not in self.data:
            return None
        try:
            return tags_clean(self.cleaned_data["tags"])
        except forms.ValidationError as refused:
            self.tags_refused = " ".join(refused.messages)
            return None

    def clean(self) -> dict:
        cleaned = super().clean() or {}
        if cleaned.get("post") and cleaned.get("revision") is None:
            raise forms.ValidationError("Say which revision this text was based on.")
        return cleaned


class LivePreviewForm(forms.Form):
    post = forms.CharField(required=False, max_length=200)
    content = forms.CharField(required=False, max_length=CONTENT_MAX_LENGTH)
