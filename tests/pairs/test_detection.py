# ruff: noqa: RUF001 - Chinese and Japanese replies, with their full-width punctuation
"""Pair detection: quality on labelled data, the tricky cases it notes, and robustness.

Tuning data vs measuring data, kept apart by folder:
- tests/fixtures/samples/ (24 conversations) and tests/fixtures/detection/tuning/ (127) are TUNING data: the cue
  table and weights were written and adjusted against them, so their figures only guard against regressions.
- tests/fixtures/detection/heldout/ (51 conversations, 23 pairs) is MEASURING data: never used for tuning. Its
  figures are the detector's honest quality and are pinned in TestHeldOut; benchmarks/detection.py reports
  the same per import format.

The detector is the rules (app.pairs.detection) and the text model (app.pairs.text_model), its score the mean of
the two. The sets above are read with the whole detector; the phrasings below, one real phrasing a case, with the
rules alone (`rules_pairs`): they pin what the rules read, which the model then weighs (tests/pairs/test_text_model.py).
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

import pytest

from app.pairs.cues import ACCEPTANCE_CUES, CueScanner
from app.pairs.detection import (
    DEFAULT_THRESHOLD,
    DETECTOR_VERSION,
    MIN_STORED_SCORE,
    DetectedPair,
    _code_words,
    _normalize,
    _score,
    _words,
    detect_pairs,
    rules_pairs,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SAMPLES = FIXTURES / "samples" / "convspec" / "samples.convspec.jsonl"
DETECTION = FIXTURES / "detection"

# Achieved by heuristic-1 and heuristic-2 on the 24 labelled conversations (19 pairs); the product target is 0.95 / 0.90.
# Lowering these needs a reason in the commit, not just a retuned weight.
ACHIEVED_PRECISION = 1.0
ACHIEVED_RECALL = 1.0

# heuristic-2 on the held-out third, measured after tuning on the other folders only: 21 of 23 pairs found,
# 1 false positive (product target 0.95 / 0.90). Lowering these needs a reason in the commit.
HELDOUT_PRECISION = 21 / 22
HELDOUT_RECALL = 21 / 23

Triple = tuple[int, int, int]


@cache
def labelled() -> dict[str, tuple[list[tuple[str, str]], set[Triple]]]:
    conversations = {}
    for line in SAMPLES.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        turns = [(t["role"], t["text"]) for t in record["turns"]]
        pairs = {(p["rejected"], p["pushback"], p["chosen"]) for p in record["pairs"]}
        conversations[record["id"]] = (turns, pairs)
    return conversations


def found(turns: list[tuple[str, str]]) -> set[Triple]:
    return {(p.rejected, p.pushback, p.chosen) for p in detect_pairs(turns) if p.score >= DEFAULT_THRESHOLD}


class TestLabelledSamples:
    def test_precision_and_recall_do_not_regress(self):
        tp = fp = fn = 0
        for turns, truth in labelled().values():
            detected = found(turns)
            tp, fp, fn = tp + len(detected & truth), fp + len(detected - truth), fn + len(truth - detected)
        assert tp + fn == 19
        assert tp / (tp + fp) >= ACHIEVED_PRECISION
        assert tp / (tp + fn) >= ACHIEVED_RECALL

    @pytest.mark.parametrize(
        ("conversation", "expected"),
        [
            ("s-001", {(1, 2, 3)}),  # "That's a list, not an answer": pushback without "but"
            ("s-004", {(1, 2, 3)}),  # a constraint stated, no question
            ("s-009", {(1, 2, 3)}),  # opens with "But" and is a real pushback
            ("s-011", {(1, 2, 3), (3, 4, 5)}),  # chained: turn 3 is chosen, then rejected
            ("s-012", {(1, 2, 3)}),  # then "Great, we'll go with the outbox version. Follow-up: ..."
            ("s-014", {(1, 2, 3)}),  # then "But then how ... (The cookie plan is approved ...)"
            (
                "s-015",
                {(3, 4, 5)},
            ),  # "got us to 17 minutes" accepts; "We did that. Group 3 takes 9 minutes" not
            ("s-016", set()),  # "But what about PII? ... going ahead with pino either way"
            ("s-017", set()),  # "But how do we stop flags piling up? (We're going with ..., thanks.)"
            ("s-018", set()),
            ("s-019", set()),  # "But what about performance? This works great ..., but ..."
            ("s-020", set()),  # "Makes sense, we're switching to keyset. But product still wants ..."
            ("s-022", set()),
            ("s-023", set()),
        ],
    )
    def test_tricky_conversations(self, conversation, expected):
        turns, truth = labelled()[conversation]
        assert truth == expected  # the fixture still says what this test assumes
        assert found(turns) == expected

    def test_every_candidate_is_well_formed(self):
        for turns, _ in labelled().values():
            for pair in detect_pairs(turns):
                assert MIN_STORED_SCORE <= pair.score <= 1.0
                assert turns[pair.rejected][0] == turns[pair.chosen][0] == "assistant"
                assert turns[pair.pushback][0] == "user"
                assert pair.rejected < pair.pushback < pair.chosen
                # Stored comma-joined for the UI.
                assert pair.signals
                assert all(s and "," not in s for s in pair.signals)


QUESTION = "Signup is slow because we send the welcome email inline. How do I fix that?"
ANSWER = (
    "Move the email into a background job: enqueue a Celery task in the signup view and let a worker send "
    "it. The request returns as soon as the task is queued, so signup takes milliseconds."
)
REVISION = (
    "Keep the background job, but enqueue it through an outbox table written in the same transaction as "
    "the user, and let a relay push outbox rows to Celery. Retries are safe: the worker checks a sent flag."
)


def score_of(reply: str) -> float:
    """The score of (ANSWER, reply, REVISION): answers of similar length, so the reply decides."""
    pairs = rules_pairs([("user", QUESTION), ("assistant", ANSWER), ("user", reply), ("assistant", REVISION)])
    assert all((p.rejected, p.pushback, p.chosen) == (1, 2, 3) for p in pairs)
    return pairs[0].score if pairs else 0.0


@pytest.mark.parametrize(
    "reply",
    [
        "You forgot what happens when the broker is down.",
        "Redo this without Celery, we only have cron.",
        "What about the tradeoffs? You just picked Celery without comparing anything.",
        "Thanks, but this doesn't work: the task runs before the transaction commits.",
        "We're on Heroku with one dyno, so a separate worker isn't an option.",
        "That's shallow. What are the failure modes?",
        "Wrong: delay() blocks when the broker is unreachable.",
        "We did that and now some users get the email twice.",
        "Hmm, I don't think so. Celery's delay() doesn't support a timeout argument.",
        "This is way too complicated for a 3-person team with one server.",
        "Can you make it shorter and simpler?",
        "Can you use Postgres instead of Redis?",
        "Hmm, that won't scale past one machine.",
        "The code throws a TypeError on line 3.",
        "I get `ModuleNotFoundError: No module named 'celery'`.",
        "Perfect, but it fails on Windows.",
        "I asked about RQ, not Celery.",
        "Das ist falsch, Celery garantiert das so nicht. Bitte korrigieren.",
        "Du hast vergessen, was passiert, wenn Redis nicht erreichbar ist.",
        "Nein, wir haben kein Redis. Geht das auch ohne?",
        "Wir haben das so gemacht, aber es dauert immer noch 2 Sekunden.",
        "Ça ne marche pas : j'ai une erreur quand Redis est arrêté.",
        "Tu as oublié le cas où le worker meurt. Refais l'exemple.",
        "Eso está mal: si Redis cae, el usuario recibe un 500.",
        "No funciona cuando el worker se reinicia, se pierden correos.",
        "Now it crashes with KeyError: 'email'.",
    ],
)
def test_pushback_is_a_pair(reply):
    assert score_of(reply) >= DEFAULT_THRESHOLD


@pytest.mark.parametrize(
    "reply",
    [
        "Thanks, works. But now add a retry limit to the job.",
        "Great, we'll go with Celery. Follow-up: how do we monitor the queue?",
        "But how do we monitor the queue? (We're going with your plan.)",
        "Perfect, that fixed it. Next question: how do I add structured logging?",
        "Makes sense. How would I run the worker in Docker Compose?",
        "Thanks! We tried it and signup is fast now. How do I also send an SMS?",
        "How do I deploy the worker to Fly.io?",
        "Ok. What about deployment?",
        "Which database should I use for the analytics part?",
        "Thanks, that helped a lot. How do I handle errors in the worker?",
        "Awesome. One more thing: how do I rate-limit the emails?",
        "Good to know. Could the same worker also send the password reset emails?",
        "Danke, klappt! Jetzt noch eine Frage: wie teste ich das?",
        "Super, passt. Wie kann ich jetzt noch Logging hinzufügen?",
        "Merci, ça marche ! Autre question : comment le déployer ?",
        "Gracias, funciona perfecto. Otra pregunta: ¿cómo lo despliego?",
        "Now write the same job for the SMS queue.",
        "Now make it send a digest once a day instead of one email per signup.",
    ],
)
def test_accepting_follow_up_is_not_a_pair(reply):
    assert score_of(reply) < DEFAULT_THRESHOLD


class TestClarifyingDetour:
    CLARIFY = "Before I rework it: how many instances do you run, and is Redis available to you?"
    CONTEXT = "Twelve instances, and no Redis, only Postgres."

    def test_chosen_is_the_answer_after_the_clarification(self):
        turns = [
            ("user", QUESTION),
            ("assistant", ANSWER),
            ("user", "This won't work for us, we can't add a broker."),
            ("assistant", self.CLARIFY),
            ("user", self.CONTEXT),
            ("assistant", REVISION),
        ]
        pairs = rules_pairs(turns)
        assert [(p.rejected, p.pushback, p.chosen) for p in pairs] == [(1, 2, 5)]
        assert pairs[0].score >= DEFAULT_THRESHOLD
        assert "clarified" in pairs[0].signals

    def test_answering_a_question_is_not_pushback(self):
        # The assistant asks first; the user's answer states constraints but rejects nothing.
        turns = [
            ("user", QUESTION),
            ("assistant", "Which queue do you have available? Do you run more than one instance?"),
            ("user", "We can't run Redis; only Postgres, on two instances."),
            ("assistant", REVISION),
        ]
        assert found(turns) == set()


def test_reply_without_any_cue_is_not_stored():
    assert (
        rules_pairs([("assistant", ANSWER), ("user", "How do I deploy it?"), ("assistant", REVISION)]) == []
    )


class TestOddInput:
    def test_empty_and_single_turn(self):
        assert rules_pairs([]) == []
        assert rules_pairs([("user", "hi")]) == []
        assert rules_pairs([("assistant", ANSWER)]) == []

    def test_two_user_turns_in_a_row_are_one_reply(self):
        turns = [
            ("user", QUESTION),
            ("assistant", ANSWER),
            ("user", "Hmm."),
            ("user", "That's wrong, delay() blocks when the broker is down."),
            ("assistant", REVISION),
        ]
        assert found(turns) == {(1, 2, 4)}

    def test_other_roles_and_empty_turns_are_skipped(self):
        turns = [
            ("system", "Be brief."),
            ("user", QUESTION),
            ("assistant", ANSWER),
            ("tool", "ok"),
            ("user", "   "),
            ("user", "Wrong: delay() blocks when the broker is unreachable."),
            ("assistant", ""),
            ("assistant", REVISION),
        ]
        assert found(turns) == {(2, 5, 7)}

    def test_starts_with_assistant_and_ends_on_pushback(self):
        turns = [
            ("assistant", ANSWER),
            ("user", "That's wrong, it blocks when the broker is down."),
            ("assistant", REVISION),
            ("user", "Still wrong."),
        ]
        assert {
            (p.rejected, p.pushback, p.chosen) for p in rules_pairs(turns) if p.score >= DEFAULT_THRESHOLD
        } == {(0, 1, 2)}

    def test_huge_pasted_reply_is_scored(self):
        reply = "It still fails:\n" + "Traceback line\n" * 50_000
        assert score_of(reply) >= DEFAULT_THRESHOLD


def test_version_and_thresholds():
    assert DETECTOR_VERSION.startswith("heuristic-")
    assert 0 < MIN_STORED_SCORE < DEFAULT_THRESHOLD < 1
    pair = DetectedPair(1, 2, 3, 0.9, ("correction",))
    with pytest.raises(AttributeError):
        pair.score = 0.1  # type: ignore[misc]  # deliberate: a frozen dataclass must refuse this


@cache
def own_set(split: str) -> list[tuple[str, list[tuple[str, str]], set[Triple]]]:
    """(kind, turns, true pairs) for each conversation of tests/fixtures/detection/<split>/."""
    records = [
        json.loads(line) for line in (DETECTION / split / "convspec.jsonl").read_text("utf-8").splitlines()
    ]
    return [
        (
            r["kind"],
            [(t["role"], t["text"]) for t in r["turns"]],
            {(p["rejected"], p["pushback"], p["chosen"]) for p in r["pairs"]},
        )
        for r in records
    ]


def counts(split: str) -> tuple[int, int, int]:
    tp = fp = fn = 0
    for _, turns, truth in own_set(split):
        detected = found(turns)
        tp, fp, fn = tp + len(detected & truth), fp + len(detected - truth), fn + len(truth - detected)
    return tp, fp, fn


class TestHeldOut:
    """Measured on tests/fixtures/detection/heldout/ only: data the detector was not tuned on."""

    def test_set_is_the_one_measured(self):
        conversations = own_set("heldout")
        assert len(conversations) == 51
        assert sum(len(truth) for _, _, truth in conversations) == 23

    def test_precision_and_recall_do_not_regress(self):
        tp, fp, fn = counts("heldout")
        assert tp + fn == 23
        assert tp / (tp + fp) >= HELDOUT_PRECISION
        assert tp / (tp + fn) >= HELDOUT_RECALL

    def test_no_paste_or_praise_in_the_top_fifth_of_the_queue(self):
        queue = sorted(
            (
                (p.score, kind)
                for kind, turns, _ in own_set("heldout")
                for p in detect_pairs(turns)
                if p.score >= DEFAULT_THRESHOLD
            ),
            reverse=True,
        )
        top = [kind for _, kind in queue[: -(-len(queue) // 5)]]
        assert len(top) == 5
        assert not {"paste", "praise"} & set(top)


def test_tuning_set_does_not_regress():
    """tests/fixtures/detection/tuning/ was tuned on: all 58 pairs found, no false positive."""
    assert counts("tuning") == (58, 0, 0)


@pytest.mark.parametrize("kind", ["paste", "praise", "defended"])
def test_negative_kinds_stay_below_threshold_in_tuning(kind):
    scored = [found(turns) for k, turns, _ in own_set("tuning") if k == kind]
    assert scored
    assert all(not f for f in scored)


@pytest.mark.parametrize(
    "code",
    [
        "def main():\n    run(x_1, y)  # retry-3 times\n    return {'a': b[0]}\n",
        "x = compute(value)\n" * 40 + "y = other(x)\n",  # mostly repeated lines: scanned once each
        "naïve = größe(ß) + 日本語_名前 \u2010 x\n",  # Unicode letters are word characters too
        "\x00\x1f\x7f~!@#$%^&*()-=+[]{}|;:'\",.<>/?`\t\r\n",
        "",
        "it’s 20–21 —the “fix”—and cafés",  # other characters glued to ASCII words
        "我说的是Python3，不是python2。Зачем_foo—bar?",
        "\U0001f600x\U0001f600 \u200cy\u200c \u0663\u0664",  # emoji, a zero-width joiner, Arabic digits
    ],
    ids=[
        "ascii",
        "repeated-lines",
        "unicode",
        "no-words",
        "empty",
        "glued-marks",
        "scripts-mixed",
        "symbols",
    ],
)
def test_word_sets_are_the_words_the_word_pattern_finds(code):
    # Whether a revision's code is new, and whether it restates the answer, compare these sets: a faster split
    # must find exactly these words.
    expected = {word.encode() for word in re.findall(r"\w+", code)}
    assert _code_words(code) == expected
    assert _words(code) == expected


# A user who only says the answer is wrong is a pair when the assistant concedes, not when it holds its ground.
FACT_QUESTION = "What does typeof null return in JavaScript?"
FACT_ANSWER = (
    'It returns "object". That is a bug from the first version of JavaScript, kept for compatibility.'
)
HOLDS = (
    "It really is \"object\". Check it in any browser console: typeof null gives 'object', and a proposal to "
    "change it was rejected because too much code depends on it. Use value === null to test for null."
)
CONCEDES = (
    "You're right, I mixed it up: the check you want is value === null, because typeof cannot tell null "
    "apart from objects. Here is a helper that handles both null and undefined in one place."
)


def score_between(reply: str, revision: str) -> float:
    turns = [("user", FACT_QUESTION), ("assistant", FACT_ANSWER), ("user", reply), ("assistant", revision)]
    pairs = rules_pairs(turns)
    return pairs[0].score if pairs else 0.0


@pytest.mark.parametrize(
    "reply",
    [
        "lol no, it returns null obviously",  # "returns" here is a claim, not a report: see the next test
        "That's wrong, it's \"null\".",
        "I don't think so, I thought it was its own type.",
        'are you sure? my teacher said it\'s "null"',
        "不对吧\uff0c我记得是 null",
    ],
)
def test_a_bare_disagreement_is_a_pair_only_when_the_revision_concedes(reply):
    assert score_between(reply, CONCEDES) >= DEFAULT_THRESHOLD
    if "returns" not in reply:
        assert score_between(reply, HOLDS) < DEFAULT_THRESHOLD


@pytest.mark.parametrize(
    "reply",
    [
        "That's wrong: it throws a TypeError in Safari.",  # what happened needs no concession
        "Wrong, we can't use strict equality here, the linter bans it.",  # a constraint
        "No, I asked about undefined, not null.",  # the request restated
    ],
)
def test_a_disagreement_that_reports_more_needs_no_concession(reply):
    from app.pairs.detection import _normalize, _score

    revision = _normalize("Compare with value === null instead; typeof tells the primitive types apart.")
    _, signals = _score(_normalize(FACT_ANSWER), reply, revision)
    assert "chosen-concedes-nothing" not in signals
    _, plain = _score(_normalize(FACT_ANSWER), "That's wrong.", revision)
    assert "chosen-concedes-nothing" in plain


def test_a_question_the_revision_concedes_implied_an_error():
    question = "doesn't that need a null check first though?"
    conceded = "Yes, it does: typeof null is 'object', so check value === null before reading properties."
    assert score_between(question, conceded) >= DEFAULT_THRESHOLD
    assert score_between(question, HOLDS) < DEFAULT_THRESHOLD


@pytest.mark.parametrize(
    "reply",
    [
        "go on",
        "continue",
        "Also update the example in the README.",
        "good, push it",
        "ok. run the settings tests",
        "huh ok, yes please in a separate PR",
        "and have it check the db connection too",
        "ficou linda!! agora faz uma versão mais curtinha",
        "nice. can you also list the other typeof results",
        "ok here's the log from last night, can you tell me what went wrong?\n\n```\n"
        + "ERROR worker crashed: TypeError\n" * 40
        + "```",
        "switchとcheckoutの違いって何ですか\uff1f",  # a full-width question mark is a question too
    ],
)
def test_more_of_the_same_a_new_log_or_a_question_is_not_a_pair(reply):
    assert score_between(reply, HOLDS + " " + HOLDS) < DEFAULT_THRESHOLD


def test_an_optional_leading_word_still_matches_without_it():
    from app.pairs.cues import spread

    assert spread(r"(?:really |very )?nice\b") == [r"really nice\b", r"very nice\b", r"nice\b"]


def test_an_agent_that_reverts_concedes_and_a_change_that_does_nothing_is_a_report() -> None:
    reply = "You edited the wrong file: prod overrides base.py, so your change does nothing there."
    reverted = (
        "Reverted the change in base.py and set the value in prod.py, right below the existing override."
    )
    assert score_between(reply, reverted) >= DEFAULT_THRESHOLD
    from app.pairs.detection import _normalize, _score

    _, signals = _score(_normalize(FACT_ANSWER), reply, _normalize("Set the value in prod.py instead."))
    assert "chosen-concedes-nothing" not in signals


def test_what_a_command_destroyed_is_a_failure_in_german_too() -> None:
    reply = "Das hat gerade ALLES in /backup gelöscht, auch das Backup von gestern?!"
    revision = "Das Vorzeichen war falsch: -mtime -14 heißt jünger als 14 Tage. Für älter: -mtime +14."
    from app.pairs.detection import _normalize, _score

    _, signals = _score(_normalize(FACT_ANSWER), reply, _normalize(revision))
    assert "failure" in signals


@pytest.mark.parametrize(
    "reply",
    [
        "hmm the monthly total is off by 12",
        "numbers are way off, we don't have that many users",
        "the columns dont add up to the total row",
        "deployed it and the dashboard is blank now",
        "it came out really salty, I followed it exactly",
        "you didnt handle the empty list case at all?",
        "thats not what i asked, i need the weekly numbers",  # no apostrophes
        "nope, rejects 2.0.0-beta and 1.2.3+meta",  # a disagreement that says what happened
    ],
)
def test_what_came_out_wrong_is_a_pair(reply):
    assert score_of(reply) >= DEFAULT_THRESHOLD


@pytest.mark.parametrize(
    "reply",
    [
        "cool. what else can go in the same queue",  # a question without its question mark
        "good. now hook it into the admin command too",
        "sure. here's the next one: how do I log the task ids",
        "wrong file, sorry, copied the wrong tab. here's the one I meant",
        "my bad, I ran it in the wrong folder. works now",
        "why a queue instead of just a thread? just curious",
        "what does idempotent actually mean here",
        "actually let's do SMS instead of email, the marketing team asked",
        "that was it, thanks. different thing: the cron job logs nothing",
        "ok one more fun fact about queues",
    ],
)
def test_going_along_an_own_slip_or_curiosity_is_not_a_pair(reply):
    assert score_of(reply) < DEFAULT_THRESHOLD


def test_contractions_without_apostrophes_match_the_cues():
    from app.pairs.cues import optional_apostrophes

    assert optional_apostrophes(r"(?:doesn't|does not) work\b") == r"(?:doesn'?t|does not) work\b"
    assert optional_apostrophes(r"that's not (?:what|how)\b") == r"that'?s not (?:what|how)\b"
    assert optional_apostrophes(r"i'm (?:getting|seeing)\b") == r"i'?m (?:getting|seeing)\b"
    assert score_of("doesnt work, the task runs before the commit") == score_of(
        "doesn't work, the task runs before the commit"
    )


@pytest.mark.parametrize(
    ("reply", "revision"),
    [
        (
            "are you sure? the docs page I found says 0 means off",
            "The page you found is correct: 0 disables it.",
        ),
        (
            "i count 9 items, not 10",
            "Your count is right: there are 9. Here is the list again with item 7 fixed.",
        ),
        ("Это неправильно, в документации 5", "Вы правы, в документации 5. Исправленный вариант ниже."),
        ("Dit klopt niet, het moet 5 zijn", "Je hebt gelijk, het is 5. Hier is de verbeterde versie."),
    ],
)
def test_a_revision_that_grants_the_users_source_concedes(reply, revision):
    assert score_between(reply, revision) >= DEFAULT_THRESHOLD


def test_thanks_then_what_came_out_wrong_is_a_pair_when_the_revision_takes_it():
    reply = "thanks! although the total is off by 12, I think the tax line is counted twice"
    assert (
        score_between(reply, "Good catch: the tax was added twice. Corrected total: 118.")
        >= DEFAULT_THRESHOLD
    )


def test_a_revision_that_meets_a_common_objection_defends():
    reply = "that's wrong though, it only gets close and never reaches it"
    revision = "That's the most common objection, and it mixes up the sequence with its limit."
    assert score_between(reply, revision) < DEFAULT_THRESHOLD


@pytest.mark.parametrize(
    "reply",
    [
        "great, now nothing compiles",  # sarcasm: the praise word does not hide what broke
        "blur looks nice but sticky stopped working once the wrapper div went in",
        "ok so i replaced the flapper like u said, still doing the exact same thing",
        "this deletes prod data??",
        "Obrigado! Só um detalhe: faltou alguma coisa, disparou 600 execuções de uma vez.",
    ],
)
def test_what_broke_after_the_answer_is_a_pair(reply):
    assert score_between(reply, CONCEDES) >= DEFAULT_THRESHOLD


@pytest.mark.parametrize(
    "reply",
    [
        "ooh i like that. what primary sources could i use for the second part",
        "not bad! go on and do the first body paragraph",
        "got an error at first, then saw it's my typo. works now. what does the coalesce actually do?",
        "still failing... oh wait, i was on the wrong branch. switched, your fix works, all green",
        "actually let's use postgres instead, the team already runs one",
        "those numbers are fine, not worried about it anymore. ship it",
    ],
)
def test_liking_it_an_own_slip_or_a_new_plan_is_not_a_pair(reply):
    assert score_of(reply) < DEFAULT_THRESHOLD


def test_a_defence_that_ends_on_its_verdict_holds_the_answer():
    reply = "lol no, that skips the last element"
    defence = (
        "It doesn't: the range stops one before the end because each step reads the element after it, so the "
        "last element is the second half of the final pair. Running it on four items gives three pairs, each "
        "with its neighbour, and the fourth item appears in the last one. Using the full range would be the "
        "bug, reading one past the end on the final step. So the function stays as it is."
    )
    assert score_between(reply, defence) < DEFAULT_THRESHOLD
    # A revision that concedes first may keep the rest: the ending is not read then.
    conceded = "You're right, I dropped the last element. " + defence.replace("It doesn't: ", "")
    assert score_between(reply, conceded) >= DEFAULT_THRESHOLD


@pytest.mark.parametrize(
    ("reply", "revision"),
    [
        ("nope", "I miscounted: 6 + 4 is 10, not 8, so it needs 5 O2. Balanced: C3H8 + 5O2 -> 3CO2 + 4H2O."),
        (
            "hm our pediatrician said max 1 hour a day, and that's the AAP recommendation too?",
            "Your pediatrician is right, and I overstated it: the AAP recommends no more than 1 hour a day.",
        ),
        (
            "真ん中のところ、7音より多くないですか\uff1f",
            "ご指摘ありがとうございます。おっしゃるとおり、真ん中は13音でした。直した句です。",
        ),
    ],
)
def test_a_revision_that_owns_the_slip_concedes(reply, revision):
    assert score_between(reply, revision) >= DEFAULT_THRESHOLD


def test_an_answers_heading_is_not_a_clarifying_question():
    from app.pairs.detection import _is_clarifying

    answer = (
        "Bluey is a great choice! Up to about 2 hours a day is generally fine at that age, as long as most of it "
        "is calm, age-appropriate content.\n\n## Tips to make it count\n"
        '- Watch together and ask ("How do you think Bingo feels?").\n- No screens during meals.'
    )
    assert not _is_clarifying(answer.lower())
    assert _is_clarifying("to give you a number: how many users do you have, and which database?")
    assert _is_clarifying(
        "happy to help. to make it concrete, could you share the table sizes? and the plan?"
    )


def test_revised_code_after_praise_is_not_dropped_code():
    from app.pairs.detection import _normalize, _score

    answer = "Use this:\n\n```css\n.header { position: sticky; top: 0; }\n```\n\nIt sticks at the top."
    revision = "Make the wrapper sticky instead:\n\n```css\n.shell { position: sticky; top: 0; }\n```"
    _, signals = _score(_normalize(answer), "looks nice but it stopped sticking", _normalize(revision))
    assert "chosen-drops-code" not in signals


@pytest.mark.parametrize(
    "reply",
    [
        # New work, not a verdict on the answer (seen in real coding sessions: "Part 2 ...", "Create a ... like
        # this:"); the labelling rules count pure extensions as no pair. heuristic-5 read them as stated problems.
        "Part 2\nAdd a retry budget per user and an admin page listing the sends.",
        "Create an email provider class like this: one method per template.",
        "add more to the job: log the user id and the template name",
        # A question with its mark left out asks for more.
        "What are the trade-offs of an outbox compared to a plain Celery task",
        "how does the worker know an email was already sent",
        # Seen in later real sessions: more requests for new work, and "how to" without its mark.
        "push to a remote repository",
        "let's make the welcome email's subject line bold",
        "How to create the folder structure and run this app",
        # Ninth fetch: a chat bot's saved table, one request after the other ("Write ...", "Generate ...", "Craft
        # ..."): the last queued as a stated problem.
        "Craft a response for a workshop on sustainable farming practices for food security.",
        "compose a short toast for my sister's wedding",
    ],
)
def test_new_work_and_unmarked_questions_state_no_problem(reply):
    assert score_of(reply) < DEFAULT_THRESHOLD


def test_a_statement_that_opens_with_when_still_reports_a_problem():
    # "When" opens statements as often as questions: it is not read as a question without its mark.
    assert score_of("when I sign up twice quickly I get two emails") >= DEFAULT_THRESHOLD


# heuristic-7: from the fifth independent batch's dev two thirds (written in other words here).
def test_a_number_set_against_the_answers_reads_as_a_wrong_result():
    reply = "this is great! one thing, i checked and the late fee is 15% not 20%"
    revision = "You're right, the late fee is 15%. Here is the paragraph with the correct figure: ..."
    assert score_between(reply, revision) >= DEFAULT_THRESHOLD


@pytest.mark.parametrize(
    "revision",
    [
        "**Version 1**\nMeet the new spring menu: fresh herbs, bright citrus, nothing fussy.\n\n**Version 2**\n...",
        "## Cover letter\n\nDear Ms. Ortega,\n\nI am writing about the junior analyst role ...",
    ],
)
def test_a_revision_that_redoes_the_work_needs_no_concession(revision):
    # Assistants often redo the work after a curt "no" without a word of concession: a revision that opens with
    # the deliverable is a new version, not a defence.
    assert score_between("nope. no emojis, and no exclamation marks", revision) >= DEFAULT_THRESHOLD
    defence = "Emojis suit this audience: posts with them get more replies, so I would keep them as they are."
    assert score_between("nope. no emojis, and no exclamation marks", defence) < DEFAULT_THRESHOLD


def test_undoing_the_step_concedes_a_why_did_you_question():
    reply = "why did you change the docker compose file. that was not part of this ticket"
    reverted = "Reverted it: `docker-compose.yml` is back to main's version and the PR only touches `api/`."
    assert score_between(reply, reverted) >= DEFAULT_THRESHOLD


@pytest.mark.parametrize(
    "reply",
    [
        "deu erro de novo... pera, erro meu, o arquivo nao estava salvo. agora foi",
        "ça plante encore... ah non, c'est ma faute, j'étais dans le mauvais dossier",
        "that spec fails on main too, it's been red for a week. ignore it and add the column to the export",
        "the upload button wasnt working even before your change. anyway, can you add a progress bar",
        "looks good. while you're at it, add retries to the webhook sender",
    ],
)
def test_the_users_own_slip_an_old_failure_and_more_work_are_no_pair(reply):
    assert score_of(reply) < DEFAULT_THRESHOLD


def test_a_statement_opening_with_did_the_reports_what_happened():
    # "did the port forward, gave them my ip": "did the" opens a statement here, not a question.
    reply = "did the migration on staging like you said and the connection timed out after a minute"
    assert score_of(reply) >= DEFAULT_THRESHOLD


@pytest.mark.parametrize(
    "reply",
    [
        "1番目について、より詳しく説明してください",  # "explain the first one in more detail, please"
        "두 번째 방법을 더 자세히 설명해 주세요",  # Korean: the same
        "请详细说明第二点",  # Chinese: "please explain the second point in detail"
    ],
)
def test_a_polite_request_at_the_end_is_new_work_not_a_problem(reply):
    # Seen in a real Japanese transcript: these languages put the request at the end (or 请 at the start).
    assert score_of(reply) < DEFAULT_THRESHOLD


def test_a_polite_request_after_a_stated_error_is_still_pushback():
    revision = "おっしゃるとおりです。失礼しました。修正した答えです。"
    assert score_between("違います。それは間違いです。直してください", revision) >= DEFAULT_THRESHOLD


@pytest.mark.parametrize(
    "reply",
    [
        "幫我建立 README",
        "建立一個 requirements.txt",
        "帮我加上单元测试",
        "整理目前完成事項 生成一個readme.md",
    ],
)
def test_a_chinese_request_for_new_work_states_no_problem(reply):
    # Seen in a real Copilot chat: "help me create a README", "create a requirements.txt".
    assert score_of(reply) < DEFAULT_THRESHOLD


def test_a_reply_that_is_only_a_code_block_states_a_problem_only_when_it_reads_like_an_error():
    # An exporter that fences every request (a real TRAE chat history) does not make each one a stated problem.
    assert score_of("```\nadd a CSV export button to the reports page\n```") < DEFAULT_THRESHOLD
    trace = "```\nException in thread main java.lang.NullPointerException\n    at Orders.total(Orders.java:31)\n```"
    assert score_of(trace) >= DEFAULT_THRESHOLD


@pytest.mark.parametrize(
    "reply",
    [
        "the export times out on files over 10 MB",
        "on staging the job crashes after the first batch",
        "it deadlocks when two workers start together",
    ],
)
def test_a_short_statement_of_a_failure_weighs_at_least_a_statement_without_one(reply):
    # heuristic-6 and before let a failure word (weight 1.1) stand in for "states a problem" (1.3), so these scored
    # 0.475, below a statement naming no failure at all.
    assert score_of(reply) >= DEFAULT_THRESHOLD


@pytest.mark.parametrize(
    "reply",
    [
        "why does it crash when two workers start?",
        "doesn't this deadlock when two workers start together?",
        "what happens when the broker is down?",
    ],
)
def test_a_question_about_a_failure_implies_an_error(reply):
    # These scored 0.475: the failure word spared them the "asks" penalty but nothing counted the question itself.
    assert score_of(reply) >= DEFAULT_THRESHOLD


def test_a_question_about_a_failure_after_thanks_or_for_new_work_still_asks():
    assert (
        score_of("thanks, that works! what happens if the worker crashes, is there a retry?")
        < DEFAULT_THRESHOLD
    )


def test_the_same_failure_again_is_observed_and_needs_no_concession():
    # "nope" disagrees, but "same thing" reports what happened: the revision need not concede (it scored 0.13).
    assert score_of("nope, same thing") >= DEFAULT_THRESHOLD


def test_still_after_a_modal_asks_what_stays_possible():
    assert (
        score_of("so if I squash them, can I still see the individual commits somewhere?") < DEFAULT_THRESHOLD
    )
    assert score_of("I still get the same timeout") >= DEFAULT_THRESHOLD


def test_delight_in_any_language_states_no_problem():
    assert (
        score_of("hay quá ạ 😍 viết tiếp đi bạn") < DEFAULT_THRESHOLD
    )  # Vietnamese: "so good, keep writing"
    assert score_of("👍 but it still fails on windows") >= DEFAULT_THRESHOLD


@pytest.mark.parametrize(
    "reply",
    [
        "interesting",
        "fair",
        "noted",
        "lol",
        "wow",
        "sounds reasonable",
        "talk later, gotta go",
        "so basically a queue",
        "tell me a joke",
    ],
)
def test_acknowledgements_reactions_and_sign_offs_state_no_problem(reply):
    # Each scored 0.525: a short statement with no cue was read as a problem stated.
    assert score_of(reply) < DEFAULT_THRESHOLD


def test_an_acknowledgement_before_a_complaint_still_complains():
    assert score_of("interesting, but it still fails on windows") >= DEFAULT_THRESHOLD
    assert score_of("hm, same result as before") >= DEFAULT_THRESHOLD


@pytest.mark.parametrize(
    "reply", ["isn't that O(n^2)?", "shouldn't the total include tax?", "why did you remove the logging?"]
)
def test_a_question_answered_with_a_corrected_version_was_an_objection(reply):
    revision = "Here is a corrected version: the loop now keeps a set of seen ids, so each row is read once."
    assert score_between(reply, revision) >= DEFAULT_THRESHOLD


# A revision that concedes, in Chinese and in Japanese: the reply decides.
_CJK_REVISION = {
    "zh": "抱歉，之前的写法有问题。应该先运行 npm ci，再用 tsc -b 构建。",
    "ja": "申し訳ありません、設定が間違っていました。正しくは npm ci を先に実行します。",
}


@pytest.mark.parametrize(
    ("reply", "lang", "cue"),
    [
        ("这个不对，还是报错", "zh", "correction"),  # "this is wrong, still errors": no cue opens the text
        ("运行以后还是不行", "zh", "still-broken"),  # "after running it, it still doesn't work"
        ("你搞错了，这个参数不存在", "zh", "correction"),  # "you got it wrong, that flag doesn't exist"
        ("実行するとまだ同じエラーが出ます", "ja", "still-broken"),  # "running it still gives the same error"
        ("この設定は間違っています", "ja", "correction"),  # "this setting is wrong"
    ],
)
def test_chinese_and_japanese_pushback_is_found_inside_the_text(reply, lang, cue):
    # These languages write no space between words: a cue must be found anywhere, not only after a space (before,
    # only the bare "states a problem" of a short statement spoke for these, at 0.525).
    turns = [
        ("user", FACT_QUESTION),
        ("assistant", FACT_ANSWER),
        ("user", reply),
        ("assistant", _CJK_REVISION[lang]),
    ]
    [pair] = rules_pairs(turns)
    assert cue in pair.signals
    assert pair.score >= DEFAULT_THRESHOLD


@pytest.mark.parametrize(
    ("reply", "lang"),
    [
        ("在 CI 里要不要缓存 node_modules", "zh"),  # "should CI cache node_modules": a question, no mark
        ("这样写对不对", "zh"),  # "is this right?": 对不对 holds 不对 ("wrong") but asks
        ("谢谢！可以了。另外，怎么加缓存？", "zh"),  # "thanks, it works; also, how do I add a cache?"
        ("是我搞错了，是我的配置文件路径", "zh"),  # "my mistake, it was my config path"
        (
            "ありがとうございます、動きました。次にテストを追加して",
            "ja",
        ),  # "thanks, it works; next add tests"
        ("これで合っていますか", "ja"),  # "is this right?"
    ],
)
def test_chinese_and_japanese_questions_thanks_and_own_slips_state_no_problem(reply, lang):
    assert score_of(reply) < DEFAULT_THRESHOLD


# heuristic-8: from the sixth independent batch's dev two thirds (written in other words here).
def _pair(answer: str, reply: str, revision: str) -> tuple[float, tuple[str, ...]]:
    pairs = rules_pairs([("user", QUESTION), ("assistant", answer), ("user", reply), ("assistant", revision)])
    return (pairs[0].score, pairs[0].signals) if pairs else (0.0, ())


@pytest.mark.parametrize(
    ("reply", "revision"),
    [
        # A negative question that the revision says yes to: an objection, conceded.
        (
            "wasn't that method renamed to fetchAll in v3?",
            "Yes - since v3 the client exposes fetchAll, and the old name was removed. The call becomes "
            "client.fetchAll(query), and the pagination options move into its second argument.",
        ),
        # German puts the verb first; Arabic thanks first, then "isn't the limit 50?", and the revision concedes.
        (
            "Moment, läuft das nicht weiter, wenn der Worker neu startet? Dafür gibt's doch einen Lock.",
            "Ja, das war falsch von mir: der Job läuft weiter. Mit dem Lock aus der Datenbank wird er beim "
            "Neustart übersprungen, der Code unten holt ihn vor dem Senden.",
        ),
        (
            "شكراً، بس أليس الحد الأقصى 50 طلباً في الدقيقة؟",
            "معك حق، الحد هو 50 طلباً في الدقيقة وليس 100. إليك الإعداد المصحح مع إعادة المحاولة بعد الانتظار.",
        ),
    ],
)
def test_a_negative_question_the_revision_concedes_is_an_objection(reply, revision):
    score, signals = _pair(ANSWER, reply, revision)
    assert "objects" in signals
    assert score >= DEFAULT_THRESHOLD


def test_a_negative_question_the_revision_holds_against_stays_a_question():
    assert score_between("isn't it null though?", HOLDS) < DEFAULT_THRESHOLD


def test_the_right_number_stated_last_reads_as_a_wrong_result():
    answer = "Summary slide: 40 active users in March, retention 80%, two new plans launched."
    revision = "Summary slide: 45 active users in March, retention 80%, two new plans launched."
    score, signals = _pair(answer, "the summary says 40 users. its 45", revision)
    assert "wrong-output" in signals
    assert "chosen-restates" not in signals
    assert score >= DEFAULT_THRESHOLD
    # A number the answer already gave is no correction ("its 80" agrees with it).
    assert "wrong-output" not in _pair(answer, "what was retention again? its 80", revision)[1]


@pytest.mark.parametrize(
    "reply",
    [
        "ok we decided on lisbon instead, can you redo the plan for lisbon",  # the plan changed
        "cool. now read the ids from a csv instead, skip the header row",  # after going along, more work
        "go",
        "lgtm. commit",
        "push it, then same thing for the billing service",  # "same thing for" is the next step, not a failure
        "nah the queue is fine. add a retry limit of 3",  # declines a suggestion
        "no, that's fine, keep it",
        "and is it ok to run it twice a day",  # a question after "and", typed without its mark
        "now also add tests for it",
        "the PM says we drop the mobile layout after all, simplify",  # the requirement changed
        "sure. I studied chemistry. actually no, let me start again, I did biology first",  # the user's own restart
    ],
)
def test_next_steps_new_plans_and_the_users_own_restarts_state_no_problem(reply):
    assert score_of(reply) < DEFAULT_THRESHOLD


def test_a_no_that_answers_a_question_about_the_person_is_no_pushback():
    answer = (
        "Good start. Next question: have you used Docker in a team setting, and how did you share images?"
    )
    revision = (
        "That's fine for a junior role: say what you did with it and that you're keen to learn the rest."
    )
    assert _pair(answer, "no, not at work, only for my own projects", revision)[0] < DEFAULT_THRESHOLD


@pytest.mark.parametrize(
    "reply",
    [
        "Τέλειο, ευχαριστώ! Πόσο κοστίζει η ανανέωση;",  # Greek: "perfect, thanks! how much is renewal?" (; asks)
        "โอเคค่ะ ใช้ได้เลย ขอบคุณค่ะ ควรส่งตอนไหนดีคะ",  # Thai: "ok, it works, thanks; when should I send it?"
        "дякую, все працює. а як додати ще одну мову?",  # Ukrainian: "thanks, it works. how do I add a language?"
    ],
)
def test_thanks_and_questions_in_more_languages_state_no_problem(reply):
    assert score_of(reply) < DEFAULT_THRESHOLD


def test_a_command_name_in_the_reply_is_no_praise():
    # "top" praised in German ("Top!") only opens a reply; in "kubectl top pods" it is a command.
    assert (
        "praise" not in _pair(ANSWER, "still failing, kubectl top pods shows the worker at 100%", REVISION)[1]
    )


def test_a_conceding_revision_that_names_its_own_mistake_does_not_defend():
    # "isn't true" matched a defence (-4.0) although the revision opens by conceding (seen in a Copilot page copy).
    revision = (
        "You're right - my pattern assumed every domain has a dot, which isn't true for internal host names. This "
        "version also accepts single-label domains such as ana@example."
    )
    reply = "that's wrong for us, our intranet addresses have no dot after the @"
    score, signals = _pair(ANSWER, reply, revision)
    assert "chosen-defends" not in signals
    assert score >= DEFAULT_THRESHOLD
    # Conceding a part and then defending still defends.
    partly = "You're right that it is strict, but the pattern is still correct for real email addresses."
    assert _pair(ANSWER, reply, partly)[0] < DEFAULT_THRESHOLD


# From the seventh independent batch's dev two thirds (written in other words here).
@pytest.mark.parametrize(
    "reply",
    [
        "finals next week. do you ever get bored of answering the same questions",  # a question in the last clause
        "right, makes sense. what's the difference between a view and a table then",
        "whats a tuple",
        "why z and not t here",
        "ooh. continue the story",
        "the chorus line got me. can you write a second verse about the lake",  # new work in the last clause
        "no rows, which is correct, nothing has shipped yet. make it alert us when one shows up",
        "update: the team decided this moves to bigquery next sprint. same query for bigquery please",
        "perfect, that's it. however I also want the failing ones. can I get the status next to each id?",
        "hmm interesting, why does that work though",
    ],
)
def test_questions_and_requests_in_a_later_clause_state_no_problem(reply):
    assert score_of(reply) < DEFAULT_THRESHOLD


def test_try_again_after_an_offered_rerun_takes_the_offer():
    answer = (
        "Everything passed except test_upload, a known flaky test. Want me to rerun just the failed test?"
    )
    revision = "Reran test_upload three times: it passed each time, so the failure was the flake."
    assert _pair(answer, "try again", revision)[0] < DEFAULT_THRESHOLD
    # Without an offer, "try again" after a wrong result asks for a redo.
    assert "redo" in _pair(ANSWER, "try again", REVISION)[1]


def test_doing_the_work_asked_for_concedes_nothing():
    revision = "Done: I added a detection line at 14:12 and moved the timeline under it."
    assert _pair(ANSWER, "add a detection line, the alert fired at 14:12", revision)[0] < DEFAULT_THRESHOLD


@pytest.mark.parametrize(
    ("reply", "revision"),
    [
        (
            "that's way too cheesy, my family roasts each other, keep it dry",
            "Here's a drier version: two sentences, one joke about his cooking, no destiny or soulmates.",
        ),
        (
            "no way anyone believes a person wrote this, it sounds like chatgpt. make it sound like me",
            "Fair point. Shorter sentences, no buzzwords, and the detail about the bakery on your street.",
        ),
        (
            "danke! aber das ist kein Sonett, sondern eine Ballade",
            "Da hast du völlig recht, es ist eine Ballade. Hier die korrigierte Einordnung mit Strophen und Versen.",
        ),
        (
            "可是課本答案寫 2.14 耶，是不是要除以 n-1",
            "對，你說得沒錯！樣本標準差的分母是 n − 1，重算後是 2.14。",
        ),
        (
            "nö, läuft immer noch mit 1.4.1",
            "Dann greift --reuse-values nicht: setz den Tag mit --set image.tag=1.4.2.",
        ),
    ],
)
def test_style_rejections_and_objections_in_more_languages_are_pushback(reply, revision):
    assert _pair(ANSWER, reply, revision)[0] >= DEFAULT_THRESHOLD


# From the eighth independent batch's dev two thirds (written in other words here).
@pytest.mark.parametrize(
    ("reply", "revision"),
    [
        (
            "This is far too aggressive for a supplier we've worked with for ten years. Tone it down.",
            "You're right, that reads as a threat. Here is a warmer version that keeps the new dates.",
        ),
        (
            "Thanks, this helps. One issue though: delivery is on the 14th, not the 15th (I mentioned it above).",
            "Sorry, I used the wrong date. The schedule below starts from the 14th.",
        ),
        (
            "ありがとうございます。納期は25日ではなく22日とお伝えしていたかと存じます。",
            "大変失礼いたしました。納期を22日に修正いたしました。",
        ),
        (
            "이건 사내 공지인데 보도자료처럼 읽혀요. 다시 써 주세요.",
            "죄송합니다. 사내 공지에 맞게 필요한 내용만 담아 다시 썼습니다.",
        ),
    ],
)
def test_professional_corrections_and_style_rejections_are_pushback(reply, revision):
    assert _pair(ANSWER, reply, revision)[0] >= DEFAULT_THRESHOLD


@pytest.mark.parametrize(
    "reply",
    [
        "No, that's right - I got the same total, I only wanted to check. Can you also give me the yearly sum?",
        'When you say unused days "cannot be forfeited", do you mean we pay them out when someone leaves?',
    ],
)
def test_agreeing_no_and_clarifying_questions_state_no_problem(reply):
    assert score_of(reply) < DEFAULT_THRESHOLD


@pytest.mark.parametrize(
    "reply",
    [
        "plan looks good, go",
        "now the admin controller",
        "1, use the existing redis",
        "dale, commiteá",
        "Tamam, mantıklı. Öyle kalsın.",
        "heads up: we decided in today's sync to drop Node 18, so use the global fetch",
        "방금 PM이랑 얘기했는데 기획이 바뀌었어요. 기본값은 켜짐으로 해 주세요.",
        "perfect, that's exactly what was wrong. can you also draft a note to the customer?",
    ],
)
def test_approvals_picks_and_changed_plans_state_no_problem(reply):
    assert score_of(reply) < DEFAULT_THRESHOLD


def test_an_agent_that_deleted_the_check_is_corrected_and_a_russian_concession_counts():
    revision = (
        "You're right, deleting the assertion hid a real bug. Restored it and fixed the rounding instead."
    )
    reply = "wow great, tests pass because you deleted the assertion. the total was right, the refactor is what's broken"
    assert _pair(ANSWER, reply, revision)[0] >= DEFAULT_THRESHOLD
    russian = "Да, это ошибка: ручная правка не обновляет дескриптор. Откатил её и перегенерировал через buf generate."
    reply = "Зачем ты руками правишь order.pb.go? Это сгенерированный файл"
    assert _pair(ANSWER, reply, russian)[0] >= DEFAULT_THRESHOLD


# From the ninth independent batch's dev two thirds (written in other words here).
@pytest.mark.parametrize(
    ("reply", "revision"),
    [
        (
            "ESO NO ES LO QUE TE PEDÍ, te dije sin gluten",
            "Tienes toda la razón, perdón: la harina de trigo tiene gluten. Aquí va la receta con harina de arroz.",
        ),
        (
            "wala kaming oven eh, kawali lang meron kami",
            "Okay lang! Pwede sa kawali: takpan at lutuin sa mahinang apoy nang 40 minuto.",
        ),
        (
            "ye galat hai bhai, bank ne bola hai reducing balance pe hai",
            "Haan, tum sahi ho — reducing balance pe EMI 2,350 aati hai, flat rate pe nahi.",
        ),
    ],
)
def test_pushback_in_everyday_code_switching_is_found(reply, revision):
    assert _pair(ANSWER, reply, revision)[0] >= DEFAULT_THRESHOLD


def test_a_taglish_own_typo_states_no_problem():
    assert score_of("ay sorry po mali pala ang na-type ko, 2 kilos lang po hindi 3") < DEFAULT_THRESHOLD


@pytest.mark.parametrize(
    "reply",
    [
        "Your table says $14 per seat, but the page you cite shows $12 billed annually. Which is it?",
        "You basically rephrased the abstract. The method and the limitations are missing.",
        "Merci, mais vous avez reformulé le résumé : la méthode n'apparaît pas.",
    ],
)
def test_an_answer_set_against_itself_or_only_rephrased_is_pushback(reply):
    revision = "You're right: $12 is the annual price and $14 the monthly one. Corrected table below."
    assert _pair(ANSWER, reply, revision)[0] >= DEFAULT_THRESHOLD


def test_continue_with_the_next_part_continues():
    assert score_of("Continue with what the crew looked like.") < DEFAULT_THRESHOLD


# heuristic-9: from the tenth independent batch's dev two thirds (written in other words here), and "you're right",
# "wrong", "doesn't work" in more languages, written from how those languages say it.
@pytest.mark.parametrize(
    ("reply", "revision"),
    [
        (
            "my landlord's solicitor read your letter and said there is no 14-day rule at all. did you make that up?",
            "I got that wrong: there is no fixed 14-day rule. The deposit must be protected within 30 days; "
            "here is the letter without that claim.",
        ),
        (
            "lovely, thank you! would it be possible to make it sound less like an advert? it's a two-person bakery",
            "Ha, fair enough. Here's a plainer version in your own voice: We're two bakers and one oven ...",
        ),
        (
            "not quite what the board had in mind, they want outcomes first and features underneath",
            "Got it, outcomes first. Here is the outline restructured around the three outcomes ...",
        ),
        (
            "VLOOKUP gives #N/A in every row, the codes are in column C and the names left of them",
            "That's the cause: VLOOKUP only looks to the right. Use INDEX/MATCH instead: ...",
        ),
        (
            "Στα 20 μέτρα η πίεση δεν είναι 3 bar; Δεν μετράμε και την ατμόσφαιρα;",
            "Ναι, σωστά, ξέχασα την ατμόσφαιρα: η απόλυτη πίεση είναι 3 bar. Ο διορθωμένος υπολογισμός ...",
        ),
        (
            "Subiri, 50,000 ukiongeza 16% ni 58,000, si 60,000. Kuna kosa kwenye hesabu?",
            "Ndiyo, umeona sawa, nilikosea: VAT ni 8,000. Hesabu sahihi ni hii ...",
        ),
        (
            "Ні, це посадка з зазором. Звідки там натяг?",
            "Так, ви праві, я помилився: H7/g6 дає лише зазор. Граничні зазори такі ...",
        ),
    ],
)
def test_hedged_and_domain_pushback_in_more_languages_is_found(reply, revision):
    assert _pair(ANSWER, reply, revision)[0] >= DEFAULT_THRESHOLD


@pytest.mark.parametrize(
    "reply",
    [
        "hmm. thinking out loud here, but if solo users stay free forever, does that even matter for revenue",
        "ugh the contractor is useless, he says it's fine. anyway what do I check before I pay him",
        "kept getting #REF!, turns out the sheet name had a space at the end, fixed now. how do I sum across tabs",
        "oops, I gave you the wrong width, it's 30 cm not 20. redo?",
        "haha no worries, I'll do the slides myself. how was your day",
        "ok so stage 3a. anything to change in the dose at that level",
        "the client now wants it the other way round: prices include VAT, split out the tax",
    ],
)
def test_musing_third_parties_own_slips_and_new_requirements_state_no_problem(reply):
    assert score_of(reply) < DEFAULT_THRESHOLD


def test_a_no_that_answers_the_answers_question_and_a_kept_figure_are_no_pushback():
    answer = "Sailing vessels usually have right of way. Were you motoring at all, even with the sails up?"
    revision = "Then you were a sailing vessel, and the motorboat had to give way."
    assert _pair(answer, "no, engine off the whole time, only sails", revision)[0] < DEFAULT_THRESHOLD
    defended = (
        "The 45-minute rule covers night VFR too, so the reserve for your flight is still 45 minutes. "
        "30 minutes is the daytime figure."
    )
    assert _pair(ANSWER, "no that's wrong, it's 30 minutes for VFR", defended)[0] < DEFAULT_THRESHOLD


# heuristic-9, second step: from the eleventh independent batch's dev two thirds (written in other words here).
@pytest.mark.parametrize(
    ("reply", "revision"),
    [
        (
            "thanks! tho one thing, the contract gives me 30 days notice so I'm not late at all. take that part out",
            "Good catch: with 30 days' notice you are on time, so the email no longer mentions lateness.",
        ),
        (
            "bhai pakka? mere dost ne kaha 3 saal ki chahiye, website pe bhi 3 saal likha hai",
            "Aap sahi keh rahe hain, main ne 2 saal ghalat likha. 3 saal ki history chahiye.",
        ),
        (
            "el app msh rady yetnazel 3ala el mobile, fe tare2a tanya?",
            "Tab momken tedfa3 men el website mobasharatan, aw men fawry. Di el khatawat: ...",
        ),
        (
            "peraí, 450 x 12 nao da 5.400? vc colocou 5.100",
            "Isso mesmo, errei a conta: 12 × 450 = R$ 5.400. Refazendo com o valor certo ...",
        ),
        (
            "si ni 7,500? 12 minus 4.5 ni 7.5",
            "Kweli, samahani: 12,000 − 4,500 = 7,500. Kila awamu ni 3,750.",
        ),
    ],
)
def test_pushback_typed_on_phones_and_in_a_second_language_is_found(reply, revision):
    assert _pair(ANSWER, reply, revision)[0] >= DEFAULT_THRESHOLD


@pytest.mark.parametrize(
    "reply",
    [
        "ok so the bank app was being so dumb, kept saying error for an hour 🙄 but it finally went through. how much can I send a day",
        "thanks 🙏 ok diff thing, is this forward my aunt sent real?",
        "oya continue",
        "buenazo graciass!! ahora ponle cuanto cuesta todo en soles",
        "Ah yes, I see now, my wrong was exactly there, I forgot the minus. Can you give me 2 more exercises?",
        "No, thank you, this is all for today.",
        "He finished. Continue with the solutions please.",
    ],
)
def test_phone_typed_thanks_continues_and_own_slips_state_no_problem(reply):
    assert score_of(reply) < DEFAULT_THRESHOLD


def test_a_doubt_the_revision_holds_against_is_no_pair():
    held = (
        "I understand the intuition, but (b) is still **not included**: GDP counts production in the year, and the "
        "used car was produced in 2018."
    )
    assert (
        _pair(
            ANSWER,
            "Hmm, I think (b) is yes, because it was sold in 2023. My friend also say it counts.",
            held,
        )[0]
        < DEFAULT_THRESHOLD
    )


# heuristic-9, third step: from the twelfth independent batch's dev two thirds (written in other words here).
@pytest.mark.parametrize(
    ("reply", "revision"),
    [
        (
            "Euh, t'as-tu lu mon message? J'ai pas de balcon pis c'est l'hiver, je peux pas peinturer dehors",
            "T'as raison, excuse-moi : sans ventilation, oublie l'aérosol. Voici une méthode au pinceau ...",
        ),
        (
            "oh wow nothing screams cozy like 'a symphony of flavors' 🙄 this reads like a greeting card",
            "Fair, that was syrupy. Here's a plainer one: ...",
        ),
        (
            "Thank you, this is useful. One observation: clause 9.3 excludes confidentiality from the cap.",
            "You are correct; I misread 9.3. Confidentiality is uncapped in their draft, so ...",
        ),
        (
            "Vielen Dank. Ich sehe das allerdings anders: Er handelt nur weisungsgebunden, also Art. 28.",
            "Sie haben recht, meine Einordnung war falsch: ein Auftragsverarbeiter nach Art. 28 ...",
        ),
    ],
)
def test_hedged_formal_and_sarcastic_pushback_of_the_twelfth_batch_is_found(reply, revision):
    assert _pair(ANSWER, reply, revision)[0] >= DEFAULT_THRESHOLD


@pytest.mark.parametrize(
    "reply",
    [
        "The CFO decided this morning to lower the threshold to EUR 20,000. Please produce the new version.",
        "Now also require MFA and restrict it to our office range.",
        'Output as requested.\n\n```\nError from server (NotFound): pods "api-7f" not found\n```',
        "omg this slaps 😭 keep going, do the chorus",
    ],
)
def test_new_requirements_requested_output_and_slang_praise_state_no_problem(reply):
    assert score_of(reply) < DEFAULT_THRESHOLD


def test_a_yes_or_no_to_the_answers_question_is_an_answer_and_to_an_offer_is_not():
    asked = (
        "Sow tomatoes indoors in late February and plant them out in March if the greenhouse is heated; cucumbers "
        "need a few degrees more, so sow them two weeks later. In an unheated one, wait until the nights stay above "
        "ten degrees. Is it heated, or unheated?"
    )
    revision = "An unheated greenhouse stays too cold in March, so sow in April."
    assert _pair(asked, "Nej, det er uopvarmet.", revision)[0] < DEFAULT_THRESHOLD
    # After an offer the same "no" rejects what was done: the problem it states still counts.
    offered = (
        "Her er ansøgningen: Kære ansættelsesudvalg, jeg søger stillingen som dataanalytiker, fordi jeg i fem år har "
        "arbejdet med rapporter, SQL og Power BI i en logistikvirksomhed, hvor jeg byggede de ugentlige lagertal. "
        "Venlig hilsen, Mette. Want me to tailor it to the job posting?"
    )
    shorter = "Her er en version på under 250 ord: ..."
    assert "states-problem" in _pair(offered, "Nej, den skal være under 250 ord.", shorter)[1]


# heuristic-10: from the thirteenth independent batch's dev two thirds (written in other words here): a coding
# agent's session, where the person approves, takes over or gives the next step in a few words.
AGENT_ANSWER = (
    "Updated `billing/invoice.py` so totals are rounded once, at the end:\n\n```python\ndef total(lines):\n"
    "    return round(sum(l.amount for l in lines), 2)\n```\n\nAll 48 tests pass."
)
AGENT_NEXT = (
    '```\n$ git add billing/invoice.py\n$ git commit -m "fix(billing): round totals once"\n'
    "[main 4e1c2aa] fix(billing): round totals once\n```\n\nCommitted on `main`."
)


@pytest.mark.parametrize(
    "reply",
    [
        "y",
        "y looks fine",
        "green on CI 🎉 tag it",
        "nice, now commit and push",
        "much better. same treatment for the refunds module",
        "the plan reads fine, I'll deploy it myself tomorrow",
        "ficou certo, commita aí",
        "drop the lockfile change, that was me trying a newer eslint",
        "revert 7d1e0f2 as well, it's my commit from friday and it's unrelated",
    ],
)
def test_an_agents_next_step_approval_or_takeover_states_no_problem(reply):
    score, signals = _pair(AGENT_ANSWER, reply, AGENT_NEXT)
    assert score < DEFAULT_THRESHOLD, signals


@pytest.mark.parametrize(
    ("reply", "revision"),
    [
        # The person's own slip, in Korean ("sorry, I misread the problem, it's 6 m not 3 m, can you redo it")
        # and in English: no pair, though a redo follows.
        (
            "앗 죄송해요 제가 문제를 잘못 읽었어요 길이가 3m가 아니라 6m예요 다시 해주세요",
            "길이가 6m라면 ...",
        ),
        (
            "Sorry, I've made a mistake: the class has 32 pupils, not 23. Redo the table?",
            "With 32 pupils ...",
        ),
    ],
)
def test_the_persons_own_slip_in_more_forms_is_no_pair(reply, revision):
    assert _pair(ANSWER, reply, revision)[0] < DEFAULT_THRESHOLD


def test_praise_and_the_next_item_in_spanish_state_no_problem():
    assert (
        score_of("buenísimo 👌 ahora otra cita: un artículo de revista con dos autores") < DEFAULT_THRESHOLD
    )


@pytest.mark.parametrize(
    ("reply", "revision"),
    [
        # "thanks, but I said three sections, not four. The school only uses three." "You're right, here it is in
        # three sections: ..."
        ("شكرا، بس انا قلت ٣ أقسام مش ٤. المدرسة بتستخدم ٣ بس.", "معك حق، هذه نسخة بثلاثة أقسام فقط: ..."),
        # "the teacher said L'Hôpital loses marks, solve it again the textbook way"
        ("선생님이 로피탈 쓰면 감점이래요. 교과서 방식으로 다시 풀어 주세요", REVISION),
    ],
)
def test_i_said_in_arabic_and_solve_again_in_korean_are_pushback(reply, revision):
    assert _pair(ANSWER, reply, revision)[0] >= DEFAULT_THRESHOLD


# An answer with no words (tool calls the person rejected) is a break: the person's turns on its two sides are not
# one reply, and no pair reaches across it.
CUT_TURNS = [
    ("user", "where are the keybindings defined?"),
    ("assistant", "They are in `~/.config/hypr/hyprland.conf`, in the `bind =` lines."),
    ("user", "no, I made them in a separate file, check the sourced ones"),
    ("assistant", ""),
    ("user", "never mind that. how do I pick this session up again after closing you?"),
    ("assistant", "Run `claude --resume` in the same folder and pick this session from the list."),
]


def test_no_pair_reaches_across_an_answer_without_words() -> None:
    assert rules_pairs(CUT_TURNS) == []
    # Without the break the two replies read as one and the next answer as the revision.
    merged = [turn for turn in CUT_TURNS if turn[1]]
    assert [(p.rejected, p.pushback, p.chosen) for p in rules_pairs(merged)] == [(1, 2, 4)]


# heuristic-10, second step: from the fourteenth batch's dev two thirds (written in other words here).
@pytest.mark.parametrize(
    "reply",
    [
        "ah d'accord, vas-y alors",
        "le reste est bon, allez-y",
        "sweet. open a PR and ask Ana to review",
        "y do that",
        "actually also log the request id, support needs it",
        "rerun just the sync tests with -vv",
    ],
)
def test_go_ahead_the_next_step_and_a_rerun_state_no_problem(reply):
    score, signals = _pair(AGENT_ANSWER, reply, AGENT_NEXT)
    assert score < DEFAULT_THRESHOLD, signals


@pytest.mark.parametrize(
    ("reply", "revision"),
    [
        (
            "Hmm, the council website says bins go out on Tuesday, not Monday. So which is it?",
            "You're right, the council's page wins: bins go out on Tuesday evening.",
        ),
        (
            "Acabei de ver no site das Finanças: a entrega é só em abril. Afinal em que ficamos?",
            "Tem razão, a entrega da declaração é de 1 de abril a 30 de junho.",
        ),
    ],
)
def test_a_source_set_against_the_answer_then_which_is_it_is_pushback(reply, revision):
    assert _pair(ANSWER, reply, revision)[0] >= DEFAULT_THRESHOLD


# From false pairs in real files people committed (2026-12-07; written in other words here): a reply that asks for
# more, goes ahead, picks an option the answer offered, names the next exercise or opens a request in Chinese.
MENU_ANSWER = (
    "The slow part is the report query: it scans the orders table for every request, about 1.8 seconds each, and "
    "the numbers only change when the nightly import runs. Caching the response is the cheapest fix. There are "
    "three ways to do it here.\n\n(A) An in-process LRU dictionary: no new service and the fastest reads, but every "
    "worker keeps its own copy, so four workers compute the report four times, and a restart empties it.\n\n(B) "
    "Redis with a TTL per key: one copy shared by every worker, survives restarts, and you already run Redis for "
    "the task queue. It costs one network round trip per read, well under a millisecond on the same host.\n\n(C) A "
    "table in the database you already have, refreshed by the nightly import: no TTL to tune and always consistent "
    "with the data, but the import job has to know about the cache and a failed refresh serves stale numbers "
    "until the next night.\n\nA and B can be added in an afternoon; C needs a change to the import. Which one "
    "should I set up?"
)
MENU_NEXT = (
    "Setting up B: a Redis client in cache.py, created once per worker from REDIS_URL; keys are prefixed by the "
    "endpoint's name and hold the JSON of the response, with a TTL of ten minutes. The decorator @cached wraps "
    "the three slow endpoints, and a failed Redis call falls through to the database instead of failing the request."
)


@pytest.mark.parametrize(
    "reply", ["more", "more please", "go for it", "ok, go for it", "B", "option 2", "the second one", "question 3",
              "q2", "说说什么是缓存穿透", "介绍一下 Redis 的持久化"],
)  # fmt: skip
def test_more_going_ahead_and_picking_an_option_state_no_problem(reply):
    score, signals = _pair(MENU_ANSWER, reply, MENU_NEXT)
    assert score < DEFAULT_THRESHOLD, signals


def test_a_few_words_taken_from_the_answers_closing_question_answer_it():
    answer = ANSWER + " Which area do you want to go deeper into: frontend, backend or infrastructure?"
    path = (
        "Backend it is. Start with HTTP itself: methods, status codes and headers, by writing a tiny server with the "
        "standard library. Then a framework (Django or FastAPI), then SQL and one database in depth, then queues "
        "and background jobs, and last how to deploy and watch a service: logs, metrics and alerts."
    )
    assert _pair(answer, "backend", path)[0] < DEFAULT_THRESHOLD
    # A terse correction after a check-in question is still a problem stated.
    checked = ANSWER + " Does that answer it?"
    assert _pair(checked, "it's 1997", "You're right, it was 1997.")[0] >= DEFAULT_THRESHOLD


@pytest.mark.parametrize(
    "reply",
    ["why didnt you look it up in the changelog", "why did you not check the changelog first?",
     "why haven't you used the changelog"],
)  # fmt: skip
def test_asking_why_the_answer_did_not_do_something_is_pushback(reply):
    """A real Cursor session: "why didnt you run the cli to get the tasks" after an answer from memory."""
    revision = (
        "The changelog says the flag was renamed in 4.2: use --no-cache instead of --skip-cache; the old name was "
        "removed in 5.0, which is why your build fails. Update the CI script and the Makefile target the same way."
    )
    assert _pair(ANSWER, reply, revision)[0] >= DEFAULT_THRESHOLD


def test_an_answer_given_again_word_for_word_is_no_pair():
    """A question sent twice and answered the same both times (a real chat log): nothing was revised."""
    turns = [
        ("user", "what is the formula of gold"),
        ("assistant", "Gold's symbol is Au; its atomic number is 79."),
        ("user", "That's wrong, what is the formula of gold"),
        ("assistant", "Gold's symbol is Au; its atomic number is 79."),
    ]
    assert rules_pairs(turns) == []


@pytest.mark.parametrize(
    "reply",
    [
        "you are pretty!",
        "You are dressed well today!",
        "you look so cute",
        "Ana: could you tell me the formula of gold",
    ],
)
def test_compliments_to_the_character_and_a_named_request_state_no_problem(reply):
    """A real companion chat complimented the character and prefixed the person's name to a request."""
    answer = (
        "Hey Mario, nice to meet you! I'm Lia, I stream games and chemistry quizzes every evening. Ask me anything "
        "about the periodic table, or tell me what you've been playing lately."
    )
    revision = (
        "Aww, thank you! I picked this outfit for tonight's stream. Gold, by the way, is Au, element 79: soft, "
        "dense and it never rusts, which is why old coins still shine."
    )
    score, signals = _pair(answer, reply, revision)
    assert score < DEFAULT_THRESHOLD, signals


