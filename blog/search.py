"""
Full-text search of what is public: SQLite's FTS5 on one box, PostgreSQL's
full-text search past it (the index: blog/migrations/0015_postsearch.py).
Ranked with the title above the text, with a highlighted snippet, a page
at a time.

The reader's words never reach the engine's query language: a query is cut
into words (letters and digits), each searched as a plain word, all of them
required, the last also as the start of a word. Quotes, `*`, `NEAR(`, `-`,
`OR`, `:` and the like are nobody's syntax here.
"""

import re
import unicodedata
from dataclasses import dataclass
from html import escape

from django.db import connection
from django.utils.safestring import SafeString, mark_safe

from blog.models import Post

QUERY_MAX_LENGTH = 200
TERMS_MAX = 12
PER_PAGE = 10
PAGES_MAX = 50
# The newest posts holding every word that are ranked: ranking every match
# of a word in most posts took a second at 100,000 posts on either engine;
# the newest thousand is more than the fifty pages a reader can page through.
CANDIDATES = 1_000
PREFIX_MIN_LENGTH = 3  # "t*" would merge every word starting with t: seconds at 100,000 posts.
# Snippet markers no post contains (private-use characters), replaced by
# <mark> once the snippet is escaped.
_START, _STOP = "\ue000", "\ue001"


class QueryRefused(ValueError):
    """A query the page answers with a message instead of results."""


@dataclass(frozen=True)
class Found:
    post: Post
    snippet: SafeString


@dataclass(frozen=True)
class SearchPage:
    query: str
    results: list[Found]
    number: int
    has_next: bool

    @property
    def first_number(self) -> int:
        return (self.number - 1) * PER_PAGE + 1


def search_terms(query: str) -> list[str]:
    """The words of a query, as the engine will be asked for them; QueryRefused when there is nothing to ask."""
    if len(query) > QUERY_MAX_LENGTH:
        raise QueryRefused(f"Please search for at most {QUERY_MAX_LENGTH} characters.")
    terms = _words(unicodedata.normalize("NFC", query).lower())[:TERMS_MAX]
    if not terms:
        raise QueryRefused("Type a word to search for.")
    return terms


def _words(text: str) -> list[str]:
    """Runs of letters, digits and combining marks (Python's \\w leaves marks out: हिन्दी is one word)."""
    words, word = [], []
    for char in text:
        if char.isalnum() or unicodedata.category(char).startswith("M"):
            word.append(char)
        elif word:
            words.append("".join(word))
            word = []
    return [*words, "".join(word)] if word else words


def posts_search(*, query: str, page: int = 1) -> SearchPage:
    """One page of the published posts matching every word of `query`, best first."""
    terms = search_terms(query)
    page = min(max(page, 1), PAGES_MAX)
    public_sql, public_params = Post.objects.published().order_by().values("pk").query.sql_with_params()
    if re.search(r" (ORDER BY|GROUP BY|LIMIT) ", public_sql):  # A condition is appended to it below.
        raise RuntimeError(f"published() is no longer a plain filter: {public_sql}")
    run = _sqlite if connection.vendor == "sqlite" else _postgresql
    rows = run(terms, public_sql, list(public_params), offset=(page - 1) * PER_PAGE, limit=PER_PAGE + 1)
    # Asked again: a post unpublished between the two queries is not shown.
    posts = Post.objects.published().select_related("author").in_bulk([pk for pk, _ in rows])
    results = [Found(posts[pk], _highlighted(snippet)) for pk, snippet in rows[:PER_PAGE] if pk in posts]
    return SearchPage(query=query, results=results, number=page, has_next=len(rows) > PER_PAGE and page < PAGES_MAX)


