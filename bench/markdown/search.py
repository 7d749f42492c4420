"""Section 12: full-text search at 100,000 posts on both engines, against a static file."""

from bench.markdown.common import ratio, rerun, row

FLOOR = "static file (floor)"
ENGINE_NAMES = {"sqlite": "SQLite (FTS5)", "postgresql": "PostgreSQL (tsvector, GIN)"}


def search_lines(r):
    lines = [
        f"## 12. Search at {r['posts']:,} posts",
        "",
        *rerun(r),
        "`python -m bench.search_scale`: gunicorn (three workers) on each engine, `/search/?q=…` at 8",
        f"connections for {r['seconds']} s each (wrk; a new client address each request, so the per-client",
        "limit never answers), every post 80 words of a made-up vocabulary in which word n is in about",
        "1/(n+1) of the posts. Each search also writes its client's rate-limit counter.",
        "",
    ]
    for engine, measured in r["engines"].items():
        floor = measured[FLOOR]["per_s"]
        lines += [f"### {ENGINE_NAMES.get(engine, engine)}", "", row("query", "req/s", "of the floor", "p50", "p99")]
        lines += [row("---", "---:", "---:", "---:", "---:")]
        for name, m in measured.items():
            lines.append(row(name, m["per_s"], ratio(m["per_s"], floor), f"{m['p50_ms']} ms", f"{m['p99_ms']} ms"))
        lines.append("")
    return lines