@pytest.mark.parametrize(
    "reply", ["ya", "iya, lanjut", "sudah saya ganti", "buat seed data di file terpisah"]
)
def test_indonesian_yes_done_and_requests_state_no_problem(reply):
    """A real OpenCode session in Indonesian: "ya" after the agent's plan, "sudah saya ganti" ("I've switched it")
    after it asked for plan mode to be turned off, and "buat ..." ("make ...") for the next task."""
    answer = (
        "Rencananya sudah siap: 12 task, mulai dari model database sampai halaman login. Saya masih dalam Plan Mode "
        "(read-only), jadi belum bisa menulis file. Ganti ke Build Mode supaya saya bisa mulai mengerjakannya."
    )
    revision = (
        "Semua 12 task sudah selesai. Backend di server/ punya endpoint auth, user dan laporan; client di client/ "
        "memanggilnya lewat api.py. Jalankan uvicorn server.main:app lalu streamlit run client/app.py untuk mencoba."
    )
    score, signals = _pair(answer, reply, revision)
    assert score < DEFAULT_THRESHOLD, signals


@pytest.mark.parametrize(
    "reply",
    [
        "Migrate the docs site\n\nImplement the plan as specified, it is attached for your reference. Do NOT edit "
        "the plan file itself.",
        "Implement the following plan:\n\n# Docs site\n\n1. Move the pages.",
        "关于第一点 必须用new调用\n\n两种调用方式的区别是什么",
        "class声明创建了一个类\n\n请问类 和 我理解的构造函数 差异在哪",
    ],
)
def test_an_approved_plan_and_a_chinese_question_word_at_the_end_state_no_problem(reply):
    """Real exports: Cursor's and Claude Code's message when the person clicks to build the plan, and Chinese
    questions that end on their question word ("where is the difference", "what is the difference") without a mark."""
    answer = ANSWER + " The plan is in docs/plan.md: move the pages, then switch the build."
    revision = (
        "Done: the pages moved to content/, the build runs next build, and the old generator is gone. "
        "Constructors and classes differ mainly in that a class must be called with new and is not hoisted."
    )
    score, signals = _pair(answer, reply, revision)
    assert score < DEFAULT_THRESHOLD, signals


