"""Sections 4-5: queue throughput, and post page throughput with the cost of counting."""

from bench.markdown.common import rerun, row


def queue_lines(tp):
    lines = [
        "## 4. Queue throughput",
        "",
        *rerun(tp),
        f"Enqueue {tp['tasks']:,} tiny tasks from one process while the consumer runs; each task increments a counter "
        "in its own store (SQLite or Redis). Huey: the product's consumer settings (4 threads). Celery: a default "
        "prefork worker (one child per core).",
        "",
        row("queue", "enqueue/s", "enqueue + process/s", "seconds"),
        row("---", "---:", "---:", "---:"),
    ]
    for key, label in (
        ("huey_normal", "Huey / SQLite, synchronous=NORMAL (the product)"),
        ("huey_full", "Huey / SQLite, synchronous=FULL"),
        ("huey_postgres", "Huey / PostgreSQL (the product with DATABASE_URL)"),
        ("celery_redis", "Celery / Redis"),
    ):
        if key not in tp:
            continue
        x = tp[key]
        lines.append(row(label, x["enqueue_per_s"], x["end_to_end_per_s"], x["seconds"]))
    lines += [
        "",
        "NORMAL is the fastest level that cannot corrupt a WAL database on power loss (OFF can); FULL fsyncs every "
        "commit. What a power cut can lose at NORMAL is in the README's *What can go wrong*. The PostgreSQL row runs "
        "Huey's PostgreSQL storage against a server started for the run on loopback with the harness's settings "
        "(`fsync=off`, as a test server; a production server's fsync would cost more per commit).",
        "",
    ]
    return lines


def views_lines(v):
    return [
        "## 5. Post page throughput and the cost of counting",
        "",
        f"wrk, {v['clients']} connections, {v['seconds']} s, median of {v['rounds']} alternating rounds, "
        "gunicorn with 3 workers.",
        "",
        row("post page", "requests/s", "p50 ms"),
        row("---", "---:", "---:"),
        row("counting, every request a new visitor", v["per_s"]["distinct"], v["p50_ms"]["distinct"]),
        row("counting, one visitor reloading", v["per_s"]["reload"], v["p50_ms"]["reload"]),
        row("counting switched off", v["per_s"]["off"], v["p50_ms"]["off"]),
        "",
        f"Cost of counting: {v['cost_of_counting']:.0%} of throughput when every request is a new visitor, "
        f"{v['cost_of_counting_reload']:.0%} when one visitor reloads (counted once: "
        f"{', '.join(f'+{c}' for c in v['reload_counted'])}). Failed requests: {v['failed_requests']}.",
        "",
        "Counter checks (a fixed batch of requests after each counting round, since wrk stops mid-request): "
        + "; ".join(
            f"{c['exact_ok']} of {c['exact_requests']} answered 200, counter +{c['exact_counted']}"
            for c in v["counter_checks"]
        )
        + ".",
        "",
    ]
