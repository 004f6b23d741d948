"""Second opinions: the reply parser, the band, the cache, the job against the stand-in server, agreement."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from app.assist.models import SecondOpinion
from app.assist.opinions import (
    MAX_PART,
    MAX_REASON,
    PROMPT_VERSION,
    MalformedOpinionError,
    agreement,
    ask,
    band_candidates,
    parse_opinion,
)
from app.assist.provider import ProviderConfig, save_provider
from app.db import session_scope
from app.jobs.models import Job, JobStatus
from app.jobs.runner import execute
from app.jobs.service import create_job
from app.pairs.models import Pair, PairStatus
from tests.assist.fake_chat import KEY, serve_chat
from tests.releases.factories import add_pair
from tests.web_helpers import make_user, signed_in

Reply = Callable[[list[dict[str, str]]], str]
PAIR_REPLY = '{"verdict": "pair", "confidence": 0.8, "reason": "The revision takes the correction."}'


def _candidate(session: Session, score: float, *, chosen: str = "Use keyset pagination instead.") -> int:
    seeded = add_pair(session, status=PairStatus.candidate, score=score, chosen=chosen)
    return int(seeded.pair.id or 0)


def _by_revision(replies: dict[str, str], default: str = PAIR_REPLY) -> Reply:
    """The reply whose key appears in the request's text (the revision names the case)."""

    def reply(messages: list[dict[str, str]]) -> str:
        return next((r for key, r in replies.items() if key in messages[-1]["content"]), default)

    return reply


def _run_job(engine: Engine, base_url: str, *, low: float = 0.35, high: float = 0.65, limit: int = 10) -> Job:
    with session_scope(engine) as session:
        save_provider(session, base_url=base_url, model="stand-in", api_key=KEY, user_id=None)
        job_id = create_job(
            session, kind="second_opinions", payload={"low": low, "high": high, "limit": limit}, user_id=None
        ).id
    assert job_id is not None
    execute(engine, job_id)
    with session_scope(engine, read_only=True) as session:
        job = session.get_one(Job, job_id)
        session.expunge(job)
        return job


def _stored(engine: Engine) -> dict[int, tuple[str, float | None, str]]:
    with session_scope(engine, read_only=True) as session:
        rows = session.exec(select(SecondOpinion).order_by(col(SecondOpinion.pair_id))).all()
        return {o.pair_id: (o.verdict, o.confidence, o.reason) for o in rows}


class TestParse:
    def test_a_strict_json_opinion(self) -> None:
        parsed = parse_opinion(PAIR_REPLY)
        assert (parsed.verdict, parsed.confidence, parsed.reason) == (
            "pair",
            0.8,
            "The revision takes the correction.",
        )

    def test_a_fenced_object_and_a_missing_confidence_are_accepted(self) -> None:
        parsed = parse_opinion('```json\n{"verdict": "not_pair", "reason": "praise"}\n```')
        assert (parsed.verdict, parsed.confidence, parsed.reason) == ("not_pair", None, "praise")

    def test_a_long_reason_is_cut(self) -> None:
        reason = parse_opinion(json.dumps({"verdict": "pair", "reason": "word " * 200})).reason
        assert len(reason) == MAX_REASON
        assert reason.endswith("…")

    @pytest.mark.parametrize(
        ("reply", "says"),
        [
            ("Sure! It is a pair.", "the model's reply is not JSON"),
            ('["pair"]', "not an object"),
            (
                '{"verdict": "yes", "confidence": 0.5, "reason": "x"}',
                'verdict is "yes", not "pair" or "not_pair"',
            ),
            (
                '{"verdict": "pair", "confidence": 1.5, "reason": "x"}',
                "confidence is 1.5, not a number from 0",
            ),
            ('{"verdict": "pair", "confidence": true, "reason": "x"}', "confidence is true"),
            ('{"verdict": "pair", "confidence": "high", "reason": "x"}', 'confidence is "high"'),
            ('{"verdict": "pair", "confidence": 0.5, "reason": 3}', "reason is not a string"),
        ],
    )
    def test_anything_else_is_refused_in_words(self, reply: str, says: str) -> None:
        with pytest.raises(MalformedOpinionError, match=says.replace("(", r"\(")):
            parse_opinion(reply)


