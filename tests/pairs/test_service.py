"""Pair service: rows for new conversations, re-detection (add and rescore, never touch reviewed pairs), and
pairs read back with texts in the reviewed orientation, gold edits included."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, delete, select, update
from sqlmodel import Session, col

from app.auth.models import User
from app.conversations.importers.base import ExplicitPair, ParsedConversation, ParsedTurn, Role
from app.conversations.importing import run_import
from app.conversations.models import Conversation, Turn
from app.models_base import utcnow
from app.pairs.detection import DETECTOR_VERSION, detect_pairs
from app.pairs.leak_check import check_unchecked_pairs
from app.pairs.leaks import LEAK_DETECTOR_VERSION
from app.pairs.models import Pair, PairStatus
from app.pairs.service import IMPORTED_DETECTOR, content_key, pair_rows_for, redetect
from app.pairs.views_data import iter_pair_details
from app.review.models import Judgment

OPENAI_SAMPLE = (
    Path(__file__).resolve().parents[1]
    / "fixtures"
    / "samples"
    / "rendered"
    / "openai"
    / "conversations.jsonl"
)

QUESTION = "How should I version my REST API?"
FIRST = "Put /v1 in the path."
PUSHBACK = "That's shallow and wrong for us. What are the tradeoffs? Redo it."
SECOND = "Let me weigh URI, header and media-type versioning, with tradeoffs, then recommend one."


def _pair_state(engine: Engine) -> dict[tuple[int, int, int], tuple[Any, ...]]:
    with Session(engine, expire_on_commit=False) as session:
        return {
            (p.conversation_id, p.first_turn_id, p.second_turn_id): (
                p.pushback_turn_id,
                p.prompt_end_index,
                p.score,
                p.signals,
                p.detector,
                p.status,
            )
            for p in session.execute(select(Pair)).scalars()
        }


def _redetect(engine: Engine, **kw: Any) -> tuple[int, int, int, int]:
    with Session(engine, expire_on_commit=False) as session:
        result = redetect(session, **kw)
        session.commit()
    return (result.conversations, result.added, result.rescored, result.kept_reviewed)


def _add_conversation(
    session: Session,
    texts: list[tuple[str, str]],
    *,
    fmt: str = "openai",
    system_prompt: str | None = None,
    external_id: str = "c-1",
) -> tuple[Conversation, list[Turn]]:
    conversation = Conversation(
        source="tests",
        format=fmt,
        file="/data/chats.jsonl",
        external_id=external_id,
        title="A title",
        system_prompt=system_prompt,
        content_hash=f"{external_id:0>64}"[-64:],
        turn_count=len(texts),
    )
    session.add(conversation)
    session.flush()
    assert conversation.id is not None
    turns = [Turn(conversation_id=conversation.id, index=i, role=r, text=t) for i, (r, t) in enumerate(texts)]
    session.add_all(turns)
    session.flush()
    return conversation, turns


def _add_pair(session: Session, conversation: Conversation, turns: list[Turn], **kw: Any) -> Pair:
    first, pushback, second = kw.pop("at", (1, 2, 3))
    assert conversation.id is not None
    now = utcnow()
    pair = Pair(
        conversation_id=conversation.id,
        first_turn_id=turns[first].id,
        pushback_turn_id=turns[pushback].id if pushback is not None else None,
        second_turn_id=turns[second].id,
        prompt_end_index=first - 1,
        detector=kw.pop("detector", DETECTOR_VERSION),
        score=kw.pop("score", 0.9),
        created_at=now,
        updated_at=now,
        **kw,
    )
    session.add(pair)
    session.flush()
    return pair


class TestPairRowsFor:
    def test_explicit_pairs_from_a_preference_file(self) -> None:
        conversation = ParsedConversation(
            external_id="p",
            turns=[ParsedTurn("user", "Q"), ParsedTurn("assistant", "A1"), ParsedTurn("assistant", "A2")],
            explicit_pairs=[ExplicitPair(rejected=1, chosen=2)],
        )
        (row,) = pair_rows_for(conversation_id=7, conversation=conversation, turn_ids=[70, 71, 72])
        assert row["content_key"] == content_key("Q", "A1", "A2")
        assert {k: row[k] for k in row if k not in ("created_at", "updated_at", "content_key")} == {
            "conversation_id": 7,
            "first_turn_id": 71,
            "second_turn_id": 72,
            "pushback_turn_id": None,
            "prompt_end_index": 0,
            "detector": IMPORTED_DETECTOR,
            "score": 1.0,
            "signals": "",
            "status": PairStatus.candidate,
            "swapped": False,
            "version": 1,
            "leak_kinds": "",
            "leak_spans": [],
            "leak_detector": LEAK_DETECTOR_VERSION,
        }

    def test_detected_pairs_store_leak_findings(self) -> None:
        texts: list[tuple[Role, str]] = [
            ("user", "How do I paginate?"),
            ("assistant", "Use OFFSET."),
            ("user", "That is wrong, OFFSET is slow on 50M rows."),
            ("assistant", "You're right! Keyset pagination stays fast on 50M rows."),
        ]
        conversation = ParsedConversation(external_id="l", turns=[ParsedTurn(r, t) for r, t in texts])
        (row,) = pair_rows_for(conversation_id=3, conversation=conversation, turn_ids=[30, 31, 32, 33])
        assert row["leak_kinds"] == "reply_to_feedback,information"
        assert [s["text"] for s in row["leak_spans"]] == ["You're right", "50M"]

    def test_detected_pairs_follow_the_detector(self) -> None:
        """A textbook pushback: one row, answer 1 rejected, turn 2 the pushback, answer 3 chosen, prompt turn 0."""
        texts: list[tuple[Role, str]] = [
            ("user", QUESTION),
            ("assistant", FIRST),
            ("user", PUSHBACK),
            ("assistant", SECOND),
        ]
        conversation = ParsedConversation(external_id="d", turns=[ParsedTurn(r, t) for r, t in texts])
        rows = pair_rows_for(conversation_id=3, conversation=conversation, turn_ids=[30, 31, 32, 33])
        assert [
            (r["conversation_id"], r["first_turn_id"], r["pushback_turn_id"], r["second_turn_id"])
            for r in rows
        ] == [(3, 31, 32, 33)]
        (row,) = rows
        assert row["prompt_end_index"] == 0
        assert row["detector"] == DETECTOR_VERSION
        assert row["status"] == PairStatus.candidate
        assert 0.5 <= row["score"] <= 1.0
        assert row["signals"], "the stored signals say why it scored"
        # The row stores the detector's own score and signals, rounded for storage.
        (found,) = detect_pairs(texts)
        assert (row["score"], row["signals"]) == (round(found.score, 4), ",".join(found.signals))


class TestRedetect:
    @pytest.fixture
    def imported(self, engine: Engine) -> dict[tuple[int, int, int], tuple[Any, ...]]:
        summary = run_import(engine, paths=[OPENAI_SAMPLE])
        assert summary.pairs_detected > 2
        return _pair_state(engine)

    def test_unchanged_data_changes_nothing(self, engine: Engine, imported: dict) -> None:
        assert _redetect(engine) == (24, 0, 0, 0)
        assert _pair_state(engine) == imported

    def test_small_batches_scan_every_conversation_once(self, engine: Engine, imported: dict) -> None:
        assert _redetect(engine, batch_size=5) == (24, 0, 0, 0)

    def test_missing_pairs_are_added_back_exactly(self, engine: Engine, imported: dict) -> None:
        with Session(engine, expire_on_commit=False) as session:
            session.execute(delete(Pair))
            session.commit()
        assert _redetect(engine, batch_size=7) == (24, len(imported), 0, 0)
        assert _pair_state(engine) == imported
        assert _redetect(engine) == (24, 0, 0, 0)

    def test_unreviewed_pairs_are_rescored_and_reviewed_ones_kept(
        self, engine: Engine, imported: dict
    ) -> None:
        with Session(engine, expire_on_commit=False) as session:
            ids = list(session.execute(select(col(Pair.id)).order_by(col(Pair.id))).scalars())
            stale_score, stale_detector, accepted, not_a_pair = ids[:4]
            session.execute(update(Pair).where(Pair.id == stale_score).values(score=0.0123, signals="old"))
            session.execute(update(Pair).where(Pair.id == stale_detector).values(detector="heuristic-0"))
            session.execute(update(Pair).where(Pair.id == accepted).values(status="accepted", score=0.0456))
            session.execute(update(Pair).where(Pair.id == not_a_pair).values(status="not_a_pair"))
            session.commit()
            before = {p.id: p.updated_at for p in session.execute(select(Pair)).scalars()}

        assert _redetect(engine) == (24, 0, 2, 2)

        state = _pair_state(engine)
        expected = dict(imported)
        with Session(engine, expire_on_commit=False) as session:
            pairs = {p.id: p for p in session.execute(select(Pair)).scalars()}
        for pair_id, status, score in ((accepted, "accepted", 0.0456), (not_a_pair, "not_a_pair", None)):
            p = pairs[pair_id]
            key = (p.conversation_id, p.first_turn_id, p.second_turn_id)
            pushback, end, original_score, signals, detector, _ = imported[key]
            expected[key] = (
                pushback,
                end,
                score if score is not None else original_score,
                signals,
                detector,
                status,
            )
        assert state == expected
        assert pairs[stale_score].updated_at != before[stale_score]
        assert pairs[accepted].updated_at == before[accepted]

    def test_new_conversations_get_pairs(self, engine: Engine) -> None:
        texts = [("user", QUESTION), ("assistant", FIRST), ("user", PUSHBACK), ("assistant", SECOND)]
        with Session(engine, expire_on_commit=False) as session:
            conversation, turns = _add_conversation(session, texts)
            session.commit()
        assert _redetect(engine) == (1, 1, 0, 0)
        assert list(_pair_state(engine)) == [(conversation.id, turns[1].id, turns[3].id)]

    def test_preference_conversations_and_stated_pairs_are_left_alone(self, engine: Engine) -> None:
        texts = [("user", QUESTION), ("assistant", FIRST), ("user", PUSHBACK), ("assistant", SECOND)]
        with Session(engine, expire_on_commit=False) as session:
            _add_conversation(session, texts, fmt="preference", external_id="pref")
            conversation, turns = _add_conversation(session, texts, external_id="chat")
            _add_pair(session, conversation, turns, detector=IMPORTED_DETECTOR, score=1.0)
            session.commit()
        before = _pair_state(engine)
        conversations, added, rescored, kept = _redetect(engine)
        assert (conversations, added, rescored) == (1, 0, 0)
        assert kept == 1
        assert _pair_state(engine) == before


class TestLeaksOfExistingPairs:
    def test_unchecked_pairs_get_their_findings(self, engine: Engine) -> None:
        texts = [
            ("user", "Q?"),
            ("assistant", "A."),
            ("user", "Wrong, we use Postgres 16."),
            ("assistant", "Good catch. On Postgres 16 use MERGE."),
        ]
        with Session(engine, expire_on_commit=False) as session:
            conversation, turns = _add_conversation(session, texts)
            pair = _add_pair(session, conversation, turns)
            assert pair.leak_detector is None
            assert check_unchecked_pairs(session.connection()) == 1
            assert check_unchecked_pairs(session.connection()) == 0
            session.refresh(pair)
            assert pair.leak_kinds == "reply_to_feedback,information"
            assert pair.leak_detector == LEAK_DETECTOR_VERSION
            assert {s["text"] for s in pair.leak_spans or []} == {"Good catch", "Postgres", "16"}


class TestPairDetails:
    @pytest.fixture
    def data(self, engine: Engine) -> dict[str, Any]:
        texts = [("user", QUESTION), ("assistant", FIRST), ("user", PUSHBACK), ("assistant", SECOND)]
        with Session(engine, expire_on_commit=False) as session:
            conversation, turns = _add_conversation(session, texts, system_prompt="Be precise.")
            plain = _add_pair(session, conversation, turns, score=0.9, signals="correction,redo")
            other, other_turns = _add_conversation(session, texts, external_id="c-2")
            swapped = _add_pair(session, other, other_turns, score=0.6, swapped=True, status="accepted")
            reviewer = User(username="rita", password_hash="x")
            session.add(reviewer)
            session.commit()
            return {
                "plain": plain.id,
                "swapped": swapped.id,
                "reviewer": reviewer.id,
                "conversation": conversation.id,
                "other": other.id,
            }

    def _details(self, engine: Engine, **kw: Any) -> list[Any]:
        with Session(engine, expire_on_commit=False) as session:
            return list(iter_pair_details(session, **kw))

    def _judge(
        self, engine: Engine, pair_id: int, reviewer_id: int, edited: str | None, minutes: int = 0
    ) -> None:
        with Session(engine, expire_on_commit=False) as session:
            session.add(
                Judgment(
                    pair_id=pair_id,
                    reviewer_id=reviewer_id,
                    verdict="second",
                    left_side="first",
                    edited_text=edited,
                    edited_at=utcnow() + timedelta(minutes=minutes) if edited is not None else None,
                )
            )
            session.commit()

    def test_detected_orientation(self, engine: Engine, data: dict[str, Any]) -> None:
        detail = self._details(engine)[0]
        assert detail.to_json() == {
            "id": data["plain"],
            "conversation_id": data["conversation"],
            "source": {"name": "tests", "file": "/data/chats.jsonl", "external_id": "c-1"},
            "title": "A title",
            "score": 0.9,
            "detector": DETECTOR_VERSION,
            "status": "candidate",
            "signals": ["correction", "redo"],
            "prompt": [{"role": "system", "content": "Be precise."}, {"role": "user", "content": QUESTION}],
            "rejected": FIRST,
            "pushback": PUSHBACK,
            "chosen": SECOND,
            "chosen_original": SECOND,
            "gold_edited": False,
            "leak_kinds": [],
            "leak_spans": [],
            "gold_prompt": None,
        }

    def test_swapped_pair_chooses_the_first_answer(self, engine: Engine, data: dict[str, Any]) -> None:
        detail = self._details(engine)[1]
        assert detail.id == data["swapped"]
        assert (detail.chosen, detail.rejected, detail.chosen_original, detail.pushback) == (
            FIRST,
            SECOND,
            FIRST,
            PUSHBACK,
        )
        assert detail.prompt == [{"role": "user", "content": QUESTION}]
        assert detail.signals == []

    def test_gold_edit_replaces_chosen(self, engine: Engine, data: dict[str, Any]) -> None:
        self._judge(engine, data["swapped"], data["reviewer"], "Gold: URI versioning, because ...")
        detail = self._details(engine, status="accepted")[0]
        assert (detail.chosen, detail.chosen_original, detail.rejected, detail.gold_edited) == (
            "Gold: URI versioning, because ...",
            FIRST,
            SECOND,
            True,
        )

    def test_latest_gold_edit_wins_and_unedited_judgments_change_nothing(
        self, engine: Engine, data: dict[str, Any]
    ) -> None:
        with Session(engine, expire_on_commit=False) as session:
            other = User(username="omar", password_hash="x")
            third = User(username="tina", password_hash="x")
            session.add_all([other, third])
            session.commit()
        self._judge(engine, data["plain"], data["reviewer"], "newer edit", minutes=5)
        self._judge(engine, data["plain"], other.id or 0, "older edit", minutes=-5)
        self._judge(engine, data["swapped"], third.id or 0, None)
        plain, swapped = self._details(engine)
        assert (plain.chosen, plain.gold_edited) == ("newer edit", True)
        assert (swapped.chosen, swapped.gold_edited) == (FIRST, False)

    def test_pair_without_pushback(self, engine: Engine) -> None:
        texts = [("user", QUESTION), ("assistant", FIRST), ("assistant", SECOND)]
        with Session(engine, expire_on_commit=False) as session:
            conversation, turns = _add_conversation(session, texts, external_id="np")
            _add_pair(session, conversation, turns, at=(1, None, 2))
            session.commit()
        (detail,) = self._details(engine)
        assert (detail.rejected, detail.pushback, detail.chosen) == (FIRST, None, SECOND)

    def test_filters_and_keyset_batches(self, engine: Engine, data: dict[str, Any]) -> None:
        assert [d.id for d in self._details(engine, status="accepted")] == [data["swapped"]]
        assert [d.id for d in self._details(engine, min_score=0.7)] == [data["plain"]]
        assert [d.id for d in self._details(engine, min_score=0.6)] == [data["plain"], data["swapped"]]
        assert [d.id for d in self._details(engine, after_id=data["plain"])] == [data["swapped"]]
        assert [d.id for d in self._details(engine, limit=1)] == [data["plain"]]
        assert [d.id for d in self._details(engine, batch_size=1)] == [data["plain"], data["swapped"]]
        assert self._details(engine, status="tie") == []


def test_redetection_reaches_across_no_answer_without_words(engine: Engine) -> None:
    texts = [
        ("user", "where are the keybindings defined?"),
        ("assistant", "They are in `~/.config/hypr/hyprland.conf`, in the `bind =` lines."),
        ("user", "no, I made them in a separate file, check the sourced ones"),
        ("assistant", ""),
        ("user", "never mind that. how do I pick this session up again after closing you?"),
        ("assistant", "Run `claude --resume` in the same folder and pick this session from the list."),
    ]
    with Session(engine, expire_on_commit=False) as session:
        _add_conversation(session, texts)
        session.commit()
    # The rejected tool calls answered nothing: the first answer has no revision, the next question no pushback.
    assert _redetect(engine) == (1, 0, 0, 0)
    assert detect_pairs([turn for turn in texts if turn[1]]) != []  # passed over, it would have made a pair


class TestRedetectionOfAgentsAnswers:
    def test_a_revision_that_calls_tools_is_not_too_short_at_redetection(self, engine: Engine) -> None:
        # The revision's words are one line; its work is an edit (a tool call stored in its blocks), and a tool
        # result whose key names the call must not count as one.
        answer = (
            "Ran the tests and checked the cache.\n\n"
            + "The cache lives in ~/.cache/y and is read on start. " * 40
        )
        texts = [
            ("user", "make y start faster with a cache"),
            ("assistant", answer),
            ("user", "No the key is you need to check and exit before all the imports"),
            (
                "assistant",
                "Ah, now I understand! Check the cache and exit before the imports. Let me modify the file:",
            ),
        ]
        with Session(engine, expire_on_commit=False) as session:
            _, turns = _add_conversation(session, texts)
            turns[1].blocks = [{"type": "tool_result", "tool_use_id": "t0", "content": "ok"}]
            turns[3].blocks = [
                {"type": "text", "chars": 90},
                {"type": "tool_use", "id": "t1", "name": "edit_file", "input": {"path": "y.py"}},
            ]
            session.commit()
        assert _redetect(engine)[1] == 1
        ((_, _, _, signals, _, _),) = _pair_state(engine).values()
        assert "chosen-too-short" not in signals
        # The answer before, which only holds a result, is no answer at work: its reply to the person stays scored.
        with Session(engine) as session:
            turn = session.get(Turn, turns[3].id)
            assert turn is not None
            turn.blocks = None
            session.add(turn)
            session.execute(delete(Pair))
            session.commit()
        assert _redetect(engine)[1] == 1
        ((_, _, _, signals, _, _),) = _pair_state(engine).values()
        assert "chosen-too-short" in signals
