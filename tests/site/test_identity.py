"""The rules for the site's identity (site/identity.py): colours readers can read, CSS only, links that go somewhere."""

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from site import identity
from site.identity import (
    CONTRAST_MIN,
    DARK_BACKGROUNDS,
    LIGHT_BACKGROUNDS,
    accent_check,
    accent_for_dark,
    accent_style,
    contrast,
    custom_css_check,
    language_check,
    navigation_links,
)

HEX = st.text(alphabet="0123456789abcdef", min_size=6, max_size=6).map(lambda digits: "#" + digits)


def test_contrast_is_wcags():
    assert contrast("#000000", "#ffffff") == pytest.approx(21)
    assert contrast("#ffffff", "#ffffff") == pytest.approx(1)
    assert contrast("#1f5fbf", "#ffffff") == contrast("#ffffff", "#1f5fbf")
    assert contrast("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)  # The known AA grey.


@pytest.mark.parametrize("colour", ["#1f5fbf", "#000000", "#a40000", "#006400"])
def test_dark_enough_accents_are_taken(colour):
    accent_check(colour)


@pytest.mark.parametrize(
    "colour, says",
    [
        ("#ffff00", "too light"),
        ("#87ceeb", "too light"),
        ("1f5fbf", "six hex digits"),
        ("#1F5FBF", "six hex digits"),  # One spelling: the form's widget gives lower case.
        ("#fff", "six hex digits"),
        ("red", "six hex digits"),
        ("#1f5fbf;}body{display:none", "six hex digits"),
        ("", "six hex digits"),
    ],
)
def test_other_accents_are_refused_saying_why(colour, says):
    with pytest.raises(ValidationError) as refused:
        accent_check(colour)
    assert says in " ".join(refused.value.messages)


@given(HEX)
def test_any_accent_taken_reads_on_every_background_light_and_dark(colour):
    try:
        accent_check(colour)
    except ValidationError:
        assert min(contrast(colour, background) for background in LIGHT_BACKGROUNDS) < CONTRAST_MIN
        return
    assert all(contrast(colour, background) >= CONTRAST_MIN for background in LIGHT_BACKGROUNDS)
    dark = accent_for_dark(colour)
    assert all(contrast(dark, background) >= CONTRAST_MIN for background in DARK_BACKGROUNDS)
    # Buttons: the accent behind white text in light, behind the dark ink in dark.
    assert contrast(colour, "#ffffff") >= CONTRAST_MIN and contrast(dark, "#0b1220") >= CONTRAST_MIN


@given(st.text(max_size=40))
def test_the_accent_style_carries_only_a_checked_colour(value):
    style = accent_style(value)
    if style:
        assert identity._HEX.fullmatch(value) and style.count("<") == 2 and value in style
    else:
        assert not identity._HEX.fullmatch(value)


@pytest.mark.parametrize(
    "css",
    [
        "",
        "body { font-family: Georgia, serif; }",
        "@media (max-width: 40rem) { .brand { font-size: 1rem } }",
        "@font-face { font-family: X; src: url(/static/x.woff2) }\nh1 { color: #333 }",
        ":root { --accent: #225522 } .post-body a:hover { text-decoration: none }",
        "/* a comment */ .nav { gap: 2rem }",
        "@keyframes in { from { opacity: 0 } to { opacity: 1 } }",
    ],
)
def test_stylesheets_are_taken(css):
    custom_css_check(css)


@pytest.mark.parametrize(
    "css, says",
    [
        ("<script>alert(1)</script>", "not CSS"),
        ("</style><script>alert(1)</script>", "not CSS"),
        ("@import url(https://tracker.example/x.css); body{}", "@import"),
        ("@media screen { @import 'x.css'; }", "@import"),
        ("body { color: red } }", "not CSS"),
        ("a{color:red;;; : x}", "not CSS"),
        ("p { color: red }" + " " * 70_000, "over 64 KB"),
    ],
)
def test_anything_else_is_refused_saying_why(css, says):
    with pytest.raises(ValidationError) as refused:
        custom_css_check(css)
    assert says in " ".join(refused.value.messages)


@given(st.text(max_size=300))
def test_no_text_makes_the_css_check_fail_other_than_by_refusing(css):
    try:
        custom_css_check(css)
    except ValidationError:
        pass


def test_deep_nesting_is_refused_not_a_crash():
    with pytest.raises(ValidationError):
        custom_css_check("a{" * 5000 + "}" * 5000)


def test_navigation_is_one_markdown_link_a_line_in_order():
    links = navigation_links("[About](/about/)\n\n  [Code](https://code.example/me)  \n[Now](/now/)")
    assert [(link.label, link.url, link.external) for link in links] == [
        ("About", "/about/", False),
        ("Code", "https://code.example/me", True),
        ("Now", "/now/", False),
    ]


@pytest.mark.parametrize(
    "text, says",
    [
        ("About /about/", "line 1: write a link"),
        ("[About](/about/)\n[Evil](javascript:alert(1))", "line 2"),
        ("[Evil](javascript:alert(1))", "line 1"),
        ("[Elsewhere](//evil.example/)", "starts with / (this site)"),
        ("[Data](data:text/html,hi)", "starts with /"),
        ("[Back](/\\evil.example)", "starts with /"),
        ("[Plain](ftp://files.example/)", "starts with /"),
        ("[" + "x" * 61 + "](/x/)", "at most 60"),
        ("\n".join(f"[L{n}](/l{n}/)" for n in range(21)), "at most 20 links"),
    ],
)
def test_bad_navigation_is_refused_naming_the_line(text, says):
    with pytest.raises(ValidationError) as refused:
        navigation_links(text)
    assert says in " ".join(refused.value.messages)


@given(st.text(max_size=200))
def test_every_navigation_link_taken_goes_to_this_site_or_to_http(text):
    try:
        links = navigation_links(text)
    except ValidationError:
        return
    for link in links:
        assert link.url.startswith(("http://", "https://", "HTTP", "Http")) or (
            link.url.startswith("/") and not link.url.startswith("//") and "\\" not in link.url
        )
        assert link.label.strip() and "\n" not in link.label


@pytest.mark.parametrize("tag", ["en", "en-GB", "pt-BR", "de", "zh-Hant-TW", "fil"])
def test_language_tags_are_taken(tag):
    language_check(tag)


@pytest.mark.parametrize("tag", ["", "english", 'en" onload="x', "e", "en_GB", "en-"])
def test_other_languages_are_refused(tag):
    with pytest.raises(ValidationError):
        language_check(tag)
