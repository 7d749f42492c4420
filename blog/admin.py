from django.contrib import admin

from blog.models import DailySources, DailyViews, Post, Report
from site.admin_site import DateHierarchyAdmin, DeliveryAdmin


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
class PostAdmin(DateHierarchyAdmin):
    list_display = ("title", "author", "state", "published_at", "view_count")
    list_filter = (PostStateFilter, "created_at")
    search_fields = ("title", "content", "author__email")
    prepopulated_fields = {"slug": ("title",)}
    readonly_fields = ("view_count", "created_at", "updated_at")
    date_hierarchy = "created_at"
    raw_id_fields = ("author",)
    list_select_related = ("author",)

    @admin.display(description="State", ordering="published_at")
    def state(self, post) -> str:
        return "published" if post.is_published else "draft"


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
    list_display = ("author", "day", "state", "attempts", "sent_at", "last_error")
    list_filter = ("day", ("sent_at", admin.EmptyFieldListFilter), ("failed_at", admin.EmptyFieldListFilter))
    search_fields = ("author__email",)
    readonly_fields = ("author", "day", "created_at", "attempts", "sent_at", "failed_at", "last_error")
    date_hierarchy = "day"
    list_select_related = ("author",)
