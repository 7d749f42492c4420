"""
A post's HTML from another blog, made safe by the posts' own sanitiser and
turned into Markdown where that loses nothing: the Markdown is rendered back
and must give the same HTML as the sanitised original, tag for tag and word
for word. Where it does not (a table, a footnote, a list of paragraphs),
the post keeps its safe HTML instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

from blog.importers.items import ItemUnreadable
from blog.rendering import HTML, MARKDOWN, render, sanitize

# WordPress's classic editor stores text with blank lines for paragraphs and
# adds the <p>s when it shows the post (wpautop); these start a block of their own.
_BLOCK = (
    "address|article|aside|blockquote|details|div|dl|fieldset|figcaption|figure|footer|form|h[1-6]|header|"
    "hr|li|menu|nav|ol|p|pre|section|table|tbody|td|tfoot|th|thead|tr|ul"
)
_STARTS_BLOCK = re.compile(rf"^</?(?:{_BLOCK})\b", re.I)
_CAPTION = re.compile(r"\[/?caption\b[^\]\[]{0,2000}\]", re.I)
# Old tags with a kept equivalent: <b> is <strong> to every reader.
_RENAME = {"b": "strong", "i": "em", "strike": "del", "tt": "code"}
_RENAMED = re.compile(r"<(/?)(b|i|strike|tt)(?=[\s>/])", re.I)
# HTML's own spaces: a no-break space (or any other) is a character to keep.
_WHITESPACE = re.compile(r"[ \t\n\r\f]+")
# A post may be 100,000 characters; HTML some times that is no post, and is
# refused before any work is spent on it.
HTML_MAX_LENGTH = 1_000_000
_HTML_SPACES = " \t\n\r\f"
_BLOCK_TAGS = frozenset(
    "root p h1 h2 h3 h4 h5 h6 li ul ol blockquote pre table thead tbody tr td th hr br section".split()
)
# Added by the renderer to every post's HTML alike, so never a difference.
_ADDED = {"loading", "decoding", "tabindex", "rel"}


def wordpress_autop(text: str) -> str:
    """Paragraphs and line breaks as WordPress shows a classic-editor post (its block posts have their own tags)."""
    if "<!-- wp:" in text:
        return text
    _length_check(text)
    text, kept = _pre_blocks_kept(_CAPTION.sub("", text.replace("\r\n", "\n").replace("\x00", "")))
    blocks = []
    for chunk in re.split(r"\n\s*\n", text):
        chunk = chunk.strip()
        if not chunk:
            continue
        if chunk.startswith("\x00"):
            blocks.append(kept[int(chunk.strip("\x00"))])
        elif _STARTS_BLOCK.match(chunk):
            blocks.append(chunk)
        else:
            blocks.append("<p>" + chunk.replace("\n", "<br>\n") + "</p>")
    return "\n".join(blocks)


def _pre_blocks_kept(text: str) -> tuple[str, list[str]]:
    """Each <pre>…</pre> set aside (its blank lines are no paragraphs), found in one pass: no regex backtracking."""
    lower, out, kept, at = text.lower(), [], [], 0
    while (start := lower.find("<pre", at)) != -1 and (end := lower.find("</pre>", start)) != -1:
        out.append(text[at:start])
        kept.append(text[start : end + 6])
        out.append(f"\n\n\x00{len(kept) - 1}\x00\n\n")
        at = end + 6
    out.append(text[at:])
    return "".join(out), kept


def _length_check(html: str) -> None:
    if len(html) > HTML_MAX_LENGTH:
        raise ItemUnreadable(f"its text is {len(html):,} characters, far more than a post can be")


def post_body(html: str) -> tuple[str, str]:
    """The body and markup to store for a post's HTML: (Markdown, MARKDOWN) when lossless, else (safe HTML, HTML)."""
    _length_check(html)
    clean = sanitize(_RENAMED.sub(lambda m: f"<{m[1]}{_RENAME[m[2].lower()]}", html)).strip()
    markdown = markdown_of(clean)
    if markdown is not None and _same(render(markdown).html, render(clean, markup=HTML).html):
        return markdown, MARKDOWN
    return clean, HTML


# ---------------------------------------------------------------- the tree


@dataclass
class _Node:
    tag: str
    attrs: dict[str, str] = field(default_factory=dict)
    children: list[_Node | str] = field(default_factory=list)


