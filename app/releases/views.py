"""Release pages: list, build form (a job), the frozen release with its lint report, downloads."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Form, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from pydantic import Field, model_validator

from app.auth.deps import AdminUser
from app.config import get_settings
from app.db import SessionDep
from app.errors import PairwiseError
from app.jobs.service import start_job
from app.params import PathId
from app.patterns.service import current_version_id, list_patterns
from app.releases.export.options import DEFAULT_LICENSE, ExportFilterOptions, ExportOptions, ExportStatus
from app.releases.export.preview import standalone_counts
from app.releases.export.reader import count_release_pairs
from app.releases.models import ReleaseKind
from app.releases.service import create_release, get_release, list_releases, release_file, require_new_name
from app.web import hx_redirect, render

router = APIRouter(prefix="/admin/releases")


@router.get("", response_class=HTMLResponse)
def releases_page(request: Request, session: SessionDep, user: AdminUser) -> Response:
    return render(request, "releases/list.html", {"releases": list_releases(session)})


@router.get("/new", response_class=HTMLResponse)
def new_release_page(request: Request, session: SessionDep, user: AdminUser) -> Response:
    counts = standalone_counts(session, spec=ExportOptions.parse(kind="dpo", format="openai")).to_json()
    context = {"patterns": list_patterns(session), "counts": counts, "default_license": DEFAULT_LICENSE}
    return render(request, "releases/new.html", context)


def _form_values(data: Any) -> Any:
    """Empty fields are absent, and a system prompt counts only with the policy "set"."""
    if isinstance(data, dict):
        data = {k: v for k, v in data.items() if v not in ("", None)}
        if data.get("system_policy") != "set":
            data.pop("system_prompt", None)
    return data


class ReleaseForm(ExportOptions):
    """The build form: a name and the export options (the CSRF token was checked before); empty fields are
    absent, and a system prompt counts only with the policy "set"."""

    name: str = Field(min_length=1, max_length=200)
    csrf_token: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _form_values(cls, data: Any) -> Any:
        return _form_values(data)

    def options(self) -> ExportOptions:
        return ExportOptions.model_validate(self.model_dump(exclude={"name", "csrf_token"}))


class CountQuery(ExportFilterOptions):
    """The release form's filters, as the form sends them for its live count; empty fields are absent."""

    @model_validator(mode="before")
    @classmethod
    def _form_values(cls, data: Any) -> Any:
        return _form_values(data)


@router.get("/count", response_class=HTMLResponse)
def matching_count(
    request: Request, session: SessionDep, user: AdminUser, query: Annotated[CountQuery, Query()]
) -> Response:
    """How many pairs the release form's filters match right now (the form asks on every change)."""
    n = count_release_pairs(session, filters=query.filters)
    return HTMLResponse(
        f'<span id="match-count" data-count="{n}">{n:,} pair{"s" if n != 1 else ""} match</span>'
    )


@router.post("")
def build(
    request: Request,
    session: SessionDep,
    user: AdminUser,
    background: BackgroundTasks,
    form: Annotated[ReleaseForm, Form()],
) -> Response:
    """Create the release row now and build its files as a job; the job page shows progress."""
    require_new_name(session, name=form.name)
    release = create_release(
        session, name=form.name, options=form.options(), taxonomy_version_id=current_version_id(session),
        created_by_id=user.id,
    )  # fmt: skip
    start_job(session, background, kind="release", payload={"release_id": release.id}, user_id=user.id)
    return hx_redirect(request, f"/admin/releases/{release.id}")


@router.get("/preview", response_class=HTMLResponse)
def preview(
    request: Request,
    session: SessionDep,
    user: AdminUser,
    kind: ReleaseKind = ReleaseKind.dpo,
    status: ExportStatus = ExportStatus.accepted,
    min_score: Annotated[str | None, Query(max_length=10)] = None,
    source: Annotated[str | None, Query(max_length=200)] = None,
    original_chosen: bool = False,
    keep_leaky: bool = False,
    use_suggestions: bool = False,
) -> Response:
    """The standalone counts (clean, fixed, excluded) for the form's current choices, before building."""
    try:
        spec = ExportOptions.parse(
            kind=kind, format="openai", status=status, min_score=float(min_score) if min_score else None,
            source=source or None, original_chosen=original_chosen, keep_leaky=keep_leaky,
            use_suggestions=use_suggestions,
        )  # fmt: skip
    except (PairwiseError, ValueError) as exc:
        return render(request, "releases/_standalone_counts.html", {"error": str(exc)})
    tally = standalone_counts(session, spec=spec)
    return render(request, "releases/_standalone_counts.html", {"counts": tally.to_json()})


@router.get("/{release_id}", response_class=HTMLResponse)
def release_page(request: Request, session: SessionDep, user: AdminUser, release_id: PathId) -> Response:
    release = get_release(session, release_id=release_id)
    block = "status" if request.headers.get("HX-Request") == "true" else None
    return render(request, "releases/detail.html", {"release": release}, block=block)


@router.get("/{release_id}/files/{name}")
def download(session: SessionDep, user: AdminUser, release_id: PathId, name: str) -> Response:
    """Stream one release file as an attachment, never as something a browser would render."""
    path, disposition = release_file(
        get_release(session, release_id=release_id), name=name, data_dir=get_settings().data_dir
    )
    media = "application/vnd.apache.parquet" if path.suffix == ".parquet" else "application/octet-stream"
    return FileResponse(
        path,
        media_type=media,
        headers={"Content-Disposition": disposition, "X-Content-Type-Options": "nosniff"},
    )
