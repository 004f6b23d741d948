"""HTML to Markdown (`_html.html_to_markdown`) for the answers Google Takeout keeps as HTML."""

from __future__ import annotations

import pytest

from app.conversations.importers._html import html_to_markdown


@pytest.mark.parametrize(
    ("html", "markdown"),
    [
        ("<p>One.</p>\n<p>Two.</p>", "One.\n\nTwo."),
        ("Line one<br>Line two<br/>  and three", "Line one\nLine two\nand three"),
        (
            "<h1>Title</h1><h3>Sub  <em>title</em></h3><h6>Small</h6>",
            "# Title\n\n### Sub *title*\n\n###### Small",
        ),
        (
            "<p><strong>bold</strong>, <b>also</b>, <em>it</em> and <i>al</i></p>",
            "**bold**, **also**, *it* and *al*",
        ),
        ("<p>a<strong> spaced </strong>b</p>", "a **spaced** b"),
        ("<p>Run <code>ls -la</code> now</p>", "Run `ls -la` now"),
        ("<p><code>a `tick`</code></p>", "`` a `tick` ``"),
        ("&lt;div&gt; &amp; &quot;quotes&quot; &#39;x&#39; &eacute;", "<div> & \"quotes\" 'x' é"),
        ("<hr>", "---"),
        ("<p>Hello <span class='x'>world</span><sup>1</sup> <u>under</u></p>", "Hello world1 under"),
        ("<p>x</p><script>alert(1)</script><style>p{}</style>", "x"),
        ("<img src='a.png' alt='a diagram'>", "a diagram"),
        ("", ""),
        ("   \n  ", ""),
    ],
)
def test_inline_and_simple_blocks(html: str, markdown: str) -> None:
    assert html_to_markdown(html) == markdown


def test_code_blocks_keep_their_language_and_whitespace() -> None:
    html = (
        '<pre><code class="language-python">def f(x):\n    return x &lt; 2\n</code></pre>'
        "<pre>\nplain\n\n  indented</pre>"
        '<pre class="lang-sh"><code>echo ```</code></pre>'
    )
    assert html_to_markdown(html) == (
        "```python\ndef f(x):\n    return x < 2\n```\n\n"
        "```\nplain\n\n  indented\n```\n\n"
        "````sh\necho ```\n````"
    )


def test_lists_nest_under_their_items() -> None:
    html = (
        "<ul>\n<li><p><strong>Install</strong> it:</p>\n<ol><li>download</li><li>run <code>setup</code></li></ol></li>\n"
        "<li>Done</li>\n</ul>"
        '<ol start="4"><li>four</li><li>five<ul><li>deep<ul><li>deeper</li></ul></li></ul></li></ol>'
    )
    assert html_to_markdown(html) == (
        "- **Install** it:\n  1. download\n  2. run `setup`\n- Done\n\n"
        "4. four\n5. five\n   - deep\n     - deeper"
    )


def test_a_list_right_inside_a_list_belongs_to_the_item_before() -> None:
    assert html_to_markdown("<ul><li>a</li><ul><li>b</li></ul><li>c</li></ul>") == "- a\n  - b\n- c"


def test_blockquotes_are_quoted_line_by_line() -> None:
    html = "<blockquote><p>first</p><p>second<br>line</p></blockquote><p>after</p>"
    assert html_to_markdown(html) == "> first\n>\n> second\n> line\n\nafter"


def test_links_keep_their_url_only_when_it_differs() -> None:
    html = (
        '<p><a href="https://example.org/docs">the docs</a>, <a href="https://x.org">https://x.org</a>, '
        '<a href="https://y.org"></a>, <a>no href</a>, <a href="javascript:alert(1)">click</a></p>'
    )
    assert html_to_markdown(html) == (
        "the docs (https://example.org/docs), https://x.org, https://y.org, no href, click"
    )


def test_tables_become_markdown_tables() -> None:
    html = (
        "<table><caption>Sizes</caption><thead><tr><th>Name</th><th>Size</th></tr></thead>"
        "<tbody><tr><td>a | b</td><td><p>1</p><p>MB</p></td></tr><tr><td><code>c</code></td></tr></tbody></table>"
    )
    assert html_to_markdown(html) == (
        "Sizes\n\n| Name | Size |\n| --- | --- |\n| a \\| b | 1 MB |\n| `c` |  |"
    )
    # Without a header row the first row is the header.
    assert html_to_markdown("<table><tr><td>1</td><td>2</td></tr></table>") == "| 1 | 2 |\n| --- | --- |"


def test_unknown_and_unclosed_tags_keep_their_text() -> None:
    assert html_to_markdown("<div><custom-card>Card <b>text</b></custom-card></div>") == "Card **text**"
    assert html_to_markdown("<p>open <strong>bold") == "open **bold**"
    assert html_to_markdown("<p>stray</em> end</p>") == "stray end"
    assert html_to_markdown("<span>inline <div>block</div> after</span>") == "inline\nblock\nafter"


def test_items_rows_cells_and_paragraphs_close_as_in_html() -> None:
    assert html_to_markdown("<ul><li>a<li>b<ul><li>c<li>d</ul><li>e</ul>") == "- a\n- b\n  - c\n  - d\n- e"
    html = "<table><tr><th>k<th>v<tr><td>1<td>2</table>"
    assert html_to_markdown(html) == "| k | v |\n| --- | --- |\n| 1 | 2 |"
    assert html_to_markdown("<p>one<p>two<ul><li>x</ul>") == "one\n\ntwo\n\n- x"


def test_deep_nesting_is_flattened_not_a_recursion_error() -> None:
    html = "<div><span><b>" * 2000 + "deep" + "</b></span></div>" * 2000
    assert "deep" in html_to_markdown(html)
    assert html_to_markdown("<ul><li>" * 3000 + "x").endswith("x")
