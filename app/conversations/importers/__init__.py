"""Transcript importers, one module per format, and format auto-detection."""

from __future__ import annotations

import importlib
import re
import threading
from collections.abc import Iterator, Mapping

import orjson

from ._json import BOM
from ._records import first_byte, head_records
from .base import Importer

# Sniffing order: the more specific shapes first. Preference records would otherwise pass for OpenAI or
# ShareGPT ones, and a `messages` record is Anthropic only with Anthropic-only signs (OpenAI takes the
# rest: plain-text messages read the same either way). Each format is read by the `importer` of its module.
_ORDER: tuple[tuple[str, str], ...] = (
    ("claude-code", "claude_code"),
    ("codex", "codex"),
    ("mini-swe-agent", "mini_swe_agent"),
    ("swe-agent", "swe_agent"),
    ("openhands", "openhands"),
    ("atif", "atif"),
    ("agent-stream", "agent_stream"),
    ("managed-agents", "managed_agents"),
    ("amazon-q", "amazon_q"),
    ("gptme", "gptme"),
    ("cody", "cody"),
    ("ai-sdk", "ai_sdk"),
    ("gemini-cli", "gemini_cli"),
    ("antigravity", "antigravity"),
    ("cline", "cline"),
    ("cline-ui", "cline_ui"),
    ("continue", "continue_dev"),
    ("deepseek", "deepseek"),
    ("chatgpt", "chatgpt"),
    ("claude-ai", "claude_ai"),
    ("zed", "zed"),
    ("gemini-api", "gemini_api"),
    ("ai-studio", "ai_studio"),
    ("openai-api", "openai_api"),
    ("openai-items", "openai_items"),
    ("opencode", "opencode"),
    ("goose", "goose"),
    ("pi-agent", "pi_agent"),
    ("copilot-cli", "copilot_cli"),
    ("crush", "crush"),
    ("cursor", "cursor"),
    ("cursor-agent", "cursor_agent"),
    ("void", "void"),
    ("ollama-app", "ollama_app"),
    ("oterm", "oterm"),
    ("elia", "elia"),
    ("augment", "augment"),
    ("langchain", "langchain"),
    ("langsmith", "langsmith"),
    ("llamaindex", "llamaindex"),
    ("call-logs", "call_logs"),
    ("open-webui", "open_webui"),
    ("librechat", "librechat"),
    ("vscode-chat", "vscode_chat"),
    ("vscode-chat-text", "vscode_chat_text"),
    ("grok", "grok"),
    ("perplexity", "perplexity"),
    ("le-chat", "le_chat"),
    ("jan", "jan"),
    ("lm-studio", "lm_studio"),
    ("sillytavern", "sillytavern"),
    ("textgen-webui", "textgen_webui"),
    ("kobold-lite", "kobold_lite"),
    ("lobechat", "lobechat"),
    ("huggingchat", "huggingchat"),
    ("chatbox", "chatbox"),
    ("cherry-studio", "cherry_studio"),
    ("nextchat", "nextchat"),
    ("betterchatgpt", "betterchatgpt"),
    ("chatbot-ui", "chatbot_ui"),
    ("page-assist", "page_assist"),
    ("chathub", "chathub"),
    ("typingmind", "typingmind"),
    ("big-agi", "big_agi"),
    ("llm-cli", "llm_cli"),
    ("anythingllm", "anythingllm"),
    ("copilot-activity", "copilot_activity"),
    ("message-table", "message_table"),
    ("page-export", "page_export"),
    ("chatgpt-html", "chatgpt_html"),
    ("gemini-takeout", "gemini_takeout"),
    ("oasst", "oasst"),
    ("preference", "preference"),
    ("sharegpt", "sharegpt"),
    ("sft-dataset", "sft_dataset"),
    ("chat-template", "chat_template"),
    ("anthropic", "anthropic"),
    ("openai", "openai"),
    ("chat-log", "chat_log"),
    ("claude-code-export", "claude_code_export"),
    ("codex-tui", "codex_tui"),
    ("gemini-tui", "gemini_tui"),
    ("aider", "aider"),
    ("aider-llm", "aider_llm"),
    ("aichat", "aichat"),
    ("ollama", "ollama"),
    ("specstory", "specstory"),
    ("gptel", "gptel"),
    ("org-ai", "org_ai"),
    ("jetbrains-ai", "jetbrains_ai"),
    ("cline-export", "cline_export"),
    ("opencode-export", "opencode_export"),
    ("copilot-share", "copilot_share"),
    ("prompt-log", "prompt_log"),
    ("claude-page", "claude_page"),
    ("ai-studio-page", "ai_studio_page"),
    ("perplexity-page", "perplexity_page"),
    ("markdown", "markdown"),
)
FORMATS: tuple[str, ...] = tuple(name for name, _ in _ORDER)


class _Registry(Mapping[str, Importer]):
    """The importers by format name, in sniffing order. Their modules are imported at the first look-up, not with
    this package: a command that reads no file (`pairwise --help`, `serve`, an import of an empty folder) does not
    pay for the readers (about 70 ms), and the names stay known without them."""

    def __init__(self) -> None:
        self._loaded: dict[str, Importer] | None = None
        self._lock = threading.Lock()

    def _importers(self) -> dict[str, Importer]:
        if self._loaded is None:
            with self._lock:
                if self._loaded is None:
                    loaded = {}
                    for name, module in _ORDER:
                        importer: Importer = importlib.import_module(f"{__name__}.{module}").importer
                        if importer.name != name:
                            raise RuntimeError(f"{module} reads {importer.name!r}, listed as {name!r}")
                        loaded[name] = importer
                    self._loaded = loaded
        return self._loaded

    def __getitem__(self, name: str) -> Importer:
        return self._importers()[name]

    def __contains__(self, name: object) -> bool:
        return name in _NAMES

    def __iter__(self) -> Iterator[str]:
        return iter(FORMATS)

    def __len__(self) -> int:
        return len(FORMATS)


