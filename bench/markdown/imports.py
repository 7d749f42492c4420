"""Section 13: importing a 10,000-post export."""

from bench.markdown.common import rerun, row

NAMES = {"wordpress": "WordPress export (WXR)", "ghost": "Ghost export (JSON)"}


def import_lines(r):
    lines = [
        f"## 13. Importing {r['posts']:,} posts",
        "",
        *rerun(r),
        "`python -m bench.import_scale`: `manage.py import_posts` in the foreground on SQLite, an export made up",
        "with about 10 KB of classic-editor text a post (one in ten a draft, two tags each); then the same file",
        "again (nothing to add), and an export a quarter the size for the peak memory beside it. Meanwhile",
        "another process writes one row every 10 ms in its own IMMEDIATE transaction, as a page view would.",
        "",
        row("export", "file", "posts/s", "first run", "again", "peak memory", "at a quarter", "write wait p50 / max"),
        row("---", "---:", "---:", "---:", "---:", "---:", "---:", "---:"),
    ]
    for name, m in r.items():
        if name not in NAMES:
            continue
        first, again, quarter = m["first"], m["again"], m["quarter"]
        lines.append(
            row(
                NAMES[name],
                f"{m['file_mib']} MiB",
                m["items_per_s"],
                f"{first['seconds']} s",
                f"{again['seconds']} s",
                f"{first['peak_rss_mib']} MiB",
                f"{quarter['peak_rss_mib']} MiB",
                f"{first['write_wait_p50_ms']} / {first['write_wait_max_ms']} ms",
            )
        )
    lines += [
        "",
        "A page view's write waits behind the import's back-to-back transactions (each a post, measured alone",
        "at p99 6 ms). The Ghost run's longer waits are not traced yet: its posts' transactions are as short,",
        "and the import does not yet pause between posts to let other writers in.",
    ]
    return [*lines, ""]
