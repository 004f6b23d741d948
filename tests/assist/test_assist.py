"""The suggestion provider: saved encrypted, the shared client against a stand-in server, the job, decisions."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from app.assist.client import SuggestionProviderError, complete
from app.assist.models import Suggestion, SuggestionStatus
from app.assist.provider import (
    ProviderConfig,
    ProviderNotConfiguredError,
    provider_config,
    provider_view,
    save_provider,
)
from app.assist.service import decide, leaky_pairs_without_suggestions, propose
from app.db import session_scope
from app.errors import ConflictError, ValidationFailedError
from app.pairs.leak_check import check_unchecked_pairs
from app.pairs.models import PairEdit
from app.settings.models import AppSetting
from tests.assist.fake_chat import KEY, rewrite_reply, serve_chat
from tests.releases.factories import add_pair, add_user

QUESTION = "How do I paginate a SQL query?"


class TestProviderSettings:
    def test_key_is_encrypted_and_bound_to_its_url(self, engine: Engine) -> None:
        with session_scope(engine) as session:
            view = save_provider(
                session, base_url="http://127.0.0.1:9/v1/", model="m1", api_key=KEY, user_id=None
            )
            assert (view.base_url, view.model, view.key_last4) == ("http://127.0.0.1:9/v1", "m1", KEY[-4:])
            stored = session.get_one(AppSetting, "suggestion_provider").value
            assert KEY not in str(stored)
            assert provider_config(session).api_key == KEY
            # Same URL: an empty key keeps the saved one; another URL needs the key again.
            save_provider(session, base_url="http://127.0.0.1:9/v1", model="m2", api_key="", user_id=None)
            assert provider_config(session).model == "m2"
            with pytest.raises(ValidationFailedError, match="requires entering the API key again"):
                save_provider(session, base_url="http://127.0.0.1:8/v1", model="m2", api_key="", user_id=None)

    def test_unconfigured_is_a_clear_error(self, engine: Engine) -> None:
        with session_scope(engine) as session:
            assert provider_view(session) is None
            with pytest.raises(ProviderNotConfiguredError, match="no suggestion provider is configured"):
                provider_config(session)


class TestClient:
    def test_complete_returns_the_text(self) -> None:
        with serve_chat(lambda messages: f"echo: {messages[-1]['content']}") as fake:
            config = ProviderConfig(base_url=fake.base_url, model="m", api_key=KEY)
            assert complete(config=config, messages=[{"role": "user", "content": "hi"}]) == "echo: hi"
        assert fake.requests[0]["body"]["model"] == "m"

    def test_errors_say_what_happened_without_the_key(self) -> None:
        with serve_chat(lambda _m: "x", api_key="another-key-0000000000") as fake:
            config = ProviderConfig(base_url=fake.base_url, model="m", api_key=KEY)
            with pytest.raises(SuggestionProviderError, match="HTTP 401") as caught:
                complete(config=config, messages=[{"role": "user", "content": "hi"}])
        assert KEY not in str(caught.value)
        unreachable = ProviderConfig(base_url="http://127.0.0.1:9/v1", model="m", api_key=KEY)
        with pytest.raises(SuggestionProviderError, match="cannot reach"):
            complete(config=unreachable, messages=[{"role": "user", "content": "hi"}], timeout_s=5)


def _leaky_pair(session: Session) -> int:
    seeded = add_pair(session, question=QUESTION, pushback="Wrong: the table has 50M rows.",
                      chosen="Good catch! With 50M rows, use keyset pagination.")  # fmt: skip
    check_unchecked_pairs(session.connection())
    return int(seeded.pair.id or 0)


class TestSuggestions:
    def test_propose_then_accept_and_ignore(self, engine: Engine) -> None:
        with serve_chat(rewrite_reply) as fake, session_scope(engine) as session:
            pair_id = _leaky_pair(session)
            assert leaky_pairs_without_suggestions(session, limit=10) == [pair_id]
            config = ProviderConfig(base_url=fake.base_url, model="stand-in", api_key=KEY)
            made = propose(session, pair_id=pair_id, config=config)
            assert [(s.field, s.text) for s in made] == [
                ("chosen", "Keyset pagination stays fast on large tables."),
                ("prompt", "How do I paginate a table with 50M rows?"),
            ]
            assert propose(session, pair_id=pair_id, config=config) == []  # pending ones are not asked again
            reviewer = add_user(session)
            decide(session, pair_id=pair_id, suggestion_id=made[1].id or 0, reviewer=reviewer, accept=True)
            decide(session, pair_id=pair_id, suggestion_id=made[0].id or 0, reviewer=reviewer, accept=False)
            with pytest.raises(ConflictError):
                decide(
                    session, pair_id=pair_id, suggestion_id=made[0].id or 0, reviewer=reviewer, accept=True
                )
            edits = session.exec(select(PairEdit).where(PairEdit.pair_id == pair_id)).all()
            assert [(e.field, e.source, e.previous_text, e.suggestion_id) for e in edits] == [
                ("prompt", "suggestion", QUESTION, made[1].id)
            ]
            statuses = [s.status for s in session.exec(select(Suggestion).order_by(col(Suggestion.id))).all()]
            assert statuses == [SuggestionStatus.ignored, SuggestionStatus.accepted]
        assert all(r["authorization"] == f"Bearer {KEY}" for r in fake.requests)
