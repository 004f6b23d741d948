"""Uploads: the form, POST /admin/imports streaming to disk, 413 before parsing, safe names, the import job."""

from __future__ import annotations

import gzip
import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from sqlalchemy import Engine, select
from sqlmodel import col
from starlette.testclient import TestClient
from starlette.types import Message

from app.config import get_settings
from app.conversations import jobs as _import_jobs  # noqa: F401  (registers the import handler)
from app.conversations.models import Conversation, ImportBatch
from app.db import session_scope
from app.jobs.models import Job
from app.jobs.runner import execute
from app.uploads import safe_filename
from tests.page_helpers import attr, job_id_of, make_client, multipart, one, soup, text_of, upload
from tests.web_helpers import bearer, count, login_page_token, make_token

pytestmark = pytest.mark.usefixtures("fast_passwords", "enqueued")


def conversation(topic: str) -> bytes:
    """One OpenAI-format JSONL line: a question, a shallow answer, a pushback and a better answer."""
    messages = [
        {"role": "user", "content": f"How should I handle {topic}?"},
        {"role": "assistant", "content": f"Just do {topic} the usual way."},
        {"role": "user", "content": "That's wrong, you forgot the tradeoffs. Redo it."},
        {"role": "assistant", "content": f"Let me weigh the options for {topic}: first, ..."},
    ]
    return json.dumps({"messages": messages}).encode() + b"\n"


def zipped(name: str, content: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, content)
    return buffer.getvalue()


def uploads_dir() -> Path:
    return get_settings().data_dir / "uploads"


def job(engine: Engine, job_id: int) -> Job:
    with session_scope(engine, read_only=True) as session:
        found = session.get(Job, job_id)
        assert found is not None
        return found


def run(engine: Engine, response: object) -> Job:
    job_id = job_id_of(response)
    execute(engine, job_id)
    return job(engine, job_id)


def payload_of(queued: Job) -> dict[str, Any]:
    assert queued.payload is not None
    return queued.payload


def result_of(done: Job) -> dict[str, Any]:
    assert done.result is not None, done.error
    return done.result


