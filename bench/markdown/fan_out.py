"""Section 8: a new post to 10,000 subscribers, and account mail while it goes out."""

from bench.markdown.common import row


def fan_out_lines(fan):
    free, slow, killed = fan["unlimited"], fan["limit_50"], fan["sigkill"]
    return [
        "## 8. A new post to 10,000 subscribers",
        "",
        f"One author with {free['subscribers']:,} confirmed subscribers publishes a post; the consumer (4 threads) "
        "fans it out in batches of 500 owed rows and sends one mail per subscriber through the loopback SMTP server. "
        "Time runs from the publish call to the last mail accepted. `python -m bench.fan_out` runs this alone.",
        "",
        row("run", "time to all accepted", "mails/s", "most in any 1 s", "lost", "duplicated", "consumer peak RSS"),
        row("---", "---:", "---:", "---:", "---:", "---:", "---:"),
        *(
            row(
                label,
                f"{x['all_mails_seconds']} s",
                x["mails_per_s"],
                x["busiest_second"],
                x["lost"],
                x["duplicates"],
                f"{x['consumer_peak_rss_mib']} MiB",
            )
            for label, x in (
                ("no sending limit", free),
                ("`EMAIL_MAX_PER_SECOND=50`", slow),
                (f"SIGKILL after {killed.get('delivered_before_kill', '?'):,} mails, restarted", killed),
            )
        ),
        "",
        f"Queries per mail: {free['queries']['fan_out_per_mail']} to owe it (the fan-out, measured over 1,000 "
        f"subscribers) and {free['queries']['send_per_mail']:g} to send it (claim, read with its post and "
        "subscriber, store the Message-ID, record the outcome), so the database cost is flat in the list's size.",
        "",
        "The limit paces hand-offs to SMTP 10% wider than asked (a shared next-send time in one database row), so "
        "the busiest second stays under 50 even when a slow first connection bunches two mails together. After the "
        "SIGKILL, the queue file still held every send task that had not started; the tasks the dead consumer had "
        "taken were gone, and its claims were freed by the reconciler when the new consumer started (same host, "
        "dead pid), which queued those mails again. A duplicate can only be a mail the server had accepted when "
        "the process died, before its row said so: at most one per worker thread.",
        "",
    ]
