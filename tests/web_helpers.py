"""Shared helpers for the web tests: users, sign-in, CSRF, seeded data, DB snapshots, a real server."""

from __future__ import annotations

import itertools
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import httpx2
import pytest
from argon2 import PasswordHasher
from sqlalchemy import Engine, func, select, text
from sqlmodel import Session, col
from starlette.testclient import TestClient

from app import migrate
from app.auth.models import ApiToken, User
from app.auth.service import create_user
from app.auth.tokens import create_token
from app.conversations.importing import run_import
from app.conversations.models import Conversation, Turn
from app.db import build_engine, session_scope
from app.models import metadata
from app.models_base import utcnow
from app.pairs.models import Pair, PairStatus
from app.patterns.service import seed_defaults
from app.review.models import Assignment, Judgment

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "tests" / "fixtures" / "samples" / "rendered" / "claude-code"
XSS_CORPUS = ROOT / "tests" / "corpus" / "xss.jsonl"
ARTIFACTS = ROOT / "tests" / "artifacts"
PAIRWISE = str(Path(sys.executable).parent / "pairwise")
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]
SECRET = "test-secret-key-that-is-long-enough-0123456789"
PASSWORD = "correct horse battery staple"
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')

# Cheap Argon2id parameters for test users: verification reads the parameters from the hash itself.
_FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


def fast_hash(password: str) -> str:
    return _FAST_HASHER.hash(password)


@pytest.fixture
def fast_passwords(monkeypatch: pytest.MonkeyPatch) -> None:
    """Users created in this test get cheap hashes (the app's hasher stays as it is for verification)."""
    monkeypatch.setattr("app.auth.service.hash_password", fast_hash)


