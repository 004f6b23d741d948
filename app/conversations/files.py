"""Input files for an import: plain files, folders (recursive), .gz and .zip, read safely as streams."""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import posixpath
import re
import stat
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, TYPE_CHECKING, Protocol

from app.errors import ImportInputError

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

# Files inside folders and archives that are never transcripts.
_SKIPPED_NAMES = frozenset({".DS_Store", "Thumbs.db", "LICENSE", "NOTICE.md", "README.md"})
_SKIPPED_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".gif", ".webp", ".pdf", ".mp3", ".wav"})
# Source code and its companions, found when a project's folder holding saved chats is imported whole.
_SOURCE_SUFFIXES = frozenset(
    {
        ".py",
        ".pyc",
        ".js",
        ".mjs",
        ".cjs",
        ".ts",
        ".tsx",
        ".jsx",
        ".go",
        ".rs",
        ".java",
        ".kt",
        ".swift",
        ".c",
        ".h",
    }
    | {
        ".cc",
        ".cpp",
        ".hpp",
        ".cs",
        ".rb",
        ".php",
        ".css",
        ".scss",
        ".vue",
        ".svelte",
        ".sh",
        ".ps1",
        ".lock",
    }
)
# ChatGPT's export holds its conversations twice: conversations.json, and chat.html showing the same ones.
CHAT_VIEW = "chat.html"
CHAT_VIEW_REASON = (
    "ChatGPT export page (chat.html) of the conversations.json beside it, which is read instead"
)
# Antigravity writes a conversation's steps twice: `transcript.jsonl`, cut at checkpoints, and beside it
# `transcript_full.jsonl`, all of them.
_CUT_TRANSCRIPT, _FULL_TRANSCRIPT = "transcript.jsonl", "transcript_full.jsonl"
_CUT_TRANSCRIPT_REASON = (
    "Antigravity transcript cut at checkpoints (transcript_full.jsonl beside it is read instead)"
)


# Dotfiles and dot-folders that hold conversation logs, read although other hidden paths are skipped.
# aider's input history holds no answers: listed so that it is counted as skipped with its reason. The coding
# agents' own folders (a home folder's, or one committed in a repository: `.continue/sessions/` seen in a real one)
# are walked too; their settings and caches are skipped by name with their reason (not_conversation_reason).
_LOG_DOTFILES = frozenset({".aider.chat.history.md", ".aider.llm.history", ".aider.input.history"})
_LOG_FOLDERS = frozenset(
    {
        ".specstory",
        ".crush",
        ".idea",
        ".claude",
        ".codex",
        ".gemini",
        ".qwen",
        ".copilot",
        ".continue",
        ".cursor",
    }
    # Antigravity's transcripts: `brain/<conversation id>/.system_generated/logs/transcript.jsonl`.
    | {".system_generated"}
)
# OpenCode's storage folders beside its sessions, messages and parts (`storage/<folder>/<session id>.json`).
_OPENCODE_OTHER = frozenset({"session_diff", "todo", "share", "session_share"})
# The files SQLite keeps beside a database (`chats.db-wal`): read with the database, not on their own.
_SQLITE_SIDECAR = re.compile(r"\.(?:db|sqlite3?|store|vscdb)-(?:wal|shm|journal)$", re.IGNORECASE)

# Files that real exports and tool folders put next to conversations, known not to be any: skipped and
# counted by reason instead of failing detection on every import.
_EXPORT_SIDECARS = {
    # ChatGPT data export
    "user.json": "ChatGPT/Claude.ai export account data",
    "users.json": "ChatGPT/Claude.ai export account data",
    "message_feedback.json": "ChatGPT export feedback, not conversations",
    "model_comparisons.json": "ChatGPT export model comparisons, not conversations",
    "shared_conversations.json": "ChatGPT export share links, not conversations",
    # Claude.ai data export
    "projects.json": "Claude.ai export projects, not conversations",
    "memories.json": "Claude.ai export memories, not conversations",
    # LLaMA-Factory: the registry describing the data files
    "dataset_info.json": "LLaMA-Factory dataset registry (dataset_info.json)",
    # HuggingChat (chat-ui) data export
    "assistants.json": "HuggingChat export assistants, not conversations",
}
# A file of a conversation in chat-ui's export.zip: `file-<conversation id>-<8 chars of its hash>[.<ext>]`.
_HUGGINGCHAT_FILE = re.compile(r"file-[0-9a-f]{24}-[0-9A-Za-z]{8}(?:\.[A-Za-z0-9]+)?")


