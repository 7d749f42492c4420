"""Cleaning short text people type and others read: names, titles."""

import re
import unicodedata

from django.core.exceptions import ValidationError


def single_line(value: str) -> str:
    """
    One line of visible text: control and format characters (zero-width
    spaces, soft hyphens, right-to-left overrides) removed, every run of
    white space, line breaks included, folded to one space.
    """
    kept = "".join(char for char in value if unicodedata.category(char) not in {"Cc", "Cf"} or char.isspace())
    return " ".join(xml_chars_only(kept).split())


def single_line_validate(value: str) -> None:
    """Refuse what single_line would change (a line break, a control character): for input our forms do not clean."""
    if single_line(value) != value:
        raise ValidationError("Use one line of visible text: no line breaks or control characters.", code="single_line")


# What XML 1.0 (feeds, sitemaps) can carry: no C0 controls but tab and line
# breaks, no surrogates, no U+FFFE/U+FFFF. YAML (the export's front matter)
# refuses the same ones.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_chars_only(value: str) -> str:
    """`value` without the characters a feed or front matter cannot hold."""
    return _NOT_XML.sub("", value)
