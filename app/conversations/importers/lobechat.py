"""LobeChat (lobehub/lobe-chat, later LobeHub) exports: the sessions config file and the database exports.

Three shapes, read from LobeChat's exporters and the migration and import fixtures in its repository:
- The config file of the client (Dexie) era, `LobeChat-<what>-v<version>.json`: `{exportType, state, version}`;
  `state` holds `messages`, `topics`, `sessions` and `sessionGroups` (an `agents` or `settings` export has no
  messages and is skipped). Times are milliseconds since the epoch.
- The database export v1 (`<date>_LobeChat-data.json`, `_LobeHub-data.json`): `{data: {<table>: [rows]}, mode,
  schemaHash}`, one list of rows per table (`messages`, `topics`, `sessions`, `agents`, `agentsToSessions`,
  `messagePlugins`, `messagesFiles`, `threads`, ...). Times are ISO strings.
- The data backup v2 (`<time>_LobeHub-data-v2.json`): `{appVersion, data, exportedAt, formatVersion: 2, mode,
  schemaHash, secretStrategy}`, the same tables (and more) under `data`.

A message is `{id, role, content, createdAt, sessionId, topicId?, threadId?, parentId?, ...}`. Messages are
grouped into conversations by topic (`topicId`); messages in no topic (the session's default topic) by session,
the default assistant's being the `inbox` (the literal `"inbox"` in the config file, a null `sessionId` in the
database). Each conversation is sorted by `createdAt`. LobeChat keeps a regenerated answer beside the one it
replaces, both pointing at the same prompt (`parentId`): among messages with the same `parentId` the latest is
the current branch and the others, with what follows from them, are left out (answers counted as
`regenerated_responses` in the metadata); tool messages sharing an assistant message (parallel calls) all stay.
Messages of a thread (`threadId`, a side conversation forked from a message) are left out and counted as
`thread_messages`.
- `user` messages are prompts; attached files (`files`, `imageList`, the `messagesFiles` rows) are counted as
  dropped.
- `assistant` messages are answers: `reasoning.content` a thinking block, `content` the text (LobeChat's `...`
  placeholder is no text), `tools` tool calls (`identifier/apiName`, the JSON `arguments`). An answer holding an
  `error` is a failed request: left out and counted as `failed_responses`. The `search` grounding is left out.
- `tool` messages (and `function` ones, before config version 5, which hold the call in `plugin` too) are the
  results of the calls, matched by `tool_call_id` (the `messagePlugins` row's `toolCallId` in the database);
  `pluginError` makes a result an error.
- `system` messages join the system prompt, after the agent's `systemRole` (the session's `config` in the
  config file, the `agents` row linked to the session, or to the message or topic, in the database).

The topic id is the external id (the session id, or `inbox`, for a default topic), the topic's title the title
(else the first prompt), the agent's name, the models and the first message's time (ISO, UTC) the metadata. The
whole file is read as one object, within the record limit: messages come before the topics and sessions that
name them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import IO, Any

from ._json import BadRecord, has_top_key
from ._records import Record, iter_records, sniff_head, type_name
from ._turns import TurnBuilder, prompt_title, tool_result, tool_use
from .base import ParsedConversation, ParseResult, RecordError, Skipped
from .openai import parse_arguments

_ROLES = ("user", "assistant", "system", "tool", "function")
_TOOL_ROLES = ("tool", "function")
_INBOX = "inbox"
# LobeChat's content while an answer is still loading (LOADING_FLAT).
_PLACEHOLDER = "..."
# Tables only LobeChat's database export has: a head cut inside its first table still shows some of them.
_TABLES = (b'"userInstalledPlugins"', b'"agentsToSessions"', b'"messagePlugins"', b'"sessionGroups"')

# A conversation's key: ("topic", topic id) or ("session", session id or "inbox").
_Key = tuple[str, str]


def _looks(record: dict[str, Any]) -> bool:
    if "exportType" in record and type(record.get("state")) is dict:
        return True
    data = record.get("data")
    if type(data) is not dict:
        return False
    return "schemaHash" in record or (type(data.get("messages")) is list and type(data.get("topics")) is list)


def _hint(head: bytes) -> bool:
    """A first record longer than the head: the config file's `exportType`, or the database export's `data`
    with LobeChat's table names."""
    if has_top_key(head, b'"exportType"') and b'"state"' in head:
        return True
    return has_top_key(head, b'"data"') and (
        has_top_key(head, b'"schemaHash"') or any(table in head for table in _TABLES)
    )


