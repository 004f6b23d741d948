"""The ChatGPT data export `conversations.json`: a JSON array of `{title, mapping, current_node, ...}`.

The array is streamed item by item. A file that is one conversation as a bare object (one per file, as
some exporters write them), pretty-printed or on one line, reads as that conversation does in the array.
Each conversation is a tree in `mapping`; the thread shown in ChatGPT
is the path from `current_node` up to the root, so other branches (regenerated answers, edited prompts)
are not turns. Null messages, tool messages, messages addressed to a tool and non-text content (code,
browsing, images) are skipped. A reasoning model's `thoughts` messages become a thinking block of the
answer (each thought's summary and text); its `reasoning_recap` ("Thought for 12s") is a label and is left out, and the preamble GPT-5 Thinking shows
before it has thought (`metadata.is_thinking_preamble_message`, "Let me check that first.") is thinking too, not
the answer. System messages, hidden or not, never become turns; their text, if any,
is the system prompt.

Canvas documents (`canmore`): the assistant writes a document with a message to `canmore.create_textdoc` (its
JSON `{name, type, content}` as `code` content, or as the first part of older exports) and revises it with
`canmore.update_textdoc` (`{updates: [{pattern, replacement, multiple}]}`: regular expressions over the
document, `$1` naming a group; an update that fails to compile or match stops that message's updates, as
ChatGPT does). The document as it stands after those messages is text of the answer (a `code/<lang>` document
in a fenced block), written after the assistant's chat message that follows them ("Fixed: ..."), so a revision
in the canvas is a revised answer that says what it did and shows it; comments on a document
(`canmore.comment_textdoc`) and a message that cannot be read or applied are counted as dropped (`canvas`).

Voice conversations are `multimodal_text` messages whose parts are `audio_transcription` objects (`text`)
next to `audio_asset_pointer` ones: the transcription is the turn's text and the audio it transcribes is
not counted as lost. Every other part that cannot be kept (images, audio without a transcript) and every
user/assistant message of a non-text content type is counted by kind in the conversation's `dropped`.
"""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from typing import Any

import orjson

from . import deepseek
from ._json import BadRecord
from ._records import RecordImporter, expect, external_id
from ._turns import TurnBuilder, part_kind, require_answer, thinking_block, tool_result, tool_use
from .base import ParsedConversation, SkipRecord

# Tuples, not sets: a value read from the file may be a list or an object, which cannot be hashed.
_TEXT_TYPES = ("text", "multimodal_text")
# Context the export carries as messages (custom instructions, memory): not conversation content.
_CONTEXT_TYPES = ("user_editable_context", "model_editable_context")
_AUDIO_POINTERS = ("audio_asset_pointer", "real_time_user_audio_video_asset_pointer")


def _thread(mapping: dict[str, Any], current: Any) -> list[dict[str, Any]]:
    """The messages from the root to `current`, following parent links (a cycle ends the walk)."""
    if not mapping:
        raise SkipRecord("empty conversation")  # `"mapping": {}`: a chat with no message at all
    if type(current) is not str or current not in mapping:
        # No usable current_node: take the last leaf in the mapping, which the export writes last.
        leaves = [key for key, node in mapping.items() if type(node) is dict and not node.get("children")]
        if not leaves:
            raise BadRecord("current_node: missing, and the mapping has no leaf")
        current = leaves[-1]
    messages = []
    seen = set()
    while type(current) is str and current not in seen:
        seen.add(current)
        node = mapping.get(current)
        if type(node) is not dict:
            break
        message = node.get("message")
        if type(message) is dict:
            messages.append(message)
        current = node.get("parent")
    messages.reverse()
    return messages


# The app's markers for what it draws in an answer (a citation chip, an image strip, a product card), written in
# the Private Use Area: "\ue200cite\ue202turn0search0\ue201", "\ue200filecite\ue202turn0file0\ue201". The
# sources they point at are not in the export, and a fine-tune must not learn to write them. Browsing and file
# search (2023 to 2024) cited in text: "【3†source】", "【4:0†report.pdf】".
_UI_ELEMENT = re.compile("[ \t]*(?:\ue200[^\ue201]*\ue201|【\\d+(?::\\d+)?†[^】\n]{0,200}】)")
_UI_MARKERS = re.compile("[\ue200-\ue2ff]")


