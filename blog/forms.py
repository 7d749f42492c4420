from django import forms

from blog.models import CONTENT_MAX_LENGTH, TITLE_MAX_LENGTH, Post
from site.text import single_line


class PostForm(forms.ModelForm):
    class Meta:
        model = Post
        fields = ["title", "content"]
        widgets = {"content": forms.Textarea(attrs={"rows": 16})}
        error_messages = {
            "title": {"max_length": f"Keep the title to {TITLE_MAX_LENGTH} characters or fewer."},
            "content": {"max_length": f"Posts are limited to {CONTENT_MAX_LENGTH:,} characters."},
        }

    def clean_title(self):
        title = single_line(self.cleaned_data["title"])
        if not title:
            raise forms.ValidationError("A title needs some visible text.")
        return title
