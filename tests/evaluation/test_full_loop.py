"""The whole loop against a real server and the stand-in OpenAI-compatible server on loopback: release -> SFT
run -> evaluation of the base model against the SFT model -> blind A/B judgments through the API and in
Chromium with the review keys -> the report and its decision -> DPO on top of the SFT run, where
`--model run:ID` reaches the provider as the SFT model's id."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, select
from sqlmodel import col
from typer.testing import CliRunner

from app.cli import cli
from app.config import get_settings
from app.db import session_scope, use_engine
from app.evaluation.models import Comparison, ComparisonJudgment, EvalCandidate, EvalPrompt
from app.evaluation.stats import CONSIDER_DPO, SFT_SUFFICIENT
from app.patterns.service import list_patterns, seed_defaults
from app.releases.service import build_release
from app.training.models import TrainingRun
from tests.releases.factories import add_judgment, add_many, add_user
from tests.training.fake_openai import FakeOpenAI
from tests.web_helpers import CHROMIUM, Server, live_sqlite_server, make_token, make_user

pytestmark = pytest.mark.browser
BASE_MODEL = "gpt-4.1-mini-2025-04-14"
TAGS: tuple[list[str], ...] = (["tradeoffs", "recommendation"], ["testing"], [], ["tradeoffs"])


@pytest.fixture(autouse=True)
def _loopback_provider(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI runs training in this process: the stand-in provider on loopback needs the operator's opt-in."""
    from app.config import get_settings

    monkeypatch.setenv("PAIRWISE_ALLOW_PRIVATE_ENDPOINTS", "true")
    get_settings.cache_clear()


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeOpenAI]:
    server = FakeOpenAI().start()
    yield server
    server.stop()


def _seed(engine: Engine) -> None:
    with session_scope(engine) as session:
        seed_defaults(session)
    with session_scope(engine) as session:
        seeded = add_many(session, 16)
        tagger = add_user(session, "tagger")
        for i, item in enumerate(seeded):
            add_judgment(session, pair=item.pair, reviewer=tagger, patterns_second=TAGS[i % len(TAGS)])
    for kind in ("sft", "dpo"):
        with session_scope(engine) as session:
            release = build_release(
                session, name=f"{kind} release", kind=kind, format="openai", data_dir=get_settings().data_dir,
                split=0.5, seed=3,
            )  # fmt: skip
            assert release.status == "ready", release.error
    make_user(engine, "lead", role="admin")
    make_user(engine, "api-reviewer")
    make_user(engine, "browser-reviewer")


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, fake: FakeOpenAI) -> Iterator[tuple[Server, Engine, Path]]:
    tmp = tmp_path_factory.mktemp("eval-loop")
    # The stand-in provider is on loopback, which the outbound policy allows only when opted in.
    env = {
        "OPENAI_BASE_URL": fake.base_url,
        "OPENAI_API_KEY": fake.api_key,
        "PAIRWISE_ALLOW_PRIVATE_ENDPOINTS": "true",
    }
    with live_sqlite_server(tmp, _seed, extra_env=env) as (server, engine):
        yield server, engine, tmp / "data"


def pairwise(*args: str) -> Any:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout.strip().splitlines()[-1])


def judge_through_the_api(
    server: Server, token: str, evaluation_id: int, sft_marker: str, count: int
) -> list[dict[str, Any]]:
    """Judge `count` comparisons: prefer the SFT answer and tag its expected patterns, except every third time
    tag nothing. Returns what was sent."""
    sent: list[dict[str, Any]] = []
    with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token}"}) as http:
        # Reviewers may judge but not read the report (it names the candidates).
        assert http.get(f"/api/v1/evaluations/{evaluation_id}").status_code == 403
        while len(sent) < count:
            r = http.post(f"/api/v1/evaluations/{evaluation_id}/next")
            assert r.status_code == 200, r.text
            body = r.json()
            sft_left = body["left"]["text"].startswith(sft_marker)
            expected = EXPECTED[body["comparison_id"]]
            tags = [] if len(sent) % 3 == 2 else expected
            payload = {"verdict": "left" if sft_left else "right",
                       "patterns_left" if sft_left else "patterns_right": tags}  # fmt: skip
            url = f"/api/v1/evaluations/{evaluation_id}/comparisons/{body['comparison_id']}/judgments"
            r = http.post(url, json=payload)
            assert r.status_code == 201, r.text
            sent.append({"comparison_id": body["comparison_id"], "tags": tags, "expected": expected})
    return sent