def _sqlite(terms: list[str], public_sql: str, public_params: list, *, offset: int, limit: int) -> list[tuple]:
    # Each word a quoted FTS5 string (a word has no quote in it); the last
    # also as a prefix, so a query typed halfway finds.
    last = f'("{terms[-1]}" OR "{terms[-1]}"*)' if len(terms[-1]) >= PREFIX_MIN_LENGTH else f'"{terms[-1]}"'
    match = " AND ".join([*(f'"{term}"' for term in terms[:-1]), last])
    with connection.cursor() as cursor:
        # The page's posts first, then snippets of those alone. "+rowid" is a
        # plain filter: given to FTS5 as a constraint, a list of rowids made
        # it search once per rowid. Whether a match is public is asked of
        # each candidate (EXISTS), not by listing every public post.
        # The candidates are public ones: hidden posts never push a public one out.
        cursor.execute(
            "SELECT rowid FROM blog_postsearch_fts WHERE blog_postsearch_fts MATCH %s AND +rowid IN ("
            " SELECT rowid FROM blog_postsearch_fts WHERE blog_postsearch_fts MATCH %s"
            f' AND EXISTS ({public_sql} AND "blog_post"."id" = blog_postsearch_fts.rowid) ORDER BY rowid DESC LIMIT %s)'
            " ORDER BY bm25(blog_postsearch_fts, 10.0, 1.0) LIMIT %s OFFSET %s",
            [match, match, *public_params, CANDIDATES, limit, offset],
        )
        ranked = [pk for (pk,) in cursor.fetchall()]
        if not ranked:
            return []
        # A range FTS5 seeks to, then a plain filter ("rowid IN" would run
        # the whole match again for each rowid).
        cursor.execute(
            "SELECT rowid, snippet(blog_postsearch_fts, 1, %s, %s, '…', 24) FROM blog_postsearch_fts"
            " WHERE blog_postsearch_fts MATCH %s AND rowid BETWEEN %s AND %s"
            f" AND +rowid IN ({', '.join(['%s'] * len(ranked))})",
            [_START, _STOP, match, min(ranked), max(ranked), *ranked],
        )
        snippets = dict(cursor.fetchall())
    return [(pk, snippets.get(pk, "")) for pk in ranked]


def _postgresql(terms: list[str], public_sql: str, public_params: list, *, offset: int, limit: int) -> list[tuple]:
    # plainto_tsquery reads plain words only: no operator can come through.
    # The last word also as a prefix: a tsquery literal of letters and digits
    # (quoted, and a word has no quote in it) followed by :*.
    query, params = "plainto_tsquery('english', %s)", [terms[-1]]
    if len(terms[-1]) >= PREFIX_MIN_LENGTH:
        query, params = f"({query} || to_tsquery('simple', %s))", [*params, f"'{terms[-1]}':*"]
    if len(terms) > 1:
        query, params = f"(plainto_tsquery('english', %s) && {query})", [" ".join(terms[:-1]), *params]
    # The newest candidates, then the page of them, then headlines of that page alone.
    options = f"StartSel={_START}, StopSel={_STOP}, MaxWords=30, MinWords=12, MaxFragments=1"
    sql = (
        f"WITH w AS (SELECT {query} AS q), candidates AS MATERIALIZED ("
        " SELECT s.post_id, s.document FROM blog_postsearch s, w WHERE s.document @@ w.q"
        f' AND EXISTS ({public_sql} AND "blog_post"."id" = s.post_id)'
        " ORDER BY s.post_id DESC LIMIT %s"
        "), top AS ("
        " SELECT c.post_id, ts_rank(c.document, w.q) AS rank FROM candidates c, w"
        " ORDER BY rank DESC, c.post_id DESC LIMIT %s OFFSET %s"
        ") SELECT s.post_id, ts_headline('english', s.body, w.q, %s) FROM top"
        " JOIN blog_postsearch s ON s.post_id = top.post_id, w ORDER BY top.rank DESC, s.post_id DESC"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *public_params, CANDIDATES, limit, offset, options])
        return cursor.fetchall()


def _highlighted(snippet: str) -> SafeString:
    return mark_safe(escape(snippet).replace(_START, "<mark>").replace(_STOP, "</mark>"))