def _without_ui_elements(text: str, dropped: Counter[str]) -> str:
    """The answer's text with the app's citation and UI markers taken out, each counted as dropped."""
    if text.isascii() or (_UI_MARKERS.search(text) is None and "【" not in text):
        return text
    text, count = _UI_ELEMENT.subn("", text)
    if count:
        dropped["citation or UI element"] += count
    return _UI_MARKERS.sub("", text)


def _text(message: dict[str, Any], dropped: Counter[str]) -> str | None:
    content = message.get("content")
    if type(content) is not dict:
        return None
    kind = content.get("content_type")
    if kind is None and type(content.get("parts")) is list:
        # Tools and people writing the export's shape by hand leave the content's type out (`{"parts": [...]}`, two
        # real sample files): parts are text.
        kind = "text"
    if kind not in _TEXT_TYPES:
        if type(kind) is str and kind not in _CONTEXT_TYPES and message.get("recipient") in (None, "all"):
            dropped[kind[:40]] += 1
        return None
    parts = content.get("parts")
    if type(parts) is not list:
        return None
    transcribed = any(type(p) is dict and p.get("content_type") == "audio_transcription" for p in parts)
    texts = []
    for part in parts:
        if type(part) is str:
            texts.append(part)
        elif type(part) is dict and part.get("content_type") == "audio_transcription":
            if type(part.get("text")) is str:
                texts.append(part["text"])
        elif not (transcribed and type(part) is dict and part.get("content_type") in _AUDIO_POINTERS):
            dropped[part_kind(part)] += 1
    return "\n".join(texts)


def _canvas_payload(message: dict[str, Any]) -> dict[str, Any] | None:
    """A canvas message's JSON: `code` content's text, or (older exports) the first part as an object."""
    content = message.get("content")
    if type(content) is not dict:
        return None
    value: Any = None
    if type(content.get("text")) is str:
        try:
            value = orjson.loads(content["text"])
        except orjson.JSONDecodeError:
            return None
    elif type(content.get("parts")) is list and content["parts"]:
        value = content["parts"][0]
        if type(value) is str:
            try:
                value = orjson.loads(value)
            except orjson.JSONDecodeError:
                return None
    return value if type(value) is dict else None


def _js_replacement(replacement: str) -> str:
    """A JavaScript replacement string (`$1`, `$&`, `$$`) as Python's re.sub reads it."""
    escaped = replacement.replace("\\", "\\\\")
    return re.sub(
        r"\$(\$|&|\d+)",
        lambda m: "$" if m[1] == "$" else ("\\g<0>" if m[1] == "&" else f"\\g<{m[1]}>"),
        escaped,
    )


def _updated(document: str, updates: Any) -> str | None:
    """The document after a message's updates, applied in order; None when the first one fails."""
    if type(updates) is not list:
        return None
    changed = False
    for update in updates:
        if type(update) is not dict or type(update.get("pattern")) is not str:
            break
        replacement = update.get("replacement")
        try:
            pattern = re.compile(update["pattern"], re.MULTILINE)
            if pattern.search(document) is None:
                break
            document = pattern.sub(
                _js_replacement(replacement if type(replacement) is str else ""),
                document,
                count=0 if update.get("multiple") is True else 1,
            )
        except (re.error, IndexError):
            break
        changed = True
    return document if changed else None


def _shown(document: dict[str, Any]) -> str:
    """A canvas document as answer text: prose as written, code (`code/python`) in a fenced block."""
    kind, text = document.get("type"), str(document.get("content", ""))
    if type(kind) is str and kind.startswith("code"):
        language = kind.partition("/")[2]
        return f"```{language}\n{text}\n```"
    return text


