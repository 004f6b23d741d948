"""An admin's flows in real Chromium against a real server: upload and import, build a release, train a model
on it (OpenAI-compatible fake provider); a reviewer is kept out of the admin pages."""

from __future__ import annotations

import hashlib
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlmodel import col

from app.config import get_settings
from app.conversations.models import Conversation
from app.db import session_scope
from app.pairs.models import Pair, PairStatus
from app.patterns.service import seed_defaults
from app.releases.models import DatasetRelease
from app.releases.service import build_release
from app.training.models import TrainingRun
from tests.releases.factories import add_many, add_pair
from tests.training.fake_openai import FakeOpenAI
from tests.web_helpers import ARTIFACTS, SAMPLES, Server, count, live_sqlite_server, make_user

pytestmark = pytest.mark.browser

ACCEPTED = 16
SEEDED_RELEASE = "seeded for training"
UPLOAD_SOURCE = "browser upload"
APPS_SOURCE = "app databases"
TERMINAL = ("succeeded", "failed", "cancelled")
# Chromium logs a failed main-document load as a console error; the 403 pages are expected ones.
FORBIDDEN_LOAD = re.compile(r"^Failed to load resource: the server responded with a status of 403")


class QuickFakeOpenAI(FakeOpenAI):
    """The fake provider, but a job runs to its end on the first status request.

    Runs launched from the web form poll every 20 s (DEFAULT_POLL_SECONDS, not a form field); the backend
    asks for the status right after creating the job, so this first answer is the last one needed.
    """

    def advance(self, job_id: str) -> None:
        for _ in range(50):
            if self.jobs[job_id]["status"] in TERMINAL:
                return
            super().advance(job_id)


def _seed(engine: Engine) -> None:
    """Accepted pairs (as review leaves them) and a ready DPO release of them; an admin and a reviewer.

    The samples stay out of the database (the rendered formats share conversations): the upload test
    imports Claude Code sessions and expects every one of them to be new.
    """
    with session_scope(engine) as session:
        seed_defaults(session)
    with session_scope(engine) as session:
        add_many(session, ACCEPTED)
        add_pair(session, question="Still a candidate?", status=PairStatus.candidate)
    with session_scope(engine) as session:
        release = build_release(
            session, name=SEEDED_RELEASE, kind="dpo", format="openai", data_dir=get_settings().data_dir,
            split=0.0,
        )  # fmt: skip
        assert release.status == "ready", release.error
        assert not (release.lint or {}).get("has_errors"), release.lint
    make_user(engine, "boss", role="admin")
    make_user(engine, "rev")


@pytest.fixture(scope="module")
def fake() -> Iterator[QuickFakeOpenAI]:
    server = QuickFakeOpenAI()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Engine]]:
    # The environment's endpoint leads nowhere: the run must use the settings saved in the browser.
    env = {
        "OPENAI_BASE_URL": "http://127.0.0.1:9/v1",
        "OPENAI_API_KEY": "sk-environment-key-not-used",
        "PAIRWISE_ALLOW_PRIVATE_ENDPOINTS": "true",
    }  # the stand-in provider is on loopback
    with live_sqlite_server(tmp_path_factory.mktemp("browser-admin"), _seed, extra_env=env) as pair:
        yield pair


def _no_problems(w: Any, *, allow: re.Pattern[str] | None = None) -> None:
    errors = [e for e in w.console_errors if allow is None or not allow.search(e)]
    assert errors == [], errors
    assert w.dialogs == []
    assert w.blocked == []


def _mark_page(page: Any) -> None:
    """A marker that survives htmx swaps but not a full page load."""
    page.evaluate("window.__noReload = 'still here'")


def _still_marked(page: Any) -> bool:
    return page.evaluate("window.__noReload") == "still here"


def _rows(page: Any, selector: str) -> list[list[str]]:
    return page.eval_on_selector_all(
        f"{selector} tbody tr",
        "rows => rows.map(r => Array.from(r.querySelectorAll('td')).map(td => td.innerText.trim()))",
    )


def _counts(page: Any) -> dict[str, str]:
    return page.eval_on_selector_all(
        "#job-status dd[data-count]",
        "dds => Object.fromEntries(dds.map(d => [d.dataset.count, d.innerText.trim()]))",
    )


# -------------------------------------------------------------------------------------------- upload


def _upload_files(tmp: Path) -> tuple[Path, Path, str]:
    """A Claude Code session, and a zip of two others, the second with a malformed line 3."""
    sessions = sorted(SAMPLES.rglob("*.jsonl"))
    single = tmp / sessions[0].name
    single.write_bytes(sessions[0].read_bytes())
    broken_name = sessions[2].name
    lines = sessions[2].read_text().splitlines()
    lines.insert(2, '{"type": "user", "message": ')
    archive = tmp / "more-sessions.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(f"project/{sessions[1].name}", sessions[1].read_bytes())
        z.writestr(f"project/{broken_name}", "\n".join(lines) + "\n")
    return single, archive, broken_name


