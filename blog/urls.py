from django.urls import path, register_converter

from blog import feeds, review_views, search_views, subscriber_views, views
from blog.editor import views as editor_views
from blog.federation import author_views as fediverse_author_views
from blog.federation import views as federation_views
from blog.importers import views as import_views
from blog.media import views as media_views
from blog.pages import views as page_views
from blog.sitemaps import sitemap_index, sitemap_section
from site.pages import kept


class UnicodeSlug:
    """A slug in any script (`<slug:>` takes ASCII only)."""

    regex = r"[-\w]+"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(UnicodeSlug, "uslug")

# kept(...): pages the same for every anonymous reader, answered from the
# page cache (site/pages.py).
CURSORS = frozenset({"older", "newer"})
app_name = "blog"

urlpatterns = [
    path("", kept(views.PostListView.as_view(), parameters=CURSORS), name="post-list"),
    path("write/", views.post_create, name="post-create"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("posts/<uslug:slug>/", kept(views.PostDetailView.as_view()), name="post-detail"),
    path("posts/<uslug:slug>/edit/", views.post_edit, name="post-edit"),
    path("posts/<uslug:slug>/publish/", views.post_publish, name="post-publish"),
    path("posts/<uslug:slug>/unpublish/", views.post_unpublish, name="post-unpublish"),
    path("posts/<uslug:slug>/delete/", views.post_delete, name="post-delete"),
    path("posts/<uslug:slug>/submit/", views.post_submit, name="post-submit"),
    path("search/", search_views.post_search, name="search"),
    path("review/", review_views.ReviewQueueView.as_view(), name="review-queue"),
    path("review/<uslug:slug>/publish/", review_views.review_publish, name="review-publish"),
    path("review/<uslug:slug>/return/", review_views.review_return, name="review-return"),
    path("dashboard/export/", views.posts_export, name="posts-export"),
    path("dashboard/fediverse/", fediverse_author_views.actor_edit, name="actor-edit"),
    path("dashboard/fediverse/followers/<int:pk>/", fediverse_author_views.follower_answer, name="follower-answer"),
    path("pictures/", media_views.picture_list, name="picture-list"),
    path("pictures/upload/", media_views.picture_upload, name="picture-upload"),
    path("write/picture/", media_views.post_picture_add, name="post-picture-add"),
    path("write/autosave/", editor_views.autosave, name="autosave"),
    path("write/preview/", editor_views.live_preview, name="live-preview"),
    path("pictures/<int:pk>/alt/", media_views.picture_alt, name="picture-alt"),
    path("pictures/<int:pk>/delete/", media_views.picture_delete, name="picture-delete"),
    path("pages/", page_views.PageListView.as_view(), name="page-list"),
    path("pages/new/", page_views.page_create, name="page-create"),
    path("pages/<uslug:slug>/edit/", page_views.page_edit, name="page-edit"),
    path("pages/<uslug:slug>/delete/", page_views.page_remove, name="page-delete"),
    path("import/", import_views.import_start, name="import"),
    path("import/<int:pk>/", import_views.import_detail, name="import-detail"),
    path("authors/<int:pk>/", kept(views.AuthorDetailView.as_view(), parameters=CURSORS), name="author-detail"),
    path("authors/<int:pk>/outbox/", federation_views.outbox, name="actor-outbox"),
    path("authors/<int:pk>/followers/", federation_views.followers, name="actor-followers"),
    path("authors/<int:pk>/inbox/", federation_views.inbox, name="actor-inbox"),
    path("inbox/", federation_views.inbox, name="shared-inbox"),
    path(".well-known/webfinger", federation_views.webfinger, name="webfinger"),
    path(".well-known/nodeinfo", federation_views.nodeinfo_links, name="nodeinfo-links"),
    path("nodeinfo/2.1", federation_views.nodeinfo, name="nodeinfo"),
    path("authors/<int:pk>/subscribe/", subscriber_views.subscriber_create, name="subscriber-create"),
    path("subscribe/", subscriber_views.site_subscriber_create, name="site-subscriber-create"),
    path("subscriptions/confirm/<str:token>/", subscriber_views.subscriber_confirm, name="subscriber-confirm"),
    path(
        "subscriptions/unsubscribe/<str:token>/",
        subscriber_views.subscriber_unsubscribe,
        name="subscriber-unsubscribe",
    ),
    path("tags/<uslug:slug>/", kept(views.TagDetailView.as_view(), parameters=CURSORS), name="tag-detail"),
    path("feed/", kept(feeds.PostsFeed()), name="feed-rss"),
    path("feed/atom/", kept(feeds.PostsAtomFeed()), name="feed-atom"),
    path("rss/", kept(feeds.PostsFeed())),
    path("atom.xml", kept(feeds.PostsAtomFeed())),
    path("authors/<int:pk>/feed/", kept(feeds.AuthorFeed()), name="author-feed-rss"),
    path("authors/<int:pk>/feed/atom/", kept(feeds.AuthorAtomFeed()), name="author-feed-atom"),
    path("tags/<uslug:slug>/feed/", kept(feeds.TagFeed()), name="tag-feed-rss"),
    path("tags/<uslug:slug>/feed/atom/", kept(feeds.TagAtomFeed()), name="tag-feed-atom"),
    path("sitemap.xml", kept(sitemap_index), name="sitemap"),
    path("sitemap-<slug:section>.xml", kept(sitemap_section, parameters=frozenset({"p"})), name="sitemap-section"),
    path("robots.txt", kept(views.robots_txt), name="robots"),
]
