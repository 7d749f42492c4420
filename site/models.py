from django.db import models


class SendPace(models.Model):
    """
    When the next mail may be handed to SMTP (unix time), shared by every
    consumer thread and process: EMAIL_MAX_PER_SECOND spaces mails out
    through this one row (site.outbox.send_turn_wait).
    """

    name = models.CharField(max_length=50, unique=True)
    next_at = models.FloatField(default=0)

    backup_omit = True  # Only ever "now or a second from now": nothing to restore.

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name}: next send at {self.next_at:.3f}"


class RateLimitCounter(models.Model):
    """
    Hits on one key (e.g. "signup:ip:203.0.113.9") in one fixed time window.

    Kept in the database so every gunicorn worker counts against the same
    limit; a per-process cache would multiply it by the number of workers.
    """

    key = models.CharField(max_length=200)
    window_start = models.DateTimeField()
    hits = models.PositiveIntegerField(default=0)

    class Meta:
        # Made by the users app before both apps needed limits; the table keeps its name.
        db_table = "users_ratelimitcounter"
        ordering = ["-window_start"]
        constraints = [
            models.UniqueConstraint(fields=["key", "window_start"], name="users_ratelimit_key_window_unique")
        ]

    def __str__(self) -> str:
        return f"{self.key} @ {self.window_start:%Y-%m-%d %H:%M}: {self.hits}"
