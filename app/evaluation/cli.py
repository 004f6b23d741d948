"""`pairwise eval create|list|show|judge`."""

from __future__ import annotations

import os
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from app import migrate
from app.db import get_engine, session_scope
from app.errors import PairwiseError, ValidationFailedError
from app.evaluation import jobs as _handlers  # noqa: F401  (registers "evaluate" for --wait)
from app.evaluation.judge import DEFAULT_LIMIT as JUDGE_DEFAULT_LIMIT
from app.evaluation.judge import MAX_LIMIT as JUDGE_MAX_LIMIT
from app.evaluation.judge import launch_judge
from app.evaluation.report import build_report
from app.evaluation.service import (
    CandidateIn,
    EvaluationIn,
    GenerationSettings,
    create_evaluation,
    get_evaluation,
    list_evaluations,
    parse_candidate_args,
)
from app.jobs import runner
from app.jobs.models import Job, JobStatus
from app.jobs.service import enqueue
from app.terminal import err, fail, print_json

eval_cli = typer.Typer(help="Evaluate fine-tuned models on held-out prompts.", no_args_is_help=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def _report_json(evaluation_id: int) -> dict[str, Any]:
    with session_scope(get_engine(), read_only=True) as session:
        evaluation = get_evaluation(session, evaluation_id=evaluation_id)
        return build_report(session, evaluation=evaluation).to_json()


def _pairs(items: list[str], option: str) -> dict[str, str]:
    out = {}
    for item in items:
        label, sep, value = item.partition("=")
        if not sep or not label.strip() or not value.strip():
            raise ValidationFailedError(f"{option} takes LABEL=VALUE, not {item!r}")
        out[label.strip()] = value.strip()
    return out


def with_endpoints(
    candidates: list[CandidateIn], endpoints: list[str], key_envs: list[str]
) -> list[CandidateIn]:
    """Attach `--endpoint` base URLs and the keys named by `--key-env` (keys never go on the command line)."""
    urls, variables = _pairs(endpoints, "--endpoint"), _pairs(key_envs, "--key-env")
    labels = {c.label.strip() for c in candidates}
    for label in (set(urls) | set(variables)) - labels:
        raise ValidationFailedError(f"--endpoint/--key-env name {label!r}, which is not a candidate label")
    for c in candidates:
        label = c.label.strip()
        if label in variables:
            key = os.environ.get(variables[label])
            if not key:
                raise ValidationFailedError(f"--key-env {label}={variables[label]}: that variable is not set")
            c.api_key = key
        c.base_url = urls.get(label)
    return candidates


@eval_cli.command("create")
def eval_create(
    name: Annotated[str, typer.Option("--name", help="A name for the evaluation.")],
    release: Annotated[int, typer.Option("--release", help="Release whose prompts are used.")],
    candidate: Annotated[
        list[str], typer.Option("--candidate", help="LABEL=SPEC (repeat): openai:MODEL, run:ID or hf:PATH.")
    ],
    split: Annotated[
        str, typer.Option(help="validation (the release's held-out split) or all.")
    ] = "validation",
    limit: Annotated[int | None, typer.Option(help="At most N prompts, drawn with --seed.", min=1)] = None,
    seed: Annotated[int, typer.Option(help="Seed for drawing --limit prompts.")] = 0,
    baseline: Annotated[str | None, typer.Option(help="Label of the baseline candidate.")] = None,
    subject: Annotated[str | None, typer.Option(help="Label of the candidate under test.")] = None,
    compare: Annotated[
        str, typer.Option(help="all (every pair) or baseline (each against the baseline).")
    ] = "all",
    overlap: Annotated[int, typer.Option(help="Human judgments per comparison.", min=1, max=10)] = 1,
    temperature: Annotated[float, typer.Option(help="Sampling temperature.")] = 0.0,
    max_tokens: Annotated[int, typer.Option(help="Longest answer in tokens.")] = 512,
    concurrency: Annotated[int, typer.Option(help="Requests at once to a remote endpoint.")] = 4,
    device: Annotated[str, typer.Option(help="Local models: auto, cpu or cuda.")] = "auto",
    endpoint: Annotated[
        list[str] | None,
        typer.Option(
            "--endpoint", help="LABEL=BASE_URL: send this openai: candidate to another endpoint (repeat)."
        ),
    ] = None,
    key_env: Annotated[
        list[str] | None,
        typer.Option(
            "--key-env", help="LABEL=VAR: the environment variable holding that endpoint's API key."
        ),
    ] = None,
    wait: Annotated[
        bool, typer.Option("--wait", help="Generate here and wait until the answers are in.")
    ] = False,
    json_output: JsonOpt = False,
) -> None:
    """Create an evaluation and generate its answers (a worker does it unless --wait)."""
    migrate.upgrade()
    try:
        candidates = with_endpoints(parse_candidate_args(candidate), endpoint or [], key_env or [])
        data = EvaluationIn(
            name=name, release_id=release, candidates=candidates, split=split, limit=limit,
            seed=seed, baseline=baseline, subject=subject, compare=compare, overlap=overlap,
            settings=GenerationSettings(temperature=temperature, max_tokens=max_tokens, concurrency=concurrency, device=device),
        )  # fmt: skip
        with session_scope(get_engine()) as session:
            evaluation, job = create_evaluation(session, data=data)
    except PairwiseError as exc:
        fail(str(exc))
    evaluation_id, job_id = evaluation.id or 0, job.id or 0
    if wait:
        runner.execute(get_engine(), job_id)
        with session_scope(get_engine(), read_only=True) as session:
            finished = session.get(Job, job_id)
        if finished is not None and finished.status != JobStatus.succeeded:
            if json_output:
                print_json(_report_json(evaluation_id))
            fail(f"evaluation {evaluation_id}: {finished.error or finished.status}")
    else:
        enqueue(job_id)
    if json_output:
        print_json(_report_json(evaluation_id))
    else:
        err.print(
            f"evaluation {evaluation_id} {'ready for review' if wait else f'queued (job {job_id})'}; "
            f"see it with: pairwise eval show {evaluation_id}",
            highlight=False,
        )


@eval_cli.command("list")
def eval_list(json_output: JsonOpt = False) -> None:
    """List evaluations, newest first."""
    migrate.upgrade()
    with session_scope(get_engine(), read_only=True) as session:
        items = list_evaluations(session, limit=500)
    if json_output:
        print_json(
            [{"id": e.id, "name": e.name, "status": e.status, "release_id": e.release_id} for e in items]
        )
        return
    table = Table("id", "name", "release", "status", "subject", "created")
    for e in items:
        table.add_row(
            str(e.id), e.name, str(e.release_id), e.status, e.subject or "", f"{e.created_at:%Y-%m-%d %H:%M}"
        )
    Console().print(table)


@eval_cli.command("show")
def eval_show(
    evaluation_id: Annotated[int, typer.Argument(metavar="ID")], json_output: JsonOpt = False
) -> None:
    """The report: adherence per candidate, head-to-head results and the decision."""
    migrate.upgrade()
    try:
        report = _report_json(evaluation_id)
    except PairwiseError as exc:
        fail(str(exc))
    if json_output:
        print_json(report)
        return
    console = Console()
    console.print(f"evaluation {report['id']}: {report['name']} ({report['status']}), {report['prompts']} prompts, "
                  f"{report['judged']} judgments", highlight=False, markup=False)  # fmt: skip
    table = Table("candidate", "spec", "answers", "adherence", "95% interval", "spread")
    for label, c in report["candidates"].items():
        a = c["adherence"]
        overall = "-" if a["overall"] is None else f"{a['overall']:.1%}"
        spread = "-" if a["spread"] is None else f"{a['spread']:.2f}"
        table.add_row(
            label, c["spec"], str(c["answers"]), overall, f"{a['ci95'][0]:.1%}-{a['ci95'][1]:.1%}", spread
        )
    console.print(table)
    for h in report["head_to_head"]:
        rate = "-" if h["win_rate_a"] is None else f"{h['win_rate_a']:.1%}"
        console.print(f"{h['a']} vs {h['b']}: {h['wins_a']} wins, {h['wins_b']} losses, {h['ties']} ties; "
                      f"win rate {rate}", highlight=False, markup=False)  # fmt: skip
    d = report["decision"]
    console.print(
        f"decision for {d['subject']}: {d['verdict']}. {d['reason']}", highlight=False, markup=False
    )
    j = report["judge"]
    if j["rubric"] is None:
        return
    ag = j["agreement"]
    rate = "-" if ag["rate"] is None else f"{ag['rate']:.1%}"
    console.print(
        f"model judge (rubric v{j['rubric']['version']}, not part of the decision): {j['judged']} judgments, "
        f"agreement with reviewers {rate} of {ag['compared']} comparisons, {j['failed']['malformed']} malformed "
        f"and {j['failed']['provider']} failed calls",
        highlight=False, markup=False,
    )  # fmt: skip
    for label, c in j["candidates"].items():
        overall = c["adherence"]["overall"]
        console.print(f"  judge adherence {label}: {'-' if overall is None else f'{overall:.1%}'}",
                      highlight=False, markup=False)  # fmt: skip


@eval_cli.command("judge")
def eval_judge(
    evaluation_id: Annotated[int, typer.Argument(metavar="ID")],
    limit: Annotated[
        int, typer.Option(help="Ask about at most N comparisons not yet judged.", min=1, max=JUDGE_MAX_LIMIT)
    ] = JUDGE_DEFAULT_LIMIT,
    wait: Annotated[bool, typer.Option("--wait", help="Judge here and wait until it is done.")] = False,
    json_output: JsonOpt = False,
) -> None:
    """Ask the model judge (the suggestion provider) about the comparisons; its figures are reported apart."""
    migrate.upgrade()
    try:
        with session_scope(get_engine()) as session:
            job = launch_judge(session, evaluation_id=evaluation_id, limit=limit, user_id=None)
    except PairwiseError as exc:
        fail(str(exc))
    job_id = job.id or 0
    if not wait:
        enqueue(job_id)
        if json_output:
            print_json({"job_id": job_id, "status": "queued"})
        else:
            err.print(
                f"judge queued (job {job_id}); see it with: pairwise eval show {evaluation_id}",
                highlight=False,
            )
        return
    runner.execute(get_engine(), job_id)
    with session_scope(get_engine(), read_only=True) as session:
        finished = session.get(Job, job_id)
    result = (finished.result if finished else None) or {}
    if json_output:
        print_json({"job_id": job_id, "result": result, "judge": _report_json(evaluation_id)["judge"]})
    if finished is None or finished.status != JobStatus.succeeded:
        fail(f"judge job {job_id}: {finished.error if finished else 'missing'}")
    if result.get("error"):
        fail(f"judge job {job_id} stopped: {result['error']}")
    if not json_output:
        err.print(
            f"judged {result.get('judged', 0)} of {result.get('comparisons', 0)} comparisons, "
            f"{result.get('failed', 0)} malformed replies; see them with: pairwise eval show {evaluation_id}",
            highlight=False,
        )
        for line in result.get("failures", []):
            err.print(f"  {line}", highlight=False, markup=False)
