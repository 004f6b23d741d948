"""JetBrains AI Assistant's chat dumps: the text file "Dump chat" (the chat pane's menu) writes, often committed as `.md`.

No source of the writer is public; the shape was read from real dumps in public repositories (2024 to 2026):

    Chat 'ChatTitle(text=<title>, isCustom=true)' (<chat uuid>)
    Context:
    <the system prompt, one line per rule: the model, the IDE, "You MUST use Markdown ...">
    Messages: 4
    ==================================================

    User: ␠
    <the question>
    Attachments:
    Attachment Name: Information about open file in the editor
    Attachments Kind: Visible
    Attachments Source: CurrentFileRetriever / CurrentFileChatAttachment
    Attachments Text:
    ```ruby
    <the file>
    ```

    Assistant: ␠
    <the answer>

Since 2025 every message opens with `==== Message #N ====` (`==== RestoredMessage #N ====` in a chat reopened from
history) and ends with `kotlin.Unit`, an artefact of the writer. The attachments after a question (the open file,
the selection, files it referenced) are context blocks of the user turn; a message whose text is only `kotlin.Unit`
(answers a dump lost) is left out and counted as a dropped part. The chat's uuid is the external id, its title the title, the context the system
prompt, the model and IDE it names the metadata.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import IO, Any

from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException

from ._json import BOM
from ._records import read_text
from ._turns import TurnBuilder, prompt_title
from .base import FileFormatError, ParseResult, Skipped

# `Chat 'ChatTitle(text=..., isCustom=...)' (<id>)`, or `Chat '<title>' (<id>)`, then `Context:`.
_HEADER = re.compile(
    r"\AChat '(?:ChatTitle\(text=(?P<title>.*), isCustom=\w+\)|(?P<plain>.*))' \((?P<id>[^()\s]+)\)[ \t]*\r?\n"
    r"Context:[ \t]*\r?\n"
)
_HEADER_BYTES = re.compile(_HEADER.pattern.encode())
_MESSAGES = re.compile(r"^Messages: \d+[ \t]*\n=+[ \t]*$", re.MULTILINE)
_NUMBERED = re.compile(r"^==== (?:Restored)?Message #\d+ ====[ \t]*$", re.MULTILINE)
_SPEAKER = re.compile(r"^(User|Assistant):[ \t]*$", re.MULTILINE)
_ARTEFACT = "kotlin.Unit"
_ATTACHMENTS = re.compile(r"^Attachments:[ \t]*\nAttachment Name:", re.MULTILINE)
_ATTACHMENT = re.compile(r"^Attachment Name:[ \t]*(.*)$", re.MULTILINE)
_ATTACHMENT_TEXT = re.compile(r"^Attachments Text:[ \t]*\n", re.MULTILINE)
_FENCED = re.compile(r"\A\s*(`{3,})[^\n]*\n(.*?)\n?\1\s*\Z", re.DOTALL)
_MODEL = re.compile(r"^You are working powered by (\S+) model", re.MULTILINE)
_IDE = re.compile(r"^You are using (.+?) on .+$", re.MULTILINE)
_NO_TALK = "JetBrains AI Assistant chat without a question and an answer"
# The IDE's own store of the chats, in each project's workspace file.
_COMPONENT_NAME = "ChatSessionStateTemp"
_COMPONENT = f'<component name="{_COMPONENT_NAME}"'.encode()
# The file an answer's snippet edits, a line the chat pane hides (`<llm-snippet-file>x.py</llm-snippet-file>`).
_SNIPPET_FILE = re.compile(r"^[ \t]*<llm-snippet-file>[^<\n]*</llm-snippet-file>[ \t]*\n?", re.MULTILINE)


def is_dump(head: bytes) -> bool:
    """Whether a file's head is a chat dump (the Markdown reader leaves these to this one)."""
    return _HEADER_BYTES.match(head.removeprefix(BOM)) is not None


class JetBrainsAiImporter:
    name = "jetbrains-ai"

    def sniff(self, head: bytes, filename: str) -> bool:
        return is_dump(head) or (head.lstrip().startswith(b"<") and _COMPONENT in head)

    def parse(self, stream: IO[bytes], filename: str) -> Iterator[ParseResult]:
        text = read_text(stream)
        if not _HEADER.match(text) and _COMPONENT.decode() in text:
            yield from _saved_chats(text)
            return
        yield from _dump(text.replace("\r\n", "\n"))