def test_a_shouted_no_and_u_disabled_are_pushback_and_okay_or_what_agrees_to_nothing():
    """A real Kiro export: "NOOO!! NOW U DISABLED THE DRAG ... U ARE OKAY OR WHAT!!", then "You're absolutely
    right! I apologize!"; before, "are okay" read as agreement and the pair was lost."""
    reply = "NOOO!! NOW U DISABLED THE DRAG FOR THE WHOLE PAGE! SERIOUSLY U ARE OKAY OR WHAT!! ONLY THE EDITOR MODE SHOULD BLOCK IT"
    revision = (
        "You're absolutely right, I apologize! Dragging stays enabled on the page; only editor mode blocks the "
        "page's own drag handlers now, and the editor's drag keeps working there."
    )
    assert _pair(ANSWER, reply, revision)[0] >= DEFAULT_THRESHOLD


# heuristic-12: from the fifteenth independent batch's dev two thirds (written in other words here).
@pytest.mark.parametrize(
    "reply",
    [
        "sigue porfa, quiero saber cómo termina",
        "la B, no quiero tocar la config de prod",
        "2번으로 해줘. 팀이랑 이미 얘기했어",
        "ooh the cast iron one. where do I buy it",
        "update the fixtures and run the whole suite again",
        "docs too pls",
        "对上了。再按月拆一下北京的",
        "Pardon yanlış dosyayı yapıştırmışım, doğrusu bu:",
    ],
)
def test_more_picks_also_and_own_mistakes_in_more_words_state_no_problem(reply):
    score, signals = _pair(MENU_ANSWER, reply, MENU_NEXT)
    assert score < DEFAULT_THRESHOLD, signals


