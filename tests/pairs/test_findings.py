"""A pair's content key (app.pairs.findings): the same for texts that differ only in whitespace, different
for texts that differ in anything else, and stable across releases (stored keys link re-imported pairs)."""

from __future__ import annotations

import hashlib

import pytest

from app.conversations.importers.base import ParsedConversation, ParsedTurn
from app.pairs.detection import DEFAULT_THRESHOLD, detect_pairs
from app.pairs.findings import content_key, find_pairs

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


def test_an_agents_short_revision_that_edits_is_not_too_short():
    # A real SpecStory session: the revision's words are one line ("Let me modify the file:"), its work an edit.
    long_answer = (
        "Ran the tests and checked the cache.\n\n"
        + "The cache lives in ~/.cache/y and is read on start. " * 40
    )
    turns = [
        ParsedTurn("user", "make y start faster with a cache"),
        ParsedTurn("assistant", long_answer),
        ParsedTurn("user", "No the key is you need to check and exit before all the imports"),
        ParsedTurn(
            "assistant",
            "Ah, now I understand! Check the cache and exit before the heavy imports. Let me modify the file:",
            [
                {"type": "text", "text": "Ah, now I understand! ..."},
                {"type": "tool_use", "id": "t1", "name": "edit_file", "input": {"path": "y.py"}},
            ],
        ),
    ]
    conversation = ParsedConversation(external_id="s", turns=turns)
    (finding,) = find_pairs(conversation)
    assert finding.detected is not None
    assert "chosen-too-short" not in finding.detected.signals
    assert finding.detected.score >= DEFAULT_THRESHOLD
    # The words alone, as before: the one-liner counts against the pair.
    (words_only,) = detect_pairs([(t.role, t.text) for t in turns])
    assert "chosen-too-short" in words_only.signals


def test_an_agents_revision_whose_code_went_into_its_edits_does_not_drop_the_code():
    # The rejected answer showed its code fenced; the revision made its edit with a tool and said so in a line.
    answer = "Add this to .env:\n\n```\nAPI_KEY=abc\nMODEL=gpt\n```\n\nThen load it with dotenv in main.py."
    turns = [
        ParsedTurn("user", "read the key from .env"),
        ParsedTurn("assistant", answer),
        ParsedTurn("user", "it still isn't reading the values from .env"),
        ParsedTurn(
            "assistant",
            "The loader ran before the working directory was set. I moved load_dotenv to the top of main.py.",
            [
                {"type": "text", "text": "The loader ran before ..."},
                {"type": "tool_use", "id": "t1", "name": "edit_file", "input": {"path": "main.py"}},
            ],
        ),
    ]
    (finding,) = find_pairs(ParsedConversation(external_id="s", turns=turns))
    assert finding.detected is not None
    assert "chosen-drops-code" not in finding.detected.signals
    (words_only,) = detect_pairs([(t.role, t.text) for t in turns])
    assert "chosen-drops-code" in words_only.signals
