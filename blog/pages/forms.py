from django import forms

from blog.models import CONTENT_MAX_LENGTH, Page
from blog.models.pages import PAGE_SLUG_MAX_LENGTH
from site.text import single_line


class PageForm(forms.ModelForm):
    slug = forms.CharField(
        label="Address",
        required=False,
        max_length=PAGE_SLUG_MAX_LENGTH,
        help_text="The page's address after the site's name, for example about. Left empty, it comes from the title.",
    )
    published = forms.BooleanField(label="Published (readers see it)", required=False)

    class Meta:
        model = Page
        # The address is the form's own field, made into one by the service (any text is taken).
        fields = ["title", "content", "in_navigation", "navigation_order"]
        widgets = {"content": forms.Textarea(attrs={"rows": 16})}
        help_texts = {"content": "Markdown, as in posts.", "in_navigation": "A link to it at the top of every page."}
        error_messages = {"content": {"max_length": f"Pages are limited to {CONTENT_MAX_LENGTH:,} characters."}}

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["published"].initial = self.instance.pk is not None and self.instance.is_published
        self.fields["slug"].initial = self.instance.slug
        self.fields["navigation_order"].widget.attrs.update(min=-999, max=999)

    def clean_title(self) -> str:
        title = single_line(self.cleaned_data["title"])
        if not title:
            raise forms.ValidationError("A title needs some visible text.")
        return title

    def clean_navigation_order(self) -> int:
        order = self.cleaned_data["navigation_order"]
        if not -999 <= order <= 999:
            raise forms.ValidationError("Between -999 and 999.")
        return order
