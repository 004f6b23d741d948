"""A pair's content key (app.pairs.findings): the same for texts that differ only in whitespace, different
for texts that differ in anything else, and stable across releases (stored keys link re-imported pairs)."""

from __future__ import annotations

import hashlib

import pytest

from app.pairs.findings import content_key

UNICODE = "Ünïcode\u00a0text\u2003with\u2028breaks\u3000and  runs\n\n"  # str.split()'s Unicode spaces
CODE = "def main():\n\tif ready:\n        run(  1,\t2 )\r\n\n\n    return  None  \x1c\x1f\x0b\x0c"


class TestContentKey:
    def test_known_keys_never_change(self) -> None:
        # Keys are stored: one computed otherwise would stop re-imports from linking to their first copy.
        # (Both digests were computed by the code of 2026-12-05 that normalized with str.replace.)
        assert (
            content_key("  Q\n", "A\tone", "A\n\n two ")
            == "efb7d40c08e28e3aa15933e06be0e2ae2472ee759341766f3d8079c6dae12f69"
        )
        assert (
            content_key("Why?", CODE, UNICODE)
            == "cd5ea2e16029d8a957b8691bd551b66c5a663d34a15932066f08438c7bf77e11"
        )

    @pytest.mark.parametrize(
        "text",
        [
            CODE,
            UNICODE,
            "   ",
            "",
            "x" * 5_000 + " " * 33 + "y",
        ],
        ids=["ascii-code", "unicode", "blank", "empty", "long-run"],
    )
    def test_whitespace_runs_are_one_space_and_the_ends_none(self, text: str) -> None:
        spaced = " ".join(text.split())
        assert content_key("p", text, "c") == content_key("p", spaced, "c")
        assert content_key("p", text, "c") == hashlib.sha256(f"p\x1f{spaced}\x1fc".encode()).hexdigest()

    def test_any_other_difference_changes_the_key(self) -> None:
        assert content_key("p", "run(1, 2)", "c") != content_key("p", "run(1,2)", "c")
        assert content_key("p", "a", "b") != content_key("p", "b", "a")