@pytest.fixture
def one_mb_limit(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("PAIRWISE_MAX_UPLOAD_MB", "1")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


class TestUploadForm:
    def test_form_has_a_multi_file_input_source_and_csrf(self, admin: TestClient) -> None:
        response = admin.get("/admin/imports/new")
        assert response.status_code == 200
        form = one(soup(response.text), "form[action='/admin/imports']")
        assert form["enctype"] == "multipart/form-data"
        assert form["hx-encoding"] == "multipart/form-data"
        assert one(form, "input[type=file][name=files]").has_attr("multiple")
        assert form.select_one("input[name=source]")
        assert one(form, "input[name=csrf_token]")["value"]

    def test_anonymous_goes_to_login(self, anonymous: TestClient) -> None:
        response = anonymous.get("/admin/imports/new")
        assert response.status_code == 303
        assert response.headers["location"] == "/login?next=/admin/imports/new"

    def test_reviewer_is_refused(self, reviewer: TestClient) -> None:
        assert reviewer.get("/admin/imports/new").status_code == 403


class TestCreateImport:
    def test_multi_file_zip_and_gz_upload_is_imported_by_the_job(
        self, engine: Engine, admin: TestClient, enqueued: list[int]
    ) -> None:
        parts = [
            ("source", None, b"team chats"),
            ("files", "a.jsonl", conversation("versioning") + b'{"messages": [\n' + conversation("caching")),
            ("files", "b.zip", zipped("inner/c.jsonl", conversation("logging"))),
            ("files", "d.jsonl.gz", gzip.compress(conversation("retries"))),
        ]
        response = upload(admin, parts)
        assert response.status_code == 204
        job_id = job_id_of(response)
        assert enqueued == [job_id]
        queued = job(engine, job_id)
        assert (queued.kind, queued.status, payload_of(queued)["source"]) == (
            "import",
            "queued",
            "team chats",
        )
        folder = Path(payload_of(queued)["folder"])
        assert sorted(p.name for p in folder.iterdir()) == ["a.jsonl", "b.zip", "d.jsonl.gz"]
        done = run(engine, response)
        assert done.status == "succeeded", done.error
        assert result_of(done)["conversations_added"] == 4
        assert result_of(done)["error_count"] == 1
        assert count(engine, Conversation, Conversation.source == "team chats") == 4
        assert not folder.exists()

    def test_import_report_lists_the_bad_line_with_file_line_and_reason(
        self, engine: Engine, admin: TestClient
    ) -> None:
        response = upload(
            admin, [("files", "a.jsonl", conversation("x") + b'{"messages": [\n' + conversation("y"))]
        )
        done = run(engine, response)
        page = admin.get(f"/admin/jobs/{done.id}")
        assert page.status_code == 200
        html = soup(page.text)
        rows = [
            [td.get_text(strip=True) for td in tr.select("td")]
            for tr in html.select("table.import-errors tbody tr")
        ]
        assert len(rows) == 1
        file, line, _, reason = rows[0]
        assert (file, line) == ("a.jsonl", "2")
        assert reason.startswith("invalid JSON")
        counts = {dd["data-count"]: dd.get_text(strip=True) for dd in html.select("dd[data-count]")}
        assert (counts["added"], counts["errors"], counts["files"]) == ("2", "1", "1")
        batch_id = result_of(done)["batch_id"]
        assert html.select_one(f'a[href="/admin/imports/{batch_id}"]')
        assert one(html, "#job-status").get("hx-trigger") is None  # finished: polling stops

    def test_plain_form_post_without_htmx_works_too(self, engine: Engine, admin: TestClient) -> None:
        response = upload(admin, [("files", "a.jsonl", conversation("x"))], htmx=False)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/admin/jobs/")
        assert result_of(run(engine, response))["conversations_added"] == 1

    @pytest.mark.parametrize(
        ("raw", "safe"),
        [
            ("../../evil.jsonl", "evil.jsonl"),
            ("/etc/passwd", "passwd"),
            ("..\\..\\windows.jsonl", "windows.jsonl"),
            ("C:\\Users\\me\\chat.md", "chat.md"),
            ("nul\x00byte.jsonl", "nulbyte.jsonl"),
            (".hidden.jsonl", "hidden.jsonl"),
            ("..", "upload-1"),
            ("a/..", "upload-1"),
            ("we<ird>|na:me?.json", "we_ird_na_me_.json"),
            ("übersicht.md", "übersicht.md"),
            ("x" * 300 + ".jsonl.gz", "x" * 111 + ".jsonl.gz"),
        ],
    )
    def test_safe_filename(self, raw: str, safe: str) -> None:
        assert safe_filename(raw, fallback="upload-1") == safe

    def test_hostile_names_stay_inside_the_upload_folder(self, engine: Engine, admin: TestClient) -> None:
        names = [
            "../../evil.jsonl",
            "/abs/evil2.jsonl",
            "..\\..\\evil3.jsonl",
            ".evil4.jsonl",
            "..",
            "evil.jsonl",
        ]
        response = upload(admin, [("files", name, conversation(str(i))) for i, name in enumerate(names)])
        assert response.status_code == 204, response.text
        folder = Path(payload_of(job(engine, job_id_of(response)))["folder"])
        assert folder.parent == uploads_dir().resolve()
        assert sorted(p.name for p in folder.iterdir()) == sorted(
            ["evil.jsonl", "evil2.jsonl", "evil3.jsonl", "evil4.jsonl", "upload-5", "6-evil.jsonl"]
        )
        data_dir = get_settings().data_dir.resolve()
        outside = [p for p in data_dir.parent.rglob("evil*") if folder not in p.parents]
        assert outside == []

    def test_empty_file_input_is_422(self, engine: Engine, admin: TestClient) -> None:
        response = upload(admin, [("files", "", b""), ("source", None, b"x")])
        assert response.status_code == 422
        assert "choose at least one file" in response.text
        assert count(engine, Job) == 0
        assert list(uploads_dir().iterdir()) == []

    def test_unknown_field_is_422(self, engine: Engine, admin: TestClient) -> None:
        response = upload(admin, [("files", "a.jsonl", b"{}"), ("role", None, b"admin")])
        assert response.status_code == 422
        assert "unexpected field 'role'" in text_of(response)
        assert count(engine, Job) == 0

    def test_overlong_source_is_422(self, engine: Engine, admin: TestClient) -> None:
        response = upload(admin, [("files", "a.jsonl", b"{}"), ("source", None, b"s" * 201)])
        assert response.status_code == 422
        assert "source: at most 200 characters" in response.text

    def test_not_multipart_is_422(self, admin: TestClient) -> None:
        response = admin.post("/admin/imports", content=b"{}", headers={
            "Content-Type": "application/json", "X-CSRF-Token": admin.cookies["pw_csrf"]})  # fmt: skip
        assert response.status_code == 422
        assert "multipart/form-data" in response.text

    def test_truncated_body_is_422_and_leaves_nothing(self, engine: Engine, admin: TestClient) -> None:
        from tests.page_helpers import multipart

        body, ctype = multipart([("files", "a.jsonl", conversation("x"))])
        response = admin.post("/admin/imports", content=body[:-30], headers={
            "Content-Type": ctype, "X-CSRF-Token": admin.cookies["pw_csrf"]})  # fmt: skip
        assert response.status_code == 422
        assert list(uploads_dir().iterdir()) == []
        assert count(engine, Job) == 0

    def test_admin_api_token_is_no_credential_for_uploads(self, engine: Engine, admin: TestClient) -> None:
        """Bearer tokens belong to /api/v1 (issue 15): on pages, a token without a session and CSRF is refused."""

        body, ctype = multipart([("files", "a.jsonl", conversation("x"))])
        headers = {"Content-Type": ctype, **bearer(make_token(engine, "adm"))}
        response = make_client().post("/admin/imports", content=body, headers=headers)
        assert response.status_code == 403
        assert count(engine, Job) == 0

    def test_missing_csrf_is_refused(self, engine: Engine, admin: TestClient) -> None:
        from tests.page_helpers import multipart

        body, ctype = multipart([("files", "a.jsonl", conversation("x"))])
        response = admin.post("/admin/imports", content=body, headers={"Content-Type": ctype})
        assert response.status_code == 403
        assert count(engine, Job) == 0

    def test_anonymous_is_sent_to_login(self, engine: Engine, anonymous: TestClient) -> None:
        token = login_page_token(anonymous)  # the pre-login token: the answer is about access, not CSRF
        body, ctype = multipart([("files", "a.jsonl", b"{}")])
        response = anonymous.post("/admin/imports", content=body,
                                  headers={"Content-Type": ctype, "HX-Request": "true", "X-CSRF-Token": token})  # fmt: skip
        assert response.status_code == 204
        assert response.headers["hx-redirect"] == "/login?next=/admin/imports"
        assert count(engine, Job) == 0

    def test_reviewer_is_refused(self, engine: Engine, reviewer: TestClient) -> None:
        assert upload(reviewer, [("files", "a.jsonl", b"{}")]).status_code == 403
        assert count(engine, Job) == 0


@pytest.mark.usefixtures("one_mb_limit")
class TestUploadLimit:
    def test_declared_oversize_body_is_413_before_reading(self, engine: Engine, admin: TestClient) -> None:
        response = upload(admin, [("files", "big.jsonl", b"x" * (1024 * 1024 + 1))])
        assert response.status_code == 413
        assert "larger than 1 MB" in response.text
        assert count(engine, Job) == 0
        assert not uploads_dir().exists() or list(uploads_dir().iterdir()) == []

    def test_chunked_oversize_body_is_413_while_streaming(self, engine: Engine, admin: TestClient) -> None:
        from tests.page_helpers import multipart

        body, ctype = multipart([("files", "big.jsonl", b"x" * (2 * 1024 * 1024))])
        chunks = (body[i : i + 65536] for i in range(0, len(body), 65536))
        response = admin.post("/admin/imports", content=chunks, headers={
            "Content-Type": ctype, "X-CSRF-Token": admin.cookies["pw_csrf"]})  # fmt: skip
        assert "content-length" not in {k.lower() for k in response.request.headers}
        assert response.status_code == 413
        assert count(engine, Job) == 0
        assert list(uploads_dir().iterdir()) == []

    def test_oversize_plain_form_post_is_413_too(self, engine: Engine, admin: TestClient) -> None:
        response = upload(admin, [("files", "big.jsonl", b"x" * (2 * 1024 * 1024))], htmx=False)
        assert response.status_code == 413
        assert count(engine, Job) == 0

    def test_body_under_the_limit_is_accepted(self, engine: Engine, admin: TestClient) -> None:
        response = upload(admin, [("files", "ok.jsonl", b"x" * (512 * 1024))])
        assert response.status_code == 204
        assert count(engine, Job) == 1

    def test_streaming_stops_reading_once_past_the_limit(self, engine: Engine, admin: TestClient) -> None:
        """Driven at the ASGI level: after the limit is passed no further chunk is read."""
        from tests.page_helpers import multipart

        body, ctype = multipart([("files", "big.jsonl", b"x" * (4 * 1024 * 1024))])
        chunk = 256 * 1024
        pieces = [body[i : i + chunk] for i in range(0, len(body), chunk)]
        read = 0
        app = admin.app
        cookie = "; ".join(f"{k}={v}" for k, v in admin.cookies.items())
        scope = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
            "path": "/admin/imports", "raw_path": b"/admin/imports", "query_string": b"", "root_path": "",
            "server": ("testserver", 80), "client": ("testclient", 1),
            "headers": [(b"host", b"testserver"), (b"content-type", ctype.encode()), (b"cookie", cookie.encode()),
                        (b"x-csrf-token", admin.cookies["pw_csrf"].encode())],
        }  # fmt: skip
        sent: list[Message] = []

        async def receive() -> Message:
            nonlocal read
            if read >= len(pieces):
                return {"type": "http.disconnect"}
            read += 1
            return {"type": "http.request", "body": pieces[read - 1], "more_body": read < len(pieces)}

        async def send(message: Message) -> None:
            sent.append(message)

        anyio.run(app, scope, receive, send)
        assert sent[0]["status"] == 413
        assert read == 5  # 1 MB = 4 chunks of 256 KB; the 5th passes the limit and nothing more is read
        assert count(engine, Job) == 0