_NAMES = frozenset(FORMATS)
IMPORTERS: Mapping[str, Importer] = _Registry()


def load_all() -> None:
    """Import every reader now (an import worker does so before it freezes its start-up objects)."""
    IMPORTERS.get(FORMATS[0])


HEAD_BYTES = 65536


def get_importer(name: str) -> Importer:
    try:
        return IMPORTERS[name]
    except KeyError:
        raise ValueError(f"unknown format {name!r}; choose one of: {', '.join(FORMATS)}") from None


def _name_hint(filename: str) -> str | None:
    """The format a file name suggests, used only to break a tie between sniffers."""
    path = filename.replace("\\", "/").lower()
    if path.endswith(".aider.chat.history.md"):
        return "aider"
    if "/.specstory/" in "/" + path:
        return "specstory"
    if path.endswith((".md", ".markdown")):
        return "markdown"
    if path.rsplit("/", 1)[-1].startswith("chat-export-") and path.endswith(".json"):
        return "open-webui"
    if path.rsplit("/", 1)[-1] == "api_conversation_history.json":
        return "cline"
    if path.rsplit("/", 1)[-1] == "conversations.json":
        return "chatgpt"
    if "/.claude/" in path or path.startswith(".claude/"):
        return "claude-code"
    if "/.gemini/" in path or path.startswith(".gemini/"):
        return "gemini-cli"
    if "/.codex/" in path or path.startswith(".codex/") or path.rsplit("/", 1)[-1].startswith("rollout-"):
        return "codex"
    return None


def detect_format(head: bytes, filename: str) -> str | None:
    """Name the format of a file from its first bytes (up to 64 KB); the file name only breaks ties.

    A head with no content at all still gets a format (the name's, else openai): every importer then
    reports the file as empty, which says more than "matches no known format".
    """
    head = head[:HEAD_BYTES]
    hint = _name_hint(filename)
    if not head.removeprefix(BOM).strip():
        return hint or "openai"
    # When the named format matches it wins any tie; otherwise the first match in sniffing order.
    if hint is not None and IMPORTERS[hint].sniff(head, filename):
        return hint
    return next((name for name, importer in IMPORTERS.items() if importer.sniff(head, filename)), None)


# A text whose first line opens with a speaker in brackets (`[SYSTEM]: ...`, `[AGENT]: ...`, eighth fetch): text,
# not JSON that broke at its second character.
_BRACKETED_LABEL = re.compile(rb"\[[A-Za-z][\w .-]{0,30}\][ \t]*:")
_TRANSCRIPT_LABELS = (
    "`## User` / `## Assistant`, `**User:**` / `**Assistant:**`, `User:` / `Assistant:`, `You said:` / "
    "`ChatGPT said:`, Claude Code's `> ` prompts and `⏺` answers"
)


def no_format_reason(head: bytes, name: str = "") -> str:
    """Why no reader took a file, in words that point at what it lacks: for JSON the keys its first record has (no
    reader knows that shape), for a table its header, for text the speaker labels a transcript needs."""
    first = first_byte(head)
    if name.lower().endswith((".csv", ".tsv")):
        header = head.removeprefix(BOM).split(b"\n", 1)[0].decode(errors="replace").strip()[:200]
        shape = f"a table whose columns are no shape read here (its header: {header})"
    elif (
        first is not None
        and first in b"{["
        and _BRACKETED_LABEL.match(head.removeprefix(BOM).lstrip()) is None
    ):
        records = head_records(head)
        if records:
            keys = ", ".join(list(records[0])[:8]) or "no keys"
            shape = f"JSON whose records are no shape read here (the first holds {keys})"
        elif (broken := _broken_json(head)) is not None:
            return broken
        else:
            shape = "JSON that is no shape read here"
    elif b"\x00" in head[:4096]:
        shape = "a binary file, neither text nor JSON"
    elif (lines := [line.strip() for line in head.splitlines()[:40] if line.strip()]) and sum(
        line.startswith(b"{") for line in lines
    ) * 2 >= len(lines):
        # JSON Lines after a line that is not JSON (a `# exported by ...` comment, a title): say which line.
        first = next(number for number, line in enumerate(head.splitlines(), 1) if line.strip())
        shape = f"JSON Lines whose line {first} is not JSON (a comment or a title before the records)"
    else:
        shape = f"text without the speaker labels a transcript reader knows (such as {_TRANSCRIPT_LABELS})"
    return f"matches no known format: {shape}; use --format to force one of {len(FORMATS)} (pairwise import --help)"


def _broken_json(head: bytes) -> str | None:
    """For a file held whole in its head that does not parse as JSON, where it breaks (a hand-edited chat log:
    `"bot": Hi.",`); None when it parses, or when the head is not the whole file."""
    if len(head) >= HEAD_BYTES:
        return None
    try:
        orjson.loads(head.removeprefix(BOM).split(b"\n", 1)[0])
        return None  # JSON Lines: its first line is a value of its own
    except orjson.JSONDecodeError:
        pass
    try:
        orjson.loads(head.removeprefix(BOM))
    except orjson.JSONDecodeError as exc:
        return f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}; no format reads it until that is mended"
    return None