@contextmanager
def fast_hashing() -> Iterator[None]:
    """The same as `fast_passwords`, for module-scoped setup."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("app.auth.service.hash_password", fast_hash)
        yield


@contextmanager
def settings_env(data_dir: Path) -> Iterator[None]:
    """The test settings for module-scoped setup (the conftest's autouse fixture is per test)."""
    from app.config import get_settings

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PAIRWISE_MODE", "test")
        mp.setenv("PAIRWISE_DATA_DIR", str(data_dir))
        mp.setenv("PAIRWISE_SECRET_KEY", SECRET)
        get_settings.cache_clear()
        try:
            yield
        finally:
            get_settings.cache_clear()


# ---------------------------------------------------------------------------------------------- data


def make_user(engine: Engine, username: str, role: str = "reviewer", password: str = PASSWORD) -> int:
    with session_scope(engine) as session:
        user = create_user(session, username=username, password=password, role=role)
        assert user.id is not None
        return user.id


def make_token(engine: Engine, username: str, name: str = "test token") -> str:
    with session_scope(engine) as session:
        user = session.execute(select(User).where(col(User.username) == username)).scalar_one()
        _, plain = create_token(session, user=user, name=name)
        return plain


def get_user(session: Session, username: str) -> User:
    return session.execute(select(User).where(col(User.username) == username)).scalar_one()


def seed_samples(engine: Engine) -> list[int]:
    """The default taxonomy and the claude-code samples; returns the pair ids in queue order."""
    with session_scope(engine) as session:
        seed_defaults(session)
    run_import(engine, paths=[SAMPLES], source="t")
    return queue_order(engine)


def seed_corpus(engine: Engine) -> list[int]:
    with session_scope(engine) as session:
        seed_defaults(session)
    summary = run_import(engine, paths=[XSS_CORPUS], source="xss", format="openai")
    assert summary.error_count == 0, summary.errors
    return queue_order(engine)


def queue_order(engine: Engine, threshold: float = 0.5) -> list[int]:
    with session_scope(engine, read_only=True) as session:
        return list(
            session.execute(
                select(col(Pair.id))
                .where(col(Pair.score) >= threshold)
                .order_by(col(Pair.score).desc(), col(Pair.id))
            ).scalars()
        )


_counter = itertools.count(1)


def add_pair(
    session: Session,
    *,
    score: float = 0.9,
    status: PairStatus = PairStatus.candidate,
    question: str = "How should I version my REST API?",
    first: str = "Use URI versioning.",
    pushback: str = "That's wrong, you forgot the tradeoffs. Redo it.",
    second: str = "Let me weigh URI, header and media-type versioning: ...",
) -> Pair:
    """A conversation [question, first, pushback, second] and its candidate pair, inserted directly."""
    n = next(_counter)
    conversation = Conversation(
        source="t", format="openai", file=f"f-{n}.jsonl", external_id=f"x{n}", title=f"conversation {n}",
        content_hash=f"{n:064x}", turn_count=4,
    )  # fmt: skip
    session.add(conversation)
    session.flush()
    texts = [("user", question), ("assistant", first), ("user", pushback), ("assistant", second)]
    assert conversation.id is not None
    turns = [Turn(conversation_id=conversation.id, index=i, role=r, text=t) for i, (r, t) in enumerate(texts)]
    session.add_all(turns)
    session.flush()
    pair = Pair(
        conversation_id=conversation.id, first_turn_id=turns[1].id or 0, second_turn_id=turns[3].id or 0,
        pushback_turn_id=turns[2].id, prompt_end_index=0, detector="test", score=score, status=status,
    )  # fmt: skip
    session.add(pair)
    session.flush()
    return pair


def count(engine: Engine, model: Any, *where: Any) -> int:
    with session_scope(engine, read_only=True) as session:
        return int(session.execute(select(func.count()).select_from(model).where(*where)).scalar_one())


def expire_leases(engine: Engine, **where: Any) -> None:
    """Move every matching lease into the past (as if the clock jumped past the lease)."""
    past = utcnow() - timedelta(minutes=1)
    with session_scope(engine) as session:
        for a in session.execute(select(Assignment).filter_by(**where)).scalars():
            a.expires_at = past
            session.add(a)


def snapshot(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, sorted: equal snapshots mean nothing changed."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    with engine.connect() as connection:
        for table in metadata.sorted_tables:
            rows = connection.execute(text(f'SELECT * FROM "{table.name}"')).all()
            out[table.name] = sorted((tuple(r) for r in rows), key=repr)
    return out


def judgments_of(engine: Engine, username: str) -> list[Judgment]:
    with session_scope(engine, read_only=True) as session:
        user = get_user(session, username)
        return list(
            session.execute(
                select(Judgment).where(col(Judgment.reviewer_id) == user.id).order_by(col(Judgment.id))
            ).scalars()
        )


def token_hashes(engine: Engine) -> list[str]:
    with session_scope(engine, read_only=True) as session:
        return list(session.execute(select(col(ApiToken.token_hash))).scalars())


# ------------------------------------------------------------------------------------------ clients


def client(*, https: bool = False, ip: str = "testclient") -> TestClient:
    from app.main import create_app

    base = "https://testserver" if https else "http://testserver"
    return TestClient(create_app(), base_url=base, follow_redirects=False, client=(ip, 50000))


def login_page_token(c: TestClient) -> str:
    response = c.get("/login")
    assert response.status_code == 200, response.text
    match = CSRF_RE.search(response.text)
    assert match, "the login form has no csrf_token field"
    return match.group(1)


def login(c: TestClient, username: str, password: str = PASSWORD, next: str | None = None) -> httpx2.Response:
    token = login_page_token(c)
    data = {"username": username, "password": password, "csrf_token": token}
    if next is not None:
        data["next"] = next
    return c.post("/login", data=data)


def signed_in(username: str, *, https: bool = False) -> TestClient:
    c = client(https=https)
    response = login(c, username)
    assert response.status_code == 303, response.text
    return c


def csrf(c: TestClient) -> str:
    """The CSRF token of the client's session (as every page's forms carry it)."""
    token = c.cookies.get("pw_csrf")
    assert token, "no pw_csrf cookie: not signed in?"
    return token


SCREEN_ACTION_RE = re.compile(r"^/review/\d+/(judge|skip)$")
TOKEN_RE = re.compile(r'name="token" value="([^"]*)"')


def screen_token(c: TestClient) -> str:
    """The per-render token of the pair on the reviewer's screen, as the browser would send it ("" if none)."""
    match = TOKEN_RE.search(c.get("/review").text)
    return match.group(1) if match else ""


def post_form(c: TestClient, url: str, data: Any = None, *, htmx: bool = False, **kw: Any) -> httpx2.Response:
    """A form post with the session's CSRF token (a field for forms, the header for htmx)."""
    headers = dict(kw.pop("headers", {}) or {})
    pairs = list(data.items()) if isinstance(data, dict) else list(data or [])
    if SCREEN_ACTION_RE.search(url) and not any(k == "token" for k, _ in pairs):
        pairs.append(("token", screen_token(c)))
    items = [(k, v) for k, value in pairs for v in (value if isinstance(value, list | tuple) else [value])]
    if htmx:
        headers.update({"HX-Request": "true", "X-CSRF-Token": csrf(c)})
    else:
        items.append(("csrf_token", csrf(c)))
    body = httpx.QueryParams(items) if items else ""
    headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
    return c.post(url, content=str(body), headers=headers, **kw)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# ------------------------------------------------------------------------------------- real server


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def prepare_database(url: str) -> Engine:
    engine = build_engine(url)
    migrate.upgrade(engine)
    return engine


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def start_server(
    database_url: str,
    data_dir: Path,
    *,
    extra_env: dict[str, str] | None = None,
    extra_args: Sequence[str] = (),
    timeout: float = 30,
) -> Server:
    """`pairwise serve` on a free port against `database_url`; waits until /healthz answers."""
    port = free_port()
    data_dir.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAIRWISE_")}
    env.update(
        PAIRWISE_MODE="test", PAIRWISE_SECRET_KEY=SECRET, PAIRWISE_DATABASE_URL=database_url,
        PAIRWISE_DATA_DIR=str(data_dir), PAIRWISE_LOG_LEVEL="INFO", **(extra_env or {}),
    )  # fmt: skip
    log_path = data_dir / f"server-{port}.log"
    log_file = log_path.open("wb")
    process = subprocess.Popen(
        [PAIRWISE, "serve", "--host", "127.0.0.1", "--port", str(port), *extra_args],
        cwd=ROOT, env=env, stdout=log_file, stderr=subprocess.STDOUT,
    )  # fmt: skip
    server = Server(url=f"http://127.0.0.1:{port}", process=process, log_path=log_path)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"pairwise serve exited with {process.returncode}:\n{server.log()}")
        try:
            if httpx.get(f"{server.url}/healthz", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    server.stop()
    raise RuntimeError(f"pairwise serve did not answer in {timeout:g} s:\n{server.log()}")


def app_routes(app: Any = None) -> list[tuple[str, str]]:
    """(method, path) of every route of the app, including included routers; mounts as ("MOUNT", path)."""
    from starlette.routing import Mount

    from app.main import create_app

    app = app or create_app()
    out: list[tuple[str, str]] = []

    def add(route: Any) -> None:
        out.extend((m, route.path) for m in sorted(getattr(route, "methods", None) or []) if m != "HEAD")

    for route in app.routes:
        if hasattr(route, "effective_route_contexts"):
            for context in route.effective_route_contexts():
                add(context)
        elif isinstance(route, Mount):
            out.append(("MOUNT", route.path))
        else:
            add(route)
    return out


# --------------------------------------------------------------------------------------------- XSS

XSS_MARK = "window.__xss=1"
PAYLOADS = (
    f"<script>{XSS_MARK}</script>",
    f"<img src=x onerror={XSS_MARK}>",
    f"</textarea><svg onload={XSS_MARK}>",
    f'" onfocus="{XSS_MARK}" autofocus="',
    "{{7*7}}",
    '<div hx-get="/xss-hx-get" hx-trigger="load">x</div>',
    "</script>\u2028\u2029",
)
PAYLOAD = " ".join(PAYLOADS)
# The app's own htmx endpoints; an hx-* URL outside these came from data.
APP_HX_URL = re.compile(
    r"^/review/(next|undo|\d+/(judge|skip|diff|standalone(/transform|/prompt)?|suggestions/\d+/(accept|ignore)))$"
    r"|^/admin/(imports|jobs/\d+/status|releases/\d+|releases/preview)$"
)
# The app's own server-rendered charts: an <svg class="chart"> holding only shapes and text.
CHART_PARTS = frozenset({"svg", "g", "rect", "line", "text", "title", "path", "circle", "polyline"})
APP_SCRIPTS = re.compile(
    r"^/static/(vendor/(htmx|highlight|highlight-languages)-[\d.]+\.min\.js|app\.js(\?v=\w+)?)$"
)
HX_URL_ATTRS = ("hx-get", "hx-post", "hx-put", "hx-patch", "hx-delete")
DANGEROUS_TAGS = (
    "iframe",
    "object",
    "embed",
    "svg",
    "math",
    "img",
    "style",
    "base",
    "frame",
    "frameset",
    "applet",
)
URL_ATTRS = ("href", "src", "action", "formaction", "data", "xlink:href", "poster", "background")


@dataclass
class XssWorld:
    pairs: list[int]
    judgments: list[int]


def seed_xss_world(engine: Engine) -> XssWorld:
    """The XSS corpus, a walker reviewer `rev`, a reviewer `judge` whose judgments and gold edits carry
    payloads, and an admin `adm` with a payload-named pattern and token.

    Run with PAIRWISE_OVERLAP=2 so the judge's verdicts leave every pair in `rev`'s queue.
    """
    from app.patterns.service import PatternInput, list_patterns, save_taxonomy
    from app.review import queue
    from app.review.models import Verdict
    from app.review.service import JudgmentInput, submit

    pairs = seed_corpus(engine)
    for name, role in (("rev", "reviewer"), ("judge", "reviewer"), ("adm", "admin")):
        make_user(engine, name, role=role)
    make_token(engine, "rev", name=PAYLOAD[:100])
    make_token(engine, "adm", name=PAYLOADS[1])
    with session_scope(engine) as session:
        patterns = [
            PatternInput(slug=p.slug, name=p.name, description=p.description, hotkey=p.hotkey, position=i)
            for i, p in enumerate(list_patterns(session))
        ]
        patterns.append(PatternInput(slug="xss", name=PAYLOADS[1], description=PAYLOAD[:300], hotkey="x",
                                     position=len(patterns)))  # fmt: skip
        save_taxonomy(session, patterns=patterns, user_id=None)
    judgments = []
    with session_scope(engine) as session:
        judge = get_user(session, "judge")
        while (assignment := queue.lease_next(session, reviewer=judge)) is not None:
            judgment = submit(session, reviewer=judge, pair_id=assignment.pair_id, data=JudgmentInput(
                verdict=Verdict.second, patterns_first=["xss"], patterns_second=["tradeoffs", "xss"],
                edited_text=f"Gold {PAYLOAD}", comment=f"Comment {PAYLOAD}", flagged=True,
            ))  # fmt: skip
            judgments.append(judgment.id or 0)
    return XssWorld(pairs=pairs, judgments=judgments)


def _is_app_chart(tag: Any) -> bool:
    chart = tag if tag.name == "svg" else tag.find_parent("svg")
    if (
        chart is None
        or "chart" not in (chart.get("class") or [])
        or chart.find_parent(attrs={"hx-disable": True})
    ):
        return False
    return all(part.name in CHART_PARTS for part in chart.find_all(True))


def html_problems(html: str, *, page: str = "") -> list[str]:
    """Everything in raw HTML that would let transcript or user text act: live tags, handlers, URLs, htmx."""
    import json

    from bs4 import BeautifulSoup

    problems: list[str] = []
    soup = BeautifulSoup(html, "html.parser")
    for script in soup.find_all("script"):
        src = script.get("src", "")
        if not (isinstance(src, str) and APP_SCRIPTS.match(src)) or script.string:
            problems.append(f"{page}: foreign <script> {str(script)[:80]}")
    for tag in soup.find_all(DANGEROUS_TAGS):
        if _is_app_chart(tag):
            continue
        problems.append(f"{page}: live <{tag.name}> {str(tag)[:80]}")
    for meta in soup.find_all("meta", attrs={"http-equiv": True}):
        problems.append(f"{page}: <meta http-equiv> {str(meta)[:80]}")
    for element in soup.find_all(True):
        for name, value in element.attrs.items():
            text = " ".join(value) if isinstance(value, list) else str(value)
            lowered = name.lower()
            if lowered.startswith("on"):
                problems.append(f"{page}: handler {name}= on <{element.name}>")
            if lowered.startswith(("hx-on", "data-hx-on")):
                problems.append(f"{page}: {name}= on <{element.name}>")
            if lowered in URL_ATTRS and re.match(r"\s*(javascript|vbscript|data):", text, re.IGNORECASE):
                problems.append(f"{page}: {name}={text[:60]!r} on <{element.name}>")
            if "xss-hx" in text and (lowered in URL_ATTRS or lowered.startswith(("hx-", "data-hx-"))):
                problems.append(f"{page}: corpus URL in {name}= on <{element.name}>")
            if lowered in HX_URL_ATTRS and not APP_HX_URL.match(text):
                problems.append(f"{page}: {name}={text!r} is not an app endpoint")
            own = lowered in ("hx-disable", "hx-headers")
            if lowered.startswith("hx-") and not own and element.find_parent(attrs={"hx-disable": True}):
                problems.append(f"{page}: {name}= inside an hx-disable region")
    for md in soup.select(".md"):
        if not md.has_attr("hx-disable") and md.find_parent(attrs={"hx-disable": True}) is None:
            problems.append(f"{page}: rendered Markdown outside an hx-disable region")
    body = soup.find("body")
    if body is not None and body.has_attr("hx-headers"):
        hx_headers = body["hx-headers"]
        assert isinstance(hx_headers, str), "hx-headers is a single-valued attribute"
        headers = json.loads(hx_headers)
        if set(headers) != {"X-CSRF-Token"}:
            problems.append(f"{page}: hx-headers {headers!r}")
    lowered_html = html.lower()
    for raw in ("<script>window", "<img src=x", "<svg onload", "<iframe", "</script><script>"):
        if raw in lowered_html:
            problems.append(f"{page}: raw {raw!r} in the HTML")
    return problems


@contextmanager
def live_sqlite_server(
    tmp: Path, seed: Any, *, extra_env: dict[str, str] | None = None
) -> Iterator[tuple[Server, Engine]]:
    """A prepared SQLite database (seeded by `seed(engine)` with cheap password hashes) and a server on it."""
    url = f"sqlite:///{tmp / 'pairwise.db'}"
    with settings_env(tmp / "data"), fast_hashing(), pytest.MonkeyPatch.context() as mp:
        for key, value in (extra_env or {}).items():
            mp.setenv(key, value)
        engine = prepare_database(url)
        seed(engine)
    server = start_server(url, tmp / "data", extra_env=extra_env)
    try:
        yield server, engine
    finally:
        server.stop()
        engine.dispose()
