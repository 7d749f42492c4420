"""
The rules for what an Administrator may set as the site's identity (site
settings): an accent colour readers can read, a stylesheet that is only CSS,
navigation links that go somewhere, a language tag. Pure: the model's fields
run them as validators, so the admin's form says what is wrong and saves nothing.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import tinycss2
from django.core.exceptions import ValidationError
from django.utils.html import format_html
from django.utils.safestring import SafeString

# A stylesheet is sent to every reader with every page's first visit.
CUSTOM_CSS_MAX_BYTES = 64 * 1024
NAVIGATION_MAX_LINKS = 20
NAVIGATION_LABEL_MAX_LENGTH = 60
# WCAG AA for text: links and buttons in the accent colour stay readable.
CONTRAST_MIN = 4.5
# The backgrounds the accent is read on (site.css): paper and tag, light and dark.
LIGHT_BACKGROUNDS = ("#ffffff", "#eef2f6")
DARK_BACKGROUNDS = ("#15191e", "#232a32")

_HEX = re.compile(r"#[0-9a-f]{6}")
_LINK = re.compile(r"\[(?P<label>[^\[\]]+)\]\((?P<url>[^()\s]+)\)")
_LANGUAGE = re.compile(r"[a-zA-Z]{2,3}(?:-[a-zA-Z0-9]{2,8})*")


def _luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(one: str, other: str) -> float:
    """The WCAG contrast ratio of two #rrggbb colours (1 to 21)."""
    light, dark = sorted((_luminance(one), _luminance(other)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def accent_check(value: str) -> None:
    if not _HEX.fullmatch(value):
        raise ValidationError("Give the colour as # and six hex digits, e.g. #1f5fbf.", code="accent_form")
    worst = min(contrast(value, background) for background in LIGHT_BACKGROUNDS)
    if worst < CONTRAST_MIN:
        raise ValidationError(
            "%(colour)s is too light to read on the white page (%(ratio).1f:1; links need %(min).1f:1): "
            "choose a darker shade.",
            code="accent_contrast",
            params={"colour": value, "ratio": worst, "min": CONTRAST_MIN},
        )


def accent_for_dark(value: str) -> str:
    """
    The accent as dark pages show it: the same hue mixed with white until it
    reads on the dark backgrounds (a colour dark enough for white pages
    rarely is for dark ones).
    """
    red, green, blue = (int(value[i : i + 2], 16) for i in (1, 3, 5))
    for step in range(21):
        share = step / 20
        mixed = "#" + "".join(f"{round(c + (255 - c) * share):02x}" for c in (red, green, blue))
        if min(contrast(mixed, background) for background in DARK_BACKGROUNDS) >= CONTRAST_MIN:
            return mixed
    return "#ffffff"


def accent_style(value: str) -> SafeString:
    """The rules that put the accent on a page (its value is checked: six hex digits)."""
    if not _HEX.fullmatch(value or ""):
        return SafeString("")
    dark = accent_for_dark(value)
    return format_html(
        "<style>:root{{--accent:{}}}"
        '@media (prefers-color-scheme: dark){{:root:not([data-theme="light"]){{--accent:{}}}}}'
        ':root[data-theme="dark"]{{--accent:{}}}</style>',
        value,
        dark,
        dark,
    )


def _css_errors(nodes: list, depth: int = 0) -> list[str]:
    errors = []
    for node in nodes:
        if node.type == "error":
            errors.append(f"line {node.source_line}: {node.message.rstrip('.')}")
        elif node.type == "at-rule" and node.lower_at_keyword == "import":
            errors.append(f"line {node.source_line}: @import loads a stylesheet from elsewhere; paste its rules here")
        elif node.type in ("qualified-rule", "at-rule") and node.content is not None:
            if depth > 20:
                errors.append(f"line {node.source_line}: rules nested too deep")
                continue
            inner = tinycss2.parse_blocks_contents(node.content, skip_comments=True, skip_whitespace=True)
            errors += _css_errors(inner, depth + 1)
    return errors


@functools.lru_cache(maxsize=4)
def custom_css_errors(value: str) -> tuple[str, ...]:
    """
    What is wrong with a stylesheet (nothing: empty). The last few are
    kept: the admin parses one before Django's transaction, so the form's
    check inside it (SQLite holds the write lock there) finds it done.
    """
    if len(value.encode()) > CUSTOM_CSS_MAX_BYTES:
        return (f"The stylesheet is over {CUSTOM_CSS_MAX_BYTES // 1024} KB.",)
    return tuple(_css_errors(tinycss2.parse_stylesheet(value, skip_comments=True, skip_whitespace=True)))


def custom_css_check(value: str) -> None:
    errors = custom_css_errors(value)
    if errors and errors[0].startswith("The stylesheet is over"):
        raise ValidationError(errors[0], code="css_size")
    if errors:
        raise ValidationError(
            "This is not CSS the site can use: %(errors)s.", code="css_syntax", params={"errors": "; ".join(errors[:5])}
        )


@dataclass(frozen=True)
class Link:
    label: str
    url: str

    @property
    def external(self) -> bool:
        return not self.url.startswith("/")


def navigation_links(value: str) -> list[Link]:
    """The navigation as written (one [label](address) a line); ValidationError naming each bad line."""
    links, errors = [], []
    for number, line in enumerate(value.splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        found = _LINK.fullmatch(line)
        if not found:
            errors.append(f"line {number}: write a link as [Label](/address/) or [Label](https://…)")
            continue
        label, url = " ".join(found["label"].split()), found["url"]
        if len(label) > NAVIGATION_LABEL_MAX_LENGTH:
            errors.append(f"line {number}: a label is at most {NAVIGATION_LABEL_MAX_LENGTH} characters")
        elif not (
            (url.startswith("/") and not url.startswith("//") and "\\" not in url)
            or re.fullmatch(r"https?://[^/?#\\]+[^\\]*", url, flags=re.IGNORECASE)
        ):
            errors.append(f"line {number}: an address starts with / (this site) or https:// (another)")
        else:
            links.append(Link(label=label, url=url))
    if len(links) > NAVIGATION_MAX_LINKS:
        errors.append(f"at most {NAVIGATION_MAX_LINKS} links")
    if errors:
        raise ValidationError("The navigation: %(errors)s.", code="navigation", params={"errors": "; ".join(errors)})
    return links


def navigation_check(value: str) -> None:
    navigation_links(value)


def language_check(value: str) -> None:
    if not _LANGUAGE.fullmatch(value):
        raise ValidationError("Give a language tag such as en, en-GB or pt-BR.", code="language")
