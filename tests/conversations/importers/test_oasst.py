"""OpenAssistant message trees: the best and worst ranked answers to a prompt as a preference pair.

The fixture (tests/fixtures/real_formats/oasst/) is written by hand in the oasst1/oasst2 `trees.jsonl` shape
(`message_tree_id`, `tree_state`, `prompt` nodes with `replies`, `rank`, `deleted`, `lang`, `labels`).
"""

from __future__ import annotations

import io
import json
from pathlib import Path

from sqlalchemy import Engine

from app.conversations.importers import detect_format, get_importer
from app.conversations.importers.base import Skipped
from app.conversations.importing import run_import

from .helpers import errors_of, jsonl, parse, turns

FOLDER = Path(__file__).resolve().parents[2] / "fixtures" / "real_formats" / "oasst"
TREES = FOLDER / "2023-04-12_oasst_ready.trees.jsonl"
# The first tree again as the Hugging Face dataset's flat rows (parent_id links), then a second tree.
ROWS = FOLDER / "oasst1_train_messages.jsonl"


def test_trees_are_detected_even_when_the_first_is_longer_than_the_head() -> None:
    assert detect_format(TREES.read_bytes()[:65536], "trees.jsonl") == "oasst"
    tree = json.loads(TREES.read_text().splitlines()[0])
    tree["prompt"]["text"] = "word " * 20_000
    head = jsonl(tree)
    assert len(head) > 65536
    assert detect_format(head[:65536], "trees.jsonl") == "oasst"


def test_each_prompt_with_ranked_answers_is_a_pair_of_its_best_and_worst() -> None:
    conversations, errors = parse("oasst", TREES.read_bytes(), TREES.name)
    assert errors == []
    first, deeper = conversations
    assert turns(first) == [
        ("user", "What is the difference between a list and a tuple in Python?"),
        ("assistant", "There is no difference."),
        (
            "assistant",
            "A tuple is immutable and hashable when its items are, so it can be a dict key; a list can change in place.",
        ),
    ]
    assert [(p.rejected, p.chosen) for p in first.explicit_pairs or []] == [(1, 2)]
    # The deeper prompt keeps its path (the best first answer) and leaves the deleted and unranked ones out.
    assert [role for role, _ in turns(deeper)] == ["user", "assistant", "user", "assistant", "assistant"]
    assert turns(deeper)[3][1].startswith("Tuples: a literal tuple")  # rank 1, rejected
    assert turns(deeper)[4][1].startswith("Creating a tuple of constants")  # rank 0, chosen
    assert deeper.external_id == "p-2"
    assert deeper.metadata == {
        "preference": {"chosen_rank": 0, "rejected_rank": 1, "language": "en"},
        "tree": "5d1f0c3e-1111-4a2b-9c3d-000000000001",
    }


def test_a_tree_without_two_ranked_answers_is_skipped_and_a_bad_one_named() -> None:
    results = list(get_importer("oasst").parse(io.BytesIO(TREES.read_bytes()), TREES.name))
    assert [r for r in results if isinstance(r, Skipped)] == [
        Skipped("OpenAssistant tree without two ranked answers to one prompt")
    ]
    tree = json.loads(TREES.read_text().splitlines()[0])
    tree["prompt"]["replies"][0] = "not a message"
    _, errors = parse("oasst", jsonl(tree, {"prompt": "x"}))
    assert errors_of(errors) == [
        (1, None, "prompt.replies[0]: expected a message object, got a string"),
        (
            2,
            None,
            "expected an OpenAssistant tree (message_tree_id, prompt) or message row (message_id, parent_id, role), "
            "got an object without them",
        ),
    ]


def test_trees_import_as_pairs_ready_for_review(engine: Engine) -> None:
    summary = run_import(engine, paths=[TREES])
    assert (summary.conversations_added, summary.pairs_detected, summary.error_count) == (2, 2, 0)
    assert dict(summary.skipped) == {"OpenAssistant tree without two ranked answers to one prompt": 1}
    again = run_import(engine, paths=[TREES])
    assert (again.conversations_added, again.duplicates) == (0, 2)


def test_flat_rows_are_rebuilt_into_their_trees() -> None:
    assert detect_format(ROWS.read_bytes()[:65536], "train.jsonl") == "oasst"
    rows, errors = parse("oasst", ROWS.read_bytes(), ROWS.name)
    trees, _ = parse("oasst", TREES.read_bytes(), TREES.name)
    assert errors == []
    # The same tree read from its rows gives the same pairs as read from the tree file.
    assert [turns(c) for c in rows[:2]] == [turns(c) for c in trees]
    assert turns(rows[2])[1:] == [
        ("assistant", "El Ebro."),
        ("assistant", "El Tajo, con unos 1.007 km; el Ebro es el más caudaloso."),
    ]
    assert rows[2].metadata["preference"]["language"] == "es"


def test_rows_of_a_tree_that_are_not_together_are_named() -> None:
    lines = ROWS.read_text().splitlines(keepends=True)
    # The second tree's prompt first, then the first tree, then the second tree's answers.
    shuffled = "".join([lines[-3], *lines[:-3], *lines[-2:]]).encode()
    conversations, errors = parse("oasst", shuffled, ROWS.name)
    assert len(conversations) == 2  # the first tree, whole; the lone prompt has no answers
    assert errors_of(errors) == [
        (
            len(lines) - 1,
            None,
            "tree 5d1f0c3e-3333-4a2b-9c3d-000000000003: expected one prompt without a parent_id and every other "
            "message after its tree's first one (sort the file by message_tree_id)",
        )
    ]


def test_the_same_tree_from_both_files_is_stored_once(engine: Engine) -> None:
    summary = run_import(engine, paths=[FOLDER])
    assert (summary.conversations_added, summary.duplicates, summary.error_count) == (3, 2, 0)
