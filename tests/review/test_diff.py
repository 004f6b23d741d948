"""The review diff compares the text a reader sees, escapes everything, and stays bounded on huge answers."""

from __future__ import annotations

from app.review.diff import BLOCK_TOKEN_CAP, plain_text, word_diff


def test_markdown_syntax_is_not_diffed() -> None:
    left = "# Plan\n\nUse **URI** versioning.\n\n```python\nget('/v1')\n```"
    right = "# Plan\n\nUse **header** versioning.\n\n```python\nget('/v2')\n```"
    assert plain_text(left) == "Plan\n\nUse URI versioning.\n\nget('/v1')"
    html = str(word_diff(left, right))
    assert "<del>URI</del><ins>header</ins>" in html
    assert "<del>v1</del><ins>v2</ins>" in html
    assert "**" not in html
    assert "```" not in html


def test_text_is_escaped() -> None:
    html = str(word_diff("a <script>x</script>", "a <b>y</b>"))
    assert "<script>" not in html
    assert "<b>" not in html


def test_a_huge_changed_block_is_shown_whole_instead_of_matched_word_by_word() -> None:
    words = BLOCK_TOKEN_CAP
    left = " ".join(f"w{i}" for i in range(words))
    right = " ".join(f"v{i}" for i in range(words))
    html = str(word_diff(left, right))
    assert html.count("<del>") == 1
    assert html.count("<ins>") == 1