def test_super_describing_someone_is_no_praise_and_are_you_serious_is_pushback():
    from app.pairs.detection import _normalize, _score

    _, signals = _score(
        _normalize(ANSWER), "way too stiff. hes super chill, 3 sentences max", _normalize(REVISION)
    )
    assert "praise" not in signals
    assert "wrong-output" in signals
    _, signals = _score(_normalize(ANSWER), "super, danke!", _normalize(REVISION))
    assert "praise" in signals
    _, signals = _score(_normalize(ANSWER), "哈哈 你认真的？他看得懂才怪", _normalize(REVISION))
    assert "correction" in signals


def test_stopping_under_the_stored_floor_changes_no_pair(monkeypatch):
    """The score stops being worked out once only lowering terms are left and the pair is already under
    MIN_STORED_SCORE (it is dropped whatever they add). Without that stop every set finds the same pairs, with
    the same scores and signals."""
    import app.pairs.detection as detection

    conversations = [turns for split in ("tuning", "heldout") for _, turns, _ in own_set(split)]
    for split in ("dev", "heldout"):
        lines = (DETECTION / "independent" / split / "convspec.jsonl").read_text("utf-8").splitlines()
        conversations += [[(t["role"], t["text"]) for t in json.loads(line)["turns"]] for line in lines]
    stopped = [rules_pairs(turns) for turns in conversations]
    monkeypatch.setattr(detection, "_STORED_Z", float("-inf"))
    assert [rules_pairs(turns) for turns in conversations] == stopped
    assert sum(map(len, stopped)) > 500


