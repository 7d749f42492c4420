from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.defaultfilters import filesizeformat
from django.utils.html import format_html, format_html_join

from blog import services
from blog.federation import admin as federation_admin  # noqa: F401 (registers actors and followers)
from blog.identity import admin as identity_admin  # noqa: F401 (registers the site settings)
from blog.media import services as media_services
from blog.models import (
    DailySources,
    DailyViews,
    Image,
    ImportJob,
    MailCounts,
    OldAddress,
    Post,
    PostMail,
    Report,
    ReviewDigest,
    ReviewMail,
    Subscriber,
    SubscriptionConfirmation,
)
from blog.rendering import MARKDOWN
from blog.rendering import render as markdown_render
from site.admin_site import ChangesPagesAdmin, DateHierarchyAdmin, DeliveryAdmin
from site.text import xml_chars_only


class PostStateFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("published", "Published"), ("draft", "Draft")]

    def queryset(self, request, queryset):
        if self.value() == "published":
            return queryset.published()
        if self.value() == "draft":
            return queryset.drafts()
        return queryset


@admin.register(Post)
class PostAdmin(ChangesPagesAdmin, DateHierarchyAdmin):
    list_display = (
        "title",
        "author",
        "state",
        "published_at",
        "view_count",
        "mails_sent",
        "mails_pending",
        "mails_failed",
    )
    list_filter = (PostStateFilter, "created_at")
    search_fields = ("title", "content", "author__email")
    # No slug from the title as one types: a draft's or scheduled post's
    # address stays private until it is published (Post.save gives it then).
    readonly_fields = ("view_count", "created_at", "updated_at")
    raw_id_fields = ("author",)
    list_select_related = ("author",)
    # At 100,000 posts the list took 7 s: mail counts joined into every query,
    # a date hierarchy reading every row's date, and a second count of all
    # posts. Now the page's posts in the (published_at, id) index's order,
    # and their mail counts in one grouped query for that page alone.
    show_full_result_count = False

    def changeform_view(
        self, request: HttpRequest, object_id: str | None = None, form_url: str = "", extra_context: dict | None = None
    ) -> HttpResponse:
        # Django runs this whole view in a transaction, which on SQLite holds
        # the write lock from its start; saving a post renders it. Render the
        # text as the form will clean it first, so the save finds it done.
        if request.method == "POST" and isinstance(content := request.POST.get("content"), str):
            markup = Post.objects.filter(pk=object_id).values_list("markup", flat=True).first() if object_id else None
            markdown_render(xml_chars_only(content.strip()), markup=markup or MARKDOWN)
        return super().changeform_view(request, object_id, form_url, extra_context)

    @admin.display(description="State", ordering="published_at")
    def state(self, post) -> str:
        return "published" if post.is_published else "draft"

    def get_changelist_instance(self, request: HttpRequest) -> ChangeList:
        changelist = super().get_changelist_instance(request)
        counts = PostMail.objects.counts_by_post([post.pk for post in changelist.result_list])
        for post in changelist.result_list:
            post.mail_counts = counts.get(post.pk, MailCounts())
        return changelist

    @admin.display(description="Mails sent")
    def mails_sent(self, post: Post) -> int:
        return post.mail_counts.sent

    @admin.display(description="pending")
    def mails_pending(self, post: Post) -> int:
        return post.mail_counts.pending

    @admin.display(description="failed")
    def mails_failed(self, post: Post) -> int:
        return post.mail_counts.failed


@admin.register(DailyViews)
class DailyViewsAdmin(DateHierarchyAdmin):
    list_display = ("post", "day", "views")
    date_hierarchy = "day"
    search_fields = ("post__title",)
    readonly_fields = ("post", "day", "views")
    list_select_related = ("post",)

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(DailySources)
class DailySourcesAdmin(DateHierarchyAdmin):
    list_display = ("post", "day", "source", "reads")
    date_hierarchy = "day"
    search_fields = ("post__title", "source")
    readonly_fields = ("post", "day", "source", "reads")
    list_select_related = ("post",)

    def has_add_permission(self, request):
        return False


@admin.register(Report)
class ReportAdmin(DeliveryAdmin):
    list_display = ("author", "day", "days", "state", "attempts", "sent_at", "last_error")
    list_filter = ("day", ("sent_at", admin.EmptyFieldListFilter), ("failed_at", admin.EmptyFieldListFilter))
    search_fields = ("author__email",)
    readonly_fields = ("author", "day", "days", "created_at", "attempts", "sent_at", "failed_at", "last_error")
    date_hierarchy = "day"
    list_select_related = ("author",)


