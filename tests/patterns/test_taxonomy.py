"""The pattern taxonomy: defaults, versioned edits, validation, and the admin page."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import Engine, func, select
from sqlmodel import Session

from app.db import session_scope
from app.errors import ValidationFailedError
from app.patterns.models import Pattern, TaxonomyVersion
from app.patterns.service import (
    DEFAULT_PATTERNS,
    PatternInput,
    current_version_id,
    list_patterns,
    save_taxonomy,
    seed_defaults,
)
from tests.page_helpers import attr
from tests.sql_helpers import statements
from tests.web_helpers import count, make_user, post_form, signed_in

pytestmark = pytest.mark.usefixtures("fast_passwords")


def _inputs(session: Session) -> list[PatternInput]:
    return [PatternInput(slug=p.slug, name=p.name, description=p.description, hotkey=p.hotkey, position=i,
                         is_active=p.is_active) for i, p in enumerate(list_patterns(session))]  # fmt: skip


@pytest.fixture
def seeded(engine: Engine) -> Engine:
    with session_scope(engine) as session:
        assert seed_defaults(session) is True
    return engine


class TestDefaults:
    def test_ten_defaults_with_digit_hotkeys_and_version_one(self, seeded: Engine) -> None:
        with session_scope(seeded, read_only=True) as session:
            patterns = list_patterns(session)
            assert [p.slug for p in patterns] == [d[0] for d in DEFAULT_PATTERNS]
            assert [p.hotkey for p in patterns] == list("1234567890")
            version = session.get_one(TaxonomyVersion, current_version_id(session))
            assert len(version.snapshot) == 10
        with session_scope(seeded) as session:
            assert seed_defaults(session) is False
        assert count(seeded, TaxonomyVersion) == 1


class TestSave:
    def test_every_save_is_a_new_version_with_a_snapshot(self, seeded: Engine) -> None:
        with session_scope(seeded) as session:
            items = _inputs(session)
            items[0] = PatternInput(
                slug="tradeoffs", name="Trade-offs", description="d", hotkey="1", position=0
            )
            items.append(
                PatternInput(slug="citations", name="Citations", description="", hotkey="x", position=10)
            )
            version = save_taxonomy(session, patterns=items, user_id=None)
        with session_scope(seeded, read_only=True) as session:
            assert current_version_id(session) == version
            snapshot = session.get_one(TaxonomyVersion, version).snapshot
        assert snapshot[0] == {"slug": "tradeoffs", "name": "Trade-offs", "description": "d", "hotkey": "1",
                               "active": True}  # fmt: skip
        assert snapshot[-1]["slug"] == "citations"
        assert count(seeded, TaxonomyVersion) == 2

    def test_left_out_patterns_are_deactivated_not_deleted(self, seeded: Engine) -> None:
        with session_scope(seeded) as session:
            save_taxonomy(session, patterns=_inputs(session)[:3], user_id=None)
        with session_scope(seeded, read_only=True) as session:
            assert len(list_patterns(session, active_only=True)) == 3
            assert session.execute(select(func.count()).select_from(Pattern)).scalar_one() == 10

    def test_active_patterns_are_read_once_per_transaction_and_again_after_a_change(
        self, seeded: Engine
    ) -> None:
        """A verdict checks its tags against the active patterns and renders them again: one read. A save in
        the same transaction, or by any other process before the next one, is seen."""
        with statements(seeded) as seen, session_scope(seeded) as session:
            assert len(list_patterns(session, active_only=True)) == 10
            assert len(list_patterns(session, active_only=True)) == 10
            reads = len([s for s in seen if "FROM pattern" in s])
            save_taxonomy(session, patterns=_inputs(session)[:4], user_id=None)
            assert [p.slug for p in list_patterns(session, active_only=True)] == [
                d[0] for d in DEFAULT_PATTERNS[:4]
            ]
        assert reads == 1
        with session_scope(seeded) as other:
            save_taxonomy(other, patterns=_inputs(other)[:2], user_id=None)
        with session_scope(seeded, read_only=True) as session:
            assert len(list_patterns(session, active_only=True)) == 2

    @pytest.mark.parametrize(
        ("change", "message"),
        [({"slug": "Bad Slug"}, "use lowercase letters"), ({"name": " "}, "name must be 1-80"),
         ({"description": "d" * 301}, "at most 300"), ({"hotkey": "a"}, "hotkey must be one character"),
         ({"hotkey": "xy"}, "hotkey must be one character"), ({"hotkey": "2"}, "used by two active patterns")],
    )  # fmt: skip
    def test_invalid_rows(self, seeded: Engine, change: dict[str, Any], message: str) -> None:
        with session_scope(seeded) as session:
            items = _inputs(session)
            items[0] = dataclasses.replace(items[0], **change)
            with pytest.raises(ValidationFailedError, match=message):
                save_taxonomy(session, patterns=items, user_id=None)

    @pytest.mark.parametrize("key", list("abensu[]?dcfw"))
    def test_review_keys_cannot_be_pattern_hotkeys(self, seeded: Engine, key: str) -> None:
        """Every key static/app.js handles before pattern toggles (w edits, c comments, f flags...)."""
        with session_scope(seeded) as session:
            items = [*_inputs(session), PatternInput(slug="extra", name="Extra", description="", hotkey=key,
                                                     position=10)]  # fmt: skip
            with pytest.raises(ValidationFailedError, match="hotkey must be one character and not one of"):
                save_taxonomy(session, patterns=items, user_id=None)


class TestAdminPage:
    def _form(self, html: str) -> list[tuple[str, str]]:
        soup = BeautifulSoup(html, "html.parser")
        fields = []
        for element in soup.select("form[action='/admin/patterns'] input"):
            if element.has_attr("disabled") or element["name"] == "csrf_token":
                continue
            if element.get("type") == "checkbox" and not element.has_attr("checked"):
                continue
            value = element.get("value", "")
            assert isinstance(value, str)
            fields.append((attr(element, "name"), value))
        return fields

    def test_rename_and_add_through_the_form(self, seeded: Engine) -> None:
        make_user(seeded, "adm", role="admin")
        c = signed_in("adm")
        with session_scope(seeded, read_only=True) as session:
            before = current_version_id(session) or 0
        fields = self._form(c.get("/admin/patterns").text)
        names = [i for i, (k, _) in enumerate(fields) if k == "name"]
        fields[names[0]] = ("name", "Trade-offs")
        new_row = {"slug": "citations", "name": "Citations", "description": "Cites sources", "hotkey": "x"}
        empty = next(i for i, (k, v) in enumerate(fields) if k == "slug" and v == "")
        for offset, key in enumerate(("slug", "name", "description", "hotkey")):
            fields[empty + offset] = (key, new_row[key])
        response = post_form(c, "/admin/patterns", fields)
        assert response.status_code == 303
        assert response.headers["location"] == "/admin/patterns"
        with session_scope(seeded, read_only=True) as session:
            patterns = {p.slug: p for p in list_patterns(session, active_only=True)}
            assert patterns["tradeoffs"].name == "Trade-offs"
            assert (patterns["citations"].name, patterns["citations"].hotkey) == ("Citations", "x")
            after = current_version_id(session) or 0
        assert after > before
        assert count(seeded, TaxonomyVersion) == 2
        assert f"version {after}" in c.get("/admin/patterns").text

    def test_unchecking_deactivates(self, seeded: Engine) -> None:
        make_user(seeded, "adm", role="admin")
        c = signed_in("adm")
        fields = [f for f in self._form(c.get("/admin/patterns").text) if f != ("active", "testing")]
        assert post_form(c, "/admin/patterns", fields).status_code == 303
        with session_scope(seeded, read_only=True) as session:
            assert "testing" not in {p.slug for p in list_patterns(session, active_only=True)}

    def test_bad_rows_are_422_and_no_version(self, seeded: Engine) -> None:
        make_user(seeded, "adm", role="admin")
        c = signed_in("adm")
        response = post_form(c, "/admin/patterns", {"slug": ["a", "b"], "name": ["A"], "description": [""],
                                                    "hotkey": ["x"]})  # fmt: skip
        assert response.status_code == 422
        assert "every pattern row needs slug, name, description and hotkey" in response.text
        assert count(seeded, TaxonomyVersion) == 1

    def test_reviewers_are_refused(self, seeded: Engine) -> None:
        make_user(seeded, "rev")
        c = signed_in("rev")
        assert c.get("/admin/patterns").status_code == 403
        assert post_form(c, "/admin/patterns", {"slug": ["x"], "name": ["X"], "description": [""],
                                                "hotkey": ["x"]}).status_code == 403  # fmt: skip
        assert count(seeded, TaxonomyVersion) == 1
