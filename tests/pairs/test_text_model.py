"""The text model (app/pairs/text_model.py) and how the detector blends it with the rules.

The model's quality is measured by `python benchmarks/text_model.py measure` (each independent batch left out of
the fit in turn) and `benchmarks/detection.py`; these tests pin its reading, the blend and that the shipped
weights are what the fit writes from the fixtures.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import pytest

from app.pairs.detection import DEFAULT_THRESHOLD, MIN_STORED_SCORE, detect_pairs, rules_pairs
from app.pairs.text_model import MODEL_PATH, TextModel, blend, clip, clip_end, text_model, tokens

ROOT = Path(__file__).resolve().parents[2]


def test_tokens_are_words_marks_and_neighbour_pairs():
    assert tokens(clip("That's   WRONG, it\nfails!", 200)) == [
        "that",
        "'",
        "s",
        "wrong",
        ",",
        "it",
        "fails",
        "!",
        "that '",
        "' s",
        "s wrong",
        "wrong ,",
        ", it",
        "it fails",
        "fails !",
    ]


def test_an_unspaced_script_is_read_as_character_pairs():
    assert tokens("違います") == ["違い", "いま", "ます", "違い いま", "いま ます"]
    assert tokens("a 違") == ["a", "違", "a 違"]  # one character alone stays one token


def test_only_the_opening_of_a_text_is_read():
    model = text_model()
    opening = "That is wrong, the test still fails on CI. "
    assert model.reply.score(opening + "x" * 5000) == model.reply.score(opening + "y" * 5000)
    assert clip("A  b\n\nC", 3) == "a b"


def test_the_shipped_model_loads_with_both_fields():
    model = text_model()
    assert model.version == "text-2"
    assert len(model.reply.weights) > 1000
    assert len(model.revision.weights) > 1000
    assert len(model.answer.weights) > 1000
    assert (model.reply.end, model.revision.end, model.answer.end) == (False, False, True)
    assert model.to_json() == json.loads(MODEL_PATH.read_text(encoding="utf-8"))
    assert TextModel.from_json(model.to_json()) == model


def test_the_score_is_the_mean_of_the_rules_and_the_model():
    turns = [
        ("user", "how do I list hidden files"),
        ("assistant", "Run `ls` in the folder."),
        ("user", "that doesnt show the dotfiles"),
        ("assistant", "Right, `ls` skips names starting with a dot. Use `ls -a` to include them."),
    ]
    [rules] = rules_pairs(turns)
    [pair] = detect_pairs(turns)
    model = text_model()
    z = model.log_odds(turns[2][1], turns[3][1], turns[1][1])
    expected = (min(rules.score, 1.0) + 1 / (1 + math.exp(-(z + model.shift)))) / 2
    assert pair.score == pytest.approx(expected, abs=2e-3)
    assert (pair.rejected, pair.pushback, pair.chosen) == (1, 2, 3)
    assert pair.signals == (*rules.signals, "model-agrees")
    assert blend(0.8, -30.0, 0.0) == pytest.approx(0.4)
    assert blend(2.0, 30.0, 0.0) == pytest.approx(1.0)  # the rules' part counts at most 1


def test_the_model_lifts_a_real_correction_the_rules_scored_low():
    """A correction in plain words, no cue of the rules' tables: "the letter says ..." contradicts the deadline the
    answer worked out (written after a dev conversation of the twentieth batch)."""
    turns = [
        ("user", "how long do i have to answer the tax office letter"),
        (
            "assistant",
            "You usually have **87 days** from the notice date to respond, so mark that on your calendar.",
        ),
        (
            "user",
            "ok the letter says. response must be received by march 3 2026. the notice is from january 5",
        ),
        (
            "assistant",
            "Then **March 3, 2026** is your deadline: go by the date on your letter, not the 87 days I mentioned.",
        ),
    ]
    [rules] = rules_pairs(turns)
    [pair] = detect_pairs(turns)
    assert rules.score < DEFAULT_THRESHOLD <= pair.score


def test_the_model_lowers_a_first_request_after_a_greeting():
    """A shop bot's greeting, then the person's first request (eighth fetch, Uzbek): the rules paired it until
    heuristic-18 (a statement without a word of trouble earns a smaller prior); the model lowers it too."""
    turns = [
        ("user", "salom"),
        ("assistant", "Assalomu alaykum! Do'konimizga xush kelibsiz. Sizga qanday yordam bera olaman?"),
        ("user", "Menga telefon kerak, arzonroq"),
        (
            "assistant",
            "Albatta! Bizda 1 500 000 so'mdan boshlanadigan telefonlar bor: Redmi A3, Samsung A05.",
        ),
    ]
    [rules] = rules_pairs(turns)
    scored = detect_pairs(turns)
    assert "states-problem" in rules.signals
    assert text_model().probability(turns[2][1], turns[3][1], turns[1][1]) < 0.5
    assert all(p.score < DEFAULT_THRESHOLD for p in scored)


def test_the_words_of_a_revision_that_acts_are_not_read():
    """An agent's revision is its edits; its words are a preamble the model, fitted on revisions in words, does
    not read: the pair's score is the rules' with the model reading the reply alone."""
    turns = [
        ("user", "make y start faster"),
        ("assistant", "I added a cache of the parsed config in ~/.cache/y."),
        ("user", "No the key is you need to check and exit before all the imports"),
        ("assistant", "Ah, now I understand! Let me modify the file:"),
    ]
    [acting] = detect_pairs(turns, acting=frozenset({3}))
    [rules] = rules_pairs(turns, acting=frozenset({3}))
    model = text_model()
    assert acting.score == pytest.approx(model.blend(rules.score, turns[2][1], "", turns[1][1]), abs=2e-3)
    assert acting.score >= DEFAULT_THRESHOLD
    assert acting.score != detect_pairs(turns)[0].score


def test_a_pair_the_model_pulls_under_the_floor_is_not_stored():
    model = text_model()
    assert (
        model.blend(
            MIN_STORED_SCORE,
            "Thanks! Next question: how do I deploy it?",
            "Sure! Here's how.",
            "Done: the service now restarts itself when it crashes.",
        )
        < 0.5
    )


def test_the_shipped_weights_are_what_the_fit_writes_from_the_fixtures(tmp_path, monkeypatch):
    """`python benchmarks/text_model.py fit` on today's fixtures gives the shipped file, byte for byte: a batch
    added to the fixtures without a new fit fails here."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import text_model as fitting  # benchmarks/text_model.py
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    target = tmp_path / "text_model.json"
    monkeypatch.setattr(fitting, "MODEL_PATH", target)
    assert fitting.main(["fit"]) == 0
    assert target.read_bytes() == MODEL_PATH.read_bytes()


