from django import forms

from blog.models.media import ALT_MAX_LENGTH

ACCEPT = "image/jpeg,image/png,image/gif,image/webp,image/avif,.jpg,.jpeg,.png,.gif,.webp,.avif"


class PictureForm(forms.Form):
    """A picture to put in a post: on the Write page (prefix "picture"), the picture list, and by script."""

    file = forms.FileField(
        label="Picture",
        required=False,
        widget=forms.FileInput(attrs={"accept": ACCEPT}),
        help_text="JPEG, PNG, GIF, WebP or AVIF. It is cleaned of its metadata (place, camera) before it is kept.",
    )
    alt = forms.CharField(
        label="Describe it for someone who cannot see it (alt text)",
        max_length=ALT_MAX_LENGTH,
        required=False,
    )

    def clean_file(self) -> object:
        upload = self.cleaned_data.get("file")
        if not upload:
            raise forms.ValidationError("Choose a picture to upload.")
        return upload


class AltForm(forms.Form):
    alt = forms.CharField(label="Alt text", max_length=ALT_MAX_LENGTH, required=False)
