"""Augment Code's chats in a JetBrains project: the fixture (tests/fixtures/real_formats/augment/webshop/.idea/) is
written by hand the way real `AugmentWebviewStateStore.xml` files committed to public repositories hold them: the chat
state as XML-escaped JSON in one attribute, an agent conversation whose answers carry ````lang path=... fences and an
unsent draft, a French exchange whose answer is only in `structured_output_nodes`, an empty new chat, and the
project's other settings files beside it."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from sqlalchemy import Engine

from app.conversations.files import InputFile, NotConversation, iter_input_files
from app.conversations.importers import detect_format, get_importer
from app.conversations.importers.base import FileFormatError, ParsedConversation, RecordError, Skipped
from app.conversations.importing import run_import
from app.pairs.detection import DEFAULT_THRESHOLD
from app.pairs.findings import find_pairs

from .helpers import turns

ROOT = Path(__file__).resolve().parents[2] / "fixtures" / "real_formats" / "augment"
STORE = ROOT / "webshop" / ".idea" / "AugmentWebviewStateStore.xml"


def _parse(data: bytes) -> list[object]:
    return list(get_importer("augment").parse(io.BytesIO(data), "AugmentWebviewStateStore.xml"))


def test_each_conversation_is_read_from_the_escaped_chat_state() -> None:
    assert detect_format(STORE.read_bytes(), STORE.name) == "augment"
    agent, french, empty = _parse(STORE.read_bytes())
    assert empty == Skipped("Augment conversation without a question and an answer")
    assert isinstance(agent, ParsedConversation)
    assert isinstance(french, ParsedConversation)
    assert (agent.external_id, agent.title, agent.metadata) == (
        "7a4e0c19-5b2d-4e8f-a3c6-0d9b1f2e7a58",
        "How do I stop leaking sqlite connections in get_orders?",
        {"created_at": "2025-07-02T14:03:11.204Z", "agent": True},
    )
    assert [role for role, _ in turns(agent)] == ["user", "assistant", "user", "assistant"]
    # The answer as response_text has it (the quotes unescaped), not the snippet tags of the nodes; no draft turn.
    assert '"SELECT * FROM orders WHERE user_id = ?", (user_id,)' in turns(agent)[3][1]
    assert "````python path=shop/db.py mode=EDIT" in turns(agent)[3][1]
    assert all("get_cart" not in text for _, text in turns(agent))
    (pair,) = [p for p in find_pairs(agent) if p.detected and p.detected.score >= DEFAULT_THRESHOLD]
    assert (pair.rejected, pair.pushback, pair.chosen) == (1, 2, 3)
    # No response_text: the text nodes (type 0) are the answer, the retrieved file ranges (type 3) are not.
    assert turns(french) == [
        ("user", "Qu'est-ce que fait `PRAGMA foreign_keys = ON` ?"),
        (
            "assistant",
            "Il active la vérification des clés étrangères pour cette connexion : SQLite refuse alors une ligne dont "
            "la référence n'existe pas. C'est désactivé par défaut et à refaire à chaque connexion.",
        ),
    ]


def test_a_project_folder_yields_the_store_and_skips_the_other_settings() -> None:
    found = list(iter_input_files([ROOT]))
    assert [(type(i).__name__, Path(i.name).name) for i in found] == [
        ("InputFile", "AugmentWebviewStateStore.xml"),
        ("NotConversation", "misc.xml"),
    ]
    assert isinstance(found[0], InputFile)
    assert isinstance(found[1], NotConversation)
    assert found[1].reason == "JetBrains project settings, not conversations"


def test_a_conversation_with_a_bad_history_is_an_error_at_its_path() -> None:
    data = STORE.read_bytes().replace(
        b"&quot;chatHistory&quot;:[]", b"&quot;chatHistory&quot;:&quot;none&quot;"
    )
    *_, error = _parse(data)
    assert error == RecordError(
        "chatHistory: expected a list, got a string",
        json_path="CHAT_STATE.conversations.0b6c2e94-1f7a-4d38-b5e0-8c4a9d7f3e21",
    )


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (
            b'<project><component name="AugmentWebviewStateStore"></component></project>',
            "expected Augment's chat state",
        ),
        (
            b'<component name="AugmentWebviewStateStore"><entry key="CHAT_STATE" value="{&quot;a"/>',
            "CHAT_STATE: not JSON",
        ),
        (
            b'<component name="AugmentWebviewStateStore"><entry key="CHAT_STATE" value="[&quot;a|0|1&quot;]"/>',
            "CHAT_STATE.conversations: expected an object of conversations by id, got a list",
        ),
    ],
)
def test_a_store_that_cannot_be_read_is_one_clear_error(data: bytes, reason: str) -> None:
    with pytest.raises(FileFormatError, match=reason.replace("(", r"\(")):
        _parse(data)


def test_the_store_imports_once(engine: Engine) -> None:
    summary = run_import(engine, paths=[ROOT], source="augment", workers=0)
    assert (summary.conversations_added, summary.pairs_detected, summary.error_count) == (2, 1, 0)
    assert dict(summary.skipped) == {
        "Augment conversation without a question and an answer": 1,
        "JetBrains project settings, not conversations": 1,
    }
    assert run_import(engine, paths=[ROOT], source="augment", workers=0).conversations_added == 0
