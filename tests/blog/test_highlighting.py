"""Code highlighting: only offered languages, within a time budget per post, never at the cost of the code."""

import json
import re
from html import unescape
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from pygments.lexers import get_all_lexers

from bench.lexers import repeat
from blog import highlighting, rendering
from blog.models.posts import CONTENT_MAX_LENGTH
from blog.rendering import render
from site.text import xml_chars_only

WORST = json.loads((Path(__file__).parent / "data" / "worst_code.json").read_text())
FENCE = "`" * 8
OFFERED_ALIASES = sorted(
    {alias for _name, aliases, _files, _mimes in get_all_lexers() for alias in aliases[:1]} - {None},
    key=str,
)
OFFERED_ALIASES = [a for a in OFFERED_ALIASES if highlighting.lexer_class(a) is not None]
OFFERED = sorted({alias for alias in WORST} | {"python", "csharp", "javascript", "bash", "sql", "html"})


def _post(language: str, code: str) -> str:
    return f"{FENCE}{language}\n{code}\n{FENCE}\n"


def _code_text(html: str) -> str:
    """What a reader sees in the page's code blocks."""
    blocks = re.findall(r'<pre tabindex="0"><code[^>]*>(.*?)</code></pre>', html, re.S)
    return "".join(unescape(re.sub(r"<[^>]+>", "", block)) for block in blocks)


def test_a_known_language_is_highlighted():
    html = render(_post("python", "def f(x):\n    return x + 1")).html
    assert '<span class="k">def</span>' in html


@pytest.mark.parametrize("language", ["brainfuck", "cobol", "unknown-thing", "../../etc/passwd"])
def test_languages_not_offered_are_plain_code(language):
    html = render(_post(language, "x = 1 <b>")).html
    assert '<span class="' not in html and _code_text(html) == "x = 1 <b>\n" and "&lt;b&gt;" in html


@pytest.mark.slow
@pytest.mark.parametrize("language", sorted(WORST))
def test_the_slowest_code_found_for_each_lexer_falls_back_to_plain_code(language):
    # Each input lexes for seconds or minutes unbounded (bench/lexers.py found
    # and kept them); within the budget, the post renders with the block plain.
    code = repeat(WORST[language]["pattern"], CONTENT_MAX_LENGTH - 40)
    html = render(_post(language, code)).html
    assert '<span class="' not in html
    assert _code_text(html) == code + "\n"


def test_the_budget_is_shared_by_the_blocks_of_a_post(monkeypatch):
    first, second = _post("python", "def f(): pass"), _post("python", "def g(): pass")
    assert render(first + second).html.count('<span class="k">def</span>') == 2
    monkeypatch.setattr(highlighting, "HIGHLIGHT_SECONDS", 0.0)
    assert '<span class="' not in render(second + first).html  # Another text: render() keeps its last few results.


def test_a_line_too_long_for_linear_lexing_makes_its_block_plain():
    short = "x = 1\n" + "y" * highlighting.LINE_MAX_CHARACTERS
    assert '<span class="' in render(_post("python", short)).html
    html = render(_post("python", short + "y")).html
    assert '<span class="' not in html and _code_text(html) == short + "y\n"


def test_highlighting_outside_a_render_is_plain():
    assert highlighting.highlight("def f(): pass", "python") == ""  # No budget given: none to spend.


@settings(max_examples=150, deadline=None)
@given(
    language=st.sampled_from(OFFERED),
    code=st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc"), exclude_characters="`"), max_size=300)
    | st.lists(st.sampled_from(["\n", "\t", " ", "<", ">", "&", '"', "'", "\\", "${", "*/", "<!--"])).map("".join),
)
def test_any_code_in_any_offered_language_reaches_the_page_whole_and_escaped(language, code):
    html = render(_post(language, code)).html
    assert "<script" not in html.lower() and "<!--" not in html
    assert _code_text(html) == xml_chars_only(code) + "\n"  # Exactly the code, highlighted or not.


DELEGATING = st.sampled_from(
    [
        "```cobol\nMOVE A TO B.\n```\n",
        "~~~brainfuck\n+++[>+<-]\n~~~\n",
        "CREATE FUNCTION f() RETURNS int AS $$ +++[>+<-] $$ LANGUAGE brainfuck;\n",
        "HTTP/1.1 200 OK\nContent-Type: text/x-cobol\n\nMOVE A TO B.\n",
        '<script type="text/x-cobol">MOVE A</script><style>a{}</style>\n',
        ".. code-block:: cobol\n\n   MOVE A TO B.\n",
    ]
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    # Every offered language, and ones that were offered once and delegate by what the code says.
    alias=st.sampled_from([*OFFERED_ALIASES, "postgresql", "http"]),
    parts=st.lists(DELEGATING | st.text(max_size=20), max_size=4),
)
@example(alias="markdown", parts=["```cobol\nMOVE A TO B.\n```\n"])
@example(alias="postgresql", parts=["CREATE FUNCTION f() RETURNS int AS $$ +++ $$ LANGUAGE brainfuck;\n"])
@example(alias="http", parts=["HTTP/1.1 200 OK\nContent-Type: text/x-cobol\n\nMOVE A TO B.\n"])
def test_no_code_reaches_a_lexer_the_site_does_not_offer(alias, parts):
    # Some lexers hand part of the code to a lexer the code names (a fence's
    # language, `$$ LANGUAGE x`, a Content-Type): none offered may.
    from pygments.lexer import Lexer

    made, real_init = [], Lexer.__init__

    def spy(self, **options):
        made.append(type(self))
        real_init(self, **options)

    rendering._render_kept.cache_clear()  # Lex every time, a replayed example included.
    with mock.patch.object(Lexer, "__init__", spy):
        render(_post(alias, "".join(parts)))
    # Only offered lexers, and the helpers their own modules define (Makefile's base, PHP's HTML…).
    offered_modules = {cls.__module__ for cls in map(highlighting.lexer_class, OFFERED_ALIASES)}
    strangers = {cls.__name__ for cls in made if cls.__module__ not in offered_modules}
    assert not strangers