# heuristic-13: from a fifth fetch of real files (written in other words here).
CHOICE_ANSWER = (
    "Your notes can move in two ways. The vault can stay where it is and the new laptop can open it over the "
    "network share, which keeps one copy but needs the share mounted. Or the whole vault can be copied into the "
    "laptop's documents folder and synced from there, which works offline.\n\nDo you want to keep the vault on the "
    "network share, or copy the whole vault into the documents folder so it works offline?"
)
CHOICE_NEXT = (
    "Copying the vault: close the app on both machines, copy the vault folder with its hidden .obsidian folder into "
    "Documents, then open it from the laptop with Open folder as vault. The sync plugin picks it up from there."
)


CHOICE_ANSWER_PT = (
    "Dá para levar as receitas de dois jeitos: deixar a planilha onde está e só compartilhar o link com a sua irmã, "
    "ou montar um caderno novo no Notion com uma página por receita.\n\nVocê prefere só compartilhar o link da "
    "planilha, ou quer montar o caderno no Notion com todas as receitas?"
)


@pytest.mark.parametrize(
    ("answer", "reply"),
    [
        (
            CHOICE_ANSWER,
            "i want to copy the whole vault into the documents folder, everything, all the notes",
        ),
        (CHOICE_ANSWER, "copy the whole vault into documents please, every note and attachment"),
        (CHOICE_ANSWER_PT, "quero montar o caderno no notion, com tudo... todas as receitas e fotos"),
    ],
)
def test_a_reply_taking_up_an_option_of_the_closing_question_in_its_words_states_no_problem(answer, reply):
    score, signals = _pair(answer, reply, CHOICE_NEXT)
    assert score < DEFAULT_THRESHOLD, signals