# Where Codex CLI keeps its session logs inside ~/.codex.
_CODEX_SESSION_FOLDERS = frozenset({"sessions", "archived_sessions"})
# The folder beside a Le Chat export's `chat-<uuid>.json` that holds the chat's attachments.
_LE_CHAT_FILES = re.compile(r"chat-[0-9a-fA-F-]{8,}-files")

# Cline's and Roo Code's globalStorage folders: only `tasks/<id>/api_conversation_history.json` is a conversation.
_CLINE_FOLDERS = frozenset(
    {
        "saoudrizwan.claude-dev",
        "saoudrizwan.cline-nightly",
        "rooveterinaryinc.roo-cline",
        "kilocode.kilo-code",
    }
)
_CLINE_TASK_FILES = frozenset(
    {
        "ui_messages.json",
        "claude_messages.json",
        "task_metadata.json",
        "context_history.json",
        "settings.json",
        "history_item.json",
        "_index.json",
    }
)


def _cline_reason(parts: list[str], base: str) -> str | None:
    """Why a file of a Cline/Roo Code task folder (`tasks/<id>/`) or of the extension's folder is skipped."""
    in_extension = any(part.lower() in _CLINE_FOLDERS for part in parts[:-1])
    if base in _CLINE_TASK_FILES and (in_extension or (len(parts) >= 3 and parts[-3] == "tasks")):
        return "Cline/Roo Code task UI log, metadata or settings, not the conversation"
    if in_extension and base != "api_conversation_history.json":
        # The task index (state/taskHistory.json), MCP settings, checkpoints, a downloaded browser, ...
        return "Cline/Roo Code task index, settings or cache, not conversations"
    return None