class _Canvas:
    """The canvas document as it stands, and its latest state not yet written into the answer: it is written
    after the assistant's next chat message ("I've drafted it in the canvas", "Fixed: ..."), as a reply that
    says what it did and then shows it, or before whatever comes next."""

    def __init__(self) -> None:
        self.document: dict[str, Any] = {}
        self.pending: str | None = None

    def read(self, builder: TurnBuilder, message: dict[str, Any]) -> bool:
        """A message to ChatGPT's canvas (`canmore.*`); True when the message was one (read, or counted as
        dropped)."""
        recipient = message.get("recipient")
        if type(recipient) is not str or not recipient.startswith("canmore."):
            return False
        payload = _canvas_payload(message)
        if (
            recipient == "canmore.create_textdoc"
            and payload is not None
            and type(payload.get("content")) is str
        ):
            self.document = dict(payload)
            self.pending = _shown(self.document)
        elif (
            recipient == "canmore.update_textdoc"
            and payload is not None
            and type(self.document.get("content")) is str
            and (updated := _updated(self.document["content"], payload.get("updates"))) is not None
        ):
            self.document["content"] = updated
            self.pending = _shown(self.document)
        else:
            builder.dropped["canvas"] += 1
        return True

    def flush(self, builder: TurnBuilder) -> None:
        if self.pending is not None:
            builder.text(self.pending)
            self.pending = None


def _reasoning(builder: TurnBuilder, message: dict[str, Any]) -> bool:
    """A reasoning model's message: `thoughts` become a thinking block of the answer (each thought's summary
    and text); `reasoning_recap` ("Thought for 12s") is a label. True when the message was one of them."""
    content = message.get("content")
    if type(content) is not dict or content.get("content_type") not in ("thoughts", "reasoning_recap"):
        return False
    if content["content_type"] == "reasoning_recap":
        return True
    thinking = thinking_block(content.get("thoughts"), ("summary", "content"))
    if thinking is not None:
        builder.block(thinking)
    return True


def _generated_images(message: dict[str, Any]) -> int:
    """The images an image tool's message shows (GPT-4o image generation: a `tool` message of `image_asset_pointer`
    parts on the final channel; the hidden copies on the commentary channel are not counted again)."""
    metadata = message.get("metadata")
    if type(metadata) is dict and metadata.get("is_visually_hidden_from_conversation") is True:
        return 0
    content = message.get("content")
    parts = content.get("parts") if type(content) is dict else None
    if type(parts) is not list:
        return 0
    return sum(1 for p in parts if type(p) is dict and p.get("content_type") == "image_asset_pointer")


def _is_preamble(message: dict[str, Any]) -> bool:
    """A reasoning model's preamble (GPT-5 Thinking): a line it shows on the `commentary` channel before it has
    thought (`metadata.is_thinking_preamble_message`), followed by its answer on the `final` channel."""
    metadata = message.get("metadata")
    return type(metadata) is dict and metadata.get("is_thinking_preamble_message") is True


def _reasoning_note(builder: TurnBuilder, message: dict[str, Any]) -> bool:
    """A `tool` message that is a long-running model's reasoning (GPT-5 Pro, deep research: metadata
    `initial_text` "Reasoning", `finished_text` "Reasoned for 5m 6s"): a thinking block of the answer that
    follows. True when the message was one."""
    metadata = message.get("metadata")
    if type(metadata) is not dict:
        return False
    finished = metadata.get("finished_text")
    if metadata.get("initial_text") != "Reasoning" and not (
        type(finished) is str and finished.startswith(("Reasoned for", "Thought for"))
    ):
        return False
    text = _text(message, builder.dropped)
    if text is not None and text.strip():
        builder.block({"type": "thinking", "thinking": text.strip()})
    return True


def _tool_call(builder: TurnBuilder, message: dict[str, Any]) -> bool:
    """An answer's message to a tool: code sent to `python` (the code interpreter) is a tool call of the answer;
    a note to `bio` (the memory) is left out, counted. True when the message was one of those."""
    recipient = message.get("recipient")
    if recipient == "bio":
        builder.dropped["memory update"] += 1
        return True
    content = message.get("content")
    if (
        type(recipient) is str
        and recipient.startswith("python")
        and type(content) is dict
        and content.get("content_type") == "code"
        and type(content.get("text")) is str
    ):
        builder.block(tool_use(None, "python", {"code": content["text"]}))
        return True
    return False


