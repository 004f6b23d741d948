"""The admin router: every page of the dashboard, admins only (each route takes `AdminUser`)."""

from __future__ import annotations

from fastapi import APIRouter

from app.admin import conversations, dashboard, jobs, pairs, settings, uploads, users

router = APIRouter()
for _child in (
    dashboard.router,
    uploads.router,
    uploads.upload_router,
    jobs.router,
    conversations.router,
    pairs.router,
    users.router,
    settings.router,
):
    router.include_router(_child)
