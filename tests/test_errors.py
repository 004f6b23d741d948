"""An unexpected exception on any route: a 500 page (or JSON for the API) in words, logged with context, never
a stack trace or the exception's text in the response."""

from __future__ import annotations

import logging

import pytest
from fastapi import APIRouter
from starlette.testclient import TestClient

from app.main import create_app

SECRET_DETAIL = "psycopg.errors.UniqueViolation: duplicate key value violates unique constraint users_pkey"


def client_with_a_failing_route() -> TestClient:
    app = create_app()
    router = APIRouter()

    @router.get("/boom")
    def boom() -> None:
        raise RuntimeError(SECRET_DETAIL)

    @router.get("/api/v1/boom")
    def api_boom() -> None:
        raise RuntimeError(SECRET_DETAIL)

    app.include_router(router)
    return TestClient(app, base_url="http://testserver", raise_server_exceptions=False)


def test_html_500_page_says_what_happened_in_words(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.ERROR)
    response = client_with_a_failing_route().get("/boom")
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("text/html")
    assert "Something went wrong on our side; the error was logged." in response.text
    for leak in ("Traceback", "RuntimeError", "UniqueViolation", 'File "'):
        assert leak not in response.text
    assert "unhandled error on GET /boom" in caplog.text
    assert SECRET_DETAIL in caplog.text, "the log keeps the context the page leaves out"


def test_api_500_is_json_without_the_exception(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.ERROR)
    response = client_with_a_failing_route().get("/api/v1/boom", headers={"Accept": "application/json"})
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["detail"] == "Something went wrong on our side; the error was logged."
    assert "UniqueViolation" not in response.text