class TestAsk:
    def test_sends_the_three_turns_bounded_and_caches_the_opinion(self, engine: Engine) -> None:
        long_revision = "Use keyset pagination. " + "x" * (3 * MAX_PART)
        with serve_chat(_by_revision({})) as fake, session_scope(engine) as session:
            pair_id = _candidate(session, 0.5, chosen=long_revision)
            config = ProviderConfig(base_url=fake.base_url, model="stand-in", api_key=KEY)
            opinion = ask(session, pair_id=pair_id, config=config)
            assert opinion is not None
            assert (opinion.verdict, opinion.confidence, opinion.model) == ("pair", 0.8, "stand-in")
            assert opinion.prompt_version == PROMPT_VERSION
            assert ask(session, pair_id=pair_id, config=config) is None  # cached: no second request
            assert ask(session, pair_id=999_999, config=config) is None
        assert len(fake.requests) == 1
        body = fake.requests[0]["body"]
        assert body["max_tokens"] > 0
        system, user = body["messages"]
        assert '"verdict": "pair" or "not_pair"' in system["content"]
        assert "First answer:\nUse URI versioning." in user["content"]
        assert "User's follow-up:\nThat's shallow. What are the tradeoffs?" in user["content"]
        assert "Next answer:\nUse keyset pagination." in user["content"]
        assert "characters left out" in user["content"]
        assert len(user["content"]) < 2 * MAX_PART
        assert "How should I version" not in user["content"], "only the three turns are sent"

    def test_a_malformed_reply_stores_nothing(self, engine: Engine) -> None:
        with serve_chat(lambda _m: "I think so.") as fake, session_scope(engine) as session:
            pair_id = _candidate(session, 0.5)
            config = ProviderConfig(base_url=fake.base_url, model="stand-in", api_key=KEY)
            with pytest.raises(MalformedOpinionError):
                ask(session, pair_id=pair_id, config=config)
        assert _stored(engine) == {}


class TestBand:
    def test_open_candidates_in_the_band_most_uncertain_first(self, engine: Engine) -> None:
        with session_scope(engine) as session:
            far, near, below, above, mid = (_candidate(session, s) for s in (0.36, 0.52, 0.2, 0.9, 0.6))
            near_twin = _candidate(session, 0.48)
            add_pair(session, status=PairStatus.accepted, score=0.5)  # reviewed: not asked
            session.add(SecondOpinion(pair_id=mid, prompt_version=PROMPT_VERSION, verdict="pair", model="m"))
            old = _candidate(session, 0.55)
            session.add(SecondOpinion(pair_id=old, prompt_version="opinion-0", verdict="pair", model="m"))
            session.flush()
            ids = band_candidates(session, low=0.35, high=0.65, threshold=0.5, limit=10)
            assert ids == [near, near_twin, old, far]
            assert below not in ids
            assert above not in ids
            assert band_candidates(session, low=0.35, high=0.65, threshold=0.5, limit=2) == [near, near_twin]


