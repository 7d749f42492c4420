"""
A post's Markdown to HTML, once, when it is saved (never on a page view).

CommonMark with tables, strikethrough, autolinked URLs, footnotes and fenced
code highlighted by Pygments within a time budget (blog.highlighting).
Safe by construction, twice over: the parser shows raw HTML as text and
refuses links other than http, https, mailto and same-site ones; then nh3
keeps only the tags and attributes the renderer makes, so no input can
smuggle a script, an event handler or a javascript:/data: URL into a page.
Images load only from https URLs, and from this site's own pictures
(MEDIA_URL, blog/media/).
"""

import functools
import re
from dataclasses import dataclass
from html import unescape

import nh3
from markdown_it import MarkdownIt
from mdit_py_plugins.footnote import footnote_plugin

from blog import highlighting, pictures
from site.text import xml_chars_only

EXCERPT_WORDS = 40
EXCERPT_MAX_LENGTH = 300
WORDS_PER_MINUTE = 230
LINKIFY_MAX_SCHEMES = 100

_SCHEMES = {"http", "https", "mailto"}
_SCHEME = re.compile(r"^\s*([a-zA-Z][a-zA-Z0-9+.-]*):")
_CLASS_VALUE = re.compile(r"^[a-z0-9 _-]{1,60}$")
_TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "a", "img", "em", "strong", "s", "del", "code", "pre",
    "span", "blockquote", "ul", "ol", "li", "table", "thead", "tbody", "tr", "th", "td", "sup", "section",
}  # fmt: skip
_ATTRIBUTES = {
    "a": {"href", "id", "class"},
    "img": {"src", "alt", "title"},
    "code": {"class"},
    "span": {"class"},
    "pre": {"class"},
    "ol": {"start", "class"},
    "li": {"id", "class"},
    "sup": {"class"},
    "section": {"class"},
    "hr": {"class"},
    "th": {"style"},
    "td": {"style"},
}
# An excerpt is the writing: headings, code, tables and footnote marks are
# left out; a paragraph or list item is a block of its own, so two never run
# together into one sentence.
_LEFT_OUT = re.compile(r"<(h[1-6]|pre|table)\b.*?</\1>|<sup class=\"footnote-ref\">.*?</sup>", re.S)
_BLOCK_END = re.compile(r"</(?:p|li)>")
_BLOCK = "\u2029"
_PRE = re.compile(r"<pre(?=[ >])")
_IMG = re.compile(r"<img(?=[ >/])")
_ENDS_A_PHRASE = tuple(".,;:!?…")
_ALIGN = re.compile(r"^text-align:(left|right|center)$")


def _link_allowed(url: str) -> bool:
    scheme = _SCHEME.match(url)
    return scheme is None or scheme[1].lower() in _SCHEMES


def _own_picture(url: str) -> bool:
    """One of the site's own pictures, named as blog.pictures names them; no other address on the site."""
    return pictures.picture_stem(url) is not None


def _highlight(code: str, lang: str, attrs: object) -> str:
    # "" lets markdown-it escape the code and wrap it in <pre><code> itself.
    return highlighting.highlight(code, lang)


@functools.cache
def _parser(*, linkify: bool) -> MarkdownIt:
    parser = MarkdownIt("commonmark", {"html": False, "linkify": linkify, "highlight": _highlight})
    parser.enable(["table", "strikethrough", *(["linkify"] if linkify else [])]).use(footnote_plugin)
    parser.validateLink = _link_allowed  # type: ignore[method-assign]  # markdown-it's documented hook
    return parser


def _keep(tag: str, attribute: str, value: str) -> str | None:
    if attribute == "src":
        return value if value.lower().startswith("https://") or _own_picture(value) else None
    if attribute == "class":
        return value if _CLASS_VALUE.match(value) else None
    if attribute == "style":
        return value if _ALIGN.match(value.replace(" ", "")) else None
    if attribute == "href":
        return value if _link_allowed(value) else None
    return value


@dataclass(frozen=True)
class Rendered:
    html: str
    excerpt: str
    words: int
    text: str  # The whole post without markup, for search.


MARKDOWN, HTML = "markdown", "html"


def render(text: str, *, markup: str = MARKDOWN) -> Rendered:
    """
    The safe HTML of a post's Markdown (or, for a post imported as HTML that
    Markdown could not say without loss, of its HTML), a plain-text excerpt
    and its length in words. The last few results are kept: a caller that
    must save inside a transaction it does not control (the admin's) renders
    first, and the save then finds the result ready instead of rendering
    under the lock.
    """
    return _render_kept(text, markup)


@functools.lru_cache(maxsize=4)
def _render_kept(text: str, markup: str) -> Rendered:
    return _render_html(xml_chars_only(text)) if markup == HTML else _render(text)


def _render(text: str) -> Rendered:
    # The linkify rule rescans the text before every "://" that is not a
    # link: 25,000 of them took a minute. Past LINKIFY_MAX_SCHEMES, bare URLs
    # stay text ([links](…) and <…> still work), and a 100,000-character post
    # renders in under a second whatever it holds.
    text = xml_chars_only(text)
    linkify = text.count("://") <= LINKIFY_MAX_SCHEMES
    with highlighting.budget():
        markup = _parser(linkify=linkify).render(text)
    return _render_html(markup)


def sanitize(html: str) -> str:
    """Only the tags and attributes the renderer makes, links and pictures it allows: for every post's HTML."""
    return nh3.clean(
        html,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        attribute_filter=_keep,
        url_schemes=_SCHEMES,
        link_rel="noopener nofollow",
    )


def _render_html(markup: str) -> Rendered:
    html = sanitize(markup)
    # A code block scrolls sideways; tabindex lets a keyboard scroll it too.
    html = _PRE.sub('<pre tabindex="0"', html)
    # A picture from elsewhere has no known size: fetched only when near the
    # screen, decoded off the main thread.
    html = _IMG.sub('<img loading="lazy" decoding="async"', html)
    text = _text(html)
    words = text.split()
    prose = _prose(html).split() or words
    excerpt = " ".join(prose[:EXCERPT_WORDS])
    if len(excerpt) > EXCERPT_MAX_LENGTH - 2:
        excerpt = excerpt[: EXCERPT_MAX_LENGTH - 2].rsplit(" ", 1)[0]
    if excerpt != " ".join(prose):
        excerpt += " …"
    return Rendered(html=html, excerpt=excerpt, words=len(words), text=" ".join(words))


def _prose(html: str) -> str:
    """The blocks of writing, one after another: "Intro: one · two · End."."""
    body = _BLOCK_END.sub(_BLOCK, _LEFT_OUT.sub(" ", html.split('<section class="footnotes">')[0]))
    prose = ""
    for block in _text(body).split(_BLOCK):
        block = " ".join(block.split())
        if block:
            prose += block if not prose else (" " if prose.endswith(_ENDS_A_PHRASE) else " · ") + block
    return prose


def plain_text(html: str) -> str:
    """The words of some HTML, without its tags."""
    return _text(html)


def _text(html: str) -> str:
    return unescape(nh3.clean(html, tags=set()))
