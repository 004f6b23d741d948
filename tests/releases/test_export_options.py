"""ExportOptions: one typed model for the web form, both CLI commands, the stored row and the writers."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from app.db import session_scope
from app.errors import ValidationFailedError
from app.releases.export.options import ExportOptions
from app.releases.models import DatasetRelease, ReleaseFormat, ReleaseKind
from app.releases.service import create_release
from tests.web_helpers import count, fast_passwords, make_user, post_form, signed_in  # noqa: F401

pytestmark = pytest.mark.usefixtures("fast_passwords")


def test_values_become_enums_and_sorted_patterns() -> None:
    options = ExportOptions.parse(kind="dpo", format="trl", patterns_present=["b", "a", "b"], split=0.1)
    assert (options.kind, options.format) == (ReleaseKind.dpo, ReleaseFormat.trl)
    assert options.patterns_present == ("a", "b")
    assert options.filters.patterns_present == ("a", "b")
    assert options.rows.kind == ReleaseKind.dpo


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"kind": "ppo", "format": "openai"}, "unknown kind 'ppo'; choose one of: sft, dpo"),
        ({"kind": "sft", "format": "csv"}, "unknown format 'csv'; choose one of: openai, trl, parquet"),
        ({"kind": "sft", "format": "openai", "status": "tie"}, "cannot export pairs with status 'tie'"),
        (
            {"kind": "sft", "format": "openai", "split": 1.0},
            "validation fraction must be at least 0 and below 1",
        ),
        (
            {"kind": "sft", "format": "openai", "reviewer_id": 3},
            "reviewer_id: Extra inputs are not permitted",
        ),
        ({"kind": "sft", "format": "openai", "system_policy": "set"}, "needs a non-empty system prompt"),
        (
            {"kind": "sft", "format": "openai", "tools": "some"},
            "unknown tools policy 'some'; choose one of: drop, keep",
        ),
        (
            {"kind": "sft", "format": "openai", "license": "MIT License"},
            "license: 'MIT License' must be a license",
        ),
        (
            {"kind": "sft", "format": "parquet", "tools": "keep"},
            "tool calls are exported in the JSONL formats",
        ),
    ],
)
def test_bad_values_are_refused_in_words(values: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationFailedError, match=message.replace("(", r"\(")):
        ExportOptions.parse(**values)


def test_the_stored_row_gives_back_the_same_options(engine: Engine) -> None:
    options = ExportOptions.parse(
        kind="dpo", format="trl", status="candidate", min_score=0.5, source="team", patterns_absent=["x"],
        split=0.2, seed=7, system_policy="set", system_prompt="Be brief.", original_chosen=True,
        dpo_style="standard", model="gpt-4.1-mini-2025-04-14", keep_context=True, keep_leaky=True,
        use_suggestions=True, license="cc-by-4.0",
    )  # fmt: skip
    with session_scope(engine) as session:
        release = create_release(session, name="round trip", options=options)
        release_id = release.id
    with session_scope(engine, read_only=True) as session:
        stored = session.get(DatasetRelease, release_id)
        assert stored is not None
        assert ExportOptions.of_release(stored) == options
        assert stored.options["keep_context"] is True


def test_a_release_stored_before_keep_context_reads_back_without_context(engine: Engine) -> None:
    options = ExportOptions.parse(kind="sft", format="openai")
    with session_scope(engine) as session:
        release = create_release(session, name="older", options=options)
        # The options JSON as releases built before the field was added stored it.
        release.options = {k: v for k, v in release.options.items() if k != "keep_context"}
        session.flush()
        release_id = release.id
    with session_scope(engine, read_only=True) as session:
        stored = session.get(DatasetRelease, release_id)
        assert stored is not None
        assert "keep_context" not in stored.options
        assert ExportOptions.of_release(stored).keep_context is False


def test_the_form_refuses_unknown_fields_and_builds_with_known_ones(engine: Engine) -> None:
    make_user(engine, "adm", role="admin")
    c = signed_in("adm")
    form = {"name": "form", "kind": "dpo", "format": "openai"}
    refused = post_form(c, "/admin/releases", {**form, "created_by_id": "1"})
    assert refused.status_code == 422
    assert count(engine, DatasetRelease) == 0
    bad_enum = post_form(c, "/admin/releases", {**form, "dpo_style": "fancy"})
    assert bad_enum.status_code == 422
    # A system prompt typed while the policy is "keep" is ignored, as the form's radio buttons say.
    made = post_form(
        c, "/admin/releases", {**form, "system_policy": "keep", "system_prompt": "x", "source": ""}
    )
    assert made.status_code == 303, made.text
    with session_scope(engine, read_only=True) as session:
        (release,) = session.exec(select(DatasetRelease)).all()
        assert release.options["system_prompt"] is None
        assert release.filters["source"] is None
        assert release.options["keep_context"] is False
    kept = post_form(c, "/admin/releases", {**form, "name": "with context", "keep_context": "true"})
    assert kept.status_code == 303, kept.text
    with session_scope(engine, read_only=True) as session:
        release = session.exec(select(DatasetRelease).where(DatasetRelease.name == "with context")).one()
        assert release.options["keep_context"] is True


def test_standalone_options_are_fields_stored_on_the_release(engine: Engine) -> None:
    """keep-leaky, use-suggestions, tools and license travel through ExportOptions to the stored row and back."""
    options = ExportOptions.parse(
        kind="sft", format="openai", keep_leaky=True, use_suggestions=True, tools="keep", license="apache-2.0"
    )
    assert (options.rows.keep_leaky, options.rows.use_suggestions, options.rows.tools) == (True, True, "keep")
    columns = options.row_columns()["options"]
    assert columns["license"] == "apache-2.0"
    assert columns["standalone"]["leaky_rows"] == "kept"
    with session_scope(engine) as session:
        release_id = create_release(session, name="standalone", options=options).id
    with session_scope(engine, read_only=True) as session:
        stored = session.get(DatasetRelease, release_id)
        assert stored is not None
        assert ExportOptions.of_release(stored) == options
    defaults = ExportOptions.parse(kind="sft", format="openai")
    assert (defaults.keep_leaky, defaults.use_suggestions, defaults.tools, defaults.license) == (
        False, False, "drop", "other",
    )  # fmt: skip


def test_the_form_takes_the_standalone_fields(engine: Engine) -> None:
    make_user(engine, "adm", role="admin")
    c = signed_in("adm")
    form = {"name": "form", "kind": "dpo", "format": "openai"}
    assert post_form(c, "/admin/releases", {**form, "tools": "both"}).status_code == 422
    assert post_form(c, "/admin/releases", {**form, "license": "Not A License"}).status_code == 422
    made = post_form(
        c,
        "/admin/releases",
        {**form, "keep_leaky": "true", "use_suggestions": "true", "tools": "keep", "license": "cc-by-4.0"},
    )
    assert made.status_code == 303, made.text
    with session_scope(engine, read_only=True) as session:
        (release,) = session.exec(select(DatasetRelease)).all()
        options = ExportOptions.of_release(release)
    assert (options.keep_leaky, options.use_suggestions, options.tools, options.license) == (
        True, True, "keep", "cc-by-4.0",
    )  # fmt: skip
