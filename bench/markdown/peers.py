"""Section 9: the same mail through Huey, django-q2, django-tasks-db and Celery."""

from bench.markdown.common import row

OWED_TEXT = "200"

PEER_LABELS = {
    "huey": "Huey / SQLite (the product)",
    "q2": "django-q2, ORM broker on SQLite",
    "tasksdb": "django-tasks-db on SQLite",
    "celery": "Celery / Redis",
}


def peers_lines(p):
    tp, lat, loss, fp = p["throughput"], p["latency"], p["loss"], p["footprint"]
    v = p["versions"]
    kinds = list(PEER_LABELS)
    lines = [
        "## 9. Four ways to run the same mail: Huey, django-q2, django-tasks-db, Celery",
        "",
        f"Measured in one run of `python -m bench.peers` ({p['started']}): huey {v['huey']}, django-q2 "
        f"{v['django-q2']}, django-tasks {v['django-tasks']} with django-tasks-db {v['django-tasks-db']}, celery "
        f"{v['celery']}. Each peer runs the product's own verification-mail service through `bench/peer_tasks.py` "
        "(`bench/settings_peers.py` adds the peer's app to the product's settings), on the product's SQLite "
        "database; the peers are installed only by `requirements-bench.txt`. django-q2 runs as its documentation "
        "recommends for the ORM broker (4 workers, `timeout` 30 s, `retry` 60 s, so an unacknowledged task is "
        "handed out again after a minute); django-tasks-db with its `db_worker` and defaults.",
        "",
        f"### Throughput: {tp['tasks']:,} tiny tasks",
        "",
        row("queue", "enqueued per s", "processed per s, end to end", "seconds"),
        row("---", "---:", "---:", "---:"),
        *(row(PEER_LABELS[k], tp[k]["enqueue_per_s"], tp[k]["end_to_end_per_s"], tp[k]["seconds"]) for k in kinds),
        "",
        "Huey's enqueue is one INSERT into its own small SQLite file and its consumer takes tasks with one DELETE "
        "each; django-q2's ORM broker and django-tasks-db write their task rows through the ORM into the site's "
        "database, with more columns, indexes and status updates per task, and they share that database's single "
        "write lock with the site. Celery hands tasks to Redis in memory.",
        "",
        "### Signup to inbox",
        "",
        row("queue", "idle p50 / p95 ms", "burst p50 / p95 ms", "signups/s in the burst", '"database is locked"'),
        row("---", "---:", "---:", "---:", "---:"),
        *(
            row(
                PEER_LABELS[k],
                f"{lat[k]['idle']['p50_ms']:.0f} / {lat[k]['idle']['p95_ms']:.0f}",
                f"{lat[k]['burst']['p50_ms']:.0f} / {lat[k]['burst']['p95_ms']:.0f}",
                lat[k]["burst"]["signups_per_s"],
                lat[k]["locked_errors"],
            )
            for k in kinds
        ),
        "",
        "Idle latency is the signup request itself plus the wait until a worker looks: Huey's consumer polls its "
        "queue file at most every 0.1 s, django-q2's ORM broker polls every `poll` (0.2 s), django-tasks' "
        "`db_worker` sleeps its interval between empty polls, and a Celery worker blocks on Redis and wakes at "
        "once. In the burst, every stack's signups are paced by password hashing and the site's write lock; the "
        'peers add their task rows to that lock\'s queue. No log of any stack showed "database is locked" in '
        "this run (the product's writers queue on an flock before SQLite's lock, and the peers' writes are short)."
        if all(lat[k]["locked_errors"] == 0 for k in kinds)
        else "once. In the burst, every stack's signups are paced by password hashing and the site's write lock; "
        "the peers add their task rows to that lock's queue.",
        "",
        f"### Loss under SIGKILL: {OWED_TEXT} owed verification mails, the worker killed mid-batch and restarted",
        "",
        row("queue", "reconciler", "delivered", "lost", "duplicated", "last mail after the kill"),
        row("---", "---", "---:", "---:", "---:", "---:"),
    ]
    for k in kinds:
        for mode, label in (("reconciler", "the product's, every minute"), ("queue_alone", "none: the queue alone")):
            x = loss[f"{k}_{mode}"]
            last = f"{x['last_arrival_after_kill_s']} s" if x["last_arrival_after_kill_s"] is not None else "-"
            lines.append(row(PEER_LABELS[k], label, x["delivered"], x["lost"], x["duplicated"], last))
    lines += [
        "",
        f"A mail not delivered {loss['huey_reconciler']['deadline_s']} s after the restart counts as lost. In every "
        "stack the owed mail is a database row that the sending process claims (with a 10-minute lease) before "
        "it talks SMTP; what differs is what brings back the tasks the killed worker held. **Huey** deletes a "
        "task when a worker takes it, so those tasks are gone: alone it loses them, and with the reconciler the "
        "new consumer frees the dead process's claims at start and queues the mail again within seconds. "
        "**django-q2**'s ORM broker keeps a taken task and hands it out again once `retry` (60 s) passes, which "
        "is the last arrival of its queue-alone row; but the rows the killed worker had claimed stay claimed for "
        "the lease, so the handed-out-again tasks find them taken and skip them, and only the reconciler (which "
        "sees the claimer is dead) sends them. **django-tasks-db**'s `db_worker` runs one task at a time and "
        "marks it RUNNING; nothing resets a RUNNING task after a kill, so at most one mail per kill is at stake "
        "and the reconciler owes it again (in this run the kill fell between two tasks). **Celery** acknowledges "
        "a task when it takes it (its default), so the tasks the killed worker had prefetched are gone; beat's "
        "reconciler run a minute later sends them. Duplicates are mails the SMTP server had accepted when the "
        "process died, before its row said so.",
        "",
        "### Footprint of the running stack (after 10 signups)",
        "",
        row("queue", "processes", "PSS MiB", "RSS MiB"),
        row("---", "---:", "---:", "---:"),
        *(
            row(
                PEER_LABELS[k],
                sum(x["processes"] for x in fp[k].values()),
                round(sum(x["pss_mib"] for x in fp[k].values()), 1),
                round(sum(x["rss_mib"] for x in fp[k].values()), 1),
            )
            for k in kinds
        ),
        "",
        "Huey's consumer is one process with worker threads; django-q2's cluster forks a sentinel, a pusher, a "
        "monitor and one process per worker, each with Django loaded; `db_worker` is one process; Celery adds "
        "redis-server, a prefork pool and beat.",
        "",
    ]
    return lines