class TestUpload:
    def test_upload_two_files_and_watch_the_import_report(
        self, live: tuple[Server, Engine], watched: Any, tmp_path: Path
    ) -> None:
        server, engine = live
        single, archive, broken = _upload_files(tmp_path)
        w = watched(server.url)
        page = w.page
        w.sign_in("boss")
        w.goto("/admin/imports/new")
        page.set_input_files("input[type=file][name=files]", [str(single), str(archive)])
        page.fill("input[name=source]", UPLOAD_SOURCE)
        with page.expect_navigation(url=re.compile(r"/admin/jobs/\d+$")):
            page.click("button:has-text('Upload and import')")
        page.wait_for_load_state("domcontentloaded")
        _mark_page(page)

        # The status block polls until the job ends, then shows the report (no page load in between).
        page.wait_for_selector("#job-status h2:has-text('Import report')", timeout=30_000)
        assert _still_marked(page)
        assert page.get_attribute("#job-status", "data-status") == "succeeded"
        assert page.get_attribute("#job-status", "hx-trigger") is None
        counts = _counts(page)
        pairs = _pairs_of_source(engine, UPLOAD_SOURCE)
        assert pairs > 0
        assert counts == {"files": "3", "added": "3", "duplicates": "0", "pairs": str(pairs), "errors": "1"}
        assert count(engine, Conversation, col(Conversation.source) == UPLOAD_SOURCE) == 3

        rows = _rows(page, "table.import-errors")
        assert len(rows) == 1, rows
        file, line, _, reason = rows[0]
        assert file == f"more-sessions.zip!project/{broken}"  # without the server's upload folder
        assert line == "3"
        assert reason.startswith("invalid JSON"), reason

        # The batch page linked from the report lists the same rejected record.
        with page.expect_navigation():
            page.click("#job-status dd a[href^='/admin/imports/']")
        page.wait_for_load_state("networkidle")
        assert [r[1] for r in _rows(page, "table.import-errors")] == ["3"]
        assert len(_rows(page, "table.import-files")) == 3
        _no_problems(w)

    def test_upload_an_app_database_and_an_aider_log_and_read_the_report(
        self, live: tuple[Server, Engine], watched: Any, tmp_path: Path
    ) -> None:
        """Formats a browser upload changes: a binary SQLite database (Cursor's `state.vscdb`) goes through the form
        whole, and aider's dotfiles lose their leading dot on the server (their input history is still known and
        skipped, not an error). The report is screenshotted at both review viewports."""
        server, engine = live
        real = Path(__file__).resolve().parents[1] / "fixtures" / "real_formats"
        files = [
            real / "sqlite_apps" / "cursor" / "state.vscdb",
            real / "aider_llm" / ".aider.llm.history",
            real / "aider_llm" / ".aider.input.history",
        ]
        for size in ({"width": 1440, "height": 900}, {"width": 1280, "height": 720}):
            w = watched(server.url, viewport=size)
            page = w.page
            w.sign_in("boss")
            w.goto("/admin/imports/new")
            page.set_input_files("input[type=file][name=files]", [str(f) for f in files])
            page.fill("input[name=source]", APPS_SOURCE)
            with page.expect_navigation(url=re.compile(r"/admin/jobs/\d+$")):
                page.click("button:has-text('Upload and import')")
            page.wait_for_selector("#job-status h2:has-text('Import report')", timeout=30_000)
            assert page.get_attribute("#job-status", "data-status") == "succeeded"
            counts = _counts(page)
            if size["width"] == 1440:
                # Cursor: 2 chats (an empty tab skipped); aider: 2 chats (its commit and summary requests skipped).
                assert counts == {"files": "3", "added": "4", "duplicates": "0", "pairs": "2", "errors": "0"}
            else:  # the same files again: nothing new
                assert counts == {"files": "3", "added": "0", "duplicates": "4", "pairs": "0", "errors": "0"}
            # The batch page names what was skipped and why, file by file.
            with page.expect_navigation():
                page.click("#job-status dd a[href^='/admin/imports/']")
            page.wait_for_load_state("networkidle")
            skipped = page.inner_text("[data-report=skipped]")
            assert "aider input history (the prompts typed, no answers)" in skipped
            assert "Cursor chat without a prompt and an answer" in skipped
            formats = {row[0]: row[1] for row in _rows(page, "table.import-files")}
            assert formats == {
                "state.vscdb": "cursor",
                "aider.llm.history": "aider-llm",
                "aider.input.history": "\u2013",  # no format: skipped by its name
            }
            # File names, formats and sizes stay on one line (they broke mid-word beside the skipped reasons), and
            # a file skipped by its name shows its size rather than 0 B.
            lines = page.eval_on_selector_all(
                "table.import-files tbody tr",
                """rows => rows.map(r => [0, 1, 3].map(i => {
                    const range = document.createRange();
                    range.selectNodeContents(r.cells[i]);
                    return new Set([...range.getClientRects()].map(rect => Math.round(rect.top))).size;
                }))""",
            )
            assert lines == [[1, 1, 1]] * 3, lines
            sizes = {row[0]: row[3] for row in _rows(page, "table.import-files")}
            assert sizes["aider.input.history"] == f"{files[2].stat().st_size:,} B"
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            path = ARTIFACTS / f"import-report-{size['width']}x{size['height']}.png"
            page.screenshot(path=str(path), full_page=True)
            assert path.stat().st_size > 10_000
            _no_problems(w)
        assert count(engine, Conversation, col(Conversation.source) == APPS_SOURCE) == 4