def not_conversation_reason(name: str, size: int) -> str | None:
    """Why a file is known not to hold conversations (counted as skipped), or None."""
    # The path's components as PurePosixPath would list them (no empty or "." ones), without building one.
    parts = [part for part in name.replace("\\", "/").replace("!", "/").split("/") if part and part != "."]
    base = parts[-1] if parts else name
    if size == 0:
        return "empty file"
    if base.endswith(".meta.json") and "subagents" in parts[:-1]:
        return "Claude Code subagent metadata"
    if len(parts) > 1 and parts[-2] == "cache" and base.endswith(".json"):
        return "claude-code-log cache"
    if base.endswith(".dat"):
        return "binary export asset (.dat)"
    if len(parts) >= 3 and (
        (
            parts[-3] in ("message", "part")
            and parts[-2].startswith(("ses_", "msg_"))
            and base.startswith(("msg_", "prt_"))
        )
        or (parts[-2] == "project" and parts[-3] == "storage")
    ):
        # OpenCode's JSON storage: a session file reads its messages and parts from the folders beside it.
        return "OpenCode storage message, part or project file (read with its session)"
    if len(parts) >= 3 and parts[-3] == "storage" and parts[-2] in _OPENCODE_OTHER:
        return "OpenCode storage diffs, todos or shares, not conversations"
    if _SQLITE_SIDECAR.search(base):
        return "SQLite write-ahead log, shared memory or journal (read with its database)"
    if ".crush" in parts[:-1] and base != "crush.db":
        return "Crush settings or logs, not sessions"
    if ".idea" in parts[:-1] and base != "AugmentWebviewStateStore.xml":
        # A JetBrains project's settings; Augment Code keeps its chats beside them.
        return "JetBrains project settings, not conversations"
    if base.lstrip(".") == "aider.input.history":  # an upload's name loses its leading dot
        # What was typed at aider's prompt, without a single answer: the chat is in .aider.chat.history.md
        # and .aider.llm.history beside it.
        return "aider input history (the prompts typed, no answers)"
    if ".claude" in parts[:-1] and "projects" not in parts[parts.index(".claude") + 1 : -1]:
        # ~/.claude (and a project's .claude/) hold settings, the prompt history, todos, custom commands and
        # agents, shell snapshots, file history and caches beside the sessions under `projects/`.
        return "Claude Code settings, prompt history, commands or caches, not sessions"
    if ".cursor" in parts[:-1] and "agent-transcripts" not in parts[parts.index(".cursor") + 1 : -1]:
        # ~/.cursor: settings, rules, MCP servers, extensions and caches beside the agent transcripts
        # (`projects/<project>/agent-transcripts/`).
        return "Cursor settings, rules or caches, not agent transcripts"
    if ".qwen" in parts[:-1] and "chats" not in parts[parts.index(".qwen") + 1 : -1]:
        # ~/.qwen: settings, credentials, logs and QWEN.md beside the sessions (`projects/<project>/chats/`).
        return "Qwen Code settings, credentials or logs, not sessions"
    if ".copilot" in parts[:-1] and (
        "session-state" not in parts[parts.index(".copilot") + 1 : -1] or not base.endswith(".jsonl")
    ):
        # ~/.copilot: config, MCP settings, logs and command history beside `session-state/`, whose session
        # folders hold a workspace file beside their events.
        return "GitHub Copilot CLI settings, logs or history, not sessions"
    if ".codex" in parts[:-1] and not _CODEX_SESSION_FOLDERS.intersection(
        parts[parts.index(".codex") + 1 : -1]
    ):
        # ~/.codex holds the CLI's settings, credentials, logs and prompt history beside its sessions.
        return "Codex CLI settings, logs or prompt history, not sessions"
    if (
        ".gemini" in parts[:-1]
        and "chats" not in parts[parts.index(".gemini") + 1 : -1]
        and not (base.startswith("checkpoint-") and base.endswith(".json"))
    ):
        # ~/.gemini: settings, credentials, prompt logs and tool restore points beside the chat recordings
        # (`tmp/<project>/chats/`) and the `/chat save` checkpoints (`tmp/<project>/checkpoint-<tag>.json`).
        return "Gemini CLI settings, credentials or logs, not conversations"
    cline = _cline_reason(parts, base)
    if cline is not None:
        return cline
    if "aichat" in parts[:-1] and "sessions" not in parts[parts.index("aichat") + 1 : -1]:
        # aichat's config folder: config.yaml, roles, RAG data, macros, the message log beside the sessions.
        return "aichat settings, roles, RAG data or message log, not sessions"
    if ".continue" in parts[:-1] and "sessions" not in parts[parts.index(".continue") + 1 : -1]:
        # ~/.continue: config, indexes, dev data and logs beside the chat sessions.
        return "Continue settings, indexes or logs, not sessions"
    if base == "workspace.json" and len(parts) > 2 and parts[-3] == "workspaceStorage":
        # VS Code (and its forks) keep the workspace's folder beside its chat sessions (`chatSessions/`).
        return "VS Code workspace pointer (workspace.json), not conversations"
    if base == "sessions.json" and len(parts) > 1 and parts[-2] == "sessions":
        return "Continue session index (sessions.json)"
    if "Data" in parts[1:-1] and parts[parts.index("Data", 1) - 1].startswith("cherry-studio."):
        # A Cherry Studio backup (`cherry-studio.<time>.zip`, or its folder unzipped): the chats are in
        # data.json; Data/ holds the attached files, knowledge bases and notes.
        return "Cherry Studio backup files and knowledge bases (Data/), not conversations"
    if "prod-mc-asset-server" in parts[:-1]:
        return "Grok export attachment"
    if any(_LE_CHAT_FILES.fullmatch(part) for part in parts[:-1]):
        return "Le Chat export attachment"
    if base == "thread.json" and len(parts) >= 3 and parts[-3] == "threads":
        # Jan: a thread's title, assistant and model beside its messages.jsonl.
        return "Jan thread metadata (thread.json), not the messages"
    if base == "chat_state.json" and "logs" in parts[:-1]:
        # text-generation-webui: which chat was open last, per character.
        return "text-generation-webui last-opened chats (chat_state.json), not a conversation"
    if len(parts) > 1 and parts[-2] == "backups" and base.startswith("chat_") and base.endswith(".jsonl"):
        # SillyTavern copies a chat into `backups/` as it was at each save: earlier states of the same chat.
        return "SillyTavern chat backup (an earlier copy of a chat)"
    if _HUGGINGCHAT_FILE.fullmatch(base):
        return "HuggingChat export attachment"
    if len(parts) > 1 and parts[-2] == "Gemini Apps" and base not in ("My Activity.json", "MyActivity.json"):
        # Google Takeout: the files attached to Gemini prompts sit beside the activity file.
        return "Google Takeout Gemini attachment"
    suffix = os.path.splitext(base)[1].lower()
    if suffix in _SOURCE_SUFFIXES:
        # A repository's code beside the chats it saved (`chat_history.json` next to `app.py`).
        return f"source code ({suffix}), not a transcript"
    return _EXPORT_SIDECARS.get(base)


