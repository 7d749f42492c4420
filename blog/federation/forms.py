"""The author's choices for the fediverse."""

from __future__ import annotations

from django import forms

from blog.models import HANDLE_MAX_LENGTH


class ActorForm(forms.Form):
    handle = forms.CharField(
        max_length=HANDLE_MAX_LENGTH + 1,
        help_text=(
            f"Lower-case letters, digits and underscores, at most {HANDLE_MAX_LENGTH}. "
            "It can change until someone follows you; then it stays, since their servers know you by it."
        ),
    )
    approves_follows = forms.BooleanField(
        label="Approve each follower by hand",
        required=False,
        help_text="Follow requests wait below until you accept or refuse them.",
    )

    def __init__(self, *args: object, settled: bool = False, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["handle"].disabled = settled
