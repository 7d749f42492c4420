"""Pictures uploaded while writing: the cleaned file, its smaller variants, and the posts that show it."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.db.models import Exists, F, OuterRef, Q, Sum
from django.urls import reverse
from django.utils import timezone

from blog import pictures
from site.models import SiteSettings

ALT_MAX_LENGTH = 500
NAME_MAX_LENGTH = 200
# The widths a page may ask for (srcset): a phone, a phone at 2x or a
# column, a wide screen at 2x. A picture narrower than one gets its own
# width instead; none is made wider than the picture.
VARIANT_WIDTHS = (480, 960, 1600)
# Variants not made this long after an upload were lost with their task (a
# consumer killed): the reconciler queues them again. A picture whose
# variants failed this many times is served as uploaded, and stays so.
VARIANTS_LATE_AFTER = timedelta(minutes=2)
VARIANTS_MAX_TRIES = 5
# A consumer making a picture's variants holds them this long (a 24-megapixel
# photo takes well under a second); one killed mid-way leaves them to the next.
VARIANTS_LEASE = timedelta(minutes=5)
# A picture found unused is named for removal first, and removed only when
# still unused a day later: the dry run before the run.
PRUNE_NOTICE = timedelta(days=1)


class Format(models.TextChoices):
    JPEG = "JPEG", "JPEG"
    PNG = "PNG", "PNG"
    GIF = "GIF", "GIF"
    WEBP = "WEBP", "WebP"
    AVIF = "AVIF", "AVIF"


EXTENSIONS = {Format.JPEG: "jpg", Format.PNG: "png", Format.GIF: "gif", Format.WEBP: "webp", Format.AVIF: "avif"}
CONTENT_TYPES = {
    "jpg": "image/jpeg",
    "png": "image/png",
    "gif": "image/gif",
    "webp": "image/webp",
    "avif": "image/avif",
}


class ImageQuerySet(models.QuerySet):
    def of(self, user: models.Model) -> ImageQuerySet:
        return self.filter(owner=user)

    def bytes_used(self) -> int:
        """What these pictures take in storage, their variants included."""
        return self.aggregate(size=Sum(F("size") + F("variants_size")))["size"] or 0

    def variants_owed(self) -> ImageQuerySet:
        return self.filter(variants_at__isnull=True)

    def variants_late(self) -> ImageQuerySet:
        """
        Owed, and not taken in the time a task takes (its task was lost), or
        taken by a consumer whose lease ran out (it was killed).
        """
        now = timezone.now()
        never_taken = Q(variants_claimed_until__isnull=True, created_at__lt=now - VARIANTS_LATE_AFTER)
        return self.variants_owed().filter(never_taken | Q(variants_claimed_until__lt=now))

    def variants_claim(self, pk: int) -> bool:
        """Take the owed variants of one picture for VARIANTS_LEASE, unless another consumer holds them: taken?"""
        now = timezone.now()
        free = Q(variants_claimed_until__isnull=True) | Q(variants_claimed_until__lt=now)
        return bool(
            self.variants_owed()
            .filter(free, pk=pk)
            .update(variants_claimed_until=now + VARIANTS_LEASE, variants_tries=F("variants_tries") + 1)
        )

    def unused(self) -> ImageQuerySet:
        """In no post, and not the site's logo or icon."""
        in_posts = Exists(Image.posts.through.objects.filter(image=OuterRef("pk")))
        return self.exclude(in_posts).exclude(file__in=SiteSettings.objects.current().picture_names())

    def unused_since(self, moment: datetime) -> ImageQuerySet:
        return self.unused().filter(last_used_at__lt=moment)

    def with_stems(self, stems: set[str]) -> ImageQuerySet:
        """The pictures whose file is one of these stems ("images/ab/<hash>") with its extension."""
        # An IN of exact names, which the file index serves on both engines (a LIKE prefix it may not).
        return self.filter(file__in=[f"{stem}.{extension}" for stem in stems for extension in EXTENSIONS.values()])


