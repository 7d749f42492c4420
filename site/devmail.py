"""
Mail in development (`make run`): each message is saved as a .eml file under
DATA_DIR/mail/ and the consumer logs one line saying where, instead of
printing every mail whole (three demo reports were 250 lines of a newcomer's
terminal). Any mail program opens the file; its links are in the text part.
"""

import logging
from collections.abc import Sequence
from pathlib import Path

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend

logger = logging.getLogger("site.devmail")


class SavedMailBackend(BaseEmailBackend):
    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        folder = Path(settings.EMAIL_FILE_PATH)
        folder.mkdir(parents=True, exist_ok=True)
        for message in email_messages:
            built = message.message()
            name = built["Message-ID"].strip("<>").replace("/", "_") + ".eml"
            (folder / name).write_bytes(built.as_bytes())
            logger.info("mail to %s, %r: %s", ", ".join(message.recipients()), message.subject, folder / name)
        return len(email_messages)
