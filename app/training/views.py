"""Training pages (admins only): runs list, launch form, run page with a live fragment, provider settings."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, BackgroundTasks, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator
from sqlalchemy import select
from sqlmodel import Session, col

from app.auth.deps import AdminUser
from app.charts import charts_for
from app.db import SessionDep
from app.errors import NotFoundError, PairwiseError, ValidationFailedError
from app.jobs.models import Job
from app.jobs.service import enqueue_after_response
from app.params import PathId, QueryId
from app.releases.models import DatasetRelease, ReleaseStatus
from app.releases.service import list_releases
from app.training import provider
from app.training.backends import BACKEND_NAMES, get_backend
from app.training.hyperparameters import FORM_PREFIX, form_names, hyperparameters_for
from app.training.models import Backend, Method, TrainingRun
from app.training.service import (
    cancel_run,
    count_events,
    get_run,
    get_training_release,
    launch_blocker,
    launch_run,
    list_runs,
    method_for,
    run_checkpoints,
    run_events,
    run_metrics,
)
from app.web import hx_redirect, polled_block, render

router = APIRouter(prefix="/admin/training")

DEFAULT_MODELS = {
    "openai": {"supervised": "gpt-4.1-mini-2025-04-14", "dpo": "gpt-4.1-mini-2025-04-14"},
    "trl": {},
}
LIVE_EVENTS = 200


def _release_names(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    query = select(col(DatasetRelease.id), col(DatasetRelease.name)).where(col(DatasetRelease.id).in_(ids))
    return {int(i): n for i, n in session.execute(query)}


@router.get("", response_class=HTMLResponse)
def runs_page(
    request: Request, session: SessionDep, user: AdminUser, release_id: QueryId | None = None
) -> Response:
    """All runs, or one release's runs (`?release_id=`, for a link from the release page)."""
    runs = list_runs(session, release_id=release_id, limit=200)
    return render(
        request,
        "training/runs.html",
        {
            "runs": runs,
            "release_names": _release_names(session, {r.release_id for r in runs}),
            "releases": list_releases(session, status=ReleaseStatus.ready),
            "release_id": release_id,
        },
    )


# ------------------------------------------------------------------------------------------ launch


def _form_context(
    session: Session,
    *,
    release: DatasetRelease,
    backend: str,
    values: dict[str, str] | None = None,
    error: str | None = None,
    today: date | None = None,
) -> dict[str, Any]:
    method = method_for(release)
    implementation = get_backend(backend)
    ep = provider.endpoint(session)
    problem = None
    try:
        implementation.check_release(release, method=method)
    except ValidationFailedError as exc:
        problem = str(exc)
    problem = problem or launch_blocker(session, release=release, backend=backend)
    values = dict(values or {})
    values.setdefault("base_model", DEFAULT_MODELS.get(backend, {}).get(method, ""))
    values.setdefault("suffix", f"pairwise-r{release.id}" if backend == "openai" else "")
    return {
        "release": release,
        "backend": backend,
        "backends": BACKEND_NAMES,
        "method": method,
        "params": hyperparameters_for(backend, method).form_fields(),
        "values": values,
        "error": error,
        "problem": problem,
        "endpoint": ep,
        "cutoff": provider.OPENAI_CUTOFF,
        "cutoff_passed": provider.cutoff_passed(today),
        "show_cutoff": backend == "openai" and ep.is_openai,
    }


@router.get("/new", response_class=HTMLResponse)
def new_run_page(
    request: Request,
    session: SessionDep,
    user: AdminUser,
    release_id: QueryId | None = None,
    backend: Backend = Backend.openai,
    base_model: str | None = None,
) -> Response:
    """`base_model=run:ID` (from "Train DPO on top of this model") starts from that run's model."""
    on_top = base_model[:300] if base_model else None
    if release_id is None:
        releases = list_releases(session, status=ReleaseStatus.ready)
        if on_top:
            releases = [r for r in releases if r.kind == "dpo"]
        context = {"releases": releases, "backend": backend, "base_model": on_top}
        return render(request, "training/pick_release.html", context)
    release = get_training_release(session, release_id=release_id)
    values = {"base_model": on_top} if on_top else None
    return render(
        request, "training/new.html", _form_context(session, release=release, backend=backend, values=values)
    )


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