class Image(models.Model):
    """
    One picture as kept: decoded, turned upright, stripped of every piece of
    metadata and encoded again (blog/media/cleaning.py), under a name made
    from its content, so it never changes and is cached for a year.
    """

    # An account's removal leaves its pictures to the posts that show them
    # (others' too: an Editor's picture in an Author's post); those no post
    # shows go with the prune.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="images"
    )
    # The name in the media storage ("images/ab/<hash>.jpg"); the same bytes
    # uploaded by two accounts are one file, and two rows.
    file = models.CharField(max_length=100, editable=False)
    digest = models.CharField(max_length=64, editable=False)
    format = models.CharField(max_length=4, choices=Format.choices, editable=False)
    width = models.PositiveIntegerField(editable=False)
    height = models.PositiveIntegerField(editable=False)
    animated = models.BooleanField(default=False, editable=False)
    size = models.PositiveBigIntegerField("bytes", editable=False)
    alt = models.CharField("alt text", max_length=ALT_MAX_LENGTH, blank=True)
    name = models.CharField(max_length=NAME_MAX_LENGTH, blank=True, help_text="The name it was uploaded with.")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    # [{"width": 480, "webp": name, "fallback": name}, ...], narrowest first,
    # once made; variants_at None means still owed (blog/media/variants.py).
    variants = models.JSONField(default=list, blank=True, editable=False)
    variants_size = models.PositiveBigIntegerField(default=0, editable=False)
    variants_at = models.DateTimeField(null=True, blank=True, editable=False)
    variants_tries = models.PositiveSmallIntegerField(default=0, editable=False)
    variants_claimed_until = models.DateTimeField(null=True, blank=True, editable=False)
    posts = models.ManyToManyField("blog.Post", blank=True, related_name="images", editable=False)
    # When a post last started or stopped showing it (or it was uploaded).
    last_used_at = models.DateTimeField(default=timezone.now, editable=False)
    # Named for removal (unused): removed after this unless a post shows it again.
    prune_after = models.DateTimeField(null=True, blank=True, editable=False)

    objects = ImageQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["owner", "digest"], name="blog_image_one_per_owner")]
        indexes = [
            models.Index(fields=["file"], name="blog_image_file"),
            models.Index(fields=["digest"], name="blog_image_digest"),
        ]

    def __str__(self) -> str:
        return self.name or self.file

    def get_absolute_url(self) -> str:
        return reverse("blog:picture-list") + f"#picture-{self.pk}"

    @property
    def url(self) -> str:
        return media_url(self.file)

    @property
    def thumbnail_url(self) -> str:
        """Its narrowest copy (the picture itself until the copies exist): for lists of pictures."""
        return media_url(self.variants[0]["webp"]) if self.variants else self.url

    @property
    def fallback_url(self) -> str:
        """Its narrowest copy in a format every browser takes (the picture itself until the copies exist)."""
        return media_url(self.variants[0]["fallback"]) if self.variants else self.url

    @property
    def markdown(self) -> str:
        """How a post shows it."""
        alt = self.alt.replace("\\", "\\\\").replace("[", "\\[").replace("]", "\\]")
        return f"![{alt}]({self.url})"

    @property
    def shown(self) -> pictures.Shown:
        variants = tuple(
            (variant["width"], media_url(variant["webp"]), media_url(variant["fallback"])) for variant in self.variants
        )
        return pictures.Shown(width=self.width, height=self.height, url=self.url, variants=variants)

    def variant_names(self) -> list[str]:
        """The files made from it (at its own width, the picture itself serves as the fallback: not listed)."""
        names = (variant.get(kind) for variant in self.variants for kind in ("webp", "fallback"))
        return [name for name in names if name and name != self.file]


def media_url(name: str) -> str:
    """Where readers fetch a file of the media storage (MEDIA_URL, the web process, Caddy or the bucket)."""
    return settings.MEDIA_URL + name


def pictures_shown(html: str) -> tuple[str, set[str]]:
    """
    Rendered HTML with each picture uploaded here that it shows sized and
    given its variants (blog/pictures.py), and the stems of those pictures:
    for posts and pages alike.
    """
    stems = {src: stem for src in pictures.sources(html) if (stem := pictures.picture_stem(src)) is not None}
    if not stems:
        return html, set()
    images = {pictures.file_stem(image.file): image for image in Image.objects.with_stems(set(stems.values()))}
    shown = {src: images[stem].shown for src, stem in stems.items() if stem in images}
    return pictures.with_pictures(html, shown), set(stems.values())


def images_link(*, post: models.Model, stems: set[str]) -> None:
    """
    Record which pictures `post` shows now (inside the post's save): one no
    longer shown, or newly shown, counts as used now, and one shown again is
    no longer named for removal.
    """
    shown = set(Image.objects.with_stems(stems).values_list("pk", flat=True))
    links = Image.posts.through.objects.filter(post_id=post.pk)
    before = set(links.values_list("image_id", flat=True))
    if shown == before:
        return
    links.filter(image_id__in=before - shown).delete()
    Image.posts.through.objects.bulk_create(
        [Image.posts.through(post_id=post.pk, image_id=image_id) for image_id in shown - before]
    )
    Image.objects.filter(pk__in=shown ^ before).update(last_used_at=timezone.now(), prune_after=None)


def images_unlinked(*, post_ids: list[int]) -> None:
    """These posts go: their pictures count as used until now."""
    Image.objects.filter(Q(posts__in=post_ids)).update(last_used_at=timezone.now())