def _execution_output(builder: TurnBuilder, message: dict[str, Any]) -> bool:
    """The code interpreter's output (`execution_output`): the result of the answer's tool call."""
    content = message.get("content")
    if type(content) is not dict or content.get("content_type") != "execution_output":
        return False
    builder.block(tool_result(None, content.get("text") if type(content.get("text")) is str else ""))
    return True


def _convert(record: dict[str, Any], fallback: str) -> ParsedConversation:
    mapping = expect(record.get("mapping"), dict, "mapping")
    builder = TurnBuilder()
    canvas = _Canvas()
    stopped = False  # the latest answer's words were stopped before it ended
    for message in _thread(mapping, record.get("current_node")):
        author = message.get("author")
        role = author.get("role") if type(author) is dict else None
        if role == "tool" and _reasoning_note(builder, message):
            continue
        if role == "tool" and _execution_output(builder, message):
            continue
        if role == "tool" and (images := _generated_images(message)):
            # The image tool's picture is the answer's (left out, counted): kept as the call it was, so the prompt it
            # answered stays a turn of its own, and no pair reaches across an answer without words.
            builder.dropped["generated image"] += images
            builder.block(tool_use(None, "image_generation", {"images": images}))
        if role not in ("user", "assistant", "system"):
            continue
        if role == "assistant" and (_reasoning(builder, message) or canvas.read(builder, message)):
            continue
        if role == "assistant" and _tool_call(builder, message):
            continue
        text = _text(message, builder.dropped)
        if text is None or message.get("recipient") not in (None, "all"):
            continue
        if role == "assistant" and _is_preamble(message):
            builder.thinking(text)  # "Let me check that first.": shown while the model thinks, not its answer
            continue
        if role == "user":
            canvas.flush(builder)
            builder.user(text)
        elif role == "assistant":
            builder.text(_without_ui_elements(text, builder.dropped))
            canvas.flush(builder)
            stopped = _stopped(message) if text.strip() else stopped
        elif role == "system":
            builder.system(text)
    canvas.flush(builder)
    require_answer(builder, "ChatGPT conversation without an answer")
    if builder.dropped["generated image"] and not any(
        t.role == "assistant" and t.text.strip() for t in builder.turns
    ):
        raise SkipRecord("ChatGPT conversation whose answers are only generated images")
    title = record.get("title")
    metadata = {key: record[key] for key in ("create_time", "update_time") if record.get(key) is not None}
    conversation = builder.conversation(
        external_id({"id": record.get("conversation_id", record.get("id"))}, fallback),
        title=title if type(title) is str else None,
        metadata=metadata,
    )
    turns = conversation.turns
    if stopped and turns[-1].role == "assistant":
        # The last answer was stopped mid-way ("Stop generating"): left out with its prompt, as no pair may hold an
        # answer cut short as if it were complete.
        del turns[-2 if len(turns) >= 2 and turns[-2].role == "user" else -1 :]
        conversation.dropped["unfinished answer"] = conversation.dropped.get("unfinished answer", 0) + 1
        if len({turn.role for turn in turns}) < 2:
            raise SkipRecord("ChatGPT conversation whose only answer was stopped before it ended")
    return conversation


def _stopped(message: dict[str, Any]) -> bool:
    """Whether the person stopped the answer before it ended (`finish_details.type` "interrupted")."""
    metadata = message.get("metadata")
    details = metadata.get("finish_details") if type(metadata) is dict else None
    return type(details) is dict and details.get("type") == "interrupted"


def _looks(record: dict[str, Any]) -> bool:
    """A `mapping` tree that is not DeepSeek's (its messages hold `fragments`, not an `author`)."""
    return type(record.get("mapping")) is dict and not deepseek.is_export(record)


# DeepSeek's export is a `mapping` tree too: its records are left to that importer, by name hint or not.
importer = dataclasses.replace(
    RecordImporter.by_key("chatgpt", _convert, key="mapping", kind=dict, sign=b'"author"'), looks=_looks
)