def test_an_option_taken_up_with_a_complaint_is_still_pushback():
    reply = "copy the whole vault into the documents folder? i did that and it deleted half my notes"
    score, signals = _pair(CHOICE_ANSWER, reply, "Sorry about that, " + CHOICE_NEXT)
    assert score >= DEFAULT_THRESHOLD, signals


def test_backticks_written_in_a_sentence_are_no_new_code():
    """A revision that names fences in its prose ("saved as ```python and ```bash blocks") holds no code block:
    only a fence opening a line is code."""
    revision = (
        "The export keeps every code block as written, saved as ```python and ```bash blocks inside the Markdown, "
        "so the files it makes can be opened in any editor and nothing is lost."
    )
    _, signals = _pair(ANSWER, "where do the files go?", revision)
    assert "chosen-new-code" not in signals
    _, signals = _pair(ANSWER, "where do the files go?", "Here:\n\n```bash\nls ~/exports\n```")
    assert "chosen-new-code" in signals


@pytest.mark.parametrize(
    "reply",
    [
        # New work written as a plain statement or command, as real agent sessions and exports hold them.
        "i want to add a search box above the table, filtering by name",
        "additionally the export should skip archived rows",
        "Continue to explain the retry loop in worker.py",
        "think about how the cache could be warmed before the first request",
        "Read the file settings.toml in this folder.",
        "Use the grep tool to find every TODO in src",
        "Delete the file build.log and the tmp folder.",
        "check the nginx error log for the last hour",
        # A question without its mark, in Chinese and Spanish.
        "这里为什么要用指针而不是引用",
        "esto se puede poner en una sola línea",
        # A pick among the options, in Chinese.
        "我选第二个",
    ],
)
def test_new_work_unmarked_questions_and_picks_from_real_sessions_state_no_problem(reply):
    score, signals = _pair(MENU_ANSWER, reply, MENU_NEXT)
    assert score < DEFAULT_THRESHOLD, signals


@pytest.mark.parametrize(
    "reply",
    [
        "check again, it still returns the old rows",
        "为什么还是不行，报同样的错",
        "i want to add a note: the totals are wrong, 40 not 400",
    ],
)
def test_those_openers_with_a_problem_stated_are_still_pushback(reply):
    score, signals = _pair(ANSWER, reply, "You're right, sorry. " + REVISION)
    assert score >= DEFAULT_THRESHOLD, signals


def test_a_question_after_a_condition_asks_without_its_mark():
    """A real ChatGPT export: "if I am in a div, then how do i get the various items inside them to move around" was
    a false pair (a question without its mark, a condition first)."""
    answer = "Style it with CSS: make the page a flex container and give each part a class of its own."
    revision = "Give the div `display: flex` and move each item with `order` and `justify-content`."
    for reply in (
        "if i put the header in the div, how do i move it to the right side",
        "if I am in a section, then how do i get the images inside it to sit next to each other",
    ):
        score, signals = _pair(answer, reply, revision)
        assert score < DEFAULT_THRESHOLD, signals
    score, signals = _pair(ANSWER, "if two workers run it at once, it sends the email twice", REVISION)
    assert score >= DEFAULT_THRESHOLD, signals


def test_an_answer_that_only_asks_for_the_material_has_nothing_to_reject():
    """A real ChatGPT export: "Of course, I'd be happy to help! Please provide me with the source code ...", then the
    person pasted the code, words such as `except KeyError` in it; three false pairs above 0.9."""
    asks = (
        "Sure, I can help with the failing import. Please share the exact command you ran and the full output, and "
        "I'll take a look."
    )
    pasted = "$ make import\nTraceback (most recent call last):\n  File \"load.py\", line 3\nKeyError: 'sku'"
    score, signals = _pair(asks, pasted, "The `sku` column is missing from the file: " + REVISION)
    assert score < DEFAULT_THRESHOLD, signals


def test_what_are_you_talking_about_is_pushback():
    """A real Claude.ai export: "What are you talking about? Why am i downloading ollama when i use llama.cpp" asked,
    so it scored 0.354 though the revision conceded ("My mistake ... That was wrong of me")."""
    answer = "Install Ollama first: download it from ollama.com, run `ollama pull llama3`, then point the app at it."
    reply = "What are you talking about? Why am I installing ollama when I use vllm?"
    revision = (
        "Right, you run vllm, so there is nothing to install. My mistake, that was wrong of me: start vllm with your "
        "model and point the app at port 8000."
    )
    score, signals = _pair(answer, reply, revision)
    assert "correction" in signals
    assert score >= DEFAULT_THRESHOLD, signals


@pytest.mark.parametrize(
    # "hello brother" after a bot's canned error, "test" and "exit" typed to try an app (real saved chats).
    "reply",
    ["hello", "hey there!", "hola", "你好", "hello brother", "test", "exit"],
)
def test_a_greeting_alone_opens_a_new_exchange(reply):
    """Real chat apps' saved logs: "hello" after an answer, then an answer to a later question, made a false pair."""
    score, signals = _pair(ANSWER, reply, REVISION)
    assert score < DEFAULT_THRESHOLD, signals


def test_taking_back_ones_own_request_is_a_new_plan():
    """A real aider history: "Actually, never mind. Let's continue using bash. However, I want ..." after the answer
    did what the person had asked (0.868 before)."""
    reply = "Actually, never mind. Let's keep the cron job. However, I want it to log each run to a file"
    score, signals = _pair(ANSWER, reply, REVISION)
    assert score < DEFAULT_THRESHOLD, signals
    assert "changes-plan" in signals or score < MIN_STORED_SCORE
    score, signals = _pair(
        ANSWER, "never mind the name, it still sends the email twice", "You're right, sorry. " + REVISION
    )
    assert score >= DEFAULT_THRESHOLD, signals


@pytest.mark.parametrize(
    "reply",
    [
        # From real saved chats in French, Korean, Russian and Spanish (written in other words here).
        "coucou",
        "하이",
        "oui je veux bien des exemples",
        "да, именно так",
        "ок я пошёл, пока",
        "Dame ideas para organizar mejor mis notas",
        "да. сделай таблицу по месяцам",
        "donne-moi un exemple en Python",
    ],
)
def test_greetings_yes_goodbye_and_requests_in_other_languages_state_no_problem(reply):
    score, signals = _pair(MENU_ANSWER, reply, MENU_NEXT)
    assert score < DEFAULT_THRESHOLD, signals


@pytest.mark.parametrize(
    "reply", ["还是没有效果，图标没变", "改了以后不生效", "oui mais ça plante toujours au démarrage"]
)
def test_no_effect_in_chinese_and_yes_but_it_fails_are_pushback(reply):
    score, signals = _pair(ANSWER, reply, "You're right, sorry. " + REVISION)
    assert score >= DEFAULT_THRESHOLD, signals


def test_asking_why_the_answer_did_something_is_a_complaint_unless_curious():
    """A real chat: "Why are you putting a comma every three numbers from the left?" and "Why are you then adding a
    zero to the end", each answered "I apologize for the mistake ..."; both were missed."""
    answer = "Here are the totals with separators: 1,234,5 and 98,76. I also added a zero to keep the widths even: 980."
    revision = (
        "I apologize for the mistake. Grouping runs from the right: 12,345 and 9,876, and no zero is added."
    )
    for reply in ("Why are you putting the commas from the left?", "why did you add a zero at the end?"):
        score, signals = _pair(answer, reply, revision)
        assert score >= DEFAULT_THRESHOLD, signals
    score, signals = _pair(ANSWER, "why did you use celery here? just curious", REVISION)
    assert score < DEFAULT_THRESHOLD, signals


@pytest.mark.parametrize(
    "reply",
    [
        # A bot's saved chat: each message a new request to the assistant, addressed by name first.
        "make me a new website about cars",
        "hey computer, set up a java program for me, I want to learn how to mod Minecraft",
        "assistant, I want to learn C++, open a new project file for that.",
        "I want a python project set up for me. I'm gonna build a pac-man clone.",
    ],
)
def test_requests_for_something_new_addressed_or_wished_state_no_problem(reply):
    score, signals = _pair(ANSWER, reply, REVISION + " " + REVISION)
    assert score < DEFAULT_THRESHOLD, signals


def test_the_request_under_a_long_pasted_test_log_is_the_users_own_words():
    # A benchmark harness pastes the test run back and asks for a fix in a paragraph of its own below it; the log,
    # pointed back at, is the evidence and not new material. Its revisions are edits, not fenced code.
    failures = "\n\n".join(
        f"E  AssertionError: {{'one,two': 1}} != {{'one': 1, 'two': 1}} (words_test.py:{n})"
        for n in range(40)
    )
    reply = (
        "User chose to apply all your changes.\n\n=========== test session starts ===========\n\n"
        f"{failures}\n\nSee the testing errors above.\nThe tests are correct.\n"
        "Fix the code in words.py to resolve the errors."
    )
    answer = "I will write count():\n\n@ words.py starting_line=1\ndef count(s):\n    return {w: 1 for w in s.split()}\n@"
    revision = (
        "I will update count() to split on punctuation too:\n\n@ words.py starting_line=1\nimport re\n"
        'def count(s):\n    return Counter(re.findall(r"[a-z0-9\']+", s.lower()))\n@'
    )
    score, signals = _pair(answer, reply, revision)
    assert score >= DEFAULT_THRESHOLD, signals


def test_answers_to_an_intakes_questions_about_the_person_are_no_pushback():
    # A fine-tuning set of intake interviews: each answer ends by asking about the person, who answers it.
    turns = [
        ("user", "Hi, I'd like to get a check-up, I've been tired lately."),
        ("assistant", "Thanks for reaching out. How long have you been feeling tired?"),
        ("user", "About three weeks now."),
        (
            "assistant",
            "I see, thank you for sharing that. Now, let's talk about your lifestyle. Do you smoke or drink?",
        ),
        ("user", "I don't smoke, but I do drink alcohol occasionally."),
        ("assistant", "Do you have a job that exposes you to harmful substances or hard physical work?"),
        ("user", "No, I work in an office. It's mostly a desk job."),
        ("assistant", "Understood. Have you noticed any changes in your appetite, weight or sleep recently?"),
        ("user", "I was diagnosed with diabetes about ten years ago, and I sleep badly."),
        (
            "assistant",
            "Thank you. Given the diabetes, let's check your blood sugar first; tiredness is a common sign.",
        ),
    ]
    assert [p for p in rules_pairs(turns) if p.score >= DEFAULT_THRESHOLD] == []


def test_a_short_answer_offering_more_still_has_an_answer_to_reject():
    score, signals = _pair(
        "Australia's capital is Sydney. Would you like to know more about it?",
        "no, it's Canberra, Sydney is just the largest city",
        "You're right, I'm sorry: Canberra is the capital of Australia; Sydney is its largest city.",
    )
    assert score >= DEFAULT_THRESHOLD, signals


# heuristic-14: the sixteenth batch's dev third and a sixth fetch of real files (written in other words here).
@pytest.mark.parametrize(
    ("reply", "cue"),
    [
        ("3で！", "picks"),  # a pick by number, in Japanese
        (
            "faiz tam olarak ne demek, anlamadım",
            "asks-meaning",
        ),  # "what does interest mean exactly", in Turkish
        ("what does --no-cache actually do? is it the same as deleting the layer?", "asks-meaning"),
        (
            "Deploy ist nicht mehr broken 🎉 aber der Build dauert 9 Minuten. Kannst du Caching einrichten?",
            "it-worked",
        ),
        (
            "dropdown works 👌 different bug from QA: the footer overlaps the cookie banner on small screens",
            "it-worked",
        ),
        ("很好 就是这个感觉 第三段也帮我这样改一下", "praise"),
    ],
)
def test_picks_meanings_and_things_that_work_now_state_no_problem(reply, cue):
    assert cue in {found.name for found in CueScanner(ACCEPTANCE_CUES).hits(f" {reply.lower()}")}
    score, signals = _pair(ANSWER, reply, REVISION + " " + REVISION)
    assert score < DEFAULT_THRESHOLD, signals


@pytest.mark.parametrize(
    "reply",
    [
        "great. now add tests, especially the error cases: missing field, wrong type, an empty body",
        "lol no, len(x) and x.__len__() are the same thing, it will always match",
    ],
)
def test_the_next_tasks_words_and_a_claim_of_sameness_are_no_verdict(reply):
    score, signals = _pair(MENU_ANSWER, reply, MENU_NEXT)
    assert score < DEFAULT_THRESHOLD, signals