# Expected patterns per comparison id, filled from the database once the evaluation exists.
EXPECTED: dict[int, list[str]] = {}


def test_release_sft_evaluation_ab_report_and_dpo_on_top(
    live: tuple[Server, Engine, Path], fake: FakeOpenAI, watched: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    server, engine, data_dir = live
    if not shutil.which(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is not installed")
    # The CLI runs in this process against the server's database and data folder.
    monkeypatch.setenv("PAIRWISE_DATA_DIR", str(data_dir))
    monkeypatch.setenv("OPENAI_BASE_URL", fake.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", fake.api_key)
    get_settings.cache_clear()
    use_engine(engine)
    try:
        _loop(server, engine, fake, watched)
    finally:
        use_engine(None)


def _loop(server: Server, engine: Engine, fake: FakeOpenAI, watched: Any) -> None:
    with session_scope(engine, read_only=True) as session:
        from app.releases.models import DatasetRelease

        releases = {r.kind: r.id for r in session.execute(select(DatasetRelease)).scalars()}
    # 1. SFT on the SFT release.
    sft = pairwise("train", "--release", str(releases["sft"]), "--backend", "openai", "--model", BASE_MODEL,
                   "--wait", "--poll-interval", "0.01", "--json")  # fmt: skip
    assert sft["status"] == "succeeded"
    sft_model = sft["fine_tuned_model"]
    assert sft_model.startswith(f"ft:{BASE_MODEL}")
    # 2. Evaluation: the base model against the SFT run, on the release's validation split.
    report = pairwise("eval", "create", "--name", "base vs sft", "--release", str(releases["sft"]),
                      "--candidate", f"base=openai:{BASE_MODEL}", "--candidate", f"sft=run:{sft['id']}",
                      "--baseline", "base", "--compare", "baseline", "--wait", "--json")  # fmt: skip
    evaluation_id = report["id"]
    assert report["status"] == "ready"
    assert report["candidates"]["sft"]["answers"] == report["prompts"] > 2
    asked = {c.body["model"] for c in fake.calls("POST", "/v1/chat/completions")}
    assert asked == {BASE_MODEL, sft_model}
    with session_scope(engine, read_only=True) as session:
        prompts = {p.id: p.expected_patterns for p in session.execute(select(EvalPrompt)).scalars()}
        comparisons = list(
            session.execute(
                select(Comparison).where(col(Comparison.evaluation_id) == evaluation_id)
            ).scalars()
        )
        hotkeys = {p.slug: p.hotkey for p in list_patterns(session, active_only=True)}
    for c in comparisons:
        EXPECTED[c.id or 0] = prompts[c.prompt_id]
    # 3. Human judgments through the API, leaving two comparisons for the browser.
    token = make_token(engine, "api-reviewer")
    sent = judge_through_the_api(
        server, token, evaluation_id, f"{sft_model} answers", count=len(comparisons) - 2
    )
    assert len(sent) == len(comparisons) - 2
    # 4. The rest in Chromium with the review keys: focus the SFT answer, tag "tradeoffs", prefer it.
    page = watched(server.url)
    page.sign_in("browser-reviewer")
    page.goto("/evaluations")
    assert "base vs sft" in page.page.inner_text("#open-evaluations")
    page.page.click(f"a[href='/evaluations/{evaluation_id}/review']")
    browser_tags = []
    for _ in range(2):
        page.page.wait_for_selector("#review-pane[data-comparison-id]")
        assert "Model comparison queue" in page.page.inner_text("#queue-name")
        pane_text = page.page.inner_text("#review-pane")
        assert "run:" not in pane_text
        assert "openai:" not in pane_text
        current = page.page.get_attribute("#review-pane", "data-comparison-id")
        sft_left = page.page.inner_text("#answer-left .md").startswith(f"{sft_model} answers")
        page.page.keyboard.press("[" if sft_left else "]")
        page.page.keyboard.press(hotkeys["tradeoffs"])
        side = "left" if sft_left else "right"
        assert page.page.is_checked(f"#answer-{side} input[value=tradeoffs]")
        page.page.keyboard.press("a" if sft_left else "b")
        page.page.wait_for_function(
            "id => { const p = document.getElementById('review-pane'); return p && p.dataset.comparisonId !== id; }",
            arg=current,
        )
        browser_tags.append((int(current or 0), ["tradeoffs"]))
    page.page.wait_for_selector("#queue-empty")
    assert not page.dialogs
    assert not page.console_errors
    # 5. The report: every comparison judged, SFT wins them all, adherence as tagged, and the decision.
    report = pairwise("eval", "show", str(evaluation_id), "--json")
    assert report["judged"] == len(comparisons)
    (h2h,) = report["head_to_head"]
    assert (h2h["a"], h2h["b"], h2h["wins_a"], h2h["wins_b"], h2h["ties"]) == (
        "base",
        "sft",
        0,
        len(comparisons),
        0,
    )
    tagged = sum(len(s["tags"]) for s in sent) + sum(
        1 for cid, t in browser_tags if "tradeoffs" in EXPECTED[cid]
    )
    instances = sum(len(s["expected"]) for s in sent) + sum(len(EXPECTED[cid]) for cid, _ in browser_tags)
    sft_adherence = report["candidates"]["sft"]["adherence"]
    assert sft_adherence["overall"] == pytest.approx(tagged / instances)
    assert report["candidates"]["base"]["adherence"]["overall"] == 0.0
    verdict = report["decision"]["verdict"]
    rate = tagged / instances
    assert verdict == (
        "sft_sufficient"
        if rate > SFT_SUFFICIENT
        else "consider_dpo"
        if rate < CONSIDER_DPO
        else "inconclusive"
    )
    assert report["decision"]["subject"] == "sft"
    # The admin's report page shows the decision and the chart.
    admin = watched(server.url)
    admin.sign_in("lead")
    admin.goto(f"/admin/evaluations/{evaluation_id}")
    assert admin.page.get_attribute("#decision", "data-verdict") == verdict
    assert admin.page.locator("#adherence-chart svg rect").count() >= 2
    # 6. DPO on top of the SFT run: the run page offers it, and --model run:ID reaches the provider as the SFT model.
    admin.goto(f"/admin/training/runs/{sft['id']}")
    admin.page.click("text=Train DPO on top of this model")
    admin.page.wait_for_load_state("networkidle")
    admin.page.click(f"a[href*='release_id={releases['dpo']}']")
    admin.page.wait_for_load_state("networkidle")
    assert admin.page.input_value("input[name=base_model]") == f"run:{sft['id']}"
    dpo = pairwise("train", "--release", str(releases["dpo"]), "--backend", "openai", "--model", f"run:{sft['id']}",
                   "--wait", "--poll-interval", "0.01", "--json")  # fmt: skip
    assert dpo["status"] == "succeeded"
    created = fake.calls("POST", "/v1/fine_tuning/jobs")[-1]
    assert created.body["model"] == sft_model
    assert created.body["method"]["type"] == "dpo"
    with session_scope(engine, read_only=True) as session:
        run = session.get(TrainingRun, dpo["id"])
        assert run is not None
        assert run.options["parent_run_id"] == sft["id"]
        assert session.execute(select(ComparisonJudgment)).scalars().all()
        assert {c.label for c in session.execute(select(EvalCandidate)).scalars()} == {"base", "sft"}
