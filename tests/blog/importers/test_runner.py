"""A job's life: taken once, taken over when its consumer stopped, queued again when the queue lost it."""

import os
from datetime import timedelta

from django.utils import timezone

from blog import tasks
from blog.importers import runner
from blog.importers.services import import_job_create
from blog.models import ImportJob, Post

WXR = b"""<?xml version="1.0"?><rss xmlns:wp="http://wordpress.org/export/1.2/"><channel><link>https://o.example</link>
<item><title>One</title><wp:post_id>1</wp:post_id><wp:post_date_gmt>2021-01-01 00:00:00</wp:post_date_gmt>
<wp:status>publish</wp:status><wp:post_type>post</wp:post_type></item></channel></rss>"""


def _job(editor, tmp_path):
    path = tmp_path / "x.xml"
    path.write_bytes(WXR)
    with open(path, "rb") as file:
        return import_job_create(by=editor, author=editor, file=file, file_name="x.xml", queue=False)


def test_a_running_job_is_not_taken_twice_but_a_quiet_one_is_taken_over(editor, tmp_path):
    job = _job(editor, tmp_path)
    ImportJob.objects.filter(pk=job.pk).update(state=ImportJob.State.RUNNING, progress_at=timezone.now())
    assert runner.import_job_run(job_id=job.pk) is None and not Post.objects.exists()
    ImportJob.objects.filter(pk=job.pk).update(progress_at=timezone.now() - timedelta(minutes=6))
    done = runner.import_job_run(job_id=job.pk)
    assert done.state == ImportJob.State.DONE and done.created == 1
    assert runner.import_job_run(job_id=job.pk) is None  # Finished: never run again.


def test_the_reconciler_queues_stalled_jobs_again(editor, tmp_path):
    stalled, fresh = _job(editor, tmp_path), _job(editor, tmp_path)
    ImportJob.objects.filter(pk=stalled.pk).update(progress_at=timezone.now() - timedelta(minutes=6))
    tasks.imports_reconcile_task.call_local()  # Tasks run inline in unit tests.
    assert ImportJob.objects.get(pk=stalled.pk).state == ImportJob.State.DONE
    assert ImportJob.objects.get(pk=fresh.pk).state == ImportJob.State.QUEUED  # Young: its task is still queued.


def test_a_job_whose_file_is_gone_fails_saying_so(editor, tmp_path):
    job = _job(editor, tmp_path)
    os.remove(job.path)
    done = runner.import_job_run(job_id=job.pk)
    assert done.state == ImportJob.State.FAILED and "gone" in done.error