def _dump(text: str) -> Iterator[ParseResult]:
    """A "Dump chat" file: the header, the context, then the messages."""
    header = _HEADER.match(text)
    if header is None:
        raise FileFormatError(
            "line 1: expected JetBrains AI Assistant's chat header: Chat 'ChatTitle(text=..., isCustom=...)' (<id>) "
            "and then Context:"
        )
    rule = _MESSAGES.search(text, header.end())
    if rule is None:
        raise FileFormatError(
            f"line {text.count(chr(10), 0, header.end()) + 1}: expected the end of the context: "
            "a line 'Messages: N' and a line of '='"
        )
    context = text[header.end() : rule.start()].strip()
    builder = TurnBuilder()
    if context and context != "null":
        builder.system(context)
    for role, body in _messages(text[rule.end() :]):
        if not body:
            builder.dropped["empty message"] += 1  # `kotlin.Unit` alone: an answer the dump lost
        elif role == "User":
            question, attachments = _split_attachments(body)
            builder.user(question, attachments)
        else:
            builder.text(body)
    if len({turn.role for turn in builder.finish(complete=False)}) < 2:
        yield Skipped(_NO_TALK)
        return
    metadata: dict[str, Any] = {}
    if model := _MODEL.search(context):
        metadata["model"] = model.group(1)
    if ide := _IDE.search(context):
        metadata["ide"] = ide.group(1)
    title = header.group("title") if header.group("title") is not None else header.group("plain")
    yield builder.conversation(header.group("id"), title=title.strip() or None, metadata=metadata)


def _saved_chats(text: str) -> Iterator[ParseResult]:
    """The chats the IDE keeps in a project's workspace file (`<config>/<IDE><version>/workspace/<id>.xml`): the
    `ChatSessionStateTemp` component's `SerializedChat` beans, each message's text in an attribute."""
    try:
        root = ElementTree.fromstring(text)
    except ElementTree.ParseError as exc:
        line, column = exc.position
        raise FileFormatError(f"line {line}: not valid XML (column {column + 1})") from None
    except DefusedXmlException as exc:  # entity declarations, external references: never in a workspace file
        raise FileFormatError(f"XML refused: {exc}") from None
    component = root.find(f"component[@name='{_COMPONENT_NAME}']")
    chats = component.findall("option[@name='chats']/list/SerializedChat") if component is not None else []
    if component is None:
        raise FileFormatError(f"expected the {_COMPONENT_NAME} component of a JetBrains workspace file")
    for number, chat in enumerate(chats):
        options = {option.get("name"): option for option in chat.findall("option")}
        builder = TurnBuilder()
        messages = options.get("messages")
        for message in messages.findall("list/SerializedChatMessage") if messages is not None else []:
            fields = {option.get("name"): option.get("value") for option in message.findall("option")}
            content = (
                fields.get("displayContent") or fields.get("content") or fields.get("internalContent") or ""
            )
            content = _SNIPPET_FILE.sub("", content).strip()
            if (fields.get("author") or "").lower() in ("assistant", "ai"):
                builder.text(content)
            else:
                builder.user(content)
        if len({turn.role for turn in builder.finish(complete=False)}) < 2:
            yield Skipped(_NO_TALK)
            continue
        title = chat.find("option[@name='title']/SerializedChatTitle/option[@name='text']")
        uid = options.get("uid")
        model = options.get("chatModelId")
        metadata = {"model": model.get("value")} if model is not None and model.get("value") else {}
        identifier = uid.get("value") if uid is not None else None
        first = next(turn.text for turn in builder.turns if turn.role == "user")
        yield builder.conversation(
            identifier or f"chat {number + 1}",
            title=title.get("value") if title is not None and title.get("value") else prompt_title(first),
            metadata=metadata,
        )


def _messages(body: str) -> Iterator[tuple[str, str]]:
    """(speaker, text) of each message: split at the `==== Message #N ====` lines where the dump has them (a
    `User:` line inside an answer then stays text), else at the speaker lines; the writer's `kotlin.Unit` taken off."""
    if _NUMBERED.search(body):
        sections = _NUMBERED.split(body)[1:]
        pieces = [(_SPEAKER.match(section.lstrip("\n")), section.lstrip("\n")) for section in sections]
        found = [(m.group(1), section[m.end() :]) for m, section in pieces if m is not None]
    else:
        parts = _SPEAKER.split(body)
        found = list(zip(parts[1::2], parts[2::2], strict=True))
    for role, text in found:
        text = text.strip()
        if text.endswith(_ARTEFACT):
            text = text[: -len(_ARTEFACT)].rstrip()
        yield role, text


def _split_attachments(body: str) -> tuple[str, list[dict[str, Any]]]:
    """The typed question and its attachments (`Attachments:` then `Attachment Name:` ... `Attachments Text:` and
    the file, fenced) as context blocks."""
    opening = _ATTACHMENTS.search(body)
    if opening is None:
        return body, []
    blocks: list[dict[str, Any]] = []
    names = list(_ATTACHMENT.finditer(body, opening.start()))
    for number, name in enumerate(names):
        end = names[number + 1].start() if number + 1 < len(names) else len(body)
        content = _ATTACHMENT_TEXT.search(body, name.end(), end)
        text = body[content.end() : end].strip() if content is not None else ""
        fenced = _FENCED.match(text)
        blocks.append(
            {
                "type": "context",
                "tag": "attachment",
                "text": fenced.group(2) if fenced is not None else text,
                "name": name.group(1).strip(),
            }
        )
    return body[: opening.start()].strip(), blocks


importer = JetBrainsAiImporter()
