"""Release pages: list, build form (a job), the frozen release with its lint report, downloads."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Form, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, Response

from app.auth.deps import AdminUser
from app.config import get_settings
from app.db import SessionDep
from app.errors import PairwiseError
from app.jobs.service import create_job, enqueue
from app.patterns.service import current_version_id, list_patterns
from app.releases.export import DEFAULT_LICENSE, make_spec
from app.releases.preview import standalone_counts
from app.releases.service import create_release, get_release, list_releases, release_file
from app.web import hx_redirect, render

router = APIRouter(prefix="/admin/releases")


@router.get("", response_class=HTMLResponse)
def releases_page(request: Request, session: SessionDep, user: AdminUser) -> Response:
    return render(request, "releases/list.html", {"releases": list_releases(session)})


@router.get("/new", response_class=HTMLResponse)
def new_release_page(request: Request, session: SessionDep, user: AdminUser) -> Response:
    counts = standalone_counts(session, spec=make_spec(kind="dpo", format="openai")).to_json()
    context = {"patterns": list_patterns(session), "counts": counts, "default_license": DEFAULT_LICENSE}
    return render(request, "releases/new.html", context)


@router.post("")
def build(
    request: Request,
    session: SessionDep,
    user: AdminUser,
    background: BackgroundTasks,
    name: Annotated[str, Form(min_length=1, max_length=200)],
    kind: Annotated[str, Form(pattern="^(sft|dpo)$")],
    format: Annotated[str, Form(pattern="^(openai|trl|parquet)$")],
    status: Annotated[str, Form(pattern="^(accepted|candidate|conflict)$")] = "accepted",
    split: Annotated[float, Form(ge=0, lt=1)] = 0.0,
    seed: Annotated[int, Form(ge=0, le=2**31)] = 0,
    min_score: Annotated[float | None, Form(ge=0, le=1)] = None,
    source: Annotated[str | None, Form(max_length=200)] = None,
    patterns_present: Annotated[list[str], Form()] = [],  # noqa: B006 - FastAPI form default
    patterns_absent: Annotated[list[str], Form()] = [],  # noqa: B006
    system_policy: Annotated[str, Form(pattern="^(keep|set|drop)$")] = "keep",
    system_prompt: Annotated[str | None, Form(max_length=20_000)] = None,
    original_chosen: Annotated[bool, Form()] = False,
    dpo_style: Annotated[str, Form(pattern="^(conversational|standard)$")] = "conversational",
    model: Annotated[str | None, Form(max_length=100)] = None,
    keep_leaky: Annotated[bool, Form()] = False,
    use_suggestions: Annotated[bool, Form()] = False,
    tools: Annotated[str, Form(pattern="^(keep|drop)$")] = "drop",
    license: Annotated[str, Form(max_length=64)] = "other",
) -> Response:
    """Create the release row now and build its files as a job; the job page shows progress."""
    release = create_release(
        session, name=name, kind=kind, format=format, status=status, split=split, seed=seed,
        min_score=min_score, source=source or None, patterns_present=patterns_present,
        patterns_absent=patterns_absent, system_policy=system_policy,
        system_prompt=system_prompt if system_policy == "set" else None, original_chosen=original_chosen,
        dpo_style=dpo_style, model=model or None, taxonomy_version_id=current_version_id(session),
        created_by_id=user.id, keep_leaky=keep_leaky, use_suggestions=use_suggestions, tools=tools,
        license=license or "other",
    )  # fmt: skip
    job = create_job(session, kind="release", payload={"release_id": release.id}, user_id=user.id)
    # The request's unit of work commits before the response; the job is enqueued after that.
    background.add_task(enqueue, job.id or 0)
    return hx_redirect(request, f"/admin/releases/{release.id}")


@router.get("/preview", response_class=HTMLResponse)
def preview(
    request: Request,
    session: SessionDep,
    user: AdminUser,
    kind: Annotated[str, Query(pattern="^(sft|dpo)$")] = "dpo",
    status: Annotated[str, Query(pattern="^(accepted|candidate|conflict)$")] = "accepted",
    min_score: Annotated[str | None, Query(max_length=10)] = None,
    source: Annotated[str | None, Query(max_length=200)] = None,
    original_chosen: bool = False,
    keep_leaky: bool = False,
    use_suggestions: bool = False,
) -> Response:
    """The standalone counts (clean, fixed, excluded) for the form's current choices, before building."""
    try:
        spec = make_spec(
            kind=kind, format="openai", status=status, min_score=float(min_score) if min_score else None,
            source=source or None, original_chosen=original_chosen, keep_leaky=keep_leaky,
            use_suggestions=use_suggestions,
        )  # fmt: skip
    except (PairwiseError, ValueError) as exc:
        return render(request, "releases/_standalone_counts.html", {"error": str(exc)})
    tally = standalone_counts(session, spec=spec)
    return render(request, "releases/_standalone_counts.html", {"counts": tally.to_json()})


@router.get("/{release_id}", response_class=HTMLResponse)
def release_page(request: Request, session: SessionDep, user: AdminUser, release_id: int) -> Response:
    release = get_release(session, release_id=release_id)
    block = "status" if request.headers.get("HX-Request") == "true" else None
    return render(request, "releases/detail.html", {"release": release}, block=block)


@router.get("/{release_id}/files/{name}")
def download(session: SessionDep, user: AdminUser, release_id: int, name: str) -> Response:
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