class TestJob:
    def test_stores_opinions_for_the_band_only_and_a_second_run_asks_nothing(self, engine: Engine) -> None:
        with session_scope(engine) as session:
            in_band = [_candidate(session, s, chosen=f"Revision {s}") for s in (0.4, 0.5, 0.6)]
            outside = [_candidate(session, s) for s in (0.3, 0.7)]
        replies = {"Revision 0.4": '{"verdict": "not_pair", "confidence": 0.3, "reason": "It defends."}'}
        with serve_chat(_by_revision(replies)) as fake:
            first = _run_job(engine, fake.base_url)
            assert len(fake.requests) == 3
            second = _run_job(engine, fake.base_url)
            assert len(fake.requests) == 3, "a pair with an opinion is not asked again"
        assert first.status == JobStatus.succeeded
        assert first.result == {"pairs": 3, "opinions": 3, "failed": 0, "error": None}
        assert second.result == {"pairs": 0, "opinions": 0, "failed": 0, "error": None}
        stored = _stored(engine)
        assert sorted(stored) == in_band
        assert stored[in_band[0]] == ("not_pair", 0.3, "It defends.")
        assert not set(outside) & set(stored)

    def test_a_malformed_reply_is_a_failed_item_in_words(self, engine: Engine) -> None:
        with session_scope(engine) as session:
            bad, good = _candidate(session, 0.5, chosen="Revision bad"), _candidate(session, 0.45)
        with serve_chat(_by_revision({"Revision bad": "Yes, clearly a pair."})) as fake:
            job = _run_job(engine, fake.base_url)
        assert job.status == JobStatus.succeeded
        assert job.result is not None
        assert (job.result["pairs"], job.result["opinions"], job.result["failed"]) == (2, 1, 1)
        assert job.result["failures"] == [
            f'pair {bad}: the model\'s reply is not JSON (Expecting value at character 0): "Yes, clearly a pair."'
        ]
        assert sorted(_stored(engine)) == [good]

    def test_a_provider_error_stops_the_job_with_the_reason(self, engine: Engine) -> None:
        with session_scope(engine) as session:
            _candidate(session, 0.5)
            _candidate(session, 0.45)
        with serve_chat(lambda _m: PAIR_REPLY, api_key="another-key-0000000000") as fake:
            job = _run_job(engine, fake.base_url)
        assert job.result is not None
        assert job.result["pairs"] == 0
        assert "HTTP 401" in job.result["error"]
        assert KEY not in job.result["error"]
        assert len(fake.requests) == 1
        assert _stored(engine) == {}

    def test_without_a_provider_the_job_fails_in_words(self, engine: Engine) -> None:
        with session_scope(engine) as session:
            job_id = create_job(
                session, kind="second_opinions", payload={"low": 0.4, "high": 0.6, "limit": 5}, user_id=None
            ).id
        assert job_id is not None
        execute(engine, job_id)
        with session_scope(engine, read_only=True) as session:
            job = session.get_one(Job, job_id)
            assert job.status == JobStatus.failed
            assert "no suggestion provider is configured" in (job.error or "")

    def test_the_job_page_lists_the_failed_pairs(self, engine: Engine) -> None:
        with session_scope(engine) as session:
            bad = _candidate(session, 0.5)
        with serve_chat(lambda _m: '{"verdict": "maybe"}') as fake:
            job = _run_job(engine, fake.base_url)
        make_user(engine, "adm", role="admin")
        page = signed_in("adm").get(f"/admin/jobs/{job.id}").text
        assert (
            f"pair {bad}: the model&#39;s verdict is &#34;maybe&#34;, not &#34;pair&#34; or &#34;not_pair&#34;"
            in page
        )


class TestOpinionsChangeNothing:
    def test_scores_statuses_and_queue_are_untouched(self, engine: Engine) -> None:
        with session_scope(engine) as session:
            ids = [_candidate(session, s) for s in (0.4, 0.5, 0.6)]
        before = _pairs(engine)
        with serve_chat(lambda _m: '{"verdict": "not_pair", "confidence": 1, "reason": "no"}') as fake:
            _run_job(engine, fake.base_url)
        assert sorted(_stored(engine)) == ids
        assert _pairs(engine) == before


def _pairs(engine: Engine) -> list[tuple[int, float, str, str]]:
    with session_scope(engine, read_only=True) as session:
        return [
            (p.id or 0, p.score, p.status, p.detector)
            for p in session.exec(select(Pair).order_by(col(Pair.id)))
        ]


class TestAgreement:
    def test_counts_opinions_against_reviewers_verdicts(self, engine: Engine) -> None:
        cases = [  # (reviewers' status, model verdict)
            (PairStatus.accepted, "pair"),
            (PairStatus.tie, "pair"),
            (PairStatus.accepted, "not_pair"),
            (PairStatus.not_a_pair, "not_pair"),
            (PairStatus.not_a_pair, "pair"),
            (PairStatus.candidate, "pair"),  # no verdict yet: counted, not compared
            (PairStatus.conflict, "not_pair"),  # reviewers disagree: no label
        ]
        with session_scope(engine) as session:
            for status, verdict in cases:
                pair_id = int(add_pair(session, status=status, score=0.5).pair.id or 0)
                session.add(
                    SecondOpinion(pair_id=pair_id, prompt_version=PROMPT_VERSION, verdict=verdict, model="m")
                )
            stale = int(add_pair(session, status=PairStatus.accepted).pair.id or 0)
            session.add(SecondOpinion(pair_id=stale, prompt_version="opinion-0", verdict="pair", model="m"))
            session.flush()
            a = agreement(session)
        assert (a.opinions, a.compared, a.agreed) == (7, 5, 3)
        assert (a.pairs, a.pairs_agreed, a.not_pairs, a.not_pairs_agreed) == (3, 2, 2, 1)
        assert a.rate == pytest.approx(0.6)

    def test_nothing_to_compare(self, engine: Engine) -> None:
        with session_scope(engine, read_only=True) as session:
            a = agreement(session)
        assert (a.opinions, a.compared, a.rate) == (0, 0, None)
