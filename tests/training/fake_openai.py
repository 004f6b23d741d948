"""A real HTTP server speaking the OpenAI fine-tuning API (files, jobs, events, checkpoints) for tests.

It keeps its state in memory, advances a job one state per `retrieve` (validating_files -> queued ->
running, one training step per poll -> succeeded), and can be told to fail: a wrong key (401 that echoes
the key it got, as providers do), queued failures (429 with Retry-After, 500), a job whose model name
contains "fail" ends failed with an error object, "slow" keeps running until cancelled, a create that
loses its answer (the job exists, the connection closes), or a create that holds its answer until released.

It also answers chat completions (`/v1/chat/completions`, for evaluations and other model-assisted features):
by default "<model> answers: <last user message>", or whatever `chat_reply(model, messages)` returns.
"""

from __future__ import annotations

import email.parser
import email.policy
import itertools
import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

HYPER = {"supervised": {"n_epochs", "batch_size", "learning_rate_multiplier"},
         "dpo": {"n_epochs", "batch_size", "learning_rate_multiplier", "beta"}}  # fmt: skip
RESOLVED = {"n_epochs": 3, "batch_size": 1, "learning_rate_multiplier": 1.8, "beta": 0.1}


@dataclass
class Failure:
    method: str
    path: re.Pattern[str]
    status: int
    times: int = 1
    headers: dict[str, str] = field(default_factory=dict)
    message: str = ""


@dataclass
class Request:
    method: str
    path: str
    query: list[tuple[str, str]]
    body: Any
    authorization: str | None