class LaunchForm(BaseModel):
    """The launch form's own fields (the hyperparameters come as `p_<name>`); any other field is refused."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    csrf_token: str = ""
    release_id: int
    backend: Backend
    base_model: str = ""
    method: Method | None = None
    suffix: str = ""
    seed: int | None = None

    @field_validator("method", "seed", mode="before")
    @classmethod
    def _blank(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @classmethod
    def parse(cls, fields: dict[str, str]) -> LaunchForm:
        try:
            return cls.model_validate(fields)
        except ValidationError as exc:
            raise ValidationFailedError(_in_words(exc)) from None


def _in_words(exc: ValidationError) -> str:
    errors = exc.errors()
    unexpected = sorted(str(e["loc"][0]) for e in errors if e["type"] == "extra_forbidden" and e["loc"])
    if unexpected:
        return f"unexpected fields: {', '.join(unexpected)}"
    error = errors[0]
    field, value = (str(error["loc"][0]) if error["loc"] else ""), error.get("input")
    if field == "seed":
        return f"the seed must be a whole number, not {value!r}"
    if field == "method":
        return f"unknown method {value!r}; choose {' or '.join(Method)}"
    if field == "backend":
        return f"unknown backend {value!r}; choose one of: {', '.join(BACKEND_NAMES)}"
    if field == "release_id":
        return "release_id must be a number"
    return f"{field}: {error['msg']}"


@router.post("/runs")
async def create_run(
    request: Request, session: SessionDep, user: AdminUser, background: BackgroundTasks
) -> Response:
    form = await request.form()
    fields = {key: _text(form.get(key)) for key in form}
    hyper = {k: v for k, v in fields.items() if k.startswith(FORM_PREFIX)}
    own = {k: v for k, v in fields.items() if not k.startswith(FORM_PREFIX)}
    # The release and backend choose the form that comes back with an error; without them there is none.
    target = LaunchForm.parse({"release_id": own.get("release_id", ""), "backend": own.get("backend", "")})
    release = session.get(DatasetRelease, target.release_id)
    if release is None:
        raise NotFoundError(f"release {target.release_id} does not exist")
    try:
        launch = LaunchForm.parse(own)
        method = launch.method or Method(method_for(release))
        params = hyperparameters_for(launch.backend, method).form_values(
            hyper, ignore=form_names(launch.backend)
        )
        run, job = launch_run(
            session, release_id=launch.release_id, backend=launch.backend, base_model=launch.base_model,
            method=method, params=params, suffix=launch.suffix, seed=launch.seed, user_id=user.id,
        )  # fmt: skip
    except ValidationFailedError as exc:
        if release.status != ReleaseStatus.ready:
            raise
        values = {k: v.strip() for k, v in fields.items() if k != "csrf_token"}
        context = _form_context(
            session, release=release, backend=target.backend, values=values, error=str(exc)
        )
        return render(request, "training/new.html", context, status_code=422)
    enqueue_after_response(background, job.id or 0)
    return hx_redirect(request, f"/admin/training/runs/{run.id}")


# --------------------------------------------------------------------------------------- run page


def _run_context(session: Session, run: TrainingRun) -> dict[str, Any]:
    release = session.get(DatasetRelease, run.release_id)
    return {
        "run": run,
        "release": release,
        "job": session.get(Job, run.job_id) if run.job_id else None,
        "events": run_events(session, run_id=run.id or 0, limit=LIVE_EVENTS),
        "event_count": count_events(session, run_id=run.id or 0),
        "charts": charts_for(run_metrics(session, run_id=run.id or 0)),
        "checkpoints": run_checkpoints(session, run_id=run.id or 0),
    }


@router.get("/runs/{run_id}", response_class=HTMLResponse)
@router.get("/runs/{run_id}/live", response_class=HTMLResponse)
def run_page(request: Request, session: SessionDep, user: AdminUser, run_id: PathId) -> Response:
    """The run page; `/live` is its status, charts and log, which htmx polls while the run is active."""
    run = get_run(session, run_id=run_id)
    return render(
        request, "training/run.html", _run_context(session, run), block=polled_block(request, "live")
    )


@router.post("/runs/{run_id}/cancel")
async def run_cancel(request: Request, session: SessionDep, user: AdminUser, run_id: PathId) -> Response:
    form = await request.form()
    unknown = sorted(set(form.keys()) - {"csrf_token"})
    if unknown:
        raise ValidationFailedError(f"unexpected fields: {', '.join(unknown)}")
    cancel_run(session, run_id=run_id, user_id=user.id)
    return hx_redirect(request, f"/admin/training/runs/{run_id}")


# --------------------------------------------------------------------------------------- settings


def _settings_context(
    session: Session, *, error: str | None = None, base_url: str | None = None
) -> dict[str, Any]:
    ep = provider.endpoint(session)
    return {
        "endpoint": ep,
        "base_url": base_url if base_url is not None else ep.base_url,
        "error": error,
        "cutoff": provider.OPENAI_CUTOFF,
    }


@router.get("/settings", response_class=HTMLResponse)
def settings_page(request: Request, session: SessionDep, user: AdminUser) -> Response:
    return render(request, "training/settings.html", _settings_context(session))


@router.post("/settings")
async def settings_save(request: Request, session: SessionDep, user: AdminUser) -> Response:
    form = await request.form()
    unknown = sorted(set(form.keys()) - {"csrf_token", "base_url", "api_key"})
    if unknown:
        raise ValidationFailedError(f"unexpected fields: {', '.join(unknown)}")
    base_url = _text(form.get("base_url"))
    try:
        provider.save_credentials(
            session, base_url=base_url, api_key=_text(form.get("api_key")), user_id=user.id
        )
    except PairwiseError as exc:
        # The key is never sent back: the form comes back with the base URL only.
        context = _settings_context(session, error=str(exc), base_url=base_url[:500])
        return render(request, "training/settings.html", context, status_code=exc.status_code)
    return hx_redirect(request, "/admin/training/settings")


@router.post("/settings/clear")
async def settings_clear(request: Request, session: SessionDep, user: AdminUser) -> Response:
    form = await request.form()
    unknown = sorted(set(form.keys()) - {"csrf_token"})
    if unknown:
        raise ValidationFailedError(f"unexpected fields: {', '.join(unknown)}")
    provider.clear_credentials(session, user_id=user.id)
    return hx_redirect(request, "/admin/training/settings")