@dataclass(frozen=True, slots=True)
class Limits:
    """Guards against archive bombs: per-entry expansion ratio and total expanded bytes."""

    max_ratio: int = 200
    max_total_bytes: int = 4 * 1024**3


class ByteSource(Protocol):
    """What an input is read from: an open file, a `GzipFile`, a zip member."""

    def read(self, size: int = -1, /) -> bytes: ...

    def close(self) -> None: ...


# Where an input file's bytes come from, in a form another process can open again: ("file", path, 0),
# ("gzip", path, 0) or ("zip", archive path, index of the entry in the archive's listing).
Origin = tuple[str, str, int]


@dataclass(slots=True)
class InputFile:
    name: str
    size: int
    opener: Callable[[], ByteSource]
    # Most bytes the opened stream may yield (archives and .gz); None for plain files.
    limit: int | None = None
    origin: Origin | None = None

    def open(self) -> HashedStream:
        return HashedStream(self.opener(), limit=self.limit, name=self.name, size=self.size)


@dataclass(slots=True)
class NotConversation:
    """A file known not to be a conversation (empty, tool metadata, export sidecar): skipped, counted."""

    name: str
    reason: str
    size: int = 0  # bytes, as the folder or archive lists it (the file is not read)


@dataclass(slots=True)
class SkippedInput:
    """A path that cannot be imported at all (unsafe archive entry, unreadable file)."""

    name: str
    reason: str


class _Hashing(io.RawIOBase):
    """A raw stream that hashes what passes through and refuses to yield more than `limit` bytes."""

    def __init__(self, inner: ByteSource, *, limit: int | None, name: str) -> None:
        self._inner = inner
        # Files, gzip and zip entries read straight into the buffer; other sources are copied in.
        self._readinto: Callable[[memoryview], int | None] | None = getattr(inner, "readinto", None)
        self._limit = limit
        self._name = name
        self.sha256 = hashlib.sha256()
        self.bytes_read = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer, /) -> int:
        view = memoryview(buffer)
        if self._readinto is not None:
            n = self._readinto(view) or 0
        else:
            data = self._inner.read(len(view))
            n = len(data)
            view[:n] = data
        self.bytes_read += n
        if self._limit is not None and self.bytes_read > self._limit:
            raise ImportInputError(
                f"{self._name}: expands beyond {self._limit // (1024 * 1024)} MB; refusing a likely archive bomb"
            )
        self.sha256.update(view[:n])
        return n

    def close(self) -> None:
        self._inner.close()
        super().close()


