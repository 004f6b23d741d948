"""The review screen's standalone panel: spans, the transform, the gold prompt, suggestions, and what exports get."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from bs4 import BeautifulSoup, Tag
from sqlalchemy import Engine
from sqlmodel import col, select

from app.assist.models import Suggestion
from app.db import session_scope
from app.pairs.leak_check import check_unchecked_pairs
from app.pairs.models import PairEdit
from app.releases.export.dataset import export_file
from app.review import queue
from tests.page_helpers import attr, one
from tests.web_helpers import add_pair, get_user, make_user, post_form, signed_in

pytestmark = pytest.mark.usefixtures("fast_passwords")
QUESTION = "How do I paginate a SQL query?"


@pytest.fixture
def held(engine: Engine) -> int:
    """A leaky pair leased by reviewer "rev"."""
    make_user(engine, "rev")
    with session_scope(engine) as session:
        pair = add_pair(session, question=QUESTION, first="Use OFFSET.", pushback="Wrong: the table has 50M rows.",
                        second="Good catch! Keyset pagination <b>stays</b> fast.")  # fmt: skip
        check_unchecked_pairs(session.connection())
        assignment = queue.lease_next(session, reviewer=get_user(session, "rev"))
        assert assignment is not None
        assert assignment.pair_id == pair.id
        return int(pair.id or 0)


def _panel(html: str) -> Tag:
    return one(BeautifulSoup(html, "html.parser"), "#standalone-panel")


def test_panel_marks_spans_and_previews_the_transform(engine: Engine, held: int) -> None:
    panel = _panel(signed_in("rev").get(f"/review/{held}/standalone").text)
    assert [m.get_text() for m in panel.select("mark.leak")] == ["Good catch"]
    assert one(panel, "[data-standalone-preview]").get_text() == "Keyset pagination <b>stays</b> fast."
    assert panel.select_one('[data-standalone-key="t"]') is not None


def test_transform_prompt_and_suggestion_reach_the_export(engine: Engine, held: int, tmp_path: Path) -> None:
    c = signed_in("rev")
    response = post_form(c, f"/review/{held}/standalone/transform", htmx=True)
    assert response.status_code == 200
    assert "standalone transform was applied" in response.text
    assert (
        post_form(
            c, f"/review/{held}/standalone/prompt", {"text": "Paginate 50M rows?"}, htmx=True
        ).status_code
        == 200
    )
    with session_scope(engine) as session:
        session.add(Suggestion(pair_id=held, field="prompt", text="How do I paginate 50M rows in SQL?",
                               base_text="Paginate 50M rows?", model="stand-in"))  # fmt: skip
    panel = _panel(c.get(f"/review/{held}/standalone").text)
    assert panel.select_one(".suggestion ins") is not None
    sid = attr(one(panel, ".suggestion"), "data-suggestion")
    assert post_form(c, f"/review/{held}/suggestions/{sid}/accept", htmx=True).status_code == 200
    with session_scope(engine, read_only=True) as session:
        edits = session.exec(
            select(PairEdit).where(col(PairEdit.pair_id) == held).order_by(col(PairEdit.id))
        ).all()
        assert [(e.field, e.source) for e in edits] == [("chosen", "transform"), ("prompt", "reviewer"),
                                                        ("prompt", "suggestion")]  # fmt: skip
        assert edits[1].previous_text == QUESTION
        assert edits[2].previous_text == "Paginate 50M rows?"
        out = tmp_path / "sft.jsonl"
        result = export_file(session, kind="sft", format="openai", out=out, status="candidate")
    (row,) = [orjson.loads(line) for line in out.read_bytes().splitlines()]
    assert row["messages"] == [
        {"role": "user", "content": "How do I paginate 50M rows in SQL?"},
        {"role": "assistant", "content": "Keyset pagination <b>stays</b> fast."},
    ]
    assert result.standalone is not None
    assert result.standalone.counts["gold_edited"] == 1


def test_other_reviewers_cannot_touch_the_pair(engine: Engine, held: int) -> None:
    make_user(engine, "other")
    c = signed_in("other")
    assert c.get(f"/review/{held}/standalone").status_code == 404
    assert post_form(c, f"/review/{held}/standalone/transform", htmx=True).status_code == 404


def test_an_empty_prompt_is_refused(engine: Engine, held: int) -> None:
    response = post_form(signed_in("rev"), f"/review/{held}/standalone/prompt", {"text": ""}, htmx=True)
    assert response.status_code == 422
