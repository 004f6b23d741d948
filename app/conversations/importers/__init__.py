"""Transcript importers, one module per format, and format auto-detection."""

from __future__ import annotations

from . import (
    ai_sdk,
    ai_studio,
    aichat,
    aider,
    aider_llm,
    amazon_q,
    anthropic,
    anythingllm,
    betterchatgpt,
    big_agi,
    chatbot_ui,
    chatbox,
    chatgpt,
    chatgpt_html,
    chathub,
    cherry_studio,
    claude_ai,
    claude_code,
    claude_code_export,
    cline,
    codex,
    cody,
    continue_dev,
    copilot_activity,
    copilot_cli,
    crush,
    cursor,
    deepseek,
    elia,
    gemini_api,
    gemini_cli,
    gemini_takeout,
    goose,
    gptel,
    gptme,
    grok,
    huggingchat,
    jan,
    kobold_lite,
    langchain,
    langsmith,
    le_chat,
    librechat,
    llamaindex,
    llm_cli,
    lm_studio,
    lobechat,
    markdown,
    mini_swe_agent,
    nextchat,
    oasst,
    ollama,
    ollama_app,
    open_webui,
    openai,
    openai_items,
    opencode,
    openhands,
    oterm,
    page_assist,
    page_export,
    preference,
    sft_dataset,
    sharegpt,
    sillytavern,
    specstory,
    swe_agent,
    textgen_webui,
    typingmind,
    void,
    vscode_chat,
    zed,
)
from ._json import BOM
from .base import Importer

# Sniffing order: the more specific shapes first. Preference records would otherwise pass for OpenAI or
# ShareGPT ones, and a `messages` record is Anthropic only with Anthropic-only signs (OpenAI takes the
# rest: plain-text messages read the same either way).
IMPORTERS: dict[str, Importer] = {
    module.importer.name: module.importer
    for module in (
        claude_code,
        codex,
        mini_swe_agent,
        swe_agent,
        openhands,
        amazon_q,
        gptme,
        cody,
        ai_sdk,
        gemini_cli,
        cline,
        continue_dev,
        deepseek,
        chatgpt,
        claude_ai,
        zed,
        gemini_api,
        ai_studio,
        openai_items,
        opencode,
        goose,
        copilot_cli,
        crush,
        cursor,
        void,
        ollama_app,
        oterm,
        elia,
        langchain,
        langsmith,
        llamaindex,
        open_webui,
        librechat,
        vscode_chat,
        grok,
        le_chat,
        jan,
        lm_studio,
        sillytavern,
        textgen_webui,
        kobold_lite,
        lobechat,
        huggingchat,
        chatbox,
        cherry_studio,
        nextchat,
        betterchatgpt,
        chatbot_ui,
        page_assist,
        chathub,
        typingmind,
        big_agi,
        llm_cli,
        anythingllm,
        copilot_activity,
        page_export,
        chatgpt_html,
        gemini_takeout,
        oasst,
        preference,
        sharegpt,
        sft_dataset,
        anthropic,
        openai,
        claude_code_export,
        aider,
        aider_llm,
        aichat,
        ollama,
        specstory,
        gptel,
        markdown,
    )
}
FORMATS: tuple[str, ...] = tuple(IMPORTERS)

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
