"""
The slowest code blocks found for each lexer the renderer offers, and what the
highlighting budget makes of them (docs/benchmarks.md, "Rendering").

For each lexer: a fuzz search (random short patterns of syntax characters and
keywords, repeated to 2 KB, then mutated from the slowest so far; seeded, and
started from the inputs kept in tests/blog/data/worst_code.json) for the
pattern that takes longest to lex; then that pattern's unbounded lexing time
at 4 and 8 KB (capped), and the time to render a post holding it at the
largest size a post may have, through blog.rendering.render with its budget.

    .venv/bin/python -m bench.lexers                  # print the table
    .venv/bin/python -m bench.lexers --write-tests    # also keep the worst inputs as test inputs
"""

from __future__ import annotations

import argparse
import json
import random
import time
from pathlib import Path

import django

ROOT = Path(__file__).resolve().parent.parent
KEPT = ROOT / "tests" / "blog" / "data" / "worst_code.json"
PIECES = [*"a0_.,;:()[]{}<>\"'`\\/*#@$=+-!?&|^~% \n\t"] + [
    "if", "class ", "new ", "=>", "//", "/*", "*/", "<<", "${", '"""', 'r"', "0x", "1e", "void ", "fn ",
    "def ", "<a ", "</", "--", "{{", "{%", "\\\n", "@\"", "'''",
]  # fmt: skip
SEARCH_SIZE = 2_000
CAP_SECONDS = 5.0
KEEP_SECONDS = 3.0


def lex_seconds(lexer_cls, code: str, cap: float = CAP_SECONDS) -> float:
    """Unbounded lexing time, stopped (and reported as `cap`) past `cap`."""
    start = time.perf_counter()
    for _ in lexer_cls().get_tokens(code):
        if time.perf_counter() - start > cap:
            return cap
    return time.perf_counter() - start


def repeat(pattern: str, size: int) -> str:
    """`pattern` repeated to `size` characters, in lines as long as the renderer highlights."""
    from blog.highlighting import LINE_MAX_CHARACTERS

    lines = (pattern * (size // len(pattern) + 1))[:size].split("\n")
    return "\n".join(
        "\n".join(line[at : at + LINE_MAX_CHARACTERS] for at in range(0, len(line), LINE_MAX_CHARACTERS))
        for line in lines
    )


def search(lexer_cls, *, seconds: float, seed: int, start: list[str]) -> tuple[str, float]:
    """The slowest pattern found within `seconds`, with its time at SEARCH_SIZE."""
    rnd = random.Random(seed)
    found = [(lex_seconds(lexer_cls, repeat(p, SEARCH_SIZE), 2.0), p) for p in start]
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if found and rnd.random() < 0.6:
            pattern = rnd.choice(sorted(found, reverse=True)[:5])[1]
            at = rnd.randrange(len(pattern) + 1)
            match rnd.randrange(3):
                case 0:
                    pattern = pattern[:at] + rnd.choice(PIECES) + pattern[at:]
                case 1:
                    pattern = pattern[:at] + pattern[at + 1 :]
                case _:
                    pattern += rnd.choice(PIECES)
            pattern = pattern[:16] or "a"
        else:
            pattern = "".join(rnd.choice(PIECES) for _ in range(rnd.randint(1, 6)))
        found.append((lex_seconds(lexer_cls, repeat(pattern, SEARCH_SIZE), 2.0), pattern))
        found = sorted(found, reverse=True)[:20]
    best_seconds, best = max(found)
    return best, best_seconds


def run(*, seconds_per_lexer: float = 6.0, seed: int = 25) -> dict:
    from pygments.lexers import get_all_lexers

    from blog import highlighting
    from blog.models.posts import CONTENT_MAX_LENGTH
    from blog.rendering import render

    kept = json.loads(KEPT.read_text()) if KEPT.exists() else {}
    aliases = {}
    for _name, names, _files, _mimes in get_all_lexers():
        for alias in names[:1]:
            if (cls := highlighting.lexer_class(alias)) is not None:
                aliases[cls.__name__] = alias
    rows = {}
    for name in sorted(highlighting.LEXERS):
        alias = aliases[name]
        cls = highlighting.lexer_class(alias)
        start = [kept[alias]["pattern"]] if alias in kept else []
        pattern, at_search = search(cls, seconds=seconds_per_lexer, seed=seed, start=start)
        at_4k, at_8k = (lex_seconds(cls, repeat(pattern, n)) for n in (4_000, 8_000))
        fence = "`" * 8  # Longer than any run of backticks in the pattern.
        post = f"{fence}{alias}\n{repeat(pattern, CONTENT_MAX_LENGTH - 40)}\n{fence}\n"
        began = time.perf_counter()
        html = render(post).html
        rendered = time.perf_counter() - began
        rows[alias] = {
            "lexer": name,
            "pattern": pattern,
            "seconds_2k": round(at_search, 4),
            "seconds_4k": round(at_4k, 4),
            "seconds_8k": round(at_8k, 4),
            "capped": at_8k >= CAP_SECONDS,
            "render_max_post_seconds": round(rendered, 3),
            "fell_back": '<span class="' not in html,
        }
        print(alias, rows[alias], flush=True)
    return {
        "budget_seconds": highlighting.HIGHLIGHT_SECONDS,
        "seconds_per_lexer": seconds_per_lexer,
        "max_post_characters": CONTENT_MAX_LENGTH,
        "lexers": rows,
    }


def write_tests(result: dict) -> None:
    """
    Keep as test inputs the patterns that lex for at least KEEP_SECONDS
    unbounded at the largest size a post may have: far past the budget on
    any machine, so the test that asserts their fallback cannot pass by luck.
    """
    from blog import highlighting

    size = result["max_post_characters"] - 40
    kept = {}
    for alias, row in result["lexers"].items():
        cls = highlighting.lexer_class(alias)
        if lex_seconds(cls, repeat(row["pattern"], size), KEEP_SECONDS) >= KEEP_SECONDS:
            kept[alias] = {"pattern": row["pattern"], "seconds_8k": row["seconds_8k"]}
            print(alias, "kept", flush=True)
    KEPT.parent.mkdir(exist_ok=True)
    KEPT.write_text(json.dumps(kept, indent=1, ensure_ascii=False, sort_keys=True) + "\n")
    print(f"kept {len(kept)} worst inputs in {KEPT.relative_to(ROOT)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=6.0, help="search time per lexer")
    parser.add_argument("--write-tests", action="store_true", help=f"keep the worst inputs in {KEPT.name}")
    parser.add_argument("--json", type=Path, help="write the results to this file (bench.run reads it)")
    args = parser.parse_args()
    result = run(seconds_per_lexer=args.seconds)
    if args.json:
        args.json.write_text(json.dumps(result))
    if args.write_tests:
        write_tests(result)


if __name__ == "__main__":
    import os

    import site

    site.__path__ = [str(ROOT / "site")]  # As manage.py does: `site` is the project package.
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "site.settings")
    os.environ.setdefault("DJANGO_DEBUG", "1")
    django.setup()
    main()
