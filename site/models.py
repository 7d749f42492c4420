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
