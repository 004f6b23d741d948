"""create_app(): settings check, middleware, routers, static files, error handlers."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio.to_thread
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from app import health, home
from app.admission import AdmissionMiddleware
from app.api import evaluations as api_evaluations
from app.api import v1 as api_v1
from app.assist import views as assist_views
from app.auth import user_views
from app.auth import views as auth_views
from app.body_limits import BodyLimitMiddleware
from app.config import configure_logging, get_settings, secure_data_dir
from app.conversations import import_views
from app.conversations import views as conversations_views
from app.dashboard import views as dashboard_views
from app.errors import NotAuthenticatedError, PairwiseError
from app.evaluation import views as evaluation_views
from app.jobs import views as jobs_views
from app.pairs import detection_views
from app.pairs import views as pairs_views
from app.patterns import views as patterns_views
from app.releases import views as releases_views
from app.review import admin_views as review_admin_views
from app.review import standalone as review_standalone
from app.review import views as review_views
from app.review.warm import warm_review_statements
from app.security import SecurityHeadersMiddleware
from app.settings import views as settings_views
from app.training import views as training_views
from app.web import hx_redirect, is_htmx, render, warm_up

ROOT = Path(__file__).resolve().parent.parent
log = logging.getLogger("pairwise")

# The admin pages each domain owns (admins only: each route takes `AdminUser`).
ADMIN_ROUTERS = (
    dashboard_views.router,
    import_views.router,
    import_views.upload_router,
    jobs_views.router,
    conversations_views.router,
    pairs_views.router,
    user_views.router,
    settings_views.router,
)

TITLES = {
    400: "Bad request",
    401: "Sign in required",
    403: "Not allowed",
    404: "Not found",
    409: "Conflict",
    413: "Too large",
    422: "Invalid input",
    429: "Too many requests",
}


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or "application/json" in request.headers.get("accept", "")


def _error_response(
    request: Request, status: int, message: str, errors: list[dict[str, object]] | None = None
) -> Response:
    if _wants_json(request):
        # The one error shape of the API (app/api/errors.py ApiError): `errors` only on validation failures.
        body: dict[str, object] = {"detail": message}
        if errors is not None:
            body["errors"] = errors
        return JSONResponse(body, status_code=status)
    context = {"title": TITLES.get(status, "Error"), "message": message}
    if is_htmx(request):
        # htmx swaps the toast into #toasts instead of replacing the page.
        return render(
            request,
            "errors/error.html",
            context,
            block="toast",
            status_code=status,
            headers={"HX-Retarget": "#toasts", "HX-Reswap": "beforeend"},
        )
    return render(request, "errors/error.html", context, status_code=status)


async def _pairwise_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, PairwiseError)
    if isinstance(exc, NotAuthenticatedError) and not _wants_json(request):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        from urllib.parse import quote

        return hx_redirect(request, f"/login?next={quote(target, safe='/')}")
    log.info("%s %s -> %s: %s", request.method, request.url.path, exc.status_code, exc)
    return _error_response(request, exc.status_code, str(exc))


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    message = exc.detail if isinstance(exc.detail, str) else TITLES.get(exc.status_code, "Error")
    if exc.status_code == 404 and message == "Not Found":
        message = "There is nothing at this address."
    return _error_response(request, exc.status_code, message)


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    if any(error.get("type") == "json_invalid" for error in exc.errors()):
        return _error_response(request, 400, "The request body is not valid JSON.")
    problems: list[str] = []
    items: list[dict[str, object]] = []
    for error in exc.errors():
        loc = [p if isinstance(p, int) else str(p) for p in error.get("loc", ())]
        where = ".".join(str(p) for p in loc if p not in ("body", "query", "path", "form"))
        msg = str(error.get("msg", "invalid"))
        problems.append(f"{where}: {msg}" if where else msg)
        items.append({"loc": loc, "msg": msg})
    return _error_response(request, 422, "; ".join(problems), items)


async def _unexpected_error(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return _error_response(request, 500, "Something went wrong on our side; the error was logged.")


@asynccontextmanager
async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
    """Run the embedded job worker next to the web app unless dedicated `pairwise worker`s do the work."""
    from app.db import get_engine

    at_once = get_settings().active_requests()
    log.info("serving %d requests at once", at_once)
    # An admitted request uses one pool thread at a time and may hold a lock while it waits for the next
    # (app/admission.py): with more requests inside than threads, they could all wait on each other.
    threads = anyio.to_thread.current_default_thread_limiter()
    threads.total_tokens = max(threads.total_tokens, 2 * at_once)
    await anyio.to_thread.run_sync(warm_up)  # before this process takes its first request
    await anyio.to_thread.run_sync(warm_review_statements, get_engine())
    # What start-up made lives as long as the process: the collector need not walk it again (a full
    # collection over it took 40 ms, a pause some request would have waited through).
    gc.freeze()
    consumer = None
    if get_settings().worker_embedded:
        from app.jobs.queue import start_embedded
        from app.jobs.service import recover_jobs

        # Also fails import batches and release builds whose process died (their domains' on_recover hooks).
        recover_jobs(get_engine())
        consumer = start_embedded()
    else:
        from app.reaper import reap_stale_operations

        reap_stale_operations(get_engine())
    yield
    if consumer is not None:
        consumer.stop(graceful=True)


def create_app() -> FastAPI:
    configure_logging()
    settings = get_settings()
    settings.resolved_secret_key()
    secure_data_dir(settings.data_dir)
    app = FastAPI(title="Pairwise", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan)
    app.add_middleware(AdmissionMiddleware, slots=settings.active_requests())
    app.add_middleware(BodyLimitMiddleware)
    app.add_middleware(SecurityHeadersMiddleware)
    app.mount("/static", StaticFiles(directory=ROOT / "static"), name="static")
    app.include_router(health.router)
    app.include_router(auth_views.router)
    app.include_router(home.router)
    app.include_router(review_views.router)
    app.include_router(review_admin_views.router)
    app.include_router(review_standalone.router)
    app.include_router(assist_views.router)
    app.include_router(api_v1.router)
    app.include_router(patterns_views.router)
    app.include_router(releases_views.router)
    for admin_router in ADMIN_ROUTERS:
        app.include_router(admin_router)
    app.include_router(detection_views.router)
    app.include_router(training_views.router)
    app.include_router(evaluation_views.router)
    app.include_router(evaluation_views.admin_router)
    app.include_router(api_evaluations.router)
    app.add_exception_handler(PairwiseError, _pairwise_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(Exception, _unexpected_error)
    return app
