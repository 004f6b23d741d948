"""JSON API v1: list with keyset pages, get, lease, submit (same rules as the page), the OpenAPI document."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, select

from app.db import session_scope
from app.pairs.models import Pair
from app.review.models import Judgment
from tests.web_helpers import bearer, client, count, make_token, make_user, seed_samples

pytestmark = pytest.mark.usefixtures("fast_passwords")


@pytest.fixture
def api(engine: Engine) -> tuple[object, dict[str, str], list[int]]:
    pairs = seed_samples(engine)
    make_user(engine, "rev")
    return client(), bearer(make_token(engine, "rev")), pairs


def _all_ids(engine: Engine) -> list[int]:
    with session_scope(engine, read_only=True) as session:
        return list(session.execute(select(Pair.id).order_by(Pair.id)).scalars())


class TestListPairs:
    def test_keyset_pages_cover_every_pair_once(self, engine: Engine, api) -> None:  # type: ignore[no-untyped-def]
        c, h, _ = api
        seen, after, pages = [], 0, 0
        while True:
            body = c.get("/api/v1/pairs", params={"limit": 5, "after": after}, headers=h).json()
            seen += [p["id"] for p in body["items"]]
            pages += 1
            if body["next_after"] is None:
                break
            assert body["next_after"] == body["items"][-1]["id"]
            after = body["next_after"]
        assert seen == _all_ids(engine)
        assert pages == len(seen) // 5 + 1

    def test_item_shape(self, engine: Engine, api) -> None:  # type: ignore[no-untyped-def]
        c, h, _ = api
        item = c.get("/api/v1/pairs", params={"limit": 1}, headers=h).json()["items"][0]
        assert sorted(item) == sorted(["id", "conversation_id", "source", "title", "score", "detector", "status",
                                       "signals", "prompt", "rejected", "pushback", "chosen", "chosen_original",
                                       "gold_edited", "leak_kinds", "leak_spans", "gold_prompt"])  # fmt: skip
        assert item["status"] == "candidate"
        assert item["prompt"][-1]["role"] == "user"

    def test_filters(self, engine: Engine, api) -> None:  # type: ignore[no-untyped-def]
        c, h, pairs = api
        above = c.get("/api/v1/pairs", params={"min_score": 0.5, "limit": 500}, headers=h).json()["items"]
        assert sorted(p["id"] for p in above) == sorted(pairs)
        assert c.get("/api/v1/pairs", params={"status": "accepted"}, headers=h).json() == {
            "items": [],
            "next_after": None,
        }

    def test_last_page_exactly_full_then_empty(self, engine: Engine, api) -> None:  # type: ignore[no-untyped-def]
        c, h, _ = api
        total = len(_all_ids(engine))
        body = c.get("/api/v1/pairs", params={"limit": total}, headers=h).json()
        assert len(body["items"]) == total
        follow = c.get(
            "/api/v1/pairs", params={"limit": total, "after": body["next_after"]}, headers=h
        ).json()
        assert follow == {"items": [], "next_after": None}


class TestGetPair:
    def test_get(self, engine: Engine, api) -> None:  # type: ignore[no-untyped-def]
        c, h, pairs = api
        body = c.get(f"/api/v1/pairs/{pairs[0]}", headers=h).json()
        assert body["id"] == pairs[0]
        assert body["chosen"] == body["chosen_original"]

    def test_missing(self, engine: Engine, api) -> None:  # type: ignore[no-untyped-def]
        c, h, _ = api
        response = c.get("/api/v1/pairs/987654", headers=h)
        assert response.status_code == 404
        assert response.json() == {"detail": "pair 987654 does not exist"}


class TestLease:
    def test_lease_returns_the_best_pair_and_keeps_it(self, engine: Engine, api) -> None:  # type: ignore[no-untyped-def]
        c, h, pairs = api
        first = c.post("/api/v1/review/next", headers=h).json()
        assert first["pair"]["id"] == pairs[0]
        assert first["left_side"] in ("first", "second")
        assert first["expires_at"]
        assert c.post("/api/v1/review/next", headers=h).json()["pair"]["id"] == pairs[0]

    def test_empty_queue(self, engine: Engine) -> None:
        make_user(engine, "rev")
        h = bearer(make_token(engine, "rev"))
        assert client().post("/api/v1/review/next", headers=h).json() == {
            "pair": None,
            "left_side": None,
            "expires_at": None,
        }


class TestSubmit:
    def test_submit_returns_201_and_the_pair_status(self, engine: Engine, api) -> None:  # type: ignore[no-untyped-def]
        c, h, pairs = api
        response = c.post(f"/api/v1/pairs/{pairs[0]}/judgments", headers=h, json={
            "verdict": "first", "patterns_first": ["tradeoffs"], "patterns_second": [], "comment": " ok ",
            "edited_text": "gold", "flagged": True})  # fmt: skip
        assert response.status_code == 201
        body = response.json()
        assert {k: body[k] for k in ("pair_id", "verdict", "patterns_first", "edited_text", "comment", "flagged",
                                     "version", "pair_status")} == {
            "pair_id": pairs[0], "verdict": "first", "patterns_first": ["tradeoffs"], "edited_text": "gold",
            "comment": "ok", "flagged": True, "version": 1, "pair_status": "accepted"}  # fmt: skip
        got = c.get(f"/api/v1/pairs/{pairs[0]}", headers=h).json()
        assert (got["chosen"], got["gold_edited"], got["status"]) == ("gold", True, "accepted")

    def test_unknown_pattern_is_422_like_the_page(self, engine: Engine, api) -> None:  # type: ignore[no-untyped-def]
        c, h, pairs = api
        response = c.post(f"/api/v1/pairs/{pairs[0]}/judgments", headers=h,
                          json={"verdict": "second", "patterns_second": ["nope"]})  # fmt: skip
        assert response.status_code == 422
        assert response.json() == {"detail": "unknown patterns: nope"}
        assert count(engine, Judgment) == 0

    def test_twice_is_409(self, engine: Engine, api) -> None:  # type: ignore[no-untyped-def]
        c, h, pairs = api
        assert (
            c.post(f"/api/v1/pairs/{pairs[0]}/judgments", headers=h, json={"verdict": "tie"}).status_code
            == 201
        )
        again = c.post(f"/api/v1/pairs/{pairs[0]}/judgments", headers=h, json={"verdict": "tie"})
        assert again.status_code == 409
        assert count(engine, Judgment) == 1

    def test_missing_pair_is_404(self, engine: Engine, api) -> None:  # type: ignore[no-untyped-def]
        c, h, _ = api
        response = c.post("/api/v1/pairs/987654/judgments", headers=h, json={"verdict": "tie"})
        assert response.status_code == 404
        assert response.json() == {"detail": "pair 987654 does not exist"}

    @pytest.mark.parametrize("body", [{"verdict": "better"}, {}, {"verdict": "tie", "comment": "c" * 5001},
                                      {"verdict": "tie", "patterns_first": ["x"] * 51}, [], "tie"])  # fmt: skip
    def test_bad_bodies_are_422(self, engine: Engine, api, body: object) -> None:  # type: ignore[no-untyped-def]
        c, h, pairs = api
        assert c.post(f"/api/v1/pairs/{pairs[0]}/judgments", headers=h, json=body).status_code == 422
        assert count(engine, Judgment) == 0

    def test_gold_edit_with_a_tie_is_422(self, engine: Engine, api) -> None:  # type: ignore[no-untyped-def]
        c, h, pairs = api
        response = c.post(f"/api/v1/pairs/{pairs[0]}/judgments", headers=h,
                          json={"verdict": "tie", "edited_text": "gold"})  # fmt: skip
        assert response.status_code == 422


class TestOpenApi:
    def test_document_lists_the_v1_paths(self, engine: Engine) -> None:
        doc = client().get("/api/v1/openapi.json").json()
        assert doc["openapi"].startswith("3.")
        assert set(doc["paths"]) == {"/api/v1/pairs", "/api/v1/pairs/{pair_id}", "/api/v1/review/next",
                                     "/api/v1/pairs/{pair_id}/judgments"}  # fmt: skip
        assert set(doc["paths"]["/api/v1/pairs/{pair_id}/judgments"]) == {"post"}
        assert doc["components"]["securitySchemes"] == {"bearer": {"type": "http", "scheme": "bearer"}}
        judgment_in = doc["components"]["schemas"]["JudgmentIn"]
        assert judgment_in["additionalProperties"] is False
        assert set(judgment_in["properties"]) == {"verdict", "patterns_first", "patterns_second", "edited_text",
                                                  "comment", "flagged"}  # fmt: skip