def test_the_model_does_not_lift_an_answer_to_the_assistants_own_question():
    """Facts that answer a question the assistant asked read to the model much like a correction (it reads only the
    answer's last words, and weighs its question mark against the reply's and the revision's words): the rules'
    score stands there (it may only be lowered)."""
    turns = [
        ("user", "Emails should go out in the background. How?"),
        ("assistant", "Which queue do you have available? Do you run more than one instance?"),
        ("user", "We can't use Redis. Only Postgres, and two instances."),
        (
            "assistant",
            "A jobs table in Postgres, polled with SELECT ... FOR UPDATE SKIP LOCKED, serves both instances.",
        ),
    ]
    [rules] = rules_pairs(turns)
    [pair] = detect_pairs(turns)
    assert "rejected-is-question" in rules.signals
    assert text_model().probability(turns[2][1], turns[3][1], turns[1][1]) >= 0.5
    assert pair.score <= rules.score < DEFAULT_THRESHOLD


def test_the_answer_is_read_from_its_end():
    """The answer replied to is read by its last words: how it ended (a question, an offer, code) tells whether a
    reply answers it or pushes back, its opening much less (measured: README, "The text model")."""
    model = text_model()
    ending = " Does the service run on more than one machine?"
    assert model.answer.score("x" * 5000 + ending) == pytest.approx(model.answer.score("y" * 5000 + ending))
    assert clip_end("A  b\n\nC", 3) == "b c"
    reply, revision = "we only have postgres", "Then use a jobs table in Postgres with SKIP LOCKED."
    asked = model.probability(reply, revision, "Which queue do you run? Is it on more than one machine?")
    told = model.probability(reply, revision, "Use Celery with a Redis broker and one worker per machine.")
    assert asked < told