class HashedStream:
    """A buffered stream over a file plus the SHA-256 of every byte read (drain() finishes the hash)."""

    def __init__(
        self, inner: ByteSource, *, limit: int | None = None, name: str = "", size: int = 1 << 20
    ) -> None:
        self.raw = _Hashing(inner, limit=limit, name=name)
        # A 1 MB buffer for large files; a small file gets one that holds it (and a 64 KB head), no more.
        self.stream_chunk = min(1 << 20, max(1 << 16, size + 1))
        self.stream = io.BufferedReader(self.raw, buffer_size=self.stream_chunk)

    def head(self, size: int = 65536) -> bytes:
        return self.stream.peek(size)[:size]

    def drain(self) -> str:
        # Chunks of the buffer's size: a 1 MB read allocates 1 MB even at the end of a 10 KB file.
        while self.stream.read(self.stream_chunk):
            pass
        return self.raw.sha256.hexdigest()

    @property
    def bytes_read(self) -> int:
        return self.raw.bytes_read

    def close(self) -> None:
        self.stream.close()


def unsafe_member_reason(name: str) -> str | None:
    """Say why an archive member name is unsafe to consider (traversal, absolute, NUL), or None."""
    if "\x00" in name:
        return "entry name contains a NUL byte"
    normalized = name.replace("\\", "/")
    if normalized.startswith("/") or (len(normalized) > 1 and normalized[1] == ":"):
        return "entry has an absolute path"
    if ".." in PurePosixPath(normalized).parts:
        return "entry path leaves the archive (`..`)"
    return None


Input = InputFile | SkippedInput | NotConversation


def _iter_zip(path: str, display: str, limits: Limits) -> Iterator[Input]:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        yield SkippedInput(display, f"not a readable zip archive: {exc}")
        return
    total = 0
    exports = {
        posixpath.dirname(name)
        for name in archive.namelist()
        if posixpath.basename(name) == "conversations.json"
    }
    # Not closed here: entries may be opened after this listing ends; the last opener releases it.
    for index, info in enumerate(archive.infolist()):
        if info.is_dir():
            continue
        member = f"{display}!{info.filename}"
        reason = unsafe_member_reason(info.orig_filename)
        mode = info.external_attr >> 16
        if reason is None and stat.S_ISLNK(mode):
            reason = "entry is a symbolic link"
        if reason is None and info.file_size > limits.max_ratio * max(info.compress_size, 1):
            reason = (
                f"entry expands {info.file_size // max(info.compress_size, 1)}x "
                f"(limit {limits.max_ratio}x); refusing a likely zip bomb"
            )
        if reason is None and total + info.file_size > limits.max_total_bytes:
            reason = f"archive expands beyond {limits.max_total_bytes // 1024**2} MB in total"
        if reason is not None:
            yield SkippedInput(member, reason)
            continue
        parts = PurePosixPath(info.filename).parts
        if _skipped(parts[-1]) or any(_hidden_folder(p) or p == "__MACOSX" for p in parts[:-1]):
            continue
        total += info.file_size
        # Inside the archive the rules see the member's name; a backup's own folders are known by the archive's.
        noise = not_conversation_reason(f"{os.path.basename(path)}/{info.filename}", info.file_size)
        if parts[-1] == CHAT_VIEW and posixpath.dirname(info.filename) in exports:
            noise = CHAT_VIEW_REASON
        if noise is not None:
            yield NotConversation(member, noise, info.file_size)
            continue
        # The declared size bounds what we accept, so a lying header cannot expand further.
        yield InputFile(
            member,
            info.file_size,
            _zip_opener(archive, info),
            limit=info.file_size,
            origin=("zip", str(path), index),
        )


