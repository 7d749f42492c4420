"""
Queue the daily view report by hand, for one day that is over.

The consumer sends the reports; a report already sent for an author and day is
never sent again, so running this twice queues nothing the second time. The
dry run does the same work and rolls it back, so it lists exactly who a real
run would queue.
"""

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from blog import reports, services
from blog.models import Report


class Command(BaseCommand):
    help = "Queue the daily view report mail for every author (default: the latest due day)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--date", help="The day whose views to report, YYYY-MM-DD (site time zone); must be over.")
        parser.add_argument("--dry-run", action="store_true", help="Show who is owed a report; queue nothing.")

    def handle(self, *args, date=None, dry_run=False, **options) -> None:
        day = self._parse_day(date) if date is not None else reports.report_due_day()
        try:
            owed = services.report_plan(day=day, dry_run=dry_run)
        except reports.ReportDayNotOver as exc:
            raise CommandError(str(exc)) from exc
        if dry_run:
            self.stdout.write(f"Would queue {len(owed)} report(s) for {day}:")
            for report in owed:
                self.stdout.write(f"  {report.author.email}")
            return
        for report in owed:
            self.stdout.write(f"  queued report for {report.author.email}")
        already = Report.objects.for_day(day).sent().count()
        self.stdout.write(
            self.style.SUCCESS(f"Queued {len(owed)} report(s) for {day}; {already} already sent for that day.")
        )

    def _parse_day(self, value):
        try:
            return date.fromisoformat(value)
        except ValueError as exc:
            raise CommandError(f"--date must be YYYY-MM-DD, not {value!r}.") from exc
