"""The pairs page search (`/admin/pairs?q=`): words in a conversation's title or any of its turns."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import Engine
from starlette.testclient import TestClient

from app.db import session_scope
from tests.web_helpers import add_pair, fast_passwords, make_user, signed_in  # noqa: F401

pytestmark = pytest.mark.usefixtures("fast_passwords")


def _listed(c: TestClient, query: str) -> list[int]:
    response = c.get(f"/admin/pairs?{query}")
    assert response.status_code == 200, response.text
    return sorted(int(x) for x in re.findall(r'href="/admin/pairs/(\d+)"', response.text))


def test_search_finds_words_in_turns_case_insensitively_and_literally(engine: Engine) -> None:
    make_user(engine, "adm", role="admin")
    with session_scope(engine) as session:
        kafka = add_pair(session, first="Use Kafka for the queue.").id or 0
        percent = add_pair(session, second="It is 100% safe_mode.").id or 0
        other = add_pair(session).id or 0
    admin = signed_in("adm")
    assert _listed(admin, "q=kafka") == [kafka]
    assert _listed(admin, "q=100%25") == [percent]
    assert _listed(admin, "q=safe_m") == [percent]  # the underscore is literal: "safexmode" would not match
    assert _listed(admin, "q=%25") == [percent]
    assert _listed(admin, "q=") == sorted([kafka, percent, other])
    assert signed_in("adm").get("/admin/pairs?q=" + "x" * 201).status_code == 422
