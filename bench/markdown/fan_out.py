"""Section 8: a new post to 10,000 subscribers, and account mail while it goes out."""

from bench.markdown.common import rerun, row


def _account_mail_lines(fan):
    """Account mail while the fan-out runs: this run's figures, and the ones measured before the delivery registry."""
    free = fan["unlimited"]
    if "account_mail_delay_p50_s" not in free:
        return []
    lines = [
        "### Account mail during the fan-out",
        "",
        f"While the unlimited fan-out runs, a new account is made every half second for 20 s ({free['account_mails']} "
        "accounts), each owed a verification mail. Delay: from the account's commit to the SMTP server accepting "
        "its mail. Target: p99 at most 2 s.",
        "",
        row("code", "mails/s of the fan-out", "account mail p50", "p99", "max", "not delivered"),
        row("---", "---:", "---:", "---:", "---:", "---:"),
    ]
    for label, x in (("before: one task per mail, one queue order", fan.get("before")), ("now", free)):
        if x is None:
            continue
        lines.append(
            row(
                label,
                x["mails_per_s"],
                f"{x['account_mail_delay_p50_s']} s",
                f"{x['account_mail_delay_p99_s']} s",
                f"{x['account_mail_delay_max_s']} s",
                x["account_mails_missing"],
            )
        )
    if before := fan.get("before"):
        lines += [
            "",
            f"Before: measured on {before['measured']} with the code of commit {before['commit']} and the same "
            "probe (`python -m bench.fan_out --only-unlimited` in a checkout of that commit), on this machine. "
            "There, each verification mail was queued behind every new-post send already waiting. Now every "
            "delivery kind declares a priority and account mail is queued above bulk, so a verification mail waits "
            "at most for the batch a worker is sending (50 mails over one SMTP connection).",
        ]
    return [*lines, ""]


def fan_out_lines(fan):
    free, slow, killed = fan["unlimited"], fan["limit_50"], fan["sigkill"]
    return [
        "## 8. A new post to 10,000 subscribers",
        "",
        *rerun(fan),
        f"One author with {free['subscribers']:,} confirmed subscribers publishes a post; the consumer (4 threads) "
        "fans it out in batches of 500 owed rows and queues a send task per 50, each sending its mails over one "
        "connection to the loopback SMTP server. "
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
        f"subscribers) and {free['queries']['send_per_mail']:g} to send it (the batch's claim, one conditional "
        "UPDATE per row that also stores its Message-ID, one read of the batch with its posts and subscribers, "
        "one UPDATE recording each outcome), so the database cost is flat in the list's size.",
        "",
        "The limit paces hand-offs to SMTP 10% wider than asked (a shared next-send time in one database row), so "
        "the busiest second stays within the limit even when a slow first connection bunches two mails together. "
        "After the "
        "SIGKILL, the queue file still held every send task that had not started; the tasks the dead consumer had "
        "taken were gone, and its claims were freed by the reconciler when the new consumer started (same host, "
        "dead pid), which queued those mails again. A duplicate can only be a mail the server had accepted when "
        "the process died, before its row said so: at most one per worker thread.",
        "",
        *_account_mail_lines(fan),
    ]