class LobeChatImporter:
    name = "lobechat"

    def sniff(self, head: bytes, filename: str) -> bool:
        return sniff_head(head, opener=b"{", looks=_looks, hint=_hint)

    def parse(self, stream: IO[bytes], filename: str) -> Iterator[ParseResult]:
        for record in iter_records(stream):
            if isinstance(record, RecordError):
                yield record
                continue
            for result in _export(record):
                if isinstance(result, ParsedConversation | RecordError):
                    result.line = record.line
                yield result


def _export(record: Record) -> Iterator[ParseResult]:
    value = record.value
    path = record.json_path or "$"
    if type(value) is not dict:
        yield RecordError(f"expected a LobeChat export object, got {type_name(value)}", json_path=path)
        return
    key = "state" if "state" in value else "data" if "data" in value else None
    if key is None:
        reason = "not a LobeChat export: expected `state` (a sessions export) or `data` (a database export)"
        yield RecordError(reason, json_path=path)
        return
    tables = value[key]
    base = f"{path}.{key}"
    if type(tables) is not dict:
        yield RecordError(f"{key}: expected an object of tables, got {type_name(tables)}", json_path=path)
        return
    messages = tables.get("messages")
    if messages is None or messages == []:
        yield Skipped("LobeChat export without messages")
        return
    if type(messages) is not list:
        yield RecordError(f"messages: expected a list, got {type_name(messages)}", json_path=base)
        return
    context = _Context.of(tables)
    groups: dict[_Key, list[tuple[int, dict[str, Any]]]] = {}
    for index, message in enumerate(messages):
        if type(message) is not dict:
            where = f"{base}.messages[{index}]"
            yield RecordError(f"expected a message object, got {type_name(message)}", json_path=where)
            continue
        groups.setdefault(_group(message), []).append((index, message))
    for group_key, members in groups.items():
        yield _conversation(group_key, members, context, base)


def _group(message: dict[str, Any]) -> _Key:
    topic = message.get("topicId")
    if type(topic) is str and topic:
        return ("topic", topic)
    session = message.get("sessionId")
    return ("session", session if type(session) is str and session else _INBOX)


def _text(value: Any) -> str | None:
    return value if type(value) is str and value.strip() else None


def _rows(tables: dict[str, Any], name: str) -> Iterator[dict[str, Any]]:
    rows = tables.get(name)
    for row in rows if type(rows) is list else ():
        if type(row) is dict:
            yield row


def _by_id(tables: dict[str, Any], name: str) -> dict[str, dict[str, Any]]:
    return {row["id"]: row for row in _rows(tables, name) if type(row.get("id")) is str}


@dataclass(slots=True)
class _Context:
    """What the other tables say about a conversation: topics, sessions, their agents, tool calls, files."""

    topics: dict[str, dict[str, Any]]
    sessions: dict[str, dict[str, Any]]
    agents: dict[str, dict[str, Any]]
    # Session id (or "inbox") -> agent id, from `agentsToSessions`.
    session_agents: dict[str, str]
    # Tool message id -> its `messagePlugins` row.
    plugins: dict[str, dict[str, Any]]
    # Message id -> files attached to it (`messagesFiles`).
    files: Counter[str] = field(default_factory=Counter)

    @classmethod
    def of(cls, tables: dict[str, Any]) -> _Context:
        sessions = _by_id(tables, "sessions")
        session_agents: dict[str, str] = {}
        for link in _rows(tables, "agentsToSessions"):
            session, agent = link.get("sessionId"), link.get("agentId")
            if type(session) is str and type(agent) is str:
                session_agents[session] = agent
                if sessions.get(session, {}).get("slug") == _INBOX:
                    session_agents[_INBOX] = agent
        files = Counter(
            row["messageId"] for row in _rows(tables, "messagesFiles") if type(row.get("messageId")) is str
        )
        return cls(
            topics=_by_id(tables, "topics"),
            sessions=sessions,
            agents=_by_id(tables, "agents"),
            session_agents=session_agents,
            plugins=_by_id(tables, "messagePlugins"),
            files=files,
        )

    def session_of(self, key: _Key, first: dict[str, Any]) -> str:
        """The session a conversation belongs to (a topic's own, else its first message's), or "inbox"."""
        topic = self.topics.get(key[1], {}) if key[0] == "topic" else {}
        for session in (topic.get("sessionId"), first.get("sessionId")):
            if type(session) is str and session:
                return session
        return _INBOX if key[0] == "topic" else key[1]

    def agent(self, key: _Key, first: dict[str, Any]) -> dict[str, Any]:
        """The database `agents` row behind a conversation (by the message's, topic's or session's link)."""
        topic = self.topics.get(key[1], {}) if key[0] == "topic" else {}
        for agent_id in (first.get("agentId"), topic.get("agentId")):
            if type(agent_id) is str and agent_id in self.agents:
                return self.agents[agent_id]
        agent_id = self.session_agents.get(self.session_of(key, first))
        return self.agents.get(agent_id, {}) if agent_id is not None else {}

    def system_role(self, key: _Key, first: dict[str, Any]) -> str | None:
        session = self.sessions.get(self.session_of(key, first), {})
        config = session.get("config")
        if type(config) is dict and _text(config.get("systemRole")):
            return str(config["systemRole"])
        return _text(self.agent(key, first).get("systemRole"))

    def agent_name(self, key: _Key, first: dict[str, Any]) -> str | None:
        session_id = self.session_of(key, first)
        if session_id == _INBOX:
            return None
        session = self.sessions.get(session_id, {})
        if session.get("slug") == _INBOX:
            return None
        meta = session.get("meta")
        for name in (meta.get("title") if type(meta) is dict else None, session.get("title")):
            if _text(name):
                return str(name)
        return _text(self.agent(key, first).get("title"))


