"""Evaluation pages: the blind A/B queue for reviewers (/evaluations) and, for admins, the list, the new
evaluation form and the report (/admin/evaluations)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sqlmodel import Session, col, select

from app.assist.provider import provider_view
from app.auth.deps import AdminUser, CurrentUser
from app.auth.models import User
from app.charts import grouped_bars
from app.db import SessionDep
from app.errors import PairwiseError, ValidationFailedError
from app.evaluation import queue
from app.evaluation.candidates import split_spec
from app.evaluation.judge import DEFAULT_LIMIT as JUDGE_DEFAULT_LIMIT
from app.evaluation.judge import MAX_LIMIT as JUDGE_MAX_LIMIT
from app.evaluation.judge import MAX_RUBRIC, current_rubric, launch_judge, rubric_text, save_rubric
from app.evaluation.models import ComparisonLease, EvalStatus, Evaluation, JudgeFailure
from app.evaluation.report import build_report
from app.evaluation.service import (
    EvaluationIn,
    GenerationSettings,
    candidates_of,
    create_evaluation,
    get_evaluation,
    list_evaluations,
    parse_candidate_args,
)
from app.jobs.models import Job
from app.jobs.service import enqueue_after_response
from app.params import PathId, QueryId
from app.releases.models import DatasetRelease, ReleaseStatus
from app.releases.service import list_releases
from app.training.models import TrainingRun
from app.web import hx_redirect, is_htmx, polled_block, render

router = APIRouter(prefix="/evaluations")
admin_router = APIRouter(prefix="/admin/evaluations")

# ------------------------------------------------------------------------------------- reviewers


@router.get("", response_class=HTMLResponse)
def open_evaluations(request: Request, session: SessionDep, user: CurrentUser) -> Response:
    """Evaluations whose comparisons are open for review (names only: candidates stay hidden)."""
    items = [
        (e, queue.progress(session, evaluation=e)) for e in list_evaluations(session, status=EvalStatus.ready)
    ]
    return render(request, "evaluation/queue.html", {"items": items})


def _pane(
    request: Request, session: Session, user: User, evaluation: Evaluation, lease: ComparisonLease | None,
    notice: str | None = None,
) -> HTMLResponse:  # fmt: skip
    context = {
        "evaluation": evaluation,
        "view": queue.view_for(session, lease=lease) if lease else None,
        "progress": queue.progress(session, evaluation=evaluation),
        "notice": notice,
        "loading": False,
    }
    return render(request, "evaluation/review.html", context, block="pane" if is_htmx(request) else None)


@router.get("/{evaluation_id}/review", response_class=HTMLResponse)
def review_page(request: Request, session: SessionDep, user: CurrentUser, evaluation_id: PathId) -> Response:
    """The comparison this reviewer holds, or a page that asks for the next one (GET never leases)."""
    evaluation = get_evaluation(session, evaluation_id=evaluation_id)
    lease = queue.current_lease(session, evaluation_id=evaluation_id, reviewer=user)
    if lease is not None:
        return _pane(request, session, user, evaluation, lease)
    context = {"evaluation": evaluation, "view": None, "loading": True, "notice": None,
               "progress": queue.progress(session, evaluation=evaluation)}  # fmt: skip
    return render(request, "evaluation/review.html", context)


@router.post("/{evaluation_id}/review/next", response_class=HTMLResponse)
def review_next(request: Request, session: SessionDep, user: CurrentUser, evaluation_id: PathId) -> Response:
    evaluation = get_evaluation(session, evaluation_id=evaluation_id)
    return _pane(
        request, session, user, evaluation, queue.lease_next(session, evaluation=evaluation, reviewer=user)
    )


@router.post("/{evaluation_id}/review/{comparison_id}/judge", response_class=HTMLResponse)
def review_judge(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    evaluation_id: PathId,
    comparison_id: PathId,
    verdict: Annotated[str, Form(pattern="^(left|right|tie)$")],
    patterns_left: Annotated[list[str], Form()] = [],  # noqa: B006 - FastAPI form defaults
    patterns_right: Annotated[list[str], Form()] = [],  # noqa: B006
) -> Response:
    evaluation = get_evaluation(session, evaluation_id=evaluation_id)
    queue.submit(
        session, evaluation_id=evaluation_id, comparison_id=comparison_id, reviewer=user, verdict=verdict,
        patterns_left=patterns_left, patterns_right=patterns_right,
    )  # fmt: skip
    lease = queue.lease_next(session, evaluation=evaluation, reviewer=user)
    return _pane(request, session, user, evaluation, lease, notice="Saved.")


# ----------------------------------------------------------------------------------------- admins


@admin_router.get("", response_class=HTMLResponse)
def evaluations_page(request: Request, session: SessionDep, user: AdminUser) -> Response:
    return render(request, "evaluation/list.html", {"evaluations": list_evaluations(session)})


def _base_spec(session: Session, run: TrainingRun) -> str:
    """The spec of the model a run started from: its parent run, or the base model itself."""
    parent = run.options.get("parent_run_id")
    if parent:
        return f"run:{parent}"
    if run.backend == "trl" and Path(run.base_model).is_absolute():
        return f"hf:{run.base_model}"
    return f"openai:{run.base_model}"


def _form(session: Session, values: dict[str, Any], error: str | None = None) -> dict[str, Any]:
    return {"releases": list_releases(session, status=ReleaseStatus.ready), "values": values, "error": error}


@admin_router.get("/new", response_class=HTMLResponse)
def new_page(
    request: Request, session: SessionDep, user: AdminUser, release_id: QueryId | None = None,
    from_run: int | None = None, against: str | None = None,
) -> Response:  # fmt: skip
    """`from_run=N` proposes run N against its base (or against `against`, e.g. run:M)."""
    values: dict[str, Any] = {"release_id": release_id, "split": "validation", "compare": "all", "overlap": 1,
                              "temperature": 0.0, "max_tokens": 512}  # fmt: skip
    if from_run is not None:
        run = session.get(TrainingRun, from_run)
        if run is not None:
            base = against[:600] if against else _base_spec(session, run)
            base_label = base.replace(":", "-").replace("/", "-")[-40:] if base.startswith("run:") else "base"
            values.update(
                release_id=release_id or run.release_id, name=f"run {run.id} against {base_label}",
                candidates=f"{base_label}={base}\nrun-{run.id}=run:{run.id}", baseline=base_label,
                subject=f"run-{run.id}",
            )  # fmt: skip
    return render(request, "evaluation/new.html", _form(session, values))


FORM_FIELDS = frozenset(
    {"csrf_token", "name", "release_id", "candidates", "split", "limit", "seed", "baseline", "subject", "compare",
     "overlap", "temperature", "max_tokens"}
)  # fmt: skip


@admin_router.post("")
async def create(
    request: Request,
    session: SessionDep,
    user: AdminUser,
    background: BackgroundTasks,
    name: Annotated[str, Form(max_length=200)],
    release_id: Annotated[int, Form()],
    candidates: Annotated[str, Form(max_length=10_000)],
    split: Annotated[str, Form(pattern="^(validation|all)$")] = "validation",
    limit: Annotated[str, Form(max_length=10)] = "",
    seed: Annotated[int, Form()] = 0,
    baseline: Annotated[str, Form(max_length=60)] = "",
    subject: Annotated[str, Form(max_length=60)] = "",
    compare: Annotated[str, Form(pattern="^(all|baseline)$")] = "all",
    overlap: Annotated[int, Form(ge=1, le=10)] = 1,
    temperature: Annotated[float, Form(ge=0, le=2)] = 0.0,
    max_tokens: Annotated[int, Form(ge=1, le=32768)] = 512,
) -> Response:
    unknown = sorted(set((await request.form()).keys()) - FORM_FIELDS)
    if unknown:
        raise ValidationFailedError(f"unexpected fields: {', '.join(unknown)}")
    values = {"name": name, "release_id": release_id, "candidates": candidates, "split": split, "limit": limit,
              "seed": seed, "baseline": baseline, "subject": subject, "compare": compare, "overlap": overlap,
              "temperature": temperature, "max_tokens": max_tokens}  # fmt: skip
    try:
        if limit.strip() and not limit.strip().isdigit():
            raise ValidationFailedError(f"the prompt limit must be a whole number, not {limit!r}")
        lines = [line.strip() for line in candidates.splitlines() if line.strip()]
        data = EvaluationIn(
            name=name, release_id=release_id, candidates=parse_candidate_args(lines), split=split,
            limit=int(limit) if limit.strip() else None, seed=seed, baseline=baseline.strip() or None,
            subject=subject.strip() or None, compare=compare, overlap=overlap,
            settings=GenerationSettings(temperature=temperature, max_tokens=max_tokens),
        )  # fmt: skip
        evaluation, job = create_evaluation(session, data=data, user_id=user.id)
    except ValidationFailedError as exc:
        return render(request, "evaluation/new.html", _form(session, values, str(exc)), status_code=422)
    enqueue_after_response(background, job.id or 0)
    return hx_redirect(request, f"/admin/evaluations/{evaluation.id}")


def _chain_links(session: Session, evaluation: Evaluation) -> list[tuple[str, str]]:
    """ "Evaluate against the base / against run N" for each run among the candidates."""
    links = []
    for candidate in candidates_of(session, evaluation_id=evaluation.id or 0):
        kind, value = split_spec(candidate.spec)
        run = session.get(TrainingRun, int(value)) if kind == "run" and value.isdigit() else None
        if run is None:
            continue
        links.append((f"Evaluate run {run.id} against its base",
                      f"/admin/evaluations/new?release_id={evaluation.release_id}&from_run={run.id}"))  # fmt: skip
        parent = run.options.get("parent_run_id")
        if parent:
            links.append((f"Evaluate run {run.id} against run {parent}",
                          f"/admin/evaluations/new?release_id={run.release_id}&from_run={run.id}&against=run:{parent}"))  # fmt: skip
    return links


def _judge_context(session: Session, evaluation: Evaluation) -> dict[str, Any]:
    """The judge form and rubric editor: the rubric (stored, or the default it would start with), whether a
    provider is saved, and the latest failed calls under the current rubric."""
    eid = evaluation.id or 0
    rubric = current_rubric(session, evaluation_id=eid)
    failures = (
        list(
            session.exec(
                select(JudgeFailure)
                .where(col(JudgeFailure.rubric_id) == rubric.id)
                .order_by(col(JudgeFailure.id).desc())
                .limit(5)
            )
        )
        if rubric
        else []
    )
    return {
        "rubric": rubric, "rubric_text": rubric_text(session, evaluation_id=eid), "rubric_error": None,
        "rubric_max": MAX_RUBRIC, "provider": provider_view(session), "judge_limit": JUDGE_DEFAULT_LIMIT,
        "judge_max": JUDGE_MAX_LIMIT, "judge_failures": failures,
    }  # fmt: skip


def _report_context(session: Session, evaluation: Evaluation) -> dict[str, Any]:
    report = build_report(session, evaluation=evaluation)
    return {
        **_judge_context(session, evaluation),
        "evaluation": evaluation,
        "report": report,
        "chart": grouped_bars(report.adherence),
        "job": session.get(Job, evaluation.job_id) if evaluation.job_id else None,
        "release": session.get(DatasetRelease, evaluation.release_id),
        "links": _chain_links(session, evaluation),
        "active": evaluation.status in (EvalStatus.pending, EvalStatus.generating),
    }


@admin_router.get("/{evaluation_id}", response_class=HTMLResponse)
@admin_router.get("/{evaluation_id}/live", response_class=HTMLResponse)
def show(request: Request, session: SessionDep, user: AdminUser, evaluation_id: PathId) -> Response:
    """The report page; `/live` is its progress and report, which htmx polls while answers are generated."""
    evaluation = get_evaluation(session, evaluation_id=evaluation_id)
    context = _report_context(session, evaluation)
    return render(request, "evaluation/show.html", context, block=polled_block(request, "live"))


@admin_router.get("/{evaluation_id}/report.json")
def report_json(session: SessionDep, user: AdminUser, evaluation_id: PathId) -> JSONResponse:
    evaluation = get_evaluation(session, evaluation_id=evaluation_id)
    return JSONResponse(build_report(session, evaluation=evaluation).to_json())


@admin_router.post("/{evaluation_id}/judge")
def judge(
    request: Request,
    session: SessionDep,
    user: AdminUser,
    background: BackgroundTasks,
    evaluation_id: PathId,
    limit: Annotated[int, Form(ge=1, le=JUDGE_MAX_LIMIT)] = JUDGE_DEFAULT_LIMIT,
) -> Response:
    """Ask the model judge about up to `limit` comparisons not yet judged under the current rubric (a job);
    refused (409) without a suggestion provider."""
    job = launch_judge(session, evaluation_id=evaluation_id, limit=limit, user_id=user.id)
    enqueue_after_response(background, job.id or 0)
    return hx_redirect(request, f"/admin/jobs/{job.id}")


@admin_router.post("/{evaluation_id}/rubric")
def rubric(
    request: Request,
    session: SessionDep,
    user: AdminUser,
    evaluation_id: PathId,
    text: Annotated[str, Form(max_length=MAX_RUBRIC + 1000)] = "",
    reset: Annotated[str, Form(pattern="^(|default)$")] = "",
) -> Response:
    """Save the judge's rubric as a new version (`reset=default`: the default text from the taxonomy); the
    judge then asks every comparison again under it. Errors return the page with the text kept."""
    evaluation = get_evaluation(session, evaluation_id=evaluation_id)
    try:
        save_rubric(session, evaluation_id=evaluation_id, text=None if reset else text, user_id=user.id)
    except PairwiseError as exc:
        context = _report_context(session, evaluation) | {"rubric_text": text, "rubric_error": str(exc)}
        return render(request, "evaluation/show.html", context, status_code=exc.status_code)
    return hx_redirect(request, f"/admin/evaluations/{evaluation_id}#judge")
