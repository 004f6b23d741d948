"""A release with no rows fails with a reason instead of turning "ready"; release names cannot repeat."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from app.db import session_scope
from app.errors import ConflictError
from app.releases.models import ReleaseStatus
from app.releases.service import build_release, require_new_name
from tests.releases.factories import add_many


def test_a_release_matching_no_pair_fails_with_the_reason(engine: Engine, tmp_path: Path) -> None:
    with session_scope(engine) as session:
        add_many(session, 3)
        release = build_release(
            session,
            name="nothing",
            kind="sft",
            format="openai",
            status="accepted",
            min_score=1.0,
            data_dir=tmp_path,
        )
        assert release.status == ReleaseStatus.failed
        assert "no pair matches this release's filters" in (release.error or "")
        assert release.directory is None


def test_a_used_name_is_refused_ignoring_case_and_spacing(engine: Engine, tmp_path: Path) -> None:
    with session_scope(engine) as session:
        add_many(session, 3)
        build_release(
            session, name="Spring  data", kind="sft", format="openai", status="accepted", data_dir=tmp_path
        )
        with pytest.raises(ConflictError, match="already called 'spring data'"):
            require_new_name(session, name=" spring data ")
        require_new_name(session, name="spring data 2")


def test_the_release_form_counts_matching_pairs(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.web_helpers import fast_hash, make_user, signed_in

    monkeypatch.setattr("app.auth.service.hash_password", fast_hash)
    make_user(engine, "adm", role="admin")
    make_user(engine, "rev")
    with session_scope(engine) as session:
        add_many(session, 5)
    admin = signed_in("adm")
    assert 'data-count="5"' in admin.get("/admin/releases/count?status=accepted").text
    assert 'data-count="0"' in admin.get("/admin/releases/count?status=accepted&min_score=0.95").text
    # The count takes the build form's typed filters: a score the build would refuse is refused here too.
    assert "min_score" in admin.get("/admin/releases/count?min_score=1.01").text
    assert 'data-count="0"' in admin.get("/admin/releases/count?status=conflict").text
    assert admin.get("/admin/releases/count?min_score=high").status_code == 422
    assert admin.get("/admin/releases/count?min_score=1.01").status_code == 422
    assert 'data-count="5"' in admin.get("/admin/releases/count?min_score=&source=").text
    assert signed_in("rev").get("/admin/releases/count").status_code == 403
    assert 'hx-get="/admin/releases/count"' in admin.get("/admin/releases/new").text
