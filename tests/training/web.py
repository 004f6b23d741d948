"""The app with the training router (included here until app/main.py includes it) and signed-in clients."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from app.training import views
from tests.web_helpers import login


def training_app() -> Any:
    from app.main import create_app

    app = create_app()
    if not any(str(getattr(route, "path", "")).startswith("/admin/training") for route in app.routes):
        app.include_router(views.router)
    return app


def anonymous() -> TestClient:
    return TestClient(training_app(), base_url="http://testserver", follow_redirects=False)


def signed_in(username: str) -> TestClient:
    client = anonymous()
    response = login(client, username)
    assert response.status_code == 303, response.text
    return client
