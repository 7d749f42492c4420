"""Background work for the blog: ids in, blog.newsletter and blog.readers do the work."""

import logging
from datetime import timedelta

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from blog import newsletter, readers, services
from blog.deliveries import POST_MAIL
from blog.importers import runner
from blog.media import pruning, variants
from blog.models import ImportJob
from blog.models.media import Image
from site.queue import enqueue
from site.tasks import deliveries_queue

logger = logging.getLogger(__name__)


# Every minute: once a day is over, its visitor key and read rows go at once,
# even on a site nobody reads after midnight (the first read of a new day
# does the same in the web process).
@db_periodic_task(crontab(minute="*"))
def readers_forget_task() -> None:
    if deleted := readers.readers_forget():
        logger.info("forgot %d visitor key(s) and read row(s) of days that are over", deleted)


# Every minute: scheduled posts whose time has come get their public address
# (and with it appear everywhere, and their mail is owed).
@db_periodic_task(crontab(minute="*"))
def posts_release_task() -> None:
    if released := services.posts_release():
        logger.info("published %d scheduled post(s)", len(released))


# A post published now: its subscribers' mails are owed batch by batch, and
# each batch is queued as soon as it is committed. (Posts published by their
# schedule, the admin or the shell are fanned out by the reconciler, through
# the new-post kind's discover.)
@db_task()
def post_mails_owe_task(post_id: int) -> None:
    for batch in newsletter.post_mails_owe(post_id=post_id):
        deliveries_queue(kind=POST_MAIL, ids=batch)


# An export to import (blog/importers/): its posts, one short transaction each.
# Below mail: account mail and new-post mail go first while an import runs.
@db_task(priority=-10)
def import_run_task(job_id: int) -> None:
    runner.import_job_run(job_id=job_id)


# Every five minutes: an import never taken (the queue lost it) or left
# part-way by a consumer that stopped is queued again. A run starts from the
# top, adding nothing twice.
@db_periodic_task(crontab(minute="*/5"))
def imports_reconcile_task() -> None:
    for job_id in ImportJob.objects.stalled().values_list("pk", flat=True):
        logger.warning("import job %s was left waiting or part-way: queued again", job_id)
        enqueue(import_run_task, job_id)


# A picture's variants (blog/media/variants.py): after account mail and
# new-post mail, before imports. A failure is retried; a task lost with its
# consumer is found by the reconciler below.
@db_task(priority=-5, retries=3, retry_delay=30)
def image_variants_task(image_id: int) -> None:
    variants.image_variants_make(image_id=image_id)


@db_periodic_task(crontab(minute="*/2"))
def images_variants_reconcile_task() -> None:
    for image_id in Image.objects.variants_late().values_list("pk", flat=True)[:1000]:
        logger.warning("picture %s still has no variants: queued again", image_id)
        enqueue(image_variants_task, image_id, priority=-5)
    # A post saved from a rendering begun before its picture's variants were recorded.
    if caught_up := variants.posts_catch_up(since=timezone.now() - timedelta(hours=1)):
        logger.info("rendered %d post(s) again with their pictures' variants", caught_up)


# Once a day: pictures no post has shown for IMAGES_UNUSED_DAYS are named,
# and those named a day ago and still unused are removed.
@db_periodic_task(crontab(hour="3", minute="41"))
def images_prune_task() -> None:
    pruned = pruning.images_prune()
    if pruned.named or pruned.removed or pruned.stray_files:
        logger.info(
            "pictures: %d named for removal tomorrow, %d removed, %d stray files removed",
            len(pruned.named),
            len(pruned.removed),
            len(pruned.stray_files),
        )