@pytest.mark.parametrize(
    ("reply", "cue"),
    [
        (
            "its madam not sir, i told you her name. and its homework not exam, students will get confused",
            "correction",
        ),
        ("No, I mean by the median, not the mean!", "correction"),
        (
            "ok the duplicates are fixed. but now the 300 rows without a date are gone, those need to stay",
            "correction",
        ),
        ("整体不错，但是这样一改，老用户的头像就没了啊", "failure"),
        # A length or tone rejected in German (a real blog post's chat), French and Spanish.
        ("Teil 1 ist zu kurz, Teil 2 ist lang, könntest du das verbessern?", "wrong-output"),
        ("c'est trop long, trois phrases maximum", "wrong-output"),
        ("es demasiado formal para mi jefe", "wrong-output"),
        # "fix the category panel whose filter stopped working: switching tabs cannot filter" (a real Cursor chat).
        ("修复分类面板过滤失效问题：切换标签时无法过滤数据", "failure"),
        # Real exports' missed pairs: an error without the word, in Chinese, and Indonesian "still very lacking".
        ("aidermacs-run: Searching for program: No such file or directory, aider", "failure"),
        ("启动后找不到tablemoduleclass不是构造器", "failure"),
        # "it still isn't reading the .env values" (a real Cursor session in Chinese).
        ("还是读取的不是.env文件的值", "still-broken"),
        ("ui yang sekarang masih sangat sangat kurang, buat yang lebih bagus", "still-broken"),
    ],
)
def test_it_is_x_not_y_i_mean_and_what_the_fix_broke_are_pushback(reply, cue):
    score, signals = _pair(ANSWER, reply, "Sorry about that. " + REVISION)
    assert cue in signals
    assert score >= DEFAULT_THRESHOLD, signals


def test_a_pod_killed_for_memory_pasted_alone_states_the_problem():
    reply = "```\n$ kubectl get pods\nNAME          READY   STATUS      RESTARTS\napi-5d9f-x2   0/1     OOMKilled   4\n```"
    score, signals = _pair(ANSWER, reply, REVISION + "\n```yaml\nresources:\n  limits:\n    memory: 2Gi\n```")
    assert score >= DEFAULT_THRESHOLD, signals


def test_a_short_reply_giving_what_the_answers_questions_asked_states_no_problem():
    answer = (
        "Two quick questions first:\n\n1. Which queue broker runs in production: RabbitMQ, Redis, SQS? Which version?\n"
        "2. Is there already a dead-letter exchange, and what is it called?\n\n```yaml\nbroker: ???\n```"
    )
    score, signals = _pair(
        answer, "rabbitmq 3.12, dead-letter exchange is dlx.orders", REVISION + " " + REVISION
    )
    assert score < DEFAULT_THRESHOLD, signals


@pytest.mark.parametrize(
    "reply",
    [
        # A real Codex session's instructions, one change after another (written in other words here).
        "Make the progress ring slightly thicker (by 2px or so)",
        "Let's remove the blue outline on focused buttons",
        "Change the rule so the game ends when the queen is taken.",
        "Rewrite the importer into a smaller module called import_lite.py",
        "count the lines of python in the repo",
        "use SVG icons for the toolbar and take them from heroicons",
        # The person's own requirements changed (a real aider history).
        "Sorry, the requirements just changed a bit. I now want this: one CSV per day, not one per week.",
    ],
)
def test_an_agents_next_instruction_states_no_problem(reply):
    score, signals = _pair(ANSWER, reply, REVISION + " " + REVISION)
    assert score < DEFAULT_THRESHOLD, signals


def test_an_instruction_that_says_what_is_wrong_now_is_still_pushback():
    reply = "Make it so the cells have a fixed width. Currently they change with the window size."
    score, signals = _pair(ANSWER, reply, "You're right, sorry. " + REVISION)
    assert score >= DEFAULT_THRESHOLD, signals


def test_no_thats_all_answers_anything_else_and_you_keep_failing_is_pushback():
    score, signals = _pair(
        "I've logged the complaint for order #564. Is there anything else I can help you with?",
        "No, that's all I needed. Thanks for taking it seriously.",
        "You're welcome! It is on record and will be reviewed. Take care.",
    )
    assert score < DEFAULT_THRESHOLD, signals
    # "Why does the dev config start fine? You keep failing to explain this." (a real Cursor session, in Chinese)
    score, signals = _pair(
        ANSWER, "为什么dev的配置可以正常启动呢？你一直解释不了这个原因。", "您说得对！" + REVISION
    )
    assert "still-broken" in signals
    assert score >= DEFAULT_THRESHOLD, signals


def test_the_persons_own_omission_asks_for_more_not_a_fix():
    # "I failed to exclude the vscode item from the setup, remove that entirely" (a real Claude Code session).
    reply = "Scaffold the justfile in this repo. I failed to exclude the vscode item from the setup, remove that entirely"
    score, signals = _pair(ANSWER, reply, REVISION + " " + REVISION)
    assert score < DEFAULT_THRESHOLD, signals


def test_an_attached_image_before_no_and_got_it_in_the_revision():
    # A real ChatGPT export: the screenshot's link opens the reply, and the revision opens "Ahhh got it".
    reply = "![Uploaded image](https://files.example.com/file-1?se=2025)\n\nNo, it's not the login, it's the extension itself."
    score, signals = _pair(ANSWER, reply, "Ahhh got it — thanks for the screenshot. " + REVISION)
    assert "opens-with-no" in signals
    assert score >= DEFAULT_THRESHOLD, signals


@pytest.mark.parametrize("reply", ["继续", "続けて", "계속"])
def test_continue_in_chinese_japanese_and_korean_goes_on(reply):
    score, signals = _pair(ANSWER, reply, REVISION + " " + REVISION)
    assert score < DEFAULT_THRESHOLD, signals


# A saved ChatGPT transcript of a number formatted wrong again and again (a real one, seen in two sessions' fetches).
@pytest.mark.parametrize(
    "reply", ["Homie, really?", "How can the first number in the new set be a nine, GPT?"]
)
def test_the_answer_doubted_as_a_question_is_pushback(reply):
    score, signals = _pair(ANSWER, reply, "You're right, sorry. " + REVISION)
    assert "concern" in signals
    assert score >= DEFAULT_THRESHOLD, signals


@pytest.mark.parametrize(
    "reply",
    [
        "Beautiful. The transcript of this conversation should be flagged with priority viewing.",
        "Now take that number and put a comma every three digits from right to left.",
        "🤪",
    ],
)
def test_praise_the_next_step_and_an_emoji_alone_state_no_problem(reply):
    score, signals = _pair(ANSWER, reply, REVISION + " " + REVISION)
    assert score < DEFAULT_THRESHOLD, signals


def test_how_can_i_be_asks_for_advice():
    score, signals = _pair(ANSWER, "how can I be more productive in the mornings?", REVISION + " " + REVISION)
    assert "concern" not in signals
    assert score < DEFAULT_THRESHOLD, signals


def test_you_are_right_in_chinese_concedes():
    _score, signals = _pair(ANSWER, "如果文件不存在怎么办", "您说得对！" + REVISION)
    assert "chosen-revises" in signals


@pytest.mark.parametrize(
    # A real Cursor session in Chinese: "save the data as a list", "what the action parameter of add_argument does".
    "reply",
    ["将数据保存为list", "add_argument的action参数作用"],
)
def test_a_chinese_request_and_a_question_about_what_a_parameter_does_state_no_problem(reply):
    score, signals = _pair(ANSWER, reply, REVISION + " " + REVISION)
    assert score < DEFAULT_THRESHOLD, signals


# heuristic-15: from the seventh fetch of real files (saved logs of hobby bots).
@pytest.mark.parametrize(
    "reply", ["storage", "skills", "Projects.", "hello how are you today", "how are you?"]
)
def test_a_bare_topic_word_and_small_talk_state_no_problem(reply):
    score, signals = _pair(ANSWER, reply, REVISION + " " + REVISION)
    assert "states-problem" not in signals
    assert score < DEFAULT_THRESHOLD, signals


@pytest.mark.parametrize("reply", ["still", "same", "Nie."])
def test_a_bare_word_that_answers_a_failed_fix_still_states_one(reply):
    score, signals = _pair(ANSWER, reply, REVISION + " " + REVISION)
    assert score >= DEFAULT_THRESHOLD, signals


# heuristic-15: from the seventeenth independent batch's dev two thirds (written in other words here).
@pytest.mark.parametrize(
    "reply",
    [
        "unrelated, but the settings page crashes on save and has for months, fix it\n\n```\nTypeError: x is null\n```",
        "huh ok fine, i always mix those up. go with the second one",
        "bien. añade una columna con el total por cliente",
        "badhiya. ab ek export button bhi daal de",
        "заработало, алерт проверил руками. коммить",
        "ya anda joya, gracias. ahora la hoja de febrero",
        "잘 돼요. 다음으로 로그인 페이지 만들어 주세요",
        "me tira #¡REF! en todas... ah no, la hoja la había escrito mal yo. ya está",
        "lanjut bikin notifikasi emailnya",
    ],
)
def test_the_answer_taken_the_next_task_and_own_slips_in_more_words_state_no_problem(reply):
    score, signals = _pair(ANSWER, reply, REVISION + " " + REVISION)
    assert score < DEFAULT_THRESHOLD, signals


def test_why_did_you_touch_a_file_objects_to_the_agents_edit():
    score, signals = _pair(ANSWER, "why did you touch the Dockerfile", "Reverted it. " + REVISION)
    assert "omission" in signals
    assert score >= DEFAULT_THRESHOLD, signals


def test_a_greek_question_mark_asks():
    _score, signals = _pair(ANSWER, "Τι εννοείς με το outbox; Δεν το έχω ξαναδεί", REVISION)
    assert "states-problem" not in signals


def test_the_person_granting_the_revisions_point_next_makes_it_no_pair():
    # "are you sure? isn't X" answered with why the answer stands, and the person says they misread.
    answer = "Use `hmac.compare_digest(expected, header)` to compare the signatures:\n\n```python\nok = hmac.compare_digest(a, b)\n```"
    reply = "are you sure this is safe? isn't comparing with == open to timing attacks"
    revision = (
        "Yes. The code does not compare with `==`: `hmac.compare_digest` takes the same time wherever the first "
        "difference is, so the timing tells an attacker nothing.\n\n```python\nok = hmac.compare_digest(a, b)\n```"
    )
    turns = [("user", QUESTION), ("assistant", answer), ("user", reply), ("assistant", revision)]
    granted = [*turns, ("user", "oh lol you're right, i misread the diff. ok also log the failures")]
    before = rules_pairs(turns)
    after = rules_pairs(granted)
    assert before
    assert before[0].score >= DEFAULT_THRESHOLD
    assert all(pair.score < DEFAULT_THRESHOLD for pair in after)


# heuristic-15: from the seventh fetch of real files (chat pages and logs people published).
@pytest.mark.parametrize(
    "reply",
    [
        "I will use SUMO then.",
        "The results improved significantly.\n\nAverage speed increased.",
        "That is exactly what happened.\n\nThe traffic lights almost never switch.",
        "exactly, because i am running this from the repo root",
        "lets see that",
        "ooh, that sounds interesting",
        "Expand on the flashcard study app.",
    ],
)
def test_decisions_reports_of_what_was_done_and_offers_taken_state_no_problem(reply):
    score, signals = _pair(ANSWER, reply, REVISION + " " + REVISION)
    assert score < DEFAULT_THRESHOLD, signals


def test_a_report_of_what_was_done_states_a_problem_only_with_one():
    _score, signals = _pair(ANSWER, "I implemented the new reward function.", REVISION)
    assert "states-problem" not in signals


def test_a_report_of_what_was_done_with_a_problem_still_states_one():
    score, signals = _pair(
        ANSWER,
        "i added them to whitelist.json like you said and now nobody can join",
        REVISION + " " + REVISION,
    )
    assert "states-problem" in signals
    assert score >= DEFAULT_THRESHOLD, signals


def test_a_revision_that_concedes_and_offers_more_is_no_clarifying_question():
    # A real ChatGPT page: the corrected link, then "Would you like a systemd service ...?"; "Not found" is
    # pushback on that revision, not the answer to a clarifying question.
    turns = [
        ("user", "I want the proxy on the bastion server"),
        (
            "assistant",
            "Download it: wget https://example.com/proxy-linux-amd64. and run it with -listen 0.0.0.0:5601.",
        ),
        ("user", "wget https://example.com/proxy-linux-amd64. is not correct"),
        (
            "assistant",
            "You're right — the link is wrong because of the trailing dot. Here is the right command: wget "
            "https://example.com/proxy-linux-amd64 then chmod +x it and run it. Would you like a systemd service "
            "so it starts on reboot?",
        ),
        ("user", "Not found"),
        (
            "assistant",
            "Apologies: that release is gone. Take the latest one from the releases page instead: " * 3,
        ),
    ]
    queued = [(p.rejected, p.chosen) for p in rules_pairs(turns) if p.score >= DEFAULT_THRESHOLD]
    assert queued == [(1, 3), (3, 5)]


def test_setting_right_a_name_the_person_wrote_is_their_slip():
    answer = "`DebuggerStepBoundary` makes the debugger step over code it marks. " * 3
    slip = "DebuggerStepBoundaryではなく、DebuggerStepperBoundaryでした。同じように説明してください。"
    revision = "Sorry, my mistake. " + (
        "`DebuggerStepperBoundary` tells the debugger to run through the marked code when stepping. " * 3
    )
    own = rules_pairs(
        [
            ("user", "Explain DebuggerStepBoundary"),
            ("assistant", answer),
            ("user", slip),
            ("assistant", revision),
        ]
    )
    assert all(p.score < DEFAULT_THRESHOLD for p in own)
    # The same words about a name the answer brought in correct the answer.
    theirs = rules_pairs(
        [
            ("user", "Which attribute skips code when stepping?"),
            ("assistant", answer),
            ("user", slip),
            ("assistant", revision),
        ]
    )
    assert theirs
    assert theirs[0].score >= DEFAULT_THRESHOLD


def test_keeping_it_as_is_goes_along():
    score, signals = _pair(ANSWER, "ok, so we keep it as is", REVISION + " " + REVISION)
    assert score < DEFAULT_THRESHOLD, signals


@pytest.mark.parametrize(
    "reply",
    [
        "what tools do i need for drawing",
        "give recipe for paneer butter masala",
        "cria uma sebenta sobre o primeiro filme de Harry Potter",
        "vamos repetir a brincadeira, escreve agora O 400 vezes",
    ],
)
def test_unmarked_questions_and_more_requests_state_no_problem(reply):
    score, signals = _pair(ANSWER, reply, REVISION + " " + REVISION)
    assert score < DEFAULT_THRESHOLD, signals


def test_saying_it_again_after_a_voice_assistant_did_not_understand_rejects_nothing():
    answer = (
        "Ik weet niet zeker wat je met houtsector bedoelt. Kunt u het anders formuleren? In het algemeen helpt AI bij "
        "planning en kwaliteitscontrole."
    )
    reply = "Nog eens uitleggen wat kunstmatige intelligentie is."
    score, signals = _pair(answer, reply, REVISION)
    assert score < DEFAULT_THRESHOLD, signals
    plain, plain_signals = _pair(answer.replace(" Kunt u het anders formuleren?", ""), reply, REVISION)
    assert plain > score, plain_signals


@pytest.mark.parametrize(
    "reply",
    [
        "Corrige esto:\n```\nSupongamos que nos apetece hacer uno barbacoa.\n```",
        "Resúmeme el texto",
        "Describe un partido de futbol como pseudocodigo",
        "*(New session — Opus 4.6)*\n\nplease read the transcript and continue the test",
    ],
)
def test_spanish_requests_and_a_new_sessions_note_state_no_problem(reply):
    score, signals = _pair(ANSWER, reply, REVISION + " " + REVISION)
    assert score < DEFAULT_THRESHOLD, signals