def _pairs_of_source(engine: Engine, source: str) -> int:
    with session_scope(engine, read_only=True) as session:
        query = (
            select(func.count())
            .select_from(Pair)
            .join(Conversation, col(Conversation.id) == col(Pair.conversation_id))
            .where(col(Conversation.source) == source)
        )
        return int(session.execute(query).scalar_one())


# ------------------------------------------------------------------------------------------- release


class TestRelease:
    def test_build_a_dpo_release_and_download_its_files(
        self, live: tuple[Server, Engine], watched: Any
    ) -> None:
        server, _ = live
        w = watched(server.url)
        page = w.page
        w.sign_in("boss")
        w.goto("/admin/releases/new")
        page.fill("input[name=name]", "browser dpo")
        page.select_option("select[name=kind]", "dpo")
        page.select_option("select[name=format]", "openai")
        page.select_option("select[name=status]", "accepted")
        page.fill("input[name=split]", "0.25")
        with page.expect_navigation(url=re.compile(r"/admin/releases/\d+$")):
            page.click("button:has-text('Build')")
        page.wait_for_load_state("domcontentloaded")
        _mark_page(page)

        page.wait_for_selector("#release-status .badge.ready", timeout=30_000)
        assert _still_marked(page)
        assert page.get_attribute("#release-status", "hx-trigger") is None
        assert "DPO · openai" in page.inner_text("h1")

        # Lint: no problems, so the training link is offered.
        assert page.inner_text("ul.lint").strip() == "No problems found."
        assert page.query_selector("#release-status .notice.error") is None
        assert page.is_visible("a:has-text('Train a model on this release')")
        assert "Tokens per example" in page.inner_text("#release-status")

        files = _rows(page, "#release-status table")
        names = [f[0] for f in files]
        assert names == ["train.jsonl", "validation.jsonl", "manifest.json"], files
        rows = {f[0]: f[1] for f in files}
        assert int(rows["train.jsonl"]) + int(rows["validation.jsonl"]) == ACCEPTED
        assert int(rows["validation.jsonl"]) > 0
        for name, _, size, sha in files:
            assert re.fullmatch(r"[0-9a-f]{64}", sha), sha
            link = page.get_attribute(f"#release-status a:text-is('{name}')", "href")
            response = page.request.get(server.url + link)
            assert response.status == 200
            disposition = response.headers["content-disposition"]
            assert disposition.startswith("attachment"), disposition
            assert name in disposition
            assert response.headers["x-content-type-options"] == "nosniff"
            body = response.body()
            assert len(body) == int(size)
            assert hashlib.sha256(body).hexdigest() == sha
        _no_problems(w)


# ------------------------------------------------------------------------------------------ training


def _release_id(engine: Engine, name: str) -> int:
    with session_scope(engine, read_only=True) as session:
        return int(
            session.execute(
                select(col(DatasetRelease.id)).where(col(DatasetRelease.name) == name)
            ).scalar_one()
        )


