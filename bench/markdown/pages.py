"""Section 11: reader pages at 100, 10,000 and 100,000 posts, against a static file."""

from bench.markdown.common import rerun, row, target

FLOOR = "static file (floor)"


def pages_lines(pages):
    sizes = {int(size): result for size, result in pages["sizes"].items()}
    smallest, largest = min(sizes), max(sizes)
    names = [name for name in sizes[smallest] if isinstance(sizes[smallest][name], dict) and name != FLOOR]
    lines = [
        "## 11. Reader pages at 100, 10,000 and 100,000 posts",
        "",
        *rerun(pages),
        f"The real stack (gunicorn, three workers; SQLite) with {pages['authors']} authors, 50 tags (one on every "
        "other post) and the posts written straight into the database (`bench/pages_scale.py`); wrk at 8 "
        f"connections for {pages['seconds']} s per page, each request a browser (the new-visitor row from a new "
        "address each time). Each cell: req/s, then its ratio to the same stack serving a static file in the same "
        "run, and p99. Nothing is cached yet: every request runs the view.",
        "",
        row("page", *(f"{size:,} posts" for size in sizes)),
        row("---", *("---:" for _ in sizes)),
        row(FLOOR, *(f"{r[FLOOR]['per_s']:,.0f}/s, p99 {r[FLOOR]['p99_ms']:.0f} ms" for r in sizes.values())),
    ]
    for name in names:
        cells = []
        for result in sizes.values():
            cell = result[name]
            cells.append(
                f"{cell['per_s']:,.0f}/s ({cell['per_s'] / result[FLOOR]['per_s']:.2f}x), p99 {cell['p99_ms']:.0f} ms"
                + (f", {cell['non_2xx']} errors" if cell.get("non_2xx") else "")
            )
        lines.append(row(name, *cells))
    lines += [
        row(
            "largest web worker after the run: RSS (with the database pages SQLite maps) / anonymous",
            *(f"{r['worker_rss_after_mib']} / {r['worker_anon_after_mib']} MiB" for r in sizes.values()),
        ),
        row("admin post list (median of 5)", *(f"{r['admin_post_list_ms']:.0f} ms" for r in sizes.values())),
        "",
        row("target (issue: fast at 100,000 posts)", "measured", ""),
        row("---", "---", "---"),
    ]
    big = sizes[largest]
    for name in names:
        small_p99, big_p99 = sizes[smallest][name]["p99_ms"], big[name]["p99_ms"]
        lines.append(
            row(
                f"{name}: p99 at {largest:,} within 2x of at {smallest:,}",
                f"{big_p99:.0f} ms vs {small_p99:.0f} ms",
                target(big_p99 <= 2 * small_p99),
            )
        )
    lines += [
        row(
            f"admin post list at {largest:,} posts at most 300 ms",
            f"{big['admin_post_list_ms']:.0f} ms",
            target(big["admin_post_list_ms"] <= 300),
        ),
        row(
            "a web worker's own (anonymous) memory at most 200 MiB serving sitemap files",
            f"{big['worker_anon_after_mib']} MiB",
            target(big["worker_anon_after_mib"] <= 200),
        ),
        row(
            "front page at least 0.5x the static floor (needs the page cache, not built yet)",
            f"{big['front page']['per_s'] / big[FLOOR]['per_s']:.2f}x",
            target(big["front page"]["per_s"] >= 0.5 * big[FLOOR]["per_s"]),
        ),
        "",
    ]
    return lines


def planning_lines(plan):
    return [
        f"### Planning the daily reports for {plan['authors']:,} authors",
        "",
        *rerun(plan),
        "`services.report_plan` on SQLite, in batches of short transactions with a pause between them, while "
        "another process writes one counter every 10 ms in its own IMMEDIATE transaction (`bench/planning.py`).",
        "",
        row("measure", "value", ""),
        row("---", "---:", "---"),
        row("reports owed", f"{plan['reports_owed']:,}", ""),
        row("planning time", f"{plan['plan_seconds']} s", ""),
        row("concurrent writes: p50 / p99 wait", f"{plan['write_wait_p50_ms']} / {plan['write_wait_p99_ms']} ms", ""),
        row(
            "longest wait of a concurrent write at most 200 ms",
            f"{plan['write_wait_max_ms']} ms",
            target(plan["write_wait_max_ms"] <= 200),
        ),
        "",
        "The one wait past 200 ms is not the planner holding the lock (its longest transaction is tens of "
        "milliseconds): it is the writer's own commit running SQLite's automatic checkpoint, copying the pages the "
        "planner wrote from the WAL into the database once the planner's last long read lets it. Moving those "
        "checkpoints off the web's connections (the consumer already checkpoints every minute) is the next step.",
        "",
    ]
