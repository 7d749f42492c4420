"""Sections 1-3: signup response time, signup-to-inbox latency and footprint, Huey against Celery."""

from bench.markdown.common import ratio, rerun, row


def signup_lines(s):
    rows = s["rows"]
    floor = rows["nomail"]["p50_ms"]
    lines = [
        "## 1. Signup response time",
        "",
        f"{rows['nomail']['n']} sequential signups per line after 3 warm-ups, each from its own client address, "
        "production password hashing, gunicorn with 3 workers.",
        "",
        row("stack", "SMTP", "p50 ms", "p95 ms", "p50 vs floor"),
        row("---", "---", "---:", "---:", "---:"),
        row("no mail (floor)", "-", floor, rows["nomail"]["p95_ms"], "1.00x"),
    ]
    for kind, label in (
        ("inline", "mail sent in the request"),
        ("huey", "Huey / SQLite"),
        ("celery", "Celery / Redis"),
    ):
        for delay in ("0", "1"):
            x = rows[f"{kind}@{delay}s"]
            lines.append(
                row(
                    label,
                    "instant" if delay == "0" else "1 s per message",
                    x["p50_ms"],
                    x["p95_ms"],
                    ratio(x["p50_ms"], floor),
                )
            )
    lines += [
        "",
        f"One production password hash takes {s['hashing']['p50_ms']} ms (median of 10): "
        f"{s['hashing']['p50_ms'] / floor:.0%} of the no-mail signup.",
        "",
    ]
    return lines


def latency_lines(lat):
    lines = [
        "## 2. Signup-to-inbox latency",
        "",
        *rerun(lat),
        "From submitting the form to the SMTP server accepting the mail. Idle: 20 signups 0.8-1.6 s apart. "
        "Burst: 200 signups from 8 concurrent clients.",
        "",
        row("stack", "idle p50 ms", "idle p95 ms", "burst p50 ms", "burst p95 ms", "burst signups/s"),
        row("---", "---:", "---:", "---:", "---:", "---:"),
    ]
    for kind, label in (
        ("huey", "Huey / SQLite"),
        ("huey_max_delay_1s", "Huey / SQLite, polling every 1 s (before)"),
        ("huey_postgres", "Huey / PostgreSQL (LISTEN/NOTIFY, DATABASE_URL)"),
        ("celery", "Celery / Redis"),
    ):
        if kind not in lat:
            continue
        x = lat[kind]
        burst = x.get("burst") or {"p50_ms": "", "p95_ms": "", "signups_per_s": ""}
        lines.append(
            row(
                label,
                x["idle"]["p50_ms"],
                x["idle"]["p95_ms"],
                burst["p50_ms"],
                burst["p95_ms"],
                burst["signups_per_s"],
            )
        )
    lines += [
        "",
        "An idle Huey consumer polls the SQLite queue with backoff (x1.15 from 0.1 s) up to `max_delay`; a Celery "
        "worker blocks on Redis and wakes at once. `max_delay` is now 0.1 s (was 1 s), so a mail never waits more "
        "than 0.1 s for a poll. With signups 0.8-1.6 s apart the old backoff rarely reached its 1 s ceiling either, "
        "so the two Huey rows differ by less than this machine's noise (compare their p95); the gain shows on a "
        "site idle for longer, where the old wait averaged half a second. On PostgreSQL the whole site (data and "
        "queue) is in one PostgreSQL server started for the run on loopback, and a waiting worker is woken by "
        "`NOTIFY` the moment the task is queued: no poll interval at all.",
        "",
    ]
    if cpu := lat.get("idle_cpu"):
        lines += [
            f"CPU time of an idle consumer per minute: {cpu['max_delay_1s']} s polling every 1 s, "
            f"{cpu['max_delay_0.1s']} s polling every 0.1 s (4 threads, 60 s measured after start-up).",
            "",
        ]
    return lines


def footprint_lines(fp):
    huey_mem = sum(x["pss_mib"] for x in fp["huey"].values())
    celery_mem = sum(x["pss_mib"] for x in fp["celery"].values())
    huey_rss = sum(x["rss_mib"] for x in fp["huey"].values())
    celery_rss = sum(x["rss_mib"] for x in fp["celery"].values())
    lines = [
        "## 3. Footprint",
        "",
        "Resident memory after 10 signups, per service (all its processes). PSS shares pages between forked processes "
        "fairly; RSS counts shared pages once per process.",
        "",
        row("stack", "service", "processes", "RSS MiB", "PSS MiB"),
        row("---", "---", "---:", "---:", "---:"),
    ]
    for kind, label in (("huey", "Huey / SQLite"), ("celery", "Celery / Redis")):
        for name, x in fp[kind].items():
            lines.append(row(label, name, x["processes"], x["rss_mib"], x["pss_mib"]))
        total = fp[kind].values()
        lines.append(
            row(
                f"**{label}**",
                f"**{len(fp[kind])} services**",
                sum(x["processes"] for x in total),
                round(sum(x["rss_mib"] for x in total), 1),
                round(sum(x["pss_mib"] for x in total), 1),
            )
        )
    inst = fp["install"]
    lines += [
        "",
        f"Memory ratio Huey/Celery: {ratio(huey_mem, celery_mem)} by PSS, {ratio(huey_rss, celery_rss)} by RSS.",
        "",
        f"Install size: the product's Python packages take {inst['product_mib']} MiB; Celery with Redis support adds "
        f"{inst['celery_python_mib']} MiB of Python packages ({', '.join(inst['celery_packages'])}) "
        "and the Redis server "
        f"{inst['redis_debian_mib']} MiB of Debian packages.",
        "",
    ]
    return lines