class FakeOpenAI:
    def __init__(
        self, *, api_key: str = "sk-fake-correct-key-0123456789abcdef", total_steps: int = 3
    ) -> None:
        self.api_key = api_key
        self.total_steps = total_steps
        self.lock = threading.RLock()
        self.files: dict[str, dict[str, Any]] = {}
        self.file_contents: dict[str, bytes] = {}
        self.jobs: dict[str, dict[str, Any]] = {}
        self.events: dict[str, list[dict[str, Any]]] = {}
        self.checkpoints: dict[str, list[dict[str, Any]]] = {}
        self.ticks: dict[str, int] = {}
        self.requests: list[Request] = []
        self.failures: list[Failure] = []
        self.drop_create_answers = 0
        self.hold_create: threading.Event | None = None
        self.create_seen = threading.Event()
        self.ignore_metadata_filter = False
        self.chat_reply: Callable[[str, list[dict[str, Any]]], str] = default_chat_reply
        self._ids = itertools.count(1)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -------------------------------------------------------------------------------- lifecycle

    def start(self) -> FakeOpenAI:
        fake = self

        class Handler(_Handler):
            server_state = fake

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self.hold_create is not None:
            self.hold_create.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    @property
    def base_url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    # ---------------------------------------------------------------------------------- helpers

    def fail(self, method: str, path: str, status: int, *, times: int = 1, headers: dict[str, str] | None = None,
             message: str = "") -> None:  # fmt: skip
        """Answer the next `times` requests matching (method, path regex) with `status`."""
        self.failures.append(Failure(method, re.compile(path), status, times, headers or {}, message))

    def calls(self, method: str, path: str) -> list[Request]:
        pattern = re.compile(path)
        return [r for r in self.requests if r.method == method and pattern.fullmatch(r.path)]

    def _id(self, prefix: str) -> str:
        return f"{prefix}-{next(self._ids):06d}"

    def _event(self, job_id: str, message: str, *, level: str = "info", type_: str = "message",
               data: dict[str, Any] | None = None) -> None:  # fmt: skip
        self.events[job_id].append({
            "id": self._id("ftevent"), "object": "fine_tuning.job.event", "created_at": int(time.time()),
            "level": level, "message": message, "data": data or {}, "type": type_,
        })  # fmt: skip

    # ------------------------------------------------------------------------------- state changes

    def advance(self, job_id: str) -> None:
        """One poll's worth of progress."""
        job = self.jobs[job_id]
        if job["status"] in ("succeeded", "failed", "cancelled"):
            return
        model = job["model"]
        if job["status"] == "validating_files":
            job["status"] = "queued"
            self._event(job_id, "Files validated, moving job to queued state")
            return
        if job["status"] == "queued":
            job["status"] = "running"
            self._event(job_id, "Fine-tuning job started")
            return
        step = self.ticks.get(job_id, 0) + 1
        total = self.total_steps
        if "slow" in model and step >= total:
            return
        if "fail" in model and step >= 2:
            job["status"], job["finished_at"] = "failed", int(time.time())
            job["error"] = {"code": "invalid_training_file", "param": "training_file",
                            "message": "The job failed due to an invalid training file: line 2 has no assistant message."}  # fmt: skip
            self._event(job_id, "The job failed due to an invalid training file.", level="error")
            return
        if step <= total:
            self.ticks[job_id] = step
            loss = round(2.0 / step, 4)
            self._event(
                job_id, f"Step {step}/{total}: training loss={loss}", type_="metrics",
                data={"step": step, "train_loss": loss, "train_mean_token_accuracy": round(0.5 + step / 10, 3),
                      "total_steps": total},
            )  # fmt: skip
            if step >= total - 1:
                suffix = f"{job['suffix']}:" if job.get("suffix") else ""
                self.checkpoints[job_id].append({
                    "id": self._id("ftckpt"), "object": "fine_tuning.job.checkpoint", "created_at": int(time.time()),
                    "fine_tuned_model_checkpoint": f"ft:{model}:pairwise-test:{suffix}{job_id[-6:]}:ckpt-step-{step}",
                    "fine_tuning_job_id": job_id, "step_number": step,
                    "metrics": {"step": step, "train_loss": loss, "train_mean_token_accuracy": 0.5 + step / 10,
                                "valid_loss": loss + 0.1, "valid_mean_token_accuracy": 0.5,
                                "full_valid_loss": None, "full_valid_mean_token_accuracy": None},
                })  # fmt: skip
            return
        suffix = f"{job['suffix']}:" if job.get("suffix") else ""
        job["status"], job["finished_at"] = "succeeded", int(time.time())
        job["fine_tuned_model"] = f"ft:{model}:pairwise-test:{suffix}{job_id[-6:]}"
        job["trained_tokens"] = 1234
        self._event(job_id, f"New fine-tuned model created: {job['fine_tuned_model']}")
        self._event(job_id, "The job has successfully completed")

    # ------------------------------------------------------------------------------------ routes

    def handle(
        self, method: str, path: str, query: list[tuple[str, str]], body: Any
    ) -> tuple[int, Any, dict[str, str]]:
        if method == "POST" and path == "/v1/chat/completions":
            return self._chat(body)
        if method == "POST" and path == "/v1/files":
            return self._create_file(body)
        if method == "GET" and path == "/v1/fine_tuning/jobs":
            return self._list_jobs(query)
        if method == "POST" and path == "/v1/fine_tuning/jobs":
            return self._create_job(body)
        match = re.fullmatch(r"/v1/fine_tuning/jobs/([\w-]+)(/cancel|/events|/checkpoints)?", path)
        if match is None:
            return _error(404, f"Unknown path {path}", "invalid_request_error")
        job_id, tail = match.group(1), match.group(2)
        if job_id not in self.jobs:
            return _error(
                404,
                f"Could not find fine-tune: {job_id}",
                "invalid_request_error",
                code="fine_tune_not_found",
            )
        if method == "GET" and tail is None:
            self.advance(job_id)
            return 200, self.jobs[job_id], {}
        if method == "POST" and tail == "/cancel":
            job = self.jobs[job_id]
            if job["status"] in ("succeeded", "failed", "cancelled"):
                return _error(
                    400,
                    f"Job {job_id} has already completed and cannot be cancelled.",
                    "invalid_request_error",
                )
            job["status"], job["finished_at"] = "cancelled", int(time.time())
            self._event(job_id, "Fine-tuning job cancelled")
            return 200, job, {}
        if method == "GET" and tail == "/events":
            return 200, _page(list(reversed(self.events[job_id])), query, default_limit=20), {}
        if method == "GET" and tail == "/checkpoints":
            return 200, _page(list(reversed(self.checkpoints[job_id])), query, default_limit=10), {}
        return _error(405, "Method not allowed", "invalid_request_error")

    def _chat(self, body: Any) -> tuple[int, Any, dict[str, str]]:
        if not isinstance(body, dict) or not isinstance(body.get("model"), str):
            return _error(400, "Missing required parameter: 'model'.", "invalid_request_error", param="model")
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            return _error(400, "messages must be a non-empty list", "invalid_request_error", param="messages")
        model = body["model"]
        if "unavailable" in model:
            return _error(404, f"The model `{model}` does not exist or you do not have access to it.",
                          "invalid_request_error", code="model_not_found")  # fmt: skip
        text = self.chat_reply(model, messages)
        return 200, {
            "id": self._id("chatcmpl"), "object": "chat.completion", "created": int(time.time()), "model": model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop",
                         "logprobs": None}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
        }, {}  # fmt: skip

    def _create_file(self, body: Any) -> tuple[int, Any, dict[str, str]]:
        fields = body if isinstance(body, dict) else {}
        if fields.get("purpose") != "fine-tune":
            return _error(
                400,
                f"Invalid purpose {fields.get('purpose')!r}: expected fine-tune",
                "invalid_request_error",
                param="purpose",
            )
        content, filename = fields.get("file", (b"", ""))
        try:
            rows = [json.loads(line) for line in content.decode().splitlines() if line.strip()]
        except (UnicodeDecodeError, json.JSONDecodeError):
            return _error(400, "The file is not valid JSONL", "invalid_request_error", param="file")
        file_id = self._id("file")
        self.files[file_id] = {"id": file_id, "object": "file", "bytes": len(content), "created_at": int(time.time()),
                               "filename": filename, "purpose": "fine-tune", "status": "processed",
                               "expires_at": None, "status_details": None, "rows": len(rows)}  # fmt: skip
        self.file_contents[file_id] = content
        return 200, {k: v for k, v in self.files[file_id].items() if k != "rows"}, {}

    def _list_jobs(self, query: list[tuple[str, str]]) -> tuple[int, Any, dict[str, str]]:
        wanted = {
            k[len("metadata[") : -1]: v for k, v in query if k.startswith("metadata[") and k.endswith("]")
        }
        jobs = list(reversed(self.jobs.values()))
        if wanted and not self.ignore_metadata_filter:
            jobs = [j for j in jobs if all((j.get("metadata") or {}).get(k) == v for k, v in wanted.items())]
        return 200, _page(jobs, query, default_limit=20), {}

    def _create_job(self, body: Any) -> tuple[int, Any, dict[str, str]]:
        if not isinstance(body, dict):
            return _error(400, "Expected a JSON body", "invalid_request_error")
        model = body.get("model")
        if not isinstance(model, str) or not model:
            return _error(400, "Missing required parameter: 'model'.", "invalid_request_error", param="model")
        if "unavailable" in model:
            return _error(404, f"The model `{model}` does not exist or you do not have access to it.",
                          "invalid_request_error", code="model_not_found")  # fmt: skip
        training = body.get("training_file")
        if training not in self.files:
            return _error(
                400, f"invalid training_file: {training}", "invalid_request_error", param="training_file"
            )
        validation = body.get("validation_file")
        if validation is not None and validation not in self.files:
            return _error(
                400,
                f"invalid validation_file: {validation}",
                "invalid_request_error",
                param="validation_file",
            )
        method = body.get("method") or {"type": "supervised", "supervised": {}}
        kind = method.get("type")
        if kind not in HYPER:
            return _error(400, f"Invalid method type {kind!r}", "invalid_request_error", param="method.type")
        hyper = (method.get(kind) or {}).get("hyperparameters") or {}
        unknown = set(hyper) - HYPER[kind]
        if unknown:
            return _error(
                400, f"Unknown hyperparameter(s): {sorted(unknown)}", "invalid_request_error", param="method"
            )
        for name, value in hyper.items():
            if value != "auto" and not isinstance(value, int | float):
                return _error(
                    400,
                    f"Invalid value for {name}: {value!r}",
                    "invalid_request_error",
                    param=f"method.{kind}",
                )
        suffix = body.get("suffix")
        if suffix is not None and len(suffix) > 64:
            return _error(
                400, "suffix must be at most 64 characters", "invalid_request_error", param="suffix"
            )
        metadata = body.get("metadata") or {}
        if len(metadata) > 16 or not all(isinstance(v, str) for v in metadata.values()):
            return _error(
                400, "metadata: at most 16 string values", "invalid_request_error", param="metadata"
            )
        job_id = self._id("ftjob")
        resolved = {k: (RESOLVED[k] if v == "auto" else v) for k, v in hyper.items()}
        self.jobs[job_id] = {
            "id": job_id, "object": "fine_tuning.job", "created_at": int(time.time()), "error": None,
            "fine_tuned_model": None, "finished_at": None,
            "hyperparameters": {k: v for k, v in resolved.items() if k != "beta"},
            "model": model, "organization_id": "org-test", "result_files": [], "seed": body.get("seed", 42),
            "status": "validating_files", "trained_tokens": None, "training_file": training,
            "validation_file": validation, "estimated_finish": None, "integrations": [], "metadata": metadata,
            "method": {"type": kind, kind: {"hyperparameters": resolved}}, "suffix": suffix,
        }  # fmt: skip
        self.events[job_id], self.checkpoints[job_id] = [], []
        self._event(job_id, f"Created fine-tuning job: {job_id}")
        self._event(job_id, f"Validating training file: {training}")
        return 200, self.jobs[job_id], {}


