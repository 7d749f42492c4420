"""
Mail in development (`make run`): each message is saved as a .eml file under
DATA_DIR/mail/ and the consumer logs one line saying where, instead of
printing every mail whole (three demo reports were 250 lines of a newcomer's
terminal). Any mail program opens the file; its links are in the text part.
"""

import hashlib
import logging
import os
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.message import make_msgid

logger = logging.getLogger("site.devmail")


class SavedMailBackend(BaseEmailBackend):
    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        folder = Path(settings.EMAIL_FILE_PATH)
        folder.mkdir(parents=True, exist_ok=True)
        for message in email_messages:
            built = message.message()
            # Named by time (a folder lists them in order) and a digest of the
            # Message-ID (any text, any length): never a path of the sender's.
            stable_id = built["Message-ID"] or make_msgid()
            digest = hashlib.sha256(str(stable_id).encode()).hexdigest()[:12]
            name = f"{datetime.now(UTC):%Y%m%d-%H%M%S-%f}-{digest}.eml"
            # The mail's links sign in and reset passwords: for this account only.
            descriptor = os.open(folder / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "wb") as file:
                file.write(built.as_bytes())
            logger.info("mail to %s, %r: %s", ", ".join(message.recipients()), message.subject, folder / name)
        return len(email_messages)
