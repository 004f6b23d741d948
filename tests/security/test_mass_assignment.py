"""S8: bodies and forms are allowlisted; no mass assignment of role, owner or reviewer."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, select

from app.db import session_scope
from app.patterns.models import TaxonomyVersion
from app.review.models import Judgment
from tests.security.routes import World
from tests.web_helpers import bearer, client, count, get_user, post_form, signed_in

pytestmark = pytest.mark.usefixtures("fast_passwords")


class TestApiBodies:
    @pytest.mark.parametrize(
        "extra",
        [{"reviewer_id": 1}, {"role": "admin"}, {"id": 5}, {"pair_id": 2}, {"version": 9},
         {"status": "accepted"}, {"left_side": "first"}, {"created_at": "2020-01-01T00:00:00Z"}],
        ids=lambda e: next(iter(e)),
    )  # fmt: skip
    def test_extra_fields_in_a_judgment_are_422(self, engine: Engine, extra: dict[str, object]) -> None:
        world = World.build(engine)
        pair_id = world.lease("rev")
        response = client().post(f"/api/v1/pairs/{pair_id}/judgments", json={"verdict": "right", **extra},
                                 headers=bearer(world.tokens["rev"]))  # fmt: skip
        assert response.status_code == 422
        field = next(iter(extra))
        body = response.json()
        assert body["detail"] == f"right.{field}: Extra inputs are not permitted"
        assert body["errors"] == [{"loc": ["body", "right", field], "msg": "Extra inputs are not permitted"}]
        assert count(engine, Judgment) == 0

    def test_unknown_query_fields_are_422(self, engine: Engine) -> None:
        """The API allowlists query parameters as it does body fields (issue 16: the schema says what is allowed)."""
        world = World.build(engine)
        c, h = client(), bearer(world.tokens["rev"])
        odd = c.get(
            "/api/v1/pairs", params={"limit": 5, "order_by": "password_hash", "reviewer_id": 3}, headers=h
        )
        assert odd.status_code == 422
        assert odd.json()["errors"] == [
            {"loc": ["query", "order_by"], "msg": "Unknown query parameter"},
            {"loc": ["query", "reviewer_id"], "msg": "Unknown query parameter"},
        ]


class TestForms:
    def test_taxonomy_form_with_an_unknown_field_is_422(self, engine: Engine) -> None:
        world = World.build(engine)
        versions = count(engine, TaxonomyVersion)
        response = post_form(
            signed_in("adm"), "/admin/patterns", {**world.taxonomy_form(), "created_by_id": "2"}
        )
        assert response.status_code == 422
        assert "unexpected fields: created_by_id" in response.text
        assert count(engine, TaxonomyVersion) == versions

    def test_judge_form_cannot_set_the_reviewer(self, engine: Engine) -> None:
        world = World.build(engine)
        pair_id = world.lease("rev")
        with session_scope(engine, read_only=True) as session:
            other = get_user(session, "rev2").id
        c = signed_in("rev")
        response = post_form(c, f"/review/{pair_id}/judge", {"verdict": "tie", "reviewer_id": str(other),
                                                              "version": "7", "left_side": "first"})  # fmt: skip
        assert response.status_code == 200
        with session_scope(engine, read_only=True) as session:
            judgment = session.execute(select(Judgment)).scalar_one()
            assert judgment.reviewer_id == get_user(session, "rev").id
            assert judgment.version == 1