class TestTraining:
    def test_train_a_model_on_a_release_with_the_openai_compatible_backend(
        self, live: tuple[Server, Engine], watched: Any, fake: QuickFakeOpenAI
    ) -> None:
        server, engine = live
        release_id = _release_id(engine, SEEDED_RELEASE)
        w = watched(server.url)
        page = w.page
        w.sign_in("boss")

        # Point the backend at the fake provider (Training settings).
        w.goto("/admin/training/settings")
        page.fill("input[name=base_url]", fake.base_url)
        page.fill("input[name=api_key]", fake.api_key)
        with page.expect_navigation():
            page.click("button:has-text('Save')")
        page.wait_for_load_state("networkidle")
        current = page.inner_text("#current")
        assert f"Saved: {fake.base_url}, key ending in {fake.api_key[-4:]}" in current, current
        assert fake.api_key not in page.content()

        # From the release page to the launch form.
        w.goto(f"/admin/releases/{release_id}")
        with page.expect_navigation():
            page.click("a:has-text('Train a model on this release')")
        page.wait_for_load_state("networkidle")
        assert page.url == f"{server.url}/admin/training/new?release_id={release_id}"
        assert fake.base_url in page.inner_text("main")
        assert page.query_selector("#cutoff") is None  # not OpenAI's own endpoint
        assert page.eval_on_selector("select[name=method]", "s => s.value") == "dpo"
        assert page.input_value("input[name=base_model]") == "gpt-4.1-mini-2025-04-14"
        page.fill("input[name=p_n_epochs]", "2")
        page.fill("input[name=p_beta]", "0.2")
        page.fill("input[name=suffix]", "browser")
        page.fill("input[name=seed]", "7")
        with page.expect_navigation(url=re.compile(r"/admin/training/runs/\d+$")):
            page.click("button:has-text('Start training')")
        page.wait_for_load_state("domcontentloaded")
        run_id = int(page.url.rsplit("/", 1)[1])
        _mark_page(page)

        # The live part polls every 3 s until the run ends.
        page.wait_for_function(
            "() => ['succeeded', 'failed', 'cancelled'].includes("
            "document.getElementById('run-status')?.textContent.trim())",
            timeout=30_000,
        )
        assert _still_marked(page)
        status = page.inner_text("#run-status").strip()
        assert status == "succeeded", page.inner_text("#live")
        with session_scope(engine, read_only=True) as session:
            run = session.get(TrainingRun, run_id)
            assert run is not None
            model = run.fine_tuned_model or ""
            assert (run.release_id, run.backend, run.method) == (release_id, "openai", "dpo")
        assert model.startswith("ft:gpt-4.1-mini-2025-04-14:pairwise-test:browser:")
        assert page.inner_text("#result code") == model
        assert page.inner_text("#remote-job").startswith("ftjob-")
        assert page.get_attribute("#live", "hx-trigger") is None
        assert page.query_selector("#charts svg") is not None
        assert page.query_selector("#checkpoints li") is not None
        assert "The job has successfully completed" in page.inner_text("#events")
        assert page.query_selector("button:has-text('Cancel run')") is None

        # What reached the provider: the form's choices, with the key saved in the browser.
        (create,) = fake.calls("POST", "/v1/fine_tuning/jobs")
        assert create.authorization == f"Bearer {fake.api_key}"
        assert create.body["method"]["type"] == "dpo"
        hyper = create.body["method"]["dpo"]["hyperparameters"]
        assert (hyper["n_epochs"], hyper["beta"]) == (2, 0.2)
        assert (create.body["suffix"], create.body["seed"]) == ("browser", 7)

        # The runs list shows the run and its model.
        w.goto(f"/admin/training?release_id={release_id}")
        assert page.query_selector(f"a[href='/admin/training/runs/{run_id}']") is not None
        assert model in page.inner_text("main")
        _no_problems(w)


# ---------------------------------------------------------------------------------------------- access


class TestReviewerAccess:
    def test_reviewer_cannot_open_the_admin_pages(self, live: tuple[Server, Engine], watched: Any) -> None:
        server, _ = live
        w = watched(server.url)
        w.sign_in("rev")
        assert w.page.query_selector("nav a[href='/admin']") is None
        for path in ("/admin", "/admin/releases", "/admin/training"):
            response = w.goto(path)
            assert response.status == 403, path
            assert w.page.url == server.url + path
            assert w.page.inner_text("main h1") == "Not allowed", path
            assert "only admins can do this" in w.page.inner_text("main"), path
        # Chromium reports each refused document load on the console; nothing else may be there.
        assert len(w.console_errors) == 3, w.console_errors
        _no_problems(w, allow=FORBIDDEN_LOAD)


# ---------------------------------------------------------------------------------------------- lists


class TestLists:
    def test_ids_stay_on_one_line_when_the_table_is_squeezed(
        self, live: tuple[Server, Engine], watched: Any
    ) -> None:
        # A narrow window squeezes the table to its columns' narrowest widths: a two-digit id must not break
        # into one digit per line (seen on the conversation list at 1280x720 beside a long title).
        server, _ = live
        w = watched(server.url)
        w.sign_in("boss")
        w.page.set_viewport_size({"width": 420, "height": 800})
        w.goto("/admin/conversations")
        ids = w.page.eval_on_selector_all(
            "td.id a", "links => links.map(a => [a.textContent.trim(), a.getClientRects().length])"
        )
        assert any(len(text) >= 2 for text, _ in ids), ids
        assert [text for text, rects in ids if rects != 1] == []
        _no_problems(w)
