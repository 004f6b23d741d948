"""Clients of the app (the training pages are wired in app/main.py like every other router), signed in or not."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from tests.web_helpers import login


def training_app() -> Any:
    from app.main import create_app

    return create_app()


def anonymous() -> TestClient:
    return TestClient(training_app(), base_url="http://testserver", follow_redirects=False)


def signed_in(username: str) -> TestClient:
    client = anonymous()
    response = login(client, username)
    assert response.status_code == 303, response.text
    return client
