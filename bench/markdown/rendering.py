"""Section 10: rendering's worst inputs per lexer, and other people's writes while one account saves them."""

from bench.markdown.common import rerun, row, target


def _ms(value):
    return "n/a" if value is None else f"{value:,.0f} ms"


def rendering_lines(lexers, contention):
    lines = ["## 10. Rendering: the slowest code found per lexer, and everyone else meanwhile", ""]
    if lexers:
        rows = lexers["lexers"]
        worst = max(rows.values(), key=lambda r: r["render_max_post_seconds"])
        lines += [
            *rerun(lexers),
            f"`bench/lexers.py` searched each of the {len(rows)} lexers the renderer offers "
            f"for {lexers['seconds_per_lexer']:g} s "
            "(short patterns of syntax characters and keywords, repeated in lines as long as the renderer highlights, "
            "mutated from the slowest so far) and kept the slowest pattern. *Unbounded* is Pygments alone at 4 and "
            "8 KB (stopped at 5 s); *rendered* is `blog.rendering.render` of a post of the largest size allowed "
            f"({lexers['max_post_characters']:,} characters) holding that pattern, with the budget of "
            f"{lexers['budget_seconds']:g} s of highlighting per post; *plain* says the budget was spent and the "
            "block shows as plain code.",
            "",
            row("target", "measured", ""),
            row("---", "---", "---"),
            row(
                "the worst input found for any offered lexer renders in at most 1 s",
                f"{worst['render_max_post_seconds']:.2f} s ({worst['lexer']})",
                target(worst["render_max_post_seconds"] <= 1.0),
            ),
            "",
            row("language", "lexer", "slowest pattern", "unbounded 4 KB", "unbounded 8 KB", "rendered", "plain"),
            row("---", "---", "---", "---:", "---:", "---:", "---"),
        ]
        for alias, r in sorted(rows.items(), key=lambda item: -item[1]["seconds_8k"]):
            pattern = r["pattern"].encode("unicode_escape").decode().replace("|", "\\|").replace("`", "\\`")
            capped = "≥ " if r["capped"] else ""
            lines.append(
                row(
                    alias,
                    r["lexer"],
                    f"`{pattern}`",
                    f"{r['seconds_4k'] * 1000:,.1f} ms",
                    f"{capped}{r['seconds_8k'] * 1000:,.0f} ms",
                    f"{r['render_max_post_seconds']:.2f} s",
                    "yes" if r["fell_back"] else "no",
                )
            )
        lines.append("")
    if contention:
        quiet, attacked = contention["quiet"]["others"], contention["attacked"]["others"]
        lines += [
            *rerun(contention),
            f"For {contention['seconds']} s on the real stack (gunicorn, three workers; `run_huey`; SQLite), one "
            f"Author saves drafts of {contention['draft_characters']:,} characters made of the slow blocks kept "
            "as test inputs (`tests/blog/data/worst_code.json`) "
            f"over {contention['attacker_connections']} connections at once (its quotas lifted; the save throttle "
            "stays), while other visitors write one after "
            "another: counted reads, each from a new address (a read row and three counters), and every fifth a "
            "login (`bench/contention.py`). Before rendering left the transaction and got a budget, such a draft held "
            "SQLite's write lock for seconds and others' writes answered 500 \"database is locked\" for 20–56 s.",
            "",
            row("target", "measured", ""),
            row("---", "---", "---"),
            row(
                "other people's writes p99 at most 1 s while one account saves worst-case drafts",
                _ms(attacked["p99_ms"]),
                target(attacked["p99_ms"] is not None and attacked["p99_ms"] <= 1000 and not attacked["bad_answers"]),
            ),
            "",
            row("", "writes", "p50", "p99", "worst", "answers other than 200/302", "attacker's saves (p50)"),
            row("---", "---:", "---:", "---:", "---:", "---", "---:"),
            row(
                "nobody saving",
                quiet["n"],
                _ms(quiet["p50_ms"]),
                _ms(quiet["p99_ms"]),
                _ms(quiet["max_ms"]),
                ", ".join(quiet["bad_answers"]) or "none",
                "",
            ),
            row(
                "one account saving worst-case drafts",
                attacked["n"],
                _ms(attacked["p50_ms"]),
                _ms(attacked["p99_ms"]),
                _ms(attacked["max_ms"]),
                ", ".join(attacked["bad_answers"]) or "none",
                f"{contention['attacked']['attacker_saves']} "
                f"({_ms(contention['attacked']['attacker_save_p50_ms'])}; "
                "answered "
                + ", ".join(f"{n} × {status}" for status, n in contention["attacked"]["attacker_answers"].items())
                + ")",
            ),
            "",
        ]
    return lines
