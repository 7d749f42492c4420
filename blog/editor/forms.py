from django import forms

from blog.forms import tags_clean
from blog.models import CONTENT_MAX_LENGTH, TITLE_MAX_LENGTH
from site.text import single_line


class AutosaveForm(forms.Form):
    """What the editor sends as one types: the Write form's text, the draft it belongs to, and its revision."""

    post = forms.CharField(required=False, max_length=200)
    title = forms.CharField(required=False, max_length=TITLE_MAX_LENGTH)
    content = forms.CharField(required=False, max_length=CONTENT_MAX_LENGTH)
    tags = forms.CharField(required=False, max_length=2000)
    revision = forms.IntegerField(required=False, min_value=1, max_value=2**31 - 1)
    overwrite = forms.BooleanField(required=False)

    def clean_title(self) -> str:
        return single_line(self.cleaned_data["title"])

    def clean_tags(self) -> list[str] | None:
        return tags_clean(self.cleaned_data["tags"]) if "tags" in self.data else None


class LivePreviewForm(forms.Form):
    post = forms.CharField(required=False, max_length=200)
    content = forms.CharField(required=False, max_length=CONTENT_MAX_LENGTH)
