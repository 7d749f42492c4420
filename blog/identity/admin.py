"""
The site settings in the admin: Administrators change them here (the
permission says who), never add or delete them. The logo and icon go
through the pictures pipeline, which is the blog's; so this lives here.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.html import format_html

from blog.identity.services import Kept, site_picture_keep, site_pictures_discard, site_settings_save
from blog.media.cleaning import PictureRefused
from blog.models import Image
from blog.rendering import render as markdown_render
from site.admin_site import ChangesPagesAdmin
from site.identity import custom_css_errors
from site.models import SiteSettings
from site.text import single_line
from site.uploads import takes_a_file
from users import roles

PICTURES = ("logo", "icon")
# The form's other fields, the stylesheet the largest (64 KB), with room to spare.
FIELDS_MAX_BYTES = 1024 * 1024


class SiteSettingsForm(forms.ModelForm):
    logo_file = forms.FileField(
        label="New logo",
        required=False,
        help_text="Shown beside the title in the masthead: JPEG, PNG, GIF, WebP or AVIF.",
    )
    logo_remove = forms.BooleanField(label="Remove the logo", required=False)
    icon_file = forms.FileField(
        label="New icon", required=False, help_text="Square: shown in browser tabs and on home screens."
    )
    icon_remove = forms.BooleanField(label="Remove the icon", required=False)

    # What the admin kept of the uploads before the form was made (stored
    # name, or why refused): pictures are cleaned outside Django's transaction.
    kept: dict[str, Kept | PictureRefused] = {}

    class Meta:
        model = SiteSettings
        fields = [
            "title",
            "description",
            "accent",
            "custom_css",
            "navigation",
            "footer",
            "language",
            "date_format",
            "posts_per_page",
            "read_counts_public",
            "registration",
        ]
        widgets = {
            "custom_css": forms.Textarea(attrs={"rows": 12, "spellcheck": "false", "class": "vLargeTextField"}),
            "description": forms.TextInput(attrs={"size": 80}),
            "navigation": forms.Textarea(attrs={"rows": 5, "spellcheck": "false", "class": "vLargeTextField"}),
            "footer": forms.Textarea(attrs={"rows": 3, "class": "vLargeTextField"}),
            "accent": forms.TextInput(attrs={"size": 8, "placeholder": "#1f5fbf", "spellcheck": "false"}),
        }

    # Folded to one line of visible text, as the environment's values are: both go into mail headers and feeds.
    def clean_title(self) -> str:
        return single_line(self.cleaned_data["title"])

    def clean_description(self) -> str:
        return single_line(self.cleaned_data["description"])

    def clean(self) -> dict:
        cleaned = super().clean() or {}
        for role in PICTURES:
            if isinstance(outcome := self.kept.get(role), PictureRefused):
                self.add_error(f"{role}_file", str(outcome))
        return cleaned


@admin.register(SiteSettings)
class SiteSettingsAdmin(ChangesPagesAdmin):
    form = SiteSettingsForm
    list_display = ("__str__", "title", "registration")
    readonly_fields = ("logo_shown", "icon_shown")
    fieldsets = (
        ("The site", {"fields": ("title", "description", "language")}),
        (
            "Logo and icon",
            {"fields": ("logo_shown", "logo_file", "logo_remove", "icon_shown", "icon_file", "icon_remove")},
        ),
        ("Look", {"fields": ("accent", "custom_css")}),
        ("Navigation and footer", {"fields": ("navigation", "footer")}),
        ("Reading", {"fields": ("date_format", "posts_per_page", "read_counts_public")}),
        ("Accounts", {"fields": ("registration",)}),
    )

    def get_urls(self) -> list:
        # The change form takes the logo and icon: up to two pictures, from an Administrator alone.
        name = f"{self.opts.app_label}_{self.opts.model_name}_change"
        taking = takes_a_file(
            lambda: 2 * settings.IMAGE_MAX_BYTES + FIELDS_MAX_BYTES,
            allowed=lambda request: request.method != "POST" or roles.may_change_site(request.user),
        )
        return [
            path(str(url.pattern), taking(url.callback), name=name) if url.name == name else url
            for url in super().get_urls()
        ]

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        # One row: its list is only a step on the way to it.
        if not self.has_view_or_change_permission(request):
            return super().changelist_view(request, extra_context)
        return redirect(reverse("admin:site_sitesettings_change", args=[SiteSettings.objects.saved().pk]))

    def response_change(self, request: HttpRequest, obj: SiteSettings) -> HttpResponse:
        super().response_change(request, obj)  # Its message.
        return redirect(reverse("admin:site_sitesettings_change", args=[obj.pk]))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: SiteSettings | None = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest):  # noqa: ANN201
        SiteSettings.objects.saved()  # A fresh site gets its row here, from the environment's first values.
        return super().get_queryset(request)

    def changeform_view(
        self, request: HttpRequest, object_id: str | None = None, form_url: str = "", extra_context: dict | None = None
    ) -> HttpResponse:
        # Django runs this whole view in a transaction, which on SQLite holds
        # the write lock from its start: clean the pictures and render the
        # footer first, so the save finds them done.
        kept: dict[str, Kept | PictureRefused] = {}
        if request.method == "POST" and self.has_change_permission(request):
            for role in PICTURES:
                if upload := request.FILES.get(f"{role}_file"):
                    try:
                        kept[role] = site_picture_keep(by=request.user, file=upload, icon=role == "icon")
                    except PictureRefused as exc:
                        kept[role] = exc
            if isinstance(footer := request.POST.get("footer"), str) and footer.strip():
                markdown_render(footer.strip())
            if isinstance(css := request.POST.get("custom_css"), str):
                custom_css_errors(css.strip())  # Parsed here; the form's check finds it done.
        request.site_pictures = kept
        response = super().changeform_view(request, object_id, form_url, extra_context)
        if response.status_code == 200 and (new := [one for one in kept.values() if isinstance(one, Kept)]):
            site_pictures_discard(by=request.user, kept=new)  # The form was refused: nothing of it is kept.
        return response

    def get_form(self, request: HttpRequest, obj: SiteSettings | None = None, change: bool = False, **kwargs):  # noqa: ANN201
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"kept": getattr(request, "site_pictures", {})})

    def save_model(self, request: HttpRequest, obj: SiteSettings, form: SiteSettingsForm, change: bool) -> None:
        for role in PICTURES:
            if isinstance(outcome := form.kept.get(role), Kept):
                setattr(obj, role, outcome.name)
            elif form.cleaned_data.get(f"{role}_remove"):
                setattr(obj, role, "")
        site_settings_save(by=request.user, site=obj)

    @admin.display(description="Logo")
    def logo_shown(self, obj: SiteSettings) -> str:
        return _picture(obj.logo)

    @admin.display(description="Icon")
    def icon_shown(self, obj: SiteSettings) -> str:
        return _picture(obj.icon)


def _picture(name: str) -> str:
    image = Image.objects.filter(file=name).first() if name else None
    if image is None:
        return "None"
    return format_html('<img src="{}" alt="" style="max-height:4rem;max-width:16rem">', image.thumbnail_url)
