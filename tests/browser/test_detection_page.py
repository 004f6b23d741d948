"""An admin fits the scorer to the installation's verdicts and rolls it back, in real Chromium."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine

from app.db import session_scope
from app.pairs.detection import DETECTOR_VERSION
from app.pairs.models import PairStatus
from tests.web_helpers import Server, add_pair, live_sqlite_server, make_user

pytestmark = pytest.mark.browser


def _seed(engine: Engine) -> None:
    """Sixty verdicts (30 pairs, 30 not) with the signals the detector stored, and two open candidates."""
    with session_scope(engine) as session:
        for _ in range(30):
            add_pair(session, status=PairStatus.accepted).signals = "correction,chosen-revises"
            add_pair(session, status=PairStatus.not_a_pair).signals = "praise,chosen-too-short"
        add_pair(session, score=0.6).signals = "correction,chosen-revises"
        add_pair(session, score=0.6).signals = "praise"
    make_user(engine, "boss", role="admin")


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Engine]]:
    with live_sqlite_server(tmp_path_factory.mktemp("browser-detection"), _seed) as pair:
        yield pair


def test_train_then_roll_back(live: tuple[Server, Engine], watched: Any) -> None:
    server, _ = live
    w = watched(server.url)
    w.sign_in("boss")
    w.goto("/admin/detection")
    page = w.page
    assert f"The rule-based detector {DETECTOR_VERSION}" in page.inner_text("main")
    page.click("form[action='/admin/detection/train'] button")
    page.wait_for_url("**/admin/jobs/*")
    page.wait_for_selector("#job-status[data-status='succeeded']", timeout=30_000)

    w.goto("/admin/detection")
    text = page.inner_text("main")
    assert "Model lr-1, fitted to" in text
    assert f"{DETECTOR_VERSION}+lr-1: 2" in text  # both open candidates re-ranked by the model
    rows = page.eval_on_selector_all("table tbody tr", "rows => rows.map(r => r.innerText)")
    assert len(rows) == 1
    assert "(active)" in rows[0]

    page.click("form[action='/admin/detection/rollback'] button")
    page.wait_for_url("**/admin/detection?notice=rules")
    assert "Back to the rule-based scorer" in page.inner_text("main")
    assert page.query_selector("form[action='/admin/detection/rollback']") is None
    assert w.console_errors == []
    assert w.dialogs == []
    assert w.blocked == []
