from django import forms
from django.conf import settings

from users import roles


class AccountChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: object) -> str:
        return f"{obj.public_name} ({obj.email})"  # type: ignore[attr-defined]


class ImportForm(forms.Form):
    file = forms.FileField(
        label="Export file",
        help_text=(
            "A WordPress export (.xml, from Tools → Export), a Ghost export (.json), an Atom or RSS feed, "
            "or a zip of Markdown files with front matter (Hugo, Jekyll, or this site's own download)."
        ),
    )
    author = AccountChoice(
        queryset=roles.writers().order_by("email"),
        label="Posts whose writer has no account here go to",
        empty_label=None,
    )
    all_to_author = forms.BooleanField(required=False, label="Give every post to that account, whoever wrote it")

    def __init__(self, *args: object, user: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["author"].initial = user
        self.fields["file"].widget.attrs["accept"] = (
            ".xml,.json,.zip,.atom,.rss,application/xml,application/json,application/zip"
        )

    def clean_file(self) -> object:
        upload = self.cleaned_data["file"]
        if upload.size > settings.IMPORT_MAX_BYTES:
            raise forms.ValidationError(f"The file is larger than {settings.IMPORT_MAX_BYTES // 1_000_000:,} MB.")
        return upload
