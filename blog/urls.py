from django.urls import path

from blog import views

app_name = "blog"

urlpatterns = [
    path("", views.PostListView.as_view(), name="post-list"),
    path("write/", views.post_create, name="post-create"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("posts/<slug:slug>/", views.PostDetailView.as_view(), name="post-detail"),
    path("posts/<slug:slug>/edit/", views.post_edit, name="post-edit"),
    path("posts/<slug:slug>/publish/", views.post_publish, name="post-publish"),
    path("posts/<slug:slug>/unpublish/", views.post_unpublish, name="post-unpublish"),
    path("authors/<int:pk>/", views.AuthorDetailView.as_view(), name="author-detail"),
]
