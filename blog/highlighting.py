"""
Code blocks highlighted by Pygments, within a time budget per post.

Some lexers take time that grows faster than the code: a few kilobytes of
the right C# took seconds (n^2), and a post of 100,000 characters could take
minutes of a web worker. So only the languages below are offered, and a post
gets HIGHLIGHT_SECONDS of highlighting in all: lexing stops as soon as the
budget is spent (checked between tokens, and one token's step stays in the
milliseconds even for the worst inputs found), and that block and every later
one show as plain escaped code, as for a language the site does not know.
Some lexers are also super-linear within one token on a long line (one
token of a 100 KB line took 30 s), where a check between tokens cannot help:
a block with a line longer than LINE_MAX_CHARACTERS (minified code, a data
dump) is shown plain too. `make bench` searches each offered lexer for its slowest inputs and reports
them (docs/benchmarks.md, "Rendering"); tests/blog/data/worst_code.json keeps
them as test inputs.
"""

from __future__ import annotations

import contextlib
import functools
import time
from collections.abc import Iterator
from contextvars import ContextVar

from pygments import format as tokens_format
from pygments.formatters import HtmlFormatter
from pygments.lexer import Lexer
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

HIGHLIGHT_SECONDS = 0.3
LINE_MAX_CHARACTERS = 1_000

# By Pygments class: every alias of one of these works (py, js, sh, c++, yml…).
# None hands the code to a lexer the code names: PostgreSQL's (`$$ LANGUAGE
# x`) and HTTP's (a Content-Type) would, so they are not offered, and
# Markdown's nested fences stay plain (DELEGATION_OFF).
LEXERS = frozenset(
    {
        "ApacheConfLexer", "AwkLexer", "BashLexer", "BashSessionLexer", "CLexer", "CMakeLexer", "CSharpLexer",
        "ClojureLexer", "CppLexer", "CssLexer", "DartLexer", "DiffLexer", "DjangoLexer", "DockerLexer",
        "ElixirLexer", "ElmLexer", "ErlangLexer", "FSharpLexer", "GoLexer", "GraphQLLexer", "GroovyLexer",
        "HaskellLexer", "HtmlLexer", "IniLexer", "JavaLexer", "JavascriptLexer", "JsonLexer",
        "JsxLexer", "JuliaLexer", "KotlinLexer", "LuaLexer", "MakefileLexer", "MarkdownLexer", "NginxConfLexer",
        "NixLexer", "ObjectiveCLexer", "OcamlLexer", "PerlLexer", "PhpLexer", "PowerShellLexer",
        "PropertiesLexer", "ProtoBufLexer", "PythonConsoleLexer", "PythonLexer", "RubyLexer", "RustLexer",
        "SLexer", "ScalaLexer", "ScssLexer", "SqlLexer", "SwiftLexer", "SystemdLexer", "TOMLLexer",
        "TerraformLexer", "TexLexer", "TsxLexer", "TypeScriptLexer", "VimLexer", "XmlLexer", "YamlLexer",
        "ZigLexer",
    }
)  # fmt: skip

DELEGATION_OFF = {"MarkdownLexer": {"handlecodeblocks": False}}

_deadline: ContextVar[float] = ContextVar("highlight_deadline", default=0.0)
_FORMATTER = HtmlFormatter(nowrap=True)


@functools.lru_cache(maxsize=512)
def lexer_class(name: str) -> type[Lexer] | None:
    """The offered lexer a code fence's language names, or None."""
    try:
        found = type(get_lexer_by_name(name))
    except ClassNotFound:
        return None
    return found if found.__name__ in LEXERS else None


@contextlib.contextmanager
def budget(seconds: float | None = None) -> Iterator[None]:
    """Highlighting inside this block shares `seconds` (HIGHLIGHT_SECONDS) of time."""
    token = _deadline.set(time.monotonic() + (HIGHLIGHT_SECONDS if seconds is None else seconds))
    try:
        yield
    finally:
        _deadline.reset(token)


def highlightable(code: str) -> bool:
    """Whether `code` is within the lines a lexer takes in linear time per token."""
    return all(len(line) <= LINE_MAX_CHARACTERS for line in code.split("\n"))


def highlight(code: str, language: str) -> str:
    """
    The highlighted HTML of `code` (without the <pre><code> around it), or ""
    for plain code: an unknown language, or the budget spent.
    """
    found = lexer_class(language.split()[0]) if language.strip() else None
    if found is None or not highlightable(code):
        return ""
    deadline = _deadline.get()
    tokens = []
    options = {"stripnl": False, **DELEGATION_OFF.get(found.__name__, {})}  # The code as written, blank lines too.
    for token in found(**options).get_tokens(code):
        if time.monotonic() > deadline:
            return ""
        tokens.append(token)
    return tokens_format(tokens, _FORMATTER)