class _TreeBuilder(HTMLParser):
    _VOID = frozenset({"br", "hr", "img"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = _Node("root")
        self._open = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = _Node(tag, {name: value or "" for name, value in attrs})
        self._open[-1].children.append(node)
        if tag not in self._VOID:
            self._open.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._open[-1].children.append(_Node(tag, {name: value or "" for name, value in attrs}))

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self._open) - 1, 0, -1):
            if self._open[depth].tag == tag:
                del self._open[depth:]
                return

    def handle_data(self, data: str) -> None:
        self._open[-1].children.append(data)


def _tree(html: str) -> _Node:
    builder = _TreeBuilder()
    builder.feed(html)
    builder.close()
    return builder.root


def _tokens(html: str) -> list[tuple[str, ...]]:
    """What a reader sees of some HTML: tags with their attributes and the words, spacing aside (but in <pre>)."""
    out: list[tuple[str, ...]] = []

    def walk(node: _Node, pre: bool) -> None:
        for child in node.children:
            if isinstance(child, str):
                kind, text = ("code", child) if pre else ("text", _WHITESPACE.sub(" ", child))
                if out and out[-1][0] == kind:
                    out[-1] = (kind, out[-1][1] + text)
                else:
                    out.append((kind, text))
                continue
            if pre and child.tag == "span":  # Highlighting, which the renderer adds to code by itself.
                walk(child, pre)
                continue
            attrs = {k: v for k, v in child.attrs.items() if k not in _ADDED}
            if child.tag == "img":
                attrs.setdefault("alt", "")
            out.append(("open", child.tag, repr(sorted(attrs.items()))))
            walk(child, pre or child.tag == "pre")
            out.append(("close", child.tag))

    walk(_tree(html), False)
    trimmed = [_edges_trimmed(out, n) for n in range(len(out))]
    return [token for token in trimmed if token not in (("text", ""), ("code", ""))]


def _at_block_edge(token: tuple[str, ...] | None) -> bool:
    return token is None or (token[0] in ("open", "close") and token[1] in _BLOCK_TAGS)


def _edges_trimmed(tokens: list[tuple[str, ...]], n: int) -> tuple[str, ...]:
    """
    HTML's spaces at the edges of a block are no difference a reader sees;
    inside a line they are (a space before a link), and so is a no-break
    space anywhere. Code keeps its spaces, and only its final line breaks go.
    """
    kind, text = tokens[n][0], tokens[n][1]
    before, after = tokens[n - 1] if n else None, tokens[n + 1] if n + 1 < len(tokens) else None
    if kind == "code":
        return (kind, text.rstrip("\n")) if after is not None and after[0] == "close" else tokens[n]
    if kind != "text":
        return tokens[n]
    if _at_block_edge(before):
        text = text.lstrip(_HTML_SPACES)
    if _at_block_edge(after):
        text = text.rstrip(_HTML_SPACES)
    return (kind, text)


def _same(one: str, other: str) -> bool:
    try:
        return _tokens(one) == _tokens(other)
    except RecursionError:  # Nested past what this compares: kept as HTML.
        return False


# --------------------------------------------------------- Markdown writer


class _NotMarkdown(Exception):
    """Something Markdown cannot say as it is: the post keeps its HTML."""


# What would be markup if written as it is: emphasis, links, code, an
# entity, a picture's "![" (the check after writing catches what slips by).
_ESCAPE = re.compile(r"([\\`*_\[\]<~]|&(?=#?\w+;)|!(?=\[))")
_LINE_START = re.compile(r"^(\s*)(\d*)([-+=>#]|(?<=\d)[.)])")


def markdown_of(html: str) -> str | None:
    """Markdown for sanitised HTML, or None where this writer knows it could not be the same."""
    try:
        return "\n\n".join(_blocks(_tree(html).children)).strip() + "\n"
    except (_NotMarkdown, RecursionError):
        return None


def _blocks(children: list[_Node | str]) -> list[str]:
    blocks = []
    for child in children:
        if isinstance(child, str):
            if child.strip():
                raise _NotMarkdown("text outside a paragraph")
            continue
        blocks.append(_block(child))
    return blocks


