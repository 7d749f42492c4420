"""
Remove the pictures no post has shown for IMAGES_UNUSED_DAYS, as the daily
task does: first named (they show "to be removed after" on their writer's
picture list), then removed a day later if still unused; and files no
picture names (an upload or a removal cut short), a day old or more.

    python manage.py images_prune --dry-run    # say what would happen
    python manage.py images_prune
"""

from django.core.management.base import BaseCommand

from blog.media.pruning import images_prune


class Command(BaseCommand):
    help = "Name unused pictures for removal, remove those named a day ago and still unused, and stray files."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="List what would be named and removed; change nothing."
        )

    def handle(self, *args, dry_run=False, **options) -> None:
        pruned = images_prune(dry_run=dry_run)
        verb = "would be" if dry_run else "were"
        for image in pruned.named:
            self.stdout.write(f"  named for removal: {image.file} ({image.owner}, {image.size:,} bytes)")
        for image in pruned.removed:
            self.stdout.write(f"  removed: {image.file} ({image.owner})")
        for name in pruned.stray_files:
            self.stdout.write(f"  stray file removed: {name}")
        self.stdout.write(
            self.style.SUCCESS(
                f"{len(pruned.named)} picture(s) {verb} named for removal, {len(pruned.removed)} {verb} removed, "
                f"{len(pruned.stray_files)} stray file(s) {verb} removed."
            )
        )