def _zip_opener(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> Callable[[], IO[bytes]]:
    # Entries are opened while the archive is being iterated; re-reading the central directory per entry
    # made a 50,000-file zip quadratic.
    def _open() -> IO[bytes]:
        return archive.open(info)

    return _open


def _skipped(name: str) -> bool:
    if name in _LOG_DOTFILES:
        return False
    return (
        name in _SKIPPED_NAMES
        or name.startswith(".")
        or os.path.splitext(name)[1].lower() in _SKIPPED_SUFFIXES
    )


def _hidden_folder(name: str) -> bool:
    return name.startswith(".") and name not in _LOG_FOLDERS


def iter_input_files(paths: list[Path], *, limits: Limits | None = None) -> Iterator[Input]:
    """Expand paths into importable files in a stable order; folders recurse, archives open lazily."""
    limits = limits or Limits()
    for path in paths:
        if not path.exists():
            yield SkippedInput(str(path), "no such file or folder")
        elif path.is_dir():
            for child in _walk(path):
                if os.path.basename(child) == CHAT_VIEW and os.path.isfile(
                    os.path.join(os.path.dirname(child), "conversations.json")
                ):
                    yield NotConversation(child, CHAT_VIEW_REASON, os.stat(child).st_size)
                    continue
                if os.path.basename(child) == _CUT_TRANSCRIPT and os.path.isfile(
                    os.path.join(os.path.dirname(child), _FULL_TRANSCRIPT)
                ):
                    yield NotConversation(child, _CUT_TRANSCRIPT_REASON, os.stat(child).st_size)
                    continue
                yield from _iter_file(child, child, limits)
        else:
            yield from _iter_file(str(path), str(path), limits)


def _walk(folder: Path) -> list[str]:
    """Files under `folder` in path order, skipping dot-folders, dotfiles and non-transcripts (os.walk:
    a folder of 10,000 sessions took 0.6 s with Path.rglob and sorting Path objects)."""
    found: list[tuple[tuple[str, ...], str]] = []
    root = str(folder)
    for current, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if not _hidden_folder(d)]
        rel = os.path.relpath(current, root)
        parts = () if rel == "." else tuple(rel.split(os.sep))
        found.extend(((*parts, name), os.path.join(current, name)) for name in files if not _skipped(name))
    found.sort()
    return [full for _, full in found]


def _iter_file(path: str, display: str, limits: Limits) -> Iterator[Input]:
    suffix = os.path.splitext(path)[1].lower()
    size = os.stat(path).st_size
    noise = not_conversation_reason(display, size)
    if noise is not None:
        yield NotConversation(display, noise, size)
    elif suffix == ".zip":
        yield from _iter_zip(path, display, limits)
    elif suffix == ".gz":
        limit = min(limits.max_total_bytes, max(size, 1) * limits.max_ratio)
        origin = ("gzip", path, 0)
        yield InputFile(display, size, _opener(origin), limit=limit, origin=origin)
    else:
        origin = ("file", path, 0)
        yield InputFile(display, size, _opener(origin), origin=origin)


def _opener(origin: Origin) -> Callable[[], ByteSource]:
    """Opens a plain or gzip file (the caller closes what it returns)."""
    kind, path, _ = origin
    if kind == "gzip":
        return lambda: gzip.open(path, "rb")
    return lambda: open(path, "rb", buffering=0)  # HashedStream buffers


def reopen(
    name: str, size: int, limit: int | None, origin: Origin, archives: dict[str, zipfile.ZipFile]
) -> InputFile:
    """An input file listed by another process, from its origin; `archives` keeps zips open between calls."""
    if origin[0] != "zip":
        return InputFile(name, size, _opener(origin), limit=limit, origin=origin)
    _, path, index = origin
    archive = archives.get(path)
    if archive is None:
        for other in archives.values():
            other.close()
        archives.clear()
        archive = archives[path] = zipfile.ZipFile(path)
    return InputFile(name, size, _zip_opener(archive, archive.infolist()[index]), limit=limit, origin=origin)


def inner_name(display: str) -> str:
    """The file name a format sniffer should see: inside an archive, and without a .gz suffix."""
    name = display.rsplit("!", 1)[-1]
    return name[:-3] if name.lower().endswith(".gz") else name
