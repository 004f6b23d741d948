"""S5: an enforcing CSP without inline or eval'd script, frame-ancestors 'none', nosniff; S3 htmx config."""

from __future__ import annotations

import json
import re

import httpx2
import pytest
from bs4 import BeautifulSoup
from sqlalchemy import Engine

from tests.page_helpers import attr, one
from tests.web_helpers import ROOT, client, make_user, signed_in

pytestmark = pytest.mark.usefixtures("fast_passwords")


def _csp(response: httpx2.Response) -> dict[str, list[str]]:
    assert "content-security-policy-report-only" not in response.headers
    header = response.headers["content-security-policy"]
    directives: dict[str, list[str]] = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


def _responses(engine: Engine) -> dict[str, httpx2.Response]:
    make_user(engine, "adm", role="admin")
    c = signed_in("adm")
    return {
        "login page": client().get("/login"),
        "review page": c.get("/review"),
        "patterns page": c.get("/admin/patterns"),
        "redirect": client().get("/review"),
        "404 page": client().get("/nothing"),
        "api json": c.get("/api/v1/pairs"),
        "api 401": client().get("/api/v1/pairs"),
        "static js": client().get("/static/app.js"),
        "healthz": client().get("/healthz"),
    }


class TestSecurityHeaders:
    def test_csp_is_enforcing_and_strict_on_every_response(self, engine: Engine) -> None:
        for name, response in _responses(engine).items():
            csp = _csp(response)
            script = csp.get("script-src", csp.get("default-src"))
            assert script == ["'self'"], name
            assert csp["default-src"] == ["'self'"], name
            assert csp["frame-ancestors"] == ["'none'"], name
            assert csp["object-src"] == ["'none'"], name
            assert csp["base-uri"] == ["'none'"], name
            for values in csp.values():
                assert "'unsafe-inline'" not in values or values is csp.get("style-src"), name
                assert "'unsafe-eval'" not in values, name
                assert "*" not in values, name

    def test_nosniff_and_framing_on_every_response(self, engine: Engine) -> None:
        for name, response in _responses(engine).items():
            assert response.headers["x-content-type-options"] == "nosniff", name
            assert response.headers["x-frame-options"] == "DENY", name
            assert response.headers["referrer-policy"] == "same-origin", name

    def test_authenticated_pages_are_not_cached(self, engine: Engine) -> None:
        responses = _responses(engine)
        for name in ("review page", "patterns page", "api json"):
            assert responses[name].headers["cache-control"] == "no-store", name


class TestNoInlineScript:
    def test_templates_have_no_inline_script_or_handlers(self) -> None:
        for path in (ROOT / "templates").rglob("*.html"):
            source = path.read_text()
            for tag in re.findall(r"<script\b[^>]*>", source):
                assert 'src="' in tag, f"{path.name}: inline {tag}"
            assert not re.search(r"<script\b[^>]*>\s*[^<\s]", source), f"{path.name}: inline script body"
            assert not re.search(r"\son[a-z]+\s*=", source), f"{path.name}: inline event handler"
            assert "javascript:" not in source, path.name
            assert "|safe" not in source, f"{path.name}: |safe bypasses escaping"

    def test_app_script_does_not_eval(self) -> None:
        source = (ROOT / "static" / "app.js").read_text()
        assert not re.search(r"\beval\s*\(|new\s+Function\s*\(|setTimeout\s*\(\s*['\"]|innerHTML\s*=", source)

    def test_htmx_is_configured_safe(self, engine: Engine) -> None:
        make_user(engine, "rev")
        soup = BeautifulSoup(signed_in("rev").get("/review").text, "html.parser")
        config = json.loads(attr(one(soup, 'meta[name="htmx-config"]'), "content"))
        assert config["allowEval"] is False
        assert config["allowScriptTags"] is False
        assert config["selfRequestsOnly"] is True
        assert config["historyCacheSize"] == 0
        scripts = [s["src"] for s in soup.find_all("script")]
        assert scripts == [
            "/static/vendor/htmx-2.0.11.min.js",
            "/static/vendor/highlight-11.12.0.min.js",
            "/static/vendor/highlight-languages-11.12.0.min.js",
            "/static/app.js?v=1",
        ]