class TestBatches:
    def test_lists_batches_newest_first_with_keyset_pages(self, engine: Engine, admin: TestClient) -> None:
        with session_scope(engine) as session:
            batches = [ImportBatch(source=f"s{i}") for i in range(55)]
            session.add_all(batches)
            session.flush()
            newest_first = sorted((b.id or 0 for b in batches), reverse=True)
        first = soup(admin.get("/admin/imports").text)
        ids = [int(attr(tr, "data-batch")) for tr in first.select("tr[data-batch]")]
        assert ids == newest_first[:50]
        more = attr(one(first, "a[rel=next]"), "href")
        assert more == f"/admin/imports?after={newest_first[49]}"
        second = soup(admin.get(more).text)
        assert [int(attr(tr, "data-batch")) for tr in second.select("tr[data-batch]")] == newest_first[50:]
        assert second.select_one("a[rel=next]") is None

    def test_bad_after_is_422(self, admin: TestClient) -> None:
        assert admin.get("/admin/imports?after=zero").status_code == 422
        assert admin.get("/admin/imports?sort=id").status_code == 422

    def test_reviewer_is_refused(self, reviewer: TestClient) -> None:
        assert reviewer.get("/admin/imports").status_code == 403

    def test_anonymous_goes_to_login(self, anonymous: TestClient) -> None:
        assert anonymous.get("/admin/imports").headers["location"] == "/login?next=/admin/imports"


