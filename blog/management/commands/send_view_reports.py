"""
Queue the daily view report by hand, for one day.

The consumer sends the reports; a report already sent for an author and day is
never sent again, so running this twice queues nothing the second time.
"""
from datetime import date

from django.core.management.base import BaseCommand, CommandError

from blog import services
from blog.models import Report


class Command(BaseCommand):
    help = "Queue the daily view report mail for every author (default: the latest due day)."

    def add_arguments(self, parser):
        parser.add_argument("--date", help="The day whose views to report, YYYY-MM-DD (site time zone).")
        parser.add_argument("--dry-run", action="store_true", help="Show who is owed a report; queue nothing.")

    def handle(self, *args, date=None, dry_run=False, **options):
        day = self._parse_day(date) if date is not None else services.report_due_day()
        if dry_run:
            authors = services.report_authors(day=day).exclude(reports__day=day, reports__sent_at__isnull=False)
            self.stdout.write(f"Would queue {authors.count()} report(s) for {day}:")
            for author in authors:
                self.stdout.write(f"  {author.email}")
            return
        queued = services.report_plan(day=day)
        for report in queued:
            self.stdout.write(f"  queued report for {report.author.email}")
        already = Report.objects.for_day(day).sent().count()
        self.stdout.write(
            self.style.SUCCESS(f"Queued {len(queued)} report(s) for {day}; {already} already sent for that day.")
        )

    def _parse_day(self, value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise CommandError(f"--date must be YYYY-MM-DD, not {value!r}.")