def _millis(value: Any) -> float | None:
    """A time in milliseconds: a number (the config file) or an ISO string (the database); None if unreadable."""
    if type(value) is int or type(value) is float:
        return float(value)
    if type(value) is str:
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp() * 1000
        except ValueError:
            return None
    return None


def _iso(value: Any) -> str | None:
    """A message's time as metadata: an ISO string as written, milliseconds as an ISO time in UTC."""
    if type(value) is str and value:
        return value
    if type(value) is int or type(value) is float:
        try:
            moment = datetime.fromtimestamp(value / 1000, UTC)
        except (OverflowError, OSError, ValueError):
            return None
        return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return None


@dataclass(slots=True)
class _Branch:
    """The messages of a conversation on its current branch, in time order, and what was left out."""

    kept: list[tuple[int, dict[str, Any]]]
    regenerated: int = 0
    failed: int = 0
    threads: int = 0


def _failed(message: dict[str, Any]) -> bool:
    """An answer that reports a failed request (`error`) instead of answering."""
    error = message.get("error")
    return message.get("role") == "assistant" and error is not None and error != {} and error != ""


def _branch(members: list[tuple[int, dict[str, Any]]]) -> _Branch:
    """Sort by `createdAt` (an untimed message keeps the time of the one before it in the file), leave out
    thread messages and failed answers, then among messages answering the same `parentId` keep the latest and
    drop what follows from the others."""
    branch = _Branch(kept=[])
    timed: list[tuple[float, int, dict[str, Any]]] = []
    last = float("-inf")
    for index, message in members:
        when = _millis(message.get("createdAt"))
        last = when if when is not None else last
        thread = message.get("threadId")
        if type(thread) is str and thread:
            branch.threads += 1
        elif _failed(message):
            branch.failed += 1
        else:
            timed.append((last, index, message))
    timed.sort(key=lambda item: (item[0], item[1]))
    latest: dict[str, int] = {}
    for _, index, message in timed:
        parent = message.get("parentId")
        if type(parent) is str and parent and message.get("role") not in _TOOL_ROLES:
            latest[parent] = index
    left_out: set[str] = set()
    for _, index, message in timed:
        parent = message.get("parentId")
        if type(parent) is str and (
            parent in left_out or (message.get("role") not in _TOOL_ROLES and latest.get(parent) != index)
        ):
            if type(message.get("id")) is str:
                left_out.add(message["id"])
            branch.regenerated += message.get("role") == "assistant"
            continue
        branch.kept.append((index, message))
    return branch


@dataclass(slots=True)
class _Reading:
    builder: TurnBuilder = field(default_factory=TurnBuilder)
    models: list[str] = field(default_factory=list)
    title: str | None = None


