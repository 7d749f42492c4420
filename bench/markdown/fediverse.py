"""The fediverse: one post to 10,000 followers on 500 servers, and the inbox under signed load."""

from bench.markdown.common import rerun, row


def fediverse_lines(r):
    lines = [
        "## The fediverse: one post to 10,000 followers, and the inbox",
        "",
        "`python -m bench.federation`. The site as deployed (gunicorn, one `run_huey` consumer of 4 workers, "
        "SQLite) with `FEDERATION_ENABLED=1`; 500 fediverse servers on loopback, each an address of its own "
        "(127.0.x.y) answering 202, so each is its own pace bucket (`FEDERATION_HOST_MAX_PER_SECOND`, 10). "
        "Time runs from the publishing shell command to the last delivery's arrival; every delivery is signed "
        "(RSA 2048) by the consumer outside any transaction.",
        "",
        row(
            "followers reached through",
            "deliveries",
            "to the last",
            "deliveries/s",
            "lost",
            "twice",
            "still owed",
            "consumer peak RSS",
        ),  # fmt: skip
        row("---", "---:", "---:", "---:", "---:", "---:", "---:", "---:"),
    ]
    for label, key in (("each server's shared inbox", "shared_inboxes"), ("personal inboxes only", "personal_inboxes")):
        if (x := r.get(key)) is None:
            continue
        lines.append(
            row(
                label,
                x["deliveries"],
                f"{x['last_delivery_seconds']} s",
                x["deliveries_per_s"],
                x["lost"],
                x["duplicates"],
                x["still_owed"],
                f"{x['consumer_peak_rss_mib']} MiB",
            )  # fmt: skip
        )
    if inbox := r.get("inbox"):
        lines += [
            "",
            f"The shared inbox under {inbox['clients']} clients at once, {inbox['gunicorn_workers']} gunicorn "
            f"workers: {inbox['requests']} signed Likes from {inbox['remote_actors']} remote actors (each actor's "
            "key fetched and kept on its first request, before the clock starts), each signature checked and each "
            f"activity's id written (a Like counts once per actor): **{inbox['requests_per_s']} requests/s**, "
            f"answers {inbox['answers']}, "
            f"{inbox['likes_counted']} likes counted, {inbox['keys_kept']} keys kept.",
        ]
    return [*lines, "", *rerun(r)]