class TestBatchReport:
    def _import(self, engine: Engine, admin: TestClient, bad_lines: int) -> int:
        content = conversation("ok") + b"not json\n" * bad_lines
        done = run(engine, upload(admin, [("files", "many.jsonl", content)]))
        return int(result_of(done)["batch_id"])

    def test_files_with_format_sha256_and_counts(self, engine: Engine, admin: TestClient) -> None:
        batch_id = self._import(engine, admin, 1)
        page = soup(admin.get(f"/admin/imports/{batch_id}").text)
        cells = [td.get_text(strip=True) for td in page.select("table.import-files tbody td")]
        assert cells[0] == "many.jsonl"
        assert cells[1] == "openai"
        assert len(one(page, "table.import-files code.hash")["title"]) == 64
        assert cells[4:] == ["1", "0", "", "1"]

    def test_errors_are_paginated_by_keyset(self, engine: Engine, admin: TestClient) -> None:
        batch_id = self._import(engine, admin, 130)
        first = soup(admin.get(f"/admin/imports/{batch_id}").text)
        rows = first.select("tr[data-error]")
        assert len(rows) == 100
        lines = [int(tr.select("td")[1].get_text()) for tr in rows]
        assert lines == list(range(2, 102))
        nxt = attr(one(first, "a[rel=next]"), "href")
        second = soup(admin.get(nxt).text)
        lines = [int(tr.select("td")[1].get_text()) for tr in second.select("tr[data-error]")]
        assert lines == list(range(102, 132))
        assert second.select_one("a[rel=next]") is None

    def test_unknown_batch_is_404(self, admin: TestClient) -> None:
        assert admin.get("/admin/imports/999999").status_code == 404

    def test_bad_id_is_422(self, admin: TestClient) -> None:
        assert admin.get("/admin/imports/abc").status_code == 422

    def test_reviewer_is_refused(self, engine: Engine, reviewer: TestClient) -> None:
        with session_scope(engine) as session:
            session.add(ImportBatch(source="s"))
        assert reviewer.get("/admin/imports/1").status_code == 403


def test_imports_made_from_the_cli_are_listed(engine: Engine, admin: TestClient, tmp_path: Path) -> None:
    from app.conversations.importing import run_import

    path = tmp_path / "cli.jsonl"
    path.write_bytes(conversation("cli"))
    summary = run_import(engine, paths=[path], source="cli")
    with session_scope(engine, read_only=True) as session:
        assert session.execute(select(col(ImportBatch.status))).scalar_one() == "succeeded"
    page = soup(admin.get("/admin/imports").text)
    assert [int(attr(tr, "data-batch")) for tr in page.select("tr[data-batch]")] == [summary.batch_id]
