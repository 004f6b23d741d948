"""`pairwise eval create|list|show` as scripts use them: --wait --json prints the report shape of the issue,
per-candidate endpoints take their key from an environment variable, and errors are one line in words."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from app.cli import cli
from tests.evaluation.conftest import tagged_release
from tests.training.fake_openai import FakeOpenAI


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_create_wait_json_then_list_and_show(training_engine: Engine, openai_env: FakeOpenAI) -> None:
    release_id = tagged_release(training_engine, rows=12)
    code, out, err = run("eval", "create", "--name", "cli", "--release", str(release_id), "--candidate", "base=openai:m1",
                         "--candidate", "sft=openai:m2", "--wait", "--json")  # fmt: skip
    assert code == 0, err
    report = json.loads(out)
    assert {"id", "name", "status", "prompts", "judged", "candidates", "head_to_head", "decision"} <= set(
        report
    )
    assert report["status"] == "ready"
    assert set(report["candidates"]["sft"]) >= {"spec", "answers", "adherence"}
    assert set(report["candidates"]["sft"]["adherence"]) >= {"overall", "ci95", "per_pattern", "spread"}
    assert set(report["head_to_head"][0]) >= {"a", "b", "wins_a", "wins_b", "ties", "win_rate_a", "ci95"}
    assert set(report["decision"]) >= {"subject", "verdict", "reason"}
    code, out, _ = run("eval", "list", "--json")
    assert code == 0
    assert [e["id"] for e in json.loads(out)] == [report["id"]]
    code, out, _ = run("eval", "show", str(report["id"]), "--json")
    assert json.loads(out) == report
    code, _, _ = run("eval", "show", str(report["id"]))
    assert code == 0


def test_a_candidate_endpoint_with_its_key_from_the_environment(
    training_engine: Engine, fake_openai: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.setenv("LOCAL_VLLM_KEY", fake_openai.api_key)
    release_id = tagged_release(training_engine, rows=8)
    code, out, err = run("eval", "create", "--name", "vllm", "--release", str(release_id),
                         "--candidate", "a=openai:m1", "--candidate", "b=openai:m2",
                         "--endpoint", f"a={fake_openai.base_url}", "--endpoint", f"b={fake_openai.base_url}",
                         "--key-env", "a=LOCAL_VLLM_KEY", "--key-env", "b=LOCAL_VLLM_KEY", "--wait", "--json")  # fmt: skip
    assert code == 0, err
    assert json.loads(out)["status"] == "ready"
    calls = fake_openai.calls("POST", "/v1/chat/completions")
    assert calls
    assert all(c.authorization == f"Bearer {fake_openai.api_key}" for c in calls)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--candidate", "only=openai:m1"], "2 to 8 candidates"),
        (["--candidate", "a=openai:m1", "--candidate", "b", "--split", "all"], "LABEL=SPEC"),
        (
            ["--candidate", "a=openai:m1", "--candidate", "b=openai:m2", "--key-env", "a=NOT_SET_ANYWHERE"],
            "not set",
        ),
        (
            [
                "--candidate",
                "a=openai:m1",
                "--candidate",
                "b=openai:m2",
                "--endpoint",
                "c=http://127.0.0.1:1/v1",
            ],
            "not a candidate",
        ),
    ],
)
def test_errors_are_one_line_in_words(training_engine: Engine, extra: list[str], message: str) -> None:
    release_id = tagged_release(training_engine, rows=8)
    code, _, err = run("eval", "create", "--name", "bad", "--release", str(release_id), *extra)
    assert code == 1
    assert message in err
    assert "Traceback" not in err
