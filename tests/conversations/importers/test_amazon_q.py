"""Amazon Q Developer CLI and Kiro CLI saved chats: the fixtures (tests/fixtures/real_formats/amazon_q/) are written
by hand in the shape of `ConversationState` and saved files in public repositories: a Kiro CLI save (a tool call
whose JSON result failed, a correction with an image, a prompt typed over cancelled tools), an Amazon Q 1.x save
(exchanges as pairs) and a compacted chat whose history is empty and whose transcript holds it all."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from sqlalchemy import Engine

from app.conversations.importers import detect_format, get_importer
from app.conversations.importers.base import ParsedConversation, RecordError, Skipped
from app.conversations.importing import run_import
from app.pairs.detection import DEFAULT_THRESHOLD
from app.pairs.findings import find_pairs

from .helpers import turns

ROOT = Path(__file__).resolve().parents[2] / "fixtures" / "real_formats" / "amazon_q"
KIRO = ROOT / "lifecycle-rule.json"
OLD = ROOT / "largest-files.json"
COMPACTED = ROOT / "deploy-retry.json"


def _one(data: bytes) -> ParsedConversation:
    (chat,) = get_importer("amazon-q").parse(io.BytesIO(data), "chat.json")
    assert isinstance(chat, ParsedConversation)
    return chat


def test_a_save_reads_its_history_with_tool_calls_and_results() -> None:
    assert detect_format(KIRO.read_bytes(), KIRO.name) == "amazon-q"
    chat = _one(KIRO.read_bytes())
    assert chat.external_id == "0f6c2a9e-1b3d-4e5f-8a7b-9c0d1e2f3a4b"
    assert chat.title == "Write an S3 lifecycle rule that deletes objects under logs/ after 30 days."
    assert [t.role for t in chat.turns] == ["user", "assistant", "user", "assistant", "user", "assistant"]
    blocks = chat.turns[1].blocks or []
    assert [b["type"] for b in blocks] == ["text", "tool_use", "tool_result", "text"]
    assert (blocks[1]["id"], blocks[1]["name"], blocks[1]["input"]["operation_name"]) == (
        "tooluse_abc123",
        "use_aws",
        "get-bucket-lifecycle-configuration",
    )
    assert blocks[2] == {
        "type": "tool_result",
        "tool_use_id": "tooluse_abc123",
        "content": '{"exit_status":"254","stderr":"NoSuchLifecycleConfiguration"}',
        "is_error": True,
    }
    # The person stopped the tools and typed: the cancelled result closes the answer, the prompt is the turn.
    assert chat.turns[4].text == "stop, don't apply it; just show me the CLI command"
    assert chat.dropped == {"image": 1}
    assert chat.metadata == {"cwd": "/Users/sam/infra", "models": ["claude-sonnet-4", "claude-sonnet-4.5"]}
    pairs = [p for p in find_pairs(chat) if p.detected and p.detected.score >= DEFAULT_THRESHOLD]
    assert (pairs[0].rejected, pairs[0].pushback, pairs[0].chosen) == (1, 2, 3)


def test_an_amazon_q_1_save_holds_its_exchanges_as_pairs() -> None:
    assert detect_format(OLD.read_bytes(), OLD.name) == "amazon-q"
    chat = _one(OLD.read_bytes())
    assert turns(chat) == [
        ("user", "How do I list the 10 largest files in this repo?"),
        ("assistant", "Run: `du -ah . | sort -rh | head -n 10`"),
    ]


def test_a_compacted_chat_is_read_from_its_transcript() -> None:
    chat = _one(COMPACTED.read_bytes())
    assert turns(chat) == [
        ("user", "Add a retry to the upload step in deploy.sh"),
        ("assistant", "I'll read the script.\n\nAdded a loop that retries the upload forever."),
        ("user", "No, retrying forever will hang the deploy. Give up after 3 tries and fail the job."),
        ("assistant", "Good point. The loop now stops after 3 attempts and exits 1."),
    ]
    assert chat.metadata == {"read_from": "transcript"}
    (pair,) = [p for p in find_pairs(chat) if p.detected and p.detected.score >= DEFAULT_THRESHOLD]
    assert (pair.rejected, pair.pushback, pair.chosen) == (1, 2, 3)


def test_a_save_without_an_answer_is_skipped() -> None:
    state = json.loads(OLD.read_bytes())
    state["history"][0][1] = None
    state["transcript"] = state["transcript"][:1]
    (skipped,) = get_importer("amazon-q").parse(io.BytesIO(json.dumps(state).encode()), "chat.json")
    assert skipped == Skipped("Amazon Q / Kiro chat without a prompt and an answer")


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda s: s.update(history={}), "history: expected a list, got an object"),
        (
            lambda s: s["history"].__setitem__(1, "x"),
            "history[1]: expected an exchange with a user message, got a string",
        ),
        (
            lambda s: s["history"][1]["user"].update(content={"Poem": {}}),
            "history[1].user.content: expected Prompt, ToolUseResults or CancelledToolUses",
        ),
        (
            lambda s: s["history"][1].update(assistant={"Thinking": {}}),
            "history[1].assistant: expected Response or ToolUse, got an object",
        ),
    ],
)
def test_a_damaged_save_names_the_field(change: object, reason: str) -> None:
    state = json.loads(KIRO.read_bytes())
    change(state)  # type: ignore[operator]
    (error,) = get_importer("amazon-q").parse(io.BytesIO(json.dumps(state).encode()), "chat.json")
    assert isinstance(error, RecordError)
    assert (error.reason, error.json_path) == (reason, "$")


def test_the_saves_import_once(engine: Engine) -> None:
    summary = run_import(engine, paths=[ROOT], source="q", workers=0)
    assert (summary.conversations_added, summary.error_count) == (3, 0)
    assert run_import(engine, paths=[ROOT], source="q", workers=0).conversations_added == 0
