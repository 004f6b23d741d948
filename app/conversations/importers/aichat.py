"""aichat (sigoden/aichat, a CLI) sessions: `<config dir>/sessions/<name>.yaml` (`~/.config/aichat` on Linux; an
agent's under `agents/<agent>/sessions/`, auto-saved ones under `sessions/_/`), one conversation per file.

The shape comes from aichat's source (`src/config/session.rs` and `src/client/message.rs`, current and older
versions): the session serialized with serde_yaml, keys in order and the empty ones left out: `model`
(`openai:gpt-4o-mini`), `temperature`, `top_p`, `use_tools`, `save_session`, `compress_threshold`,
`role_name`, `agent_variables`, `agent_instructions`, `compressed_messages`, `messages`, `data_urls`. A message
is `{role: system | user | assistant | tool, content}`, where `content` is text, a list of parts (`{type: text,
text}`, `{type: image_url, image_url: {url}}`, as OpenAI's), or an assistant's tool round
(`{tool_results: [{call: {name, arguments, id}, output}], text, thought?, sequence}`).

- The turns are `compressed_messages` then `messages`: when a session grows past its threshold aichat moves
  its messages to `compressed_messages` and starts `messages` with a system message holding a summary of
  them, so the conversation as it was typed is both lists in order, and a system message after the first
  turn (that summary) is left out (counted as dropped, `summary`; the metadata say `compressed`).
- A system message before the first turn is the system prompt (a role's or agent's instructions); a tool
  round is the answer's tool calls and their results, its `text` and `thought` the answer's text and
  thinking; images are counted as dropped.
- The file's path is the external id (aichat names a session by its file); its name (without `.yaml`) the
  title unless it is an auto-saved timestamp, then the first prompt; `model`, `role_name` and the agent's
  name (from an `agents/<name>/sessions/` path) the metadata.

Any other YAML file of `messages: [{role, content}]` reads the same. Scalars are read as text whatever they
look like (`yes` stays "yes", `2024-01-01` a string), as aichat wrote them; anchors and aliases, which aichat
never writes, are refused (an alias can make a small file expand without bound), and a YAML syntax error is
named by its line.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from typing import IO, Any

import orjson

from ._json import BOM, BadRecord
from ._records import expect, read_text, type_name
from ._turns import TurnBuilder, flatten, prompt_title, thinking_block, tool_result, tool_use
from .base import FileFormatError, ParseResult, RecordError
from .openai import parse_arguments

_MESSAGES_KEY = re.compile(rb"(?m)^(?:compressed_)?messages:[ \t]*\r?$")
_ROLE_ITEM = re.compile(rb"(?m)^[ \t]*-[ \t]+role:[ \t]*['\"]?(?:system|user|assistant|tool)\b")
# An auto-saved session is named by when it was saved: `20250502T143601` or `20250502T143601-some-name`.
_AUTOSAVED = re.compile(r"\d{8}T\d{6}(?:-.*)?")
_AGENT = re.compile(r"(?:^|/)agents/([^/]+)/sessions/")


@cache
def _loader() -> type:
    """A YAML loader that reads every scalar as text (no implicit booleans, dates or numbers) and refuses
    aliases. Built at the first session read: PyYAML takes 15 ms to import, which every command and import
    worker would pay."""
    import yaml
    from yaml.composer import ComposerError
    from yaml.events import AliasEvent

    class Loader(yaml.BaseLoader):
        def compose_node(self, parent: Any, index: Any) -> Any:
            if self.check_event(AliasEvent):
                event = self.peek_event()
                raise ComposerError(None, None, "aliases (*name) are not read", event.start_mark)
            return super().compose_node(parent, index)

    return Loader


class AichatImporter:
    name = "aichat"

    def sniff(self, head: bytes, filename: str) -> bool:
        stripped = head.removeprefix(BOM).lstrip()
        if not stripped or stripped[:1] in b"{[<#":
            return False
        return _MESSAGES_KEY.search(head) is not None and _ROLE_ITEM.search(head) is not None

    def parse(self, stream: IO[bytes], filename: str) -> Iterator[ParseResult]:
        import yaml

        text = read_text(stream)
        try:
            session = yaml.load(text, Loader=_loader())  # noqa: S506 - BaseLoader builds only text, lists, maps
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            reason = f"not valid YAML: {exc.problem or exc.context}"
            yield RecordError(reason, line=mark.line + 1 if mark is not None else None)
            return
        except yaml.YAMLError as exc:
            raise FileFormatError(f"not valid YAML: {exc}") from None
        if type(session) is not dict:
            raise FileFormatError(f"expected a YAML mapping with `messages`, got {type_name(session)}")
        try:
            yield _convert(session, filename)
        except BadRecord as exc:
            yield RecordError(str(exc), line=1)


def _convert(session: dict[str, Any], filename: str) -> ParseResult:
    builder = TurnBuilder()
    compressed = session.get("compressed_messages")
    messages = [
        *(expect(compressed, list, "compressed_messages") if compressed is not None else []),
        *expect(session.get("messages"), list, "messages"),
    ]
    offset = len(messages) - len(session["messages"])
    started = False
    for i, message in enumerate(messages):
        where = f"compressed_messages[{i}]" if i < offset else f"messages[{i - offset}]"
        role = expect(message, dict, where).get("role")
        if role == "system" and started:
            builder.dropped["summary"] += 1  # a compressed session's summary of the turns before it
            continue
        _add(builder, message, where)
        started = True if role != "system" else started
    path = filename.replace("\\", "/")
    stem = path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    metadata = {key: session[key] for key in ("model", "role_name") if type(session.get(key)) is str}
    agent = _AGENT.search(path)
    if agent:
        metadata["agent"] = agent[1]
    if compressed:
        metadata["compressed"] = True
    conversation = builder.conversation(path, metadata=metadata)
    autosaved = _AUTOSAVED.fullmatch(stem) is not None
    conversation.title = prompt_title(conversation.turns[0].text) if autosaved or not stem else stem
    return conversation


def _add(builder: TurnBuilder, message: dict[str, Any], where: str) -> None:
    role, content = message.get("role"), message.get("content")
    if role == "system":
        builder.system(_text(content, builder, f"{where}.content"))
    elif role == "user":
        builder.user(_text(content, builder, f"{where}.content"))
    elif role == "assistant":
        if type(content) is dict:
            _tool_round(builder, content, f"{where}.content")
        else:
            builder.text(_text(content, builder, f"{where}.content"))
    elif role == "tool":
        builder.block(tool_result(message.get("tool_call_id"), _text(content, builder, f"{where}.content")))
    else:
        raise BadRecord(f'{where}.role: expected "system", "user", "assistant" or "tool", got {role!r}')


def _text(content: Any, builder: TurnBuilder, where: str) -> str:
    if content is None or type(content) is str:
        return content or ""
    if type(content) is list:
        return flatten(content, builder.dropped)
    raise BadRecord(f"{where}: expected text or a list of parts, got {type_name(content)}")


def _tool_round(builder: TurnBuilder, content: dict[str, Any], where: str) -> None:
    thought = content.get("thought")
    if type(thought) is str:
        block = thinking_block([{"text": thought}], ("text",))
        if block is not None:
            builder.block(block)
    for j, result in enumerate(expect(content.get("tool_results"), list, f"{where}.tool_results")):
        field = f"{where}.tool_results[{j}]"
        call = expect(expect(result, dict, field).get("call"), dict, f"{field}.call")
        name = expect(call.get("name"), str, f"{field}.call.name")
        builder.block(tool_use(call.get("id"), name, parse_arguments(call.get("arguments"))))
        builder.block(tool_result(call.get("id"), _output(result.get("output"))))
    text = content.get("text")
    if type(text) is str:
        builder.text(text)


def _output(value: Any) -> str:
    """A tool's output as text (aichat keeps the JSON value the tool printed)."""
    if value is None or type(value) is str:
        return value or ""
    return orjson.dumps(value).decode()


importer = AichatImporter()