@admin.register(Subscriber)
class SubscriberAdmin(DateHierarchyAdmin):
    list_display = ("email", "author", "state", "created_at", "confirmed_at", "unsubscribed_at")
    list_filter = (("confirmed_at", admin.EmptyFieldListFilter), ("unsubscribed_at", admin.EmptyFieldListFilter))
    search_fields = ("email", "author__email", "author__display_name")
    readonly_fields = ("author", "email", "created_at", "confirmed_at", "unsubscribed_at")
    date_hierarchy = "created_at"
    list_select_related = ("author",)
    actions = ["unsubscribe"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # Only the reader can subscribe, by confirming from their own mailbox.

    @admin.display(description="State")
    def state(self, subscriber: Subscriber) -> str:
        return subscriber.state

    @admin.action(description="Unsubscribe the selected readers", permissions=["change"])
    def unsubscribe(self, request: HttpRequest, queryset: QuerySet) -> None:
        for pk in queryset.values_list("pk", flat=True):
            services.subscriber_unsubscribe(subscriber_id=pk)
        self.message_user(request, f"Unsubscribed {len(queryset)} reader(s).")


@admin.register(SubscriptionConfirmation)
class SubscriptionConfirmationAdmin(DeliveryAdmin):
    list_display = ("subscriber", "state", "attempts", "created_at", "sent_at", "last_error")
    list_filter = (("sent_at", admin.EmptyFieldListFilter), ("failed_at", admin.EmptyFieldListFilter))
    search_fields = ("subscriber__email",)
    readonly_fields = ("subscriber", "created_at", "attempts", "sent_at", "failed_at", "last_error")
    date_hierarchy = "created_at"
    list_select_related = ("subscriber__author",)


@admin.register(PostMail)
class PostMailAdmin(DeliveryAdmin):
    list_display = ("post", "subscriber", "state", "attempts", "sent_at", "last_error")
    list_filter = (("sent_at", admin.EmptyFieldListFilter), ("failed_at", admin.EmptyFieldListFilter))
    search_fields = ("subscriber__email", "post__title")
    readonly_fields = ("post", "subscriber", "created_at", "attempts", "sent_at", "failed_at", "last_error")
    date_hierarchy = "created_at"
    list_select_related = ("post", "subscriber__author")
    raw_id_fields = ("post", "subscriber")


@admin.register(ReviewMail)
class ReviewMailAdmin(DeliveryAdmin):
    list_display = ("email", "kind", "post", "state", "attempts", "created_at", "sent_at", "last_error")
    list_filter = ("kind", ("sent_at", admin.EmptyFieldListFilter), ("failed_at", admin.EmptyFieldListFilter))
    search_fields = ("email", "post__title")
    readonly_fields = (
        "post",
        "recipient",
        "kind",
        "email",
        "note",
        "created_at",
        "attempts",
        "sent_at",
        "failed_at",
        "last_error",
    )
    date_hierarchy = "created_at"
    list_select_related = ("post",)


@admin.register(ReviewDigest)
class ReviewDigestAdmin(DeliveryAdmin):
    list_display = ("email", "day", "state", "attempts", "sent_at", "last_error")
    list_filter = ("day", ("sent_at", admin.EmptyFieldListFilter), ("failed_at", admin.EmptyFieldListFilter))
    search_fields = ("email",)
    readonly_fields = ("recipient", "email", "day", "created_at", "attempts", "sent_at", "failed_at", "last_error")
    date_hierarchy = "day"


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    """Imports are started on the Import page or with `manage.py import_posts`; here they are looked at."""

    list_display = (
        "file_name",
        "format",
        "state",
        "started_by",
        "author",
        "created",
        "updated",
        "skipped",
        "created_at",
    )
    list_filter = ("state", "format")
    list_select_related = ("started_by", "author")
    readonly_fields = [field.name for field in ImportJob._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: ImportJob | None = None) -> bool:
        return False


@admin.register(OldAddress)
class OldAddressAdmin(admin.ModelAdmin):
    """Addresses imported posts had elsewhere: a wrong one can be deleted here."""

    list_display = ("path", "post")
    search_fields = ("path", "post__title")
    raw_id_fields = ("post",)
    list_select_related = ("post",)


@admin.register(Image)
class ImageAdmin(admin.ModelAdmin):
    """Pictures are uploaded while writing; here they are looked at, their alt text changed, unused ones deleted."""

    list_display = ("thumbnail", "name", "owner", "format", "dimensions", "stored", "shown_in", "created_at")
    list_filter = ("format", "animated")
    list_select_related = ("owner",)
    search_fields = ("name", "alt", "owner__email")
    fields = ("thumbnail", "name", "alt", "owner", "file", "format", "dimensions", "stored", "shown_in", "created_at")
    readonly_fields = ("thumbnail", "owner", "file", "format", "dimensions", "stored", "shown_in", "created_at")
    actions = ["delete_unused"]

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).prefetch_related("posts")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # Uploaded from the Write page, cleaned on the way in.

    def has_delete_permission(self, request: HttpRequest, obj: Image | None = None) -> bool:
        return False  # Only through the action below, which keeps what a post shows.

    @admin.display(description="")
    def thumbnail(self, image: Image) -> str:
        return format_html('<img src="{}" alt="{}" width="80" style="height:auto">', image.thumbnail_url, image.alt)

    @admin.display(description="size")
    def dimensions(self, image: Image) -> str:
        return f"{image.width}×{image.height}"

    @admin.display(description="stored", ordering="size")
    def stored(self, image: Image) -> str:
        return filesizeformat(image.size + image.variants_size)

    @admin.display(description="shown in")
    def shown_in(self, image: Image) -> str:
        posts = list(image.posts.all())
        if not posts:
            return "no post"
        return format_html_join(", ", '<a href="{}">{}</a>', ((post.get_absolute_url(), post.title) for post in posts))

    def save_model(self, request: HttpRequest, obj: Image, form, change: bool) -> None:
        media_services.image_alt_set(by=request.user, image=obj, alt=obj.alt)

    @admin.action(description="Delete the selected pictures that no post shows", permissions=["change"])
    def delete_unused(self, request: HttpRequest, queryset) -> None:
        deleted, kept = 0, 0
        for image in queryset:
            try:
                media_services.image_delete(by=request.user, image=image)
                deleted += 1
            except media_services.PictureInUse:
                kept += 1
        self.message_user(request, f"Deleted {deleted} picture(s); kept {kept} that a post still shows.")
