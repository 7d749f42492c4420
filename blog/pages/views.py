"""The site's pages: read by anyone when published; listed, written and published by Editors."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST
from django.views.generic import DetailView, ListView

from blog.models import Page
from blog.pages.forms import PageForm
from blog.pages.services import PageRefused, page_delete, page_save
from users import roles


class PageDetailView(DetailView):
    template_name = "blog/page_detail.html"
    context_object_name = "page"

    def get_queryset(self):
        # A draft is seen by those who write pages, at its address, before it is out.
        return Page.objects.all() if roles.may_manage_pages(self.request.user) else Page.objects.published()

    def get_context_data(self, **kwargs):
        return super().get_context_data(canonical_url=settings.SITE_URL + self.object.get_absolute_url(), **kwargs)


def _manager(request: HttpRequest) -> None:
    if not roles.may_manage_pages(request.user):
        raise PermissionDenied


class PageListView(LoginRequiredMixin, ListView):
    template_name = "blog/page_list.html"
    context_object_name = "pages"

    def get_queryset(self):
        _manager(self.request)
        return Page.objects.all()


def _page_form(request: HttpRequest, page: Page | None) -> HttpResponse:
    _manager(request)
    # The form writes what was typed onto its instance: the page as saved stays for the template (its
    # title, and the address its Delete button posts to), the form gets a copy.
    saved = Page.objects.get(pk=page.pk) if page is not None else None
    form = PageForm(request.POST if request.method == "POST" else None, instance=page)
    if request.method == "POST" and form.is_valid():
        try:
            written = page_save(
                by=request.user,
                page=page,
                title=form.cleaned_data["title"],
                slug=form.cleaned_data["slug"],
                content=form.cleaned_data["content"],
                published=form.cleaned_data["published"],
                in_navigation=form.cleaned_data["in_navigation"],
                navigation_order=form.cleaned_data["navigation_order"],
            )
        except PageRefused as refused:
            form.add_error("slug", str(refused))
        else:
            messages.success(
                request, "Published." if written.is_published else "Saved as a draft: only Editors see it."
            )
            return redirect(written)
    return render(request, "blog/page_form.html", {"form": form, "page": saved}, status=400 if form.errors else 200)


@login_required
def page_create(request: HttpRequest) -> HttpResponse:
    return _page_form(request, None)


@login_required
def page_edit(request: HttpRequest, slug: str) -> HttpResponse:
    _manager(request)
    return _page_form(request, get_object_or_404(Page, slug=slug))


@login_required
@require_POST
def page_remove(request: HttpRequest, slug: str) -> HttpResponse:
    _manager(request)
    page = get_object_or_404(Page, slug=slug)
    page_delete(by=request.user, page=page)
    messages.success(request, f"Deleted the page “{page.title}”.")
    return redirect("blog:page-list")
