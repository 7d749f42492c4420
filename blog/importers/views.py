"""Moving in on the site: Editors and Administrators upload an export, then watch its job."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from blog.importers.forms import ImportForm
from blog.importers.items import FORMAT_NAMES
from blog.importers.services import ImportRefused, import_job_create
from blog.models import ImportJob
from site.uploads import takes_a_file
from users import roles

JOBS_LISTED = 20


def _importer(request: HttpRequest) -> None:
    if not roles.may_import(request.user):
        raise PermissionDenied


@login_required
@takes_a_file(lambda: settings.IMPORT_MAX_BYTES, allowed=lambda request: roles.may_import(request.user))
def import_start(request: HttpRequest) -> HttpResponse:
    _importer(request)
    posted = request.method == "POST"
    form = ImportForm(request.POST if posted else None, request.FILES if posted else None, user=request.user)
    if getattr(request, "upload_too_large", False):
        form.is_valid()
        form.add_error(
            None, f"The file is larger than {settings.IMPORT_MAX_BYTES // 1_000_000:,} MB, the most this site takes."
        )
    elif posted and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job = import_job_create(
                by=request.user,
                author=form.cleaned_data["author"],
                file=upload,
                file_name=upload.name or "",
                all_to_author=form.cleaned_data["all_to_author"],
            )
        except ImportRefused as refused:
            form.add_error("file", str(refused))
        else:
            messages.success(request, f"{job.file_name} is a {FORMAT_NAMES[job.format]}: importing it.")
            return redirect(job)
    jobs = ImportJob.objects.filter(started_by_id=request.user.pk)[:JOBS_LISTED]
    return render(request, "blog/importjob_form.html", {"form": form, "jobs": jobs})


@login_required
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _importer(request)
    job = get_object_or_404(ImportJob.objects.select_related("author"), pk=pk)
    if job.started_by_id != request.user.pk and not roles.at_least(request.user, roles.Role.ADMINISTRATOR):
        raise PermissionDenied
    skipped = [row for row in job.report if "item" in row]
    left_out = [row for row in job.report if "left_out" in row]
    return render(
        request,
        "blog/importjob_detail.html",
        {"job": job, "format_name": FORMAT_NAMES.get(job.format, job.format), "skipped": skipped, "left_out": left_out},
    )
