"""Cleaning short text people type and others read: names, titles."""

import unicodedata


def single_line(value: str) -> str:
    """
    One line of visible text: control and format characters (zero-width
    spaces, soft hyphens, right-to-left overrides) removed, every run of
    white space, line breaks included, folded to one space.
    """
    kept = "".join(char for char in value if unicodedata.category(char) not in {"Cc", "Cf"} or char.isspace())
    return " ".join(kept.split())
