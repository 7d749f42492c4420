"""Another blog's HTML: safe, and Markdown only where the Markdown shows exactly the same."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from blog.importers.html import _tokens, post_body, wordpress_autop
from blog.rendering import HTML, render, sanitize


def test_simple_html_becomes_markdown():
    body, markup = post_body(
        '<h2>Title</h2><p>Hello <b>world</b> &amp; <a href="https://x.org/a_b">a link</a>.</p>'
        '<ul><li>one</li><li>two <em>x</em></li></ul><pre><code class="language-python">print(1)\n</code></pre>'
        '<blockquote><p>quoted</p></blockquote><p><img src="https://e.org/i.png" alt="a * b"></p>'
    )
    assert markup == "markdown"
    assert body == (
        "## Title\n\nHello **world** & [a link](https://x.org/a_b).\n\n- one\n- two *x*\n\n"
        "```python\nprint(1)\n```\n\n> quoted\n\n![a \\* b](https://e.org/i.png)\n"
    )


def test_text_that_looks_like_markdown_stays_text():
    body, markup = post_body("<p>1. not a list, *not emphasis*, [not](a link), # not a heading</p><p># no</p>")
    assert markup == "markdown"
    assert render(body).html.count("<p>") == 2 and "<em>" not in render(body).html and "<a" not in render(body).html


def test_what_markdown_cannot_say_stays_html():
    for html in ("<table><tr><td>x</td></tr></table>", "<ul><li><p>a</p><p>b</p></li></ul>", "<p>x<sup>2</sup></p>"):
        assert post_body(html)[1] == "html", html


def test_wordpress_paragraphs_and_captions():
    text = 'One\ntwo\n\n[caption id="1"]<img src="https://e.org/a.png" alt="A"> A cat[/caption]\n\n<pre>a\n\nb</pre>'
    assert wordpress_autop(text) == (
        '<p>One<br>\ntwo</p>\n<p><img src="https://e.org/a.png" alt="A"> A cat</p>\n<pre>a\n\nb</pre>'
    )


_PIECES = st.sampled_from(
    [
        "<p>", "</p>", "<b>", "</b>", "<em>", "</em>", "<a href='https://x.org/(1)'>", "<a href=javascript:x>", "</a>",
        "<ul><li>", "</li><li>", "</li></ul>", "<pre><code>", "</code></pre>", "<code>", "</code>", "<br>", "<hr>",
        "<h3>", "</h3>", "<blockquote>", "</blockquote>", "<img src='https://e.org/i.png' alt='x*y'>", "<script>",
        "</script>", "<table><tr><td>", "</td></tr></table>", "<span>", "</span>", "\n", "\n\n", " ", "*", "_", "`",
        "#", "1.", "-", ">", "[", "]", "(", ")", "&amp;", "&lt;", "\\", "~~", "|", "!", "word", "ünï", "🙂",
        "http://bare.example", "<p onclick=x>",
    ]
)  # fmt: skip


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_PIECES, max_size=30).map("".join))
def test_whatever_is_stored_shows_what_the_safe_original_shows(html):
    body, markup = post_body(html)
    shown = render(body, markup=markup).html
    assert _tokens(shown) == _tokens(
        render(sanitize(html.replace("<b>", "<strong>").replace("</b>", "</strong>")), markup=HTML).html
    )
    assert "<script" not in shown and "javascript:" not in shown and "onclick" not in shown


def test_spaces_a_reader_sees_are_never_lost():
    # Inline code keeps its spaces, and a paragraph its leading no-break spaces:
    # Markdown would drop both, so those stay HTML rather than lose them.
    for html in ("<p><code> a </code></p>", "<p>\u00a0\u00a0Indented</p>"):
        body, markup = post_body(html)
        assert _tokens(render(body, markup=markup).html) == _tokens(render(sanitize(html), markup=HTML).html)
    assert post_body("<p><code> a </code></p>")[1] == "html"
    assert post_body("<p>a <em>b</em> c</p>") == ("a *b* c\n", "markdown")
    assert post_body("<pre><code>x = 1</code></pre>")[1] == "markdown"  # A final line break is no difference.
