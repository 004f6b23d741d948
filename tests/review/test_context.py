"""IDE/shell context and slash commands on the review screen: collapsed, apart from what the person typed."""

from __future__ import annotations

from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import Engine, select, update
from sqlmodel import col

from app.conversations.importing import run_import
from app.db import session_scope
from app.pairs.models import Pair
from tests.page_helpers import one
from tests.web_helpers import make_user, post_form, signed_in

SESSION = (
    Path(__file__).resolve().parents[1]
    / "fixtures"
    / "real_formats"
    / "claude_projects"
    / "-home-dev-app"
    / "7f3e0c1a-0000-4000-8000-000000000001.jsonl"
)

pytestmark = pytest.mark.usefixtures("fast_passwords")


def test_prompt_and_follow_up_context_is_collapsed_and_not_in_their_text(engine: Engine) -> None:
    run_import(engine, paths=[SESSION])
    with session_scope(engine) as session:
        pairs = list(session.execute(select(Pair).order_by(col(Pair.id))).scalars())
        # Only the pair whose prompt carries IDE context and whose follow-up carries shell output stays open.
        keep = pairs[1].id
        session.execute(update(Pair).where(Pair.id != keep).values(status="not_a_pair"))
    make_user(engine, "rev")
    html = post_form(signed_in("rev"), "/review/next").text
    soup = BeautifulSoup(html, "html.parser")
    prompt, pushback = soup.select_one("section.prompt"), soup.select_one("section.pushback")
    assert prompt is not None
    assert pushback is not None
    assert one(prompt, ".md").get_text(strip=True) == "Why does main() never return?"
    prompt_context = prompt.select_one("details.user-context")
    assert prompt_context is not None
    assert "open" not in prompt_context.attrs
    assert [c.get_text() for c in prompt_context.select("code")] == [
        "ide_opened_file",
        "ide_selection",
        "system-reminder",
    ]
    pushback_context = pushback.select_one("details.user-context")
    assert pushback_context is not None
    assert [c.get_text() for c in pushback_context.select("code")] == [
        "bash-input",
        "bash-stdout",
        "bash-stderr",
    ]
    assert "1 failed, 3 passed" in pushback_context.get_text()
    assert "bash-stdout" not in one(pushback, ".md").get_text()