def _block(node: _Node) -> str:
    tag = node.tag
    if tag == "p":
        return _LINE_START.sub(lambda m: f"{m[1]}{m[2]}\\{m[3]}", _inline(node.children).strip())
    if re.fullmatch(r"h[1-6]", tag):
        return "#" * int(tag[1]) + " " + _inline(node.children).strip()
    if tag == "hr":
        return "---"
    if tag == "blockquote":
        inner = "\n\n".join(_blocks(node.children))
        return "\n".join(f"> {line}".rstrip() for line in inner.split("\n"))
    if tag in ("ul", "ol"):
        return _list(node)
    if tag == "pre":
        return _code_block(node)
    raise _NotMarkdown(tag)


def _list(node: _Node) -> str:
    start_text = node.attrs.get("start") or "1"
    if node.tag == "ol" and not (start_text.isascii() and start_text.isdigit() and len(start_text) <= 9):
        raise _NotMarkdown("a list numbered from something Markdown cannot say")
    start = int(start_text) if node.tag == "ol" else 0
    lines = []
    for number, item in enumerate(n for n in node.children if isinstance(n, _Node)):
        if item.tag != "li" or item.attrs:
            raise _NotMarkdown("a list holds something other than plain items")
        marker = f"{start + number}. " if node.tag == "ol" else "- "
        inline = [c for c in item.children if isinstance(c, str) or c.tag not in ("ul", "ol")]
        nested = [c for c in item.children if isinstance(c, _Node) and c.tag in ("ul", "ol")]
        if nested and item.children[-len(nested) :] != nested:
            raise _NotMarkdown("text after a nested list")
        text = _inline(inline).strip()
        lines.append(marker + text)
        for sub in nested:
            lines.extend(" " * len(marker) + line for line in _list(sub).split("\n"))
    return "\n".join(lines)


def _code_block(node: _Node) -> str:
    code = node.children[0] if len(node.children) == 1 else None
    if node.attrs or not isinstance(code, _Node) or code.tag != "code":
        raise _NotMarkdown("a <pre> that is not one block of code")
    if not all(isinstance(c, str) for c in code.children):
        raise _NotMarkdown("marked-up code")
    text = "".join(c for c in code.children if isinstance(c, str))
    language = code.attrs.get("class", "").removeprefix("language-")
    if set(code.attrs) - {"class"} or " " in language:
        raise _NotMarkdown("code with attributes")
    fence = "`" * max([3, *(len(run) + 1 for run in re.findall(r"`+", text))])
    return f"{fence}{language}\n{text.rstrip(chr(10))}\n{fence}"


def _inline(children: list[_Node | str]) -> str:
    text = "".join(_ESCAPE.sub(r"\\\1", _WHITESPACE.sub(" ", c)) if isinstance(c, str) else _span(c) for c in children)
    return text.replace("\\\n ", "\\\n")


def _wrap(mark: str, node: _Node) -> str:
    inner = _inline(node.children)
    if not inner.strip() or inner != inner.strip():
        raise _NotMarkdown("emphasis at a space")
    return f"{mark}{inner}{mark}"


def _span(node: _Node) -> str:
    tag, attrs = node.tag, node.attrs
    if tag in ("em", "strong", "del", "s") and not attrs:
        return _wrap({"em": "*", "strong": "**", "del": "~~", "s": "~~"}[tag], node)
    if tag == "code" and not attrs and all(isinstance(c, str) for c in node.children):
        text = "".join(c for c in node.children if isinstance(c, str))
        ticks = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
        pad = " " if text.startswith("`") or text.endswith("`") else ""
        return f"{ticks}{pad}{text}{pad}{ticks}"
    if tag == "br":
        return "\\\n"
    if tag == "a" and set(attrs) <= {"href", "rel"} and "href" in attrs:
        return f"[{_inline(node.children)}]({_destination(attrs['href'])})"
    if tag == "img" and set(attrs) <= {"src", "alt", "title", "loading", "decoding"} and "src" in attrs:
        title = attrs.get("title")
        quoted = ' "' + title.replace('"', '\\"') + '"' if title else ""
        alt = _ESCAPE.sub(r"\\\1", attrs.get("alt", ""))
        return f"![{alt}]({_destination(attrs['src'])}{quoted})"
    raise _NotMarkdown(tag)


def _destination(url: str) -> str:
    if re.search(r"[\s<>()\\]", url):
        if re.search(r"[<>\n\\]", url):
            raise _NotMarkdown("an address Markdown cannot hold")
        return f"<{url}>"
    return url