def default_chat_reply(model: str, messages: list[dict[str, Any]]) -> str:
    last = next((m.get("content") for m in reversed(messages) if m.get("role") == "user"), "")
    return f"{model} answers: {str(last)[:200]}"


def _page(items: list[dict[str, Any]], query: list[tuple[str, str]], *, default_limit: int) -> dict[str, Any]:
    params = dict(query)
    limit = int(params.get("limit", default_limit))
    after = params.get("after")
    if after:
        ids = [i["id"] for i in items]
        items = items[ids.index(after) + 1 :] if after in ids else []
    return {"object": "list", "data": items[:limit], "has_more": len(items) > limit}


def _error(
    status: int, message: str, kind: str, *, param: str | None = None, code: str | None = None
) -> tuple[int, Any, dict[str, str]]:
    return status, {"error": {"message": message, "type": kind, "param": param, "code": code}}, {}


class _Handler(BaseHTTPRequestHandler):
    server_state: FakeOpenAI
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        return

    def _read_body(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        kind = self.headers.get("Content-Type", "")
        if kind.startswith("multipart/form-data"):
            message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
                f"Content-Type: {kind}\r\n\r\n".encode() + raw
            )
            fields: dict[str, Any] = {}
            for part in message.iter_parts():
                name = str(part.get_param("name", header="content-disposition"))
                filename = part.get_filename()
                payload = part.get_payload(decode=True)
                data = payload if isinstance(payload, bytes) else b""
                fields[name] = (data, filename) if filename else data.decode()
            return fields
        if raw:
            try:
                return json.loads(raw)
            except json.JSONDecodeError:
                return raw.decode(errors="replace")
        return None

    def _dispatch(self, method: str) -> None:
        state = self.server_state
        parts = urlsplit(self.path)
        query = parse_qsl(parts.query, keep_blank_values=True)
        body = self._read_body()
        auth = self.headers.get("Authorization")
        with state.lock:
            state.requests.append(Request(method, parts.path, query, body, auth))
            supplied = (auth or "").removeprefix("Bearer ").strip()
            if supplied != state.api_key:
                status, payload, headers = _error(
                    401, f"Incorrect API key provided: {supplied}. You can find your API key in your account settings.",
                    "invalid_request_error", code="invalid_api_key",
                )  # fmt: skip
                return self._send(status, payload, headers)
            for failure in state.failures:
                if failure.times > 0 and failure.method == method and failure.path.fullmatch(parts.path):
                    failure.times -= 1
                    message = failure.message or {429: "Rate limit reached for requests", 500: "The server had an error while processing your request."}.get(failure.status, "error")  # fmt: skip
                    kind = "requests" if failure.status == 429 else "server_error"
                    status, payload, _ = _error(failure.status, message, kind)
                    return self._send(status, payload, failure.headers)
            status, payload, headers = state.handle(method, parts.path, query, body)
            creating = method == "POST" and parts.path == "/v1/fine_tuning/jobs" and status == 200
            drop = creating and state.drop_create_answers > 0
            if drop:
                state.drop_create_answers -= 1
            hold = state.hold_create if creating else None
        if creating:
            state.create_seen.set()
        if hold is not None:
            hold.wait(timeout=60)
        if drop:
            # The job exists, but its answer is lost: close the connection without a response.
            self.close_connection = True
            return
        self._send(status, payload, headers)

    def _send(self, status: int, payload: Any, headers: dict[str, str]) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("x-request-id", f"req_{int(time.time() * 1000)}")
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")
