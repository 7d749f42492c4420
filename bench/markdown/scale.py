"""Sections 6-7: the daily report at scale, and a year of a small site on disk."""

from bench import year as year_bench
from bench.markdown.common import rerun, row


def report_lines(rep):
    return [
        "## 6. The daily report at scale",
        "",
        *rerun(rep),
        f"{rep['authors']:,} authors, {rep['posts']:,} posts, {rep['daily_view_rows']:,} per-day tallies. The consumer "
        "starts after REPORT_TIME, so its reconciler plans the day and queues a send task per 50 reports, each sending "
        "over one SMTP connection; the consumer's SQLite connections map at most 16 MiB of the database each "
        "(the web's 128 MiB), so the planner's scan of the day's tallies does not stay resident in it.",
        "",
        row("measure", "value"),
        row("---", "---:"),
        row("time until every report is accepted by SMTP", f"{rep['all_mails_seconds']} s"),
        row("mails per second", rep["mails_per_s"]),
        row("report mails received / duplicates", f"{rep['mails']} / {rep['duplicates']}"),
        row("consumer peak RSS", f"{rep['consumer_peak_rss_mib']} MiB"),
        *(
            [row("of which anonymous (heap), without the database pages SQLite maps in", f"{anon} MiB")]
            if (anon := rep.get("consumer_peak_anon_mib")) is not None
            else []
        ),
        row(
            "queries per report, author with 1 / 10 / 50 posts",
            " / ".join(str(n) for n in rep["queries_per_author_by_posts"].values()),
        ),
        "",
    ]


def year_lines(year):
    def mb(n):
        return f"{n / 1_000_000:.1f} MB"

    return [
        "## 7. A year of a small site on disk",
        "",
        year_bench.__doc__.strip().replace("\n", " "),
        "",
        row("what", "size"),
        row("---", "---:"),
        row("database (db.sqlite3)", mb(year["database_bytes"])),
        row("queue (huey.sqlite3)", mb(year["queue_bytes"])),
        row("one compressed backup", mb(year["backup_copy_bytes"])),
        row("backups kept (11 copies at most)", mb(year["backups_kept_bytes"])),
        row("**total**", f"**{mb(year['total_bytes'])}**"),
        "",
        "Logs go to the journal, which caps its own size; an idle site writes nothing to it at `INFO`.",
        "",
    ]