def _conversation(
    key: _Key, members: list[tuple[int, dict[str, Any]]], context: _Context, base: str
) -> ParseResult:
    branch = _branch(members)
    if not branch.kept:
        return Skipped("LobeChat topic without an answer")
    first_index, first = branch.kept[0]
    reading = _Reading()
    reading.builder.system(context.system_role(key, first) or "")
    for index, message in branch.kept:
        try:
            _read(reading, message, context)
        except BadRecord as exc:
            return RecordError(str(exc), json_path=f"{base}.messages[{index}]")
    builder = reading.builder
    if len({turn.role for turn in builder.finish(complete=False)}) < 2:
        return Skipped("LobeChat topic without an answer")
    metadata: dict[str, Any] = {}
    agent = context.agent_name(key, first)
    if agent is not None:
        metadata["agent"] = agent
    created = _iso(first.get("createdAt"))
    if created is not None:
        metadata["created_at"] = created
    if reading.models:
        metadata["models"] = reading.models
    for name, count in (
        ("regenerated_responses", branch.regenerated),
        ("failed_responses", branch.failed),
        ("thread_messages", branch.threads),
    ):
        if count:
            metadata[name] = count
    topic = context.topics.get(key[1], {}) if key[0] == "topic" else {}
    conversation = builder.conversation(
        key[1], title=_text(topic.get("title")) or reading.title, metadata=metadata
    )
    conversation.json_path = f"{base}.messages[{first_index}]"
    return conversation


def _content(message: dict[str, Any]) -> str:
    content = message.get("content")
    if content is None:
        return ""
    if type(content) is not str:
        raise BadRecord(f"content: expected the text, got {type_name(content)}")
    return content


def _read(reading: _Reading, message: dict[str, Any], context: _Context) -> None:
    role = message.get("role")
    if role not in _ROLES:
        shown = f'"{role}"' if type(role) is str else type_name(role)
        raise BadRecord(f"role: expected user, assistant, system or tool, got {shown}")
    content = _content(message)
    builder = reading.builder
    if role == "user":
        builder.user(content)
        if reading.title is None and content.strip():
            reading.title = prompt_title(content)
        _count_files(builder, message, context)
    elif role == "system":
        builder.system(content)
    elif role == "assistant":
        _answer(reading, message, content)
    else:
        _tool_result(builder, message, content, context)


def _count_files(builder: TurnBuilder, message: dict[str, Any], context: _Context) -> None:
    for key, kind in (("files", "file"), ("imageList", "image")):
        attached = message.get(key)
        if type(attached) is list and attached:
            builder.dropped[kind] += len(attached)
    message_id = message.get("id")
    if type(message_id) is str and context.files[message_id] and not message.get("files"):
        builder.dropped["file"] += context.files[message_id]


def _answer(reading: _Reading, message: dict[str, Any], content: str) -> None:
    builder = reading.builder
    reasoning = message.get("reasoning")
    thinking = reasoning.get("content") if type(reasoning) is dict else reasoning
    if type(thinking) is str and thinking.strip():
        builder.block({"type": "thinking", "thinking": thinking})
    builder.text("" if content.strip() == _PLACEHOLDER else content)
    tools = message.get("tools")
    for index, call in enumerate(tools if type(tools) is list else ()):
        if type(call) is not dict:
            raise BadRecord(f"tools[{index}]: expected a tool call object, got {type_name(call)}")
        builder.block(tool_use(call.get("id"), _tool_name(call), parse_arguments(call.get("arguments"))))
    for key in ("model", "fromModel"):
        model = message.get(key)
        if type(model) is str and model and model not in reading.models:
            reading.models.append(model)


def _tool_name(call: dict[str, Any]) -> str | None:
    identifier, api = call.get("identifier"), call.get("apiName")
    names = [name for name in (identifier, api) if type(name) is str and name]
    return "/".join(names) or None


def _tool_result(builder: TurnBuilder, message: dict[str, Any], content: str, context: _Context) -> None:
    message_id = message.get("id")
    row = context.plugins.get(message_id, {}) if type(message_id) is str else {}
    plugin = message.get("plugin")
    plugin = plugin if type(plugin) is dict else {}
    call_id = message.get("tool_call_id") or row.get("toolCallId")
    if message.get("role") == "function":
        # Before config version 5 the call and its result were one `function` message.
        call = {**row, **plugin}
        builder.block(tool_use(call_id, _tool_name(call), parse_arguments(call.get("arguments"))))
    failed = any(value not in (None, {}, "") for value in (message.get("pluginError"), row.get("error")))
    builder.block(tool_result(call_id, content, failed))


importer = LobeChatImporter()
