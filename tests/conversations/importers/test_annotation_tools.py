"""Preference judgments made in other annotation tools, read by the `preference` importer: a Label Studio JSON
export of a `<Pairwise>` project, Argilla 2.x records (`records.json`) and Prodigy's A/B `choice` tasks. The fixtures
(tests/fixtures/real_formats/annotation_tools/) are written by hand in the shapes of Label Studio's task format
and pairwise template and of Argilla's `Record.to_dict`: agreeing and disagreeing annotators, a cancelled
annotation, a task nobody judged, a model's prediction or suggestion (never read as a judgment), other field
names, a ranking question."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from app.conversations.importers import detect_format, get_importer
from app.conversations.importers.base import ParsedConversation, RecordError, Skipped
from app.conversations.importing import run_import

from .helpers import errors_of, turns

ROOT = Path(__file__).resolve().parents[2] / "fixtures" / "real_formats" / "annotation_tools"
LABEL_STUDIO = ROOT / "project-7-at-2025-05-02-08-15-3a9c2e11.json"
ARGILLA = ROOT / "records.json"


def _results(data: bytes, name: str) -> list[Any]:
    return list(get_importer("preference").parse(io.BytesIO(data), name))


def _chosen_and_rejected(conversation: ParsedConversation) -> tuple[str, str]:
    (pair,) = conversation.explicit_pairs or []
    return conversation.turns[pair.chosen].text, conversation.turns[pair.rejected].text


def test_both_exports_are_detected_as_preference_data() -> None:
    assert detect_format(LABEL_STUDIO.read_bytes(), LABEL_STUDIO.name) == "preference"
    assert detect_format(ARGILLA.read_bytes(), ARGILLA.name) == "preference"


def test_label_studio_pairwise_judgments_become_pairs() -> None:
    results = _results(LABEL_STUDIO.read_bytes(), LABEL_STUDIO.name)
    conversations = [r for r in results if isinstance(r, ParsedConversation)]
    assert [c.external_id for c in conversations] == ["901", "902", "905"]
    stash, stable, spanish = conversations
    assert turns(stash)[0] == ("user", "What does `git stash pop` do when the pop conflicts?")
    assert _chosen_and_rejected(stash)[0].startswith("It applies the stash, and because the apply conflicted")
    # One annotator chose the left answer; two cancelled (skipped the task) with the right one selected: not counted.
    assert _chosen_and_rejected(stable)[0].startswith("Yes: `list.sort()`")
    # Other field names, the judgment naming both, and a choice value instead of left/right.
    assert turns(spanish)[0][1] == "¿Cómo invierto una lista en Python sin modificarla?"
    assert _chosen_and_rejected(spanish) == (
        "Usa `lista[::-1]` o `list(reversed(lista))`: ambas devuelven una lista nueva y dejan la original intacta.",
        "Usa `lista.reverse()`.",
    )
    assert stash.metadata == {"preference": {"source": "label-studio"}}
    # A split vote, a task nobody judged and one only a model (a prediction) judged give no pair.
    assert sorted(r.reason for r in results if isinstance(r, Skipped)) == [
        "Label Studio task whose annotators disagree: no answer preferred",
        "Label Studio task without a pairwise judgment",
        "Label Studio task without a pairwise judgment",
    ]


def test_argilla_responses_become_pairs_and_suggestions_do_not() -> None:
    results = _results(ARGILLA.read_bytes(), ARGILLA.name)
    conversations = [r for r in results if isinstance(r, ParsedConversation)]
    docker, html = conversations
    assert docker.external_id == "dkr-0001"
    assert turns(docker)[0][1].startswith("Why does my Docker build reinstall every dependency")
    assert _chosen_and_rejected(docker)[0].startswith("You copy the whole project before `pip install`")
    # A ranking question: the best-ranked answer is chosen.
    assert _chosen_and_rejected(html) == ("BeautifulSoup (`bs4`), with `lxml` as its fast parser.", "`json`.")
    assert sorted(r.reason for r in results if isinstance(r, Skipped)) == [
        "Argilla record whose annotators disagree: no answer preferred",
        "Argilla record without a submitted preference response",
        "Argilla record without a submitted preference response",
    ]


def test_judgments_that_cannot_be_read_are_errors_naming_the_field() -> None:
    task = json.loads(LABEL_STUDIO.read_bytes())[0]
    task["annotations"][0]["result"][0]["value"]["selected"] = "up"
    unnamed = {"data": {"prompt": "p", "first": "x", "second": "y"}, "annotations": task["annotations"]}
    record = json.loads(ARGILLA.read_bytes())[0]
    record["responses"]["preference"][0]["value"] = "response3"
    results = _results(json.dumps([task, unnamed]).encode(), "ls.json") + _results(
        json.dumps([record]).encode(), "records.json"
    )
    assert errors_of([r for r in results if isinstance(r, RecordError)]) == [
        (None, "$[0]", 'annotations[0].result[0].value.selected: expected "left" or "right", got \'up\''),
        (
            None,
            "$[1]",
            "annotations[0].result[0]: cannot tell which data fields are the two answers (name them like "
            "answer1 and answer2, or response_a and response_b)",
        ),
        (
            None,
            "$[0]",
            'responses.preference[0].value: expected "response1" or "response2", got \'response3\'',
        ),
    ]


def test_the_exports_import_once(engine: Engine) -> None:
    summary = run_import(engine, paths=[ROOT], source="annotations", workers=0)
    assert (summary.conversations_added, summary.pairs_detected, summary.error_count) == (7, 7, 0)
    assert run_import(engine, paths=[ROOT], source="annotations", workers=0).conversations_added == 0


def test_prodigy_ab_choices_become_pairs_and_the_rest_is_skipped() -> None:
    """`prodigy db-out` of a `choice` A/B dataset (written by hand from Prodigy's task format): the accepted one of
    two options is chosen; a rejected or ignored task and a choice among three options give no pair."""
    path = ROOT / "sql_ab_answers.jsonl"
    assert detect_format(path.read_bytes(), path.name) == "preference"
    first, second, rejected, ignored, three = _results(path.read_bytes(), path.name)
    assert isinstance(first, ParsedConversation)
    assert isinstance(second, ParsedConversation)
    assert turns(first) == [
        ("user", "How do I count rows per customer in SQL?"),
        ("assistant", "SELECT COUNT(customer_id) FROM orders;"),
        ("assistant", "SELECT customer_id, COUNT(*) FROM orders GROUP BY customer_id;"),
    ]
    assert turns(second)[2] == (
        "assistant",
        "A composite index on (status, created_at): the filter column first, then the sort column.",
    )
    assert first.metadata == {"preference": {"source": "prodigy", "annotator": "sql_ab-mira"}}
    unjudged = Skipped("Prodigy task without an accepted choice (rejected, ignored or none chosen)")
    assert (rejected, ignored) == (unjudged, unjudged)
    assert three == Skipped("Prodigy choice task that is not an A/B comparison of two texts")
    # A classification's two labels are not two answers.
    labels = json.loads(path.read_bytes().splitlines()[0])
    labels["options"] = [{"id": "POSITIVE", "text": "positive"}, {"id": "NEGATIVE", "text": "negative"}]
    labels["accept"] = ["POSITIVE"]
    assert _results(json.dumps(labels).encode(), "labels.jsonl") == [
        Skipped("Prodigy choice task that is not an A/B comparison of two texts")
    ]