# heuristic-15: from the eighteenth independent batch's dev two thirds (written in other words here).
@pytest.mark.parametrize(
    "reply",
    [
        'What exactly do you mean by "outbox" here? I want to explain it to my lead.',
        "wait why is it n-1 for the degrees of freedom and not n",
        "続けてください、次は (3) の信頼区間です",
        "Ehn ok. Our teacher said they always ask for the diagram. Please describe what I should draw",
        "طيب فهمت. أعرب لي: سافرتُ إلى مكةَ",
        "yung 3 po, kasi yung lola ko ilokano",
    ],
)
def test_meanings_asked_going_on_understanding_and_picks_in_more_words_state_no_problem(reply):
    score, signals = _pair(ANSWER, reply, REVISION + " " + REVISION)
    assert score < DEFAULT_THRESHOLD, signals


def test_the_person_admitting_their_own_slip_after_the_revision_makes_it_no_pair():
    answer = "Subtract 3 from both sides, then divide by 2: x = 5."
    reply = "thats not what the book has?? it says x = 4"
    revision = (
        "You're right to check. Here is the working in full: 2x + 3 = 13, so 2x = 10 and x = 5. If the book "
        "says 4, its equation may differ from the one you sent; send me the exact line and I'll redo it."
    )
    turns = [("user", "solve 2x + 3 = 13"), ("assistant", answer), ("user", reply), ("assistant", revision)]
    own = [*turns, ("user", "oh i copied the question wrong, its 2x + 5 = 13. sorry")]
    before = rules_pairs(turns)
    after = rules_pairs(own)
    assert before
    assert before[0].score >= DEFAULT_THRESHOLD
    assert all(pair.score < DEFAULT_THRESHOLD for pair in after)


@pytest.mark.parametrize(
    "reply",
    [
        'ERROR:  column "order_dt" does not exist\noh wait thats on me, i retyped it. works, 2,318 customers. can i also get the average?',
        "e também testes unitários para o pré-processamento, usamos pytest",
        "will do. last one for today: a measure for distinct customers",
    ],
)
def test_own_slips_and_one_more_thing_state_no_problem(reply):
    score, signals = _pair(ANSWER, reply, REVISION + " " + REVISION)
    assert score < DEFAULT_THRESHOLD, signals


def test_an_english_ignore_is_not_frenchs_ignore():
    # "ignoré" ("ignored") in French says the answer left something out; "ignore cancelled ones" asks for a filter.
    _score, signals = _pair(
        ANSWER, "snowflake. orders(order_id, amount, status). ignore cancelled ones", REVISION
    )
    assert "omission" not in signals
    _score, signals = _pair(ANSWER, "tu as ignoré la contrainte de mémoire", REVISION)
    assert "omission" in signals


def test_working_for_most_but_not_all_is_still_broken():
    reply = 'that works for most but about a third come back "not found", and the IDs are in Customers'
    score, signals = _pair(ANSWER, reply, REVISION + " " + REVISION)
    assert "still-broken" in signals
    assert score >= DEFAULT_THRESHOLD, signals


# heuristic-15: from the nineteenth independent batch's dev two thirds (written in other words here).
@pytest.mark.parametrize(
    "reply",
    [
        "*slams my mug on the bar* you're wrong, Jonas! the mayor would never sell the mill. where's your proof?",
        "*turns slowly to the cook* you. you've been awful quiet",
        "amei!!! 😍 mas agora faz uma versão pro instagram, mais curtinha",
        "çay seti iyi fikir. ama mektupta ne yazacağımı bilemiyorum, nasıl başlasam",
        "hay quá. bài khác nữa đi",
        "έκλεισα τη βάνα του πλυντηρίου χαχα. τώρα είναι όλα οκ. τι φυσίγγιο να πάρω;",
    ],
)
def test_role_play_moves_praise_and_another_one_in_more_languages_state_no_problem(reply):
    score, signals = _pair(ANSWER, reply, REVISION + " " + REVISION)
    assert score < DEFAULT_THRESHOLD, signals


def test_emphasis_that_says_what_is_wrong_is_no_role_play():
    _score, signals = _pair(ANSWER, "*not* what i asked, i need the outbox", REVISION)
    assert "role-play" not in signals


def test_what_is_right_set_against_the_answers_word_and_a_one_word_concession():
    score, signals = _pair(ANSWER, "we read law o, not engineering 😂", "Ah, law! Corrected — " + REVISION)
    assert "correction" in signals
    assert "chosen-revises" in signals
    assert score >= DEFAULT_THRESHOLD, signals


def test_too_stiff_or_too_long_in_japanese_rejects_the_style():
    _score, signals = _pair(ANSWER, "うーん、ちょっと堅すぎますね", REVISION)
    assert "too-generic" in signals


@pytest.mark.parametrize(
    "reply",
    [
        "Right, that error's gone. Now it gets further and stops at the log folder:\n\nPermissionError: [Errno 13] /var/log/inv",
        "yep you nailed it\n\njava 2231 app 41w REG /var/log/app/server.log.1 (deleted)\n\ncan't restart java right now, it's peak",
        "Ta. What's actually the difference between --ntasks and --ntasks-per-node?",
        "проверил на тестовой машине, да, спрашивает Password:. ладно, оставляю.",
        "haan yaar purani line neeche padi thi, hata di. ab 7 din purani files bhi delete karni hai",
    ],
)
def test_a_fix_that_worked_praise_a_difference_asked_and_leaving_it_state_no_problem(reply):
    score, signals = _pair(ANSWER, reply, REVISION + " " + REVISION)
    assert score < DEFAULT_THRESHOLD, signals


# heuristic-15: from the twentieth independent batch's dev two thirds (L, agents that act; written in other words).
@pytest.mark.parametrize(
    "reply",
    [
        "the first, and ask for a window seat",
        "2nd one 7:30 pls",
        "de tweede heen en de eerste terug",
        "doe maar nummer 3",
        "190이야. 두번째 걸로",
        "go on, do the garden lights too",
        "oh yeah thats it, i forgot i hadnt removed those. no need, leave it. can you chart it",
        "finance said ok, send it now",
        "nickel. ajoute la date limite et envoie",
        "tens razão, estava a pensar na outra fatura. pode finalizar e enviar",
        "kun je ook een hotel bij het station zoeken, max 150 per nacht",
        "תקבע לי פגישה עם רוני לשבוע הבא",
        "chalega. station paas hi hai",
    ],
)
def test_picks_go_aheads_own_memory_and_granted_points_after_an_agents_report_state_no_problem(reply):
    score, signals = _pair(ANSWER, reply, REVISION + " " + REVISION)
    assert score < DEFAULT_THRESHOLD, signals


@pytest.mark.parametrize(
    "reply",
    [
        "way too apologetic, we didn't do anything wrong. cut it in half",
        "te dije directo. no quiero 14h con escala",
        "non pas julien, marc dupont de chez axelis",
    ],
)
def test_a_tone_rejected_and_what_the_person_had_said_repeated_push_back(reply):
    score, signals = _pair(ANSWER, reply, "You're right. " + REVISION)
    assert score >= DEFAULT_THRESHOLD, signals


def test_no_car_answering_a_question_is_no_correction():
    _score, signals = _pair(ANSWER, "Non, pas de voiture, on fera tout en transports.", REVISION)
    assert "correction" not in signals


@pytest.mark.parametrize(
    "reply",
    [
        "que es un juicio verbal",
        "а що таке обвід школи",
        "anong dadalhin ko",
        "phí bao nhiêu vậy anh",
        "의료비 공제가 뭐예요",
    ],
)
def test_a_question_word_asks_without_a_question_mark_in_more_languages(reply):
    _score, signals = _pair(ANSWER, reply, REVISION)
    assert "states-problem" not in signals


@pytest.mark.parametrize(
    "reply", ["como te dije, sin escalas", "stop putting a comment on every line, it is noise"]
)
def test_a_comparing_como_and_an_english_comment_ask_nothing(reply):
    _score, signals = _pair(ANSWER, reply, REVISION)
    assert "asks" not in signals


def _scored(reply: str, revision: str) -> tuple[float, tuple[str, ...]]:
    """The rules' score and signals of (ANSWER, reply, revision), also when the pair would not be stored."""
    return _score(_normalize(ANSWER), reply, _normalize(revision), prompt=QUESTION)


@pytest.mark.parametrize(
    "reply",
    ["/world.spawn agent", "/model gpt-4o", "/permissions", "  /tick 5 ", "package.json", "server.js"],
)
def test_a_command_to_the_app_or_a_file_name_alone_asks_for_work(reply):
    score, signals = _scored(reply, REVISION + " " + REVISION)
    assert "asks-new-work" in signals
    assert "states-problem" not in signals
    assert score < DEFAULT_THRESHOLD, signals


@pytest.mark.parametrize(
    "reply",
    [
        # A path or an endpoint that opens a complaint is no command.
        "/ready 这个接口根本不存在吧？main.go 里只有 /health",
        "/ready 接口根本不存在",
        "/fix the login is broken",
        "/usr/local/bin/node is not where it lives on this box, it's under ~/.nvm",
    ],
)
def test_a_complaint_that_opens_with_a_path_is_no_command(reply):
    _, signals = _scored(reply, REVISION)
    assert "asks-new-work" not in signals


@pytest.mark.parametrize(
    "reply",
    [
        "read lab10task2 and do the same",
        "add a login page next",
        "buat seed data di file terpisah",
        # A short lead before a polite request; a request in the last clause in French.
        "根据现在的代码，请帮我推荐一个部署方案",
        "j'ai trouvé un autre article sur ce sujet, mais c'est flou. peux tu m'expliquer sa méthode",
    ],
)
def test_a_request_for_new_work_weighs_against_a_pair(reply):
    score, signals = _scored(reply, REVISION + " " + REVISION)
    assert "asks-new-work" in signals
    assert score < MIN_STORED_SCORE, signals


@pytest.mark.parametrize(
    "reply", ["这里有问题，请修复", "代码运行后页面空白，请检查", "登录之后还是跳回首页，请帮我看看"]
)
def test_a_problem_stated_before_please_is_no_request_for_new_work(reply):
    _, signals = _scored(reply, REVISION)
    assert "asks-new-work" not in signals


def test_a_commands_error_that_opens_with_its_name_is_no_request():
    _, signals = _scored("find: -printf: unknown primary or operator\n\nim on a mac", REVISION)
    assert "asks-new-work" not in signals


# A companion bot's chat: the person talks in short statements all along ("hi again", "I'm tired", "I pet the cat").
CHAT_REPLIES = (
    "hi again mira",
    "i am not tired today",
    "i give you a cup of tea but it is cold",
    "the rain is still loud tonight",
    "we walk to the river",
    "my sister visits tomorrow",
)
CHAT_ANSWERS = (
    "Oh, hello! I was just reading by the window. How was your day?",
    "Then sit with me for a while. I'll put the kettle on and we can just be quiet together.",
    "Thank you! It smells of jasmine. I'll hold it with both hands while it's warm.",
    "I like that sound. It makes the room feel smaller and safer, doesn't it?",
    "The water is high after all this rain. Look, the ducks are hiding under the bridge.",
    "How lovely! Are you going to show her the bakery on the corner? Their bread is the best in town.",
    "It's getting late. Shall we head back before the streetlights come on?",
)


def _chat(replies: tuple[str, ...]) -> list[tuple[str, str]]:
    turns = [("user", "hello, you are Mira, my friend from the village"), ("assistant", CHAT_ANSWERS[0])]
    for reply, answer in zip(replies, CHAT_ANSWERS[1:], strict=False):
        turns += [("user", reply), ("assistant", answer)]
    return turns


def test_statements_are_how_a_person_talks_when_they_state_things_all_along():
    stated = rules_pairs(_chat(CHAT_REPLIES))
    assert all("states-habit" in pair.signals for pair in stated if "states-problem" in pair.signals)
    assert not [pair for pair in stated if pair.score >= DEFAULT_THRESHOLD], stated
    # In a short exchange the same statements keep the prior: a problem stated once is still a pair's evidence.
    few = rules_pairs(_chat(CHAT_REPLIES[:3]))
    assert all("states-habit" not in pair.signals for pair in few)
    assert any(pair.score >= DEFAULT_THRESHOLD for pair in few), few


@pytest.mark.parametrize(
    ("plain", "troubled"),
    [
        ("have new line for author list, venue, link", "the author list still runs into the venue"),
        ("me decís un chiste con mi nombre", "el chiste sigue sin mi nombre"),
        ("pon el menú en el centro", "siguen funcionando los controles con el menú abierto"),
        ("질문의 정의", "질문의 정의가 없어요"),
        ("今天的天气", "还是报错"),
    ],
)
def test_a_statement_without_a_word_of_trouble_earns_a_smaller_prior(plain, troubled):
    """(A cue the scanner found, or an error's name, "TypeError: ...", is trouble enough.)"""
    plain_score, plain_signals = _scored(plain, REVISION)
    troubled_score, troubled_signals = _scored(troubled, REVISION)
    assert "states-problem" in plain_signals
    assert "states-problem" in troubled_signals or troubled_score >= DEFAULT_THRESHOLD
    assert plain_score < DEFAULT_THRESHOLD <= troubled_score


@pytest.mark.parametrize(
    "reply", ["there is a problem with the login page", "TypeError: cannot read x of undefined"]
)
def test_a_cue_or_an_errors_name_keeps_the_whole_prior(reply):
    full, signals = _scored(reply, REVISION)
    assert "states-problem" in signals
    assert full >= DEFAULT_THRESHOLD


def test_a_clarified_pair_keeps_its_signal_when_a_habit_lowers_it():
    """A pair whose chosen answer follows a clarifying question keeps `clarified` (a feature of the reviewers'
    scorer) when the person's habit of statements scores it again."""
    replies = (
        "i am not tired today",
        "the tea is still warm",
        "my cat is not home",
        "the market is still open",
        "my sister never visits",
        "the bakery is closed again",
        "the lamp is not on",
        "the dog is still asleep",
    )
    answers = (
        "Then sit with me for a while.",
        "Good, drink it slowly.",
        "She will come back by dinner.",
        "Let us buy some apples there.",
        "Maybe she will write to you soon.",
        "We can bake bread ourselves tonight.",
        "I will light it for you.",
        "Let him rest by the fire.",
    )
    turns = [
        ("user", "hello, you are Mira, my friend from the village"),
        ("assistant", "Oh, hello! I was reading."),
    ]
    for reply, answer in zip(replies, answers, strict=True):
        turns += [("user", reply), ("assistant", answer)]
    turns[3] = ("assistant", "Do you mean tired from work, or tired of the rain?")
    turns[5] = (
        "assistant",
        "Then rest here with me. I will make more tea, and we can talk about the village, the market, the new baker "
        "who came from the coast and the old mill by the water, until the evening comes and the lamps are lit.",
    )
    [first, *_] = rules_pairs(turns)
    assert (first.rejected, first.chosen) == (1, 5)
    assert "states-habit" in first.signals
    assert "clarified" in first.signals
