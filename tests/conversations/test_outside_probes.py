"""An outside check: files written by researchers (helpers who read the apps' and exporters' source code and real
exported files in public repositories, tests/fixtures/outside_probes/*/SOURCES.md) before any reader of their
shape existed, kept apart from the readers' own fixtures. Each one imports as its format with the conversations
and pairs it holds (the pushback "that's wrong, ..." and the revision), is skipped with its reason (an export's
other files), or, for the shapes not read yet, fails with one clear error. `apps/` and `exporters/` are the first
round (all read now); `apps-2/` and `tools-2/` the second, measured before any reader of theirs was written
(of 33 files, 9 imported): 31 import now, aider's input history is skipped with its reason, 1 is not read. The
third round, `agents-3/` (coding agents) and `apps-3/` (chat apps), 16 probes measured before any reader of
theirs: 2 imported; 13 do now and 3 are not read (cursor-agent's database, Chatbot UI's browser-storage dump,
Enchanted's Core Data store). The fourth round, `agents-4/` (coding agents' trajectories and logs) and `apps-4/`
(chat apps and public conversation and preference datasets), measured before any reader of theirs: of 8 agent
probes 2 imported (Kilo Code as Cline's, shell-gpt's chat cache as OpenAI messages), of 9 app and dataset files 8
(HH-RLHF, Nectar and UltraFeedback as preference rows, WildChat and LMSYS-Chat-1M as OpenAI messages, CAI Tools'
Character.AI export as SillyTavern's, Chatbox, Cherry Studio's Markdown). Read now: Cherry Studio's backup,
SWE-agent's and mini-swe-agent's trajectories, OpenHands' exports, Amazon Q's and Kiro's saved chats, gptme's logs and Cody's
exports: 8 of 8. The fifth round, `datasets-5/` (public SFT and preference datasets) and `tools-5/` (chat CLIs,
editors and note apps), measured first: of 11 dataset files 9 were read (HelpSteer2's preference file and
UltraFeedback's raw completions were not; HelpSteer2's multi-turn prompts were read as one turn); of 8 tool probes
1 (chatgpt-cli's history as OpenAI messages, once the gptme reader written the same day stopped claiming it). Read
now: HelpSteer2's preferences and multi-turn prompts, UltraFeedback's raw rows, Copilot for Obsidian's saved chats, oterm's and Elia's stores, gptel's Org chats, Void's threads, org-ai's Org blocks (7 of 8; not read:
Devika's database).
The sixth round, `platforms-6/` (10 variants of the big platforms' official exports: ChatGPT's branches,
tools, reasoning, Projects and 2026 shards; Claude.ai's thinking and tool blocks, its edit and retry branches and a
2026 split export; DeepSeek's branches; Grok's thinking traces; Gemini's Takeout activity), measured first: every
conversation file imported, but Claude.ai's branched chats read both branches in list order (six turns, the
abandoned follow-up and answer among them) and Grok's thinking traces were dropped. Both are read right now; the
2026 Claude export's manifest and per-project files (graded L) are not read. The seventh round, `agents-7/` (recent and early variants of the main
coding agents' sessions: Claude Code, Codex CLI, Gemini CLI, VS Code Copilot Chat, Cursor, Cline and Roo Code,
aider, Continue), measured first: every session file imported but two of Codex CLI's early shapes (a mid-2025
rollout whose first line names its folder and client, the TypeScript CLI's `{session, items}` JSON), aider logged an
`/ask` prompt twice in one turn, and VS Code's `workspace.json` was an error. All four are read right now.
The eighth round, `platforms-8/` (third-party exporters of ChatGPT, Claude.ai and Perplexity), `desktop-8/` (IDE
assistants and desktop apps) and `observability-8/` (model calls logged by ten observability tools and gateways),
measured first: of 9 exporter files 7 were read (Claude Exporter's chat list without messages and perplexport's
threads were not); of 9 desktop files 2 were read, both wrongly (JetBrains AI Assistant's chat dumps through the
Markdown reader: the attachments in the question, the 2025 dumps' message headers and `kotlin.Unit` in the turns);
of 16 observability files none (LiteLLM's spend logs were read as OpenAI messages without their answers). Read now:
9 of 9, 6 of 9 (the dumps, the chats JetBrains keeps in its workspace files, Augment Code's store; not read: Trae's
and Enchanted's stores, graded L; the IDE's recent-projects list holds no chat) and 14 of 16 (Helicone's CSV, which has no answers, and OpenRouter's activity CSV, which has no
text, are not read).
The ninth round, `headless-9/` (what coding agents print in headless mode: Claude Code's and Gemini CLI's
stream-json and json output, cursor-agent's stream-json, `codex exec --json`, `opencode run --format json`, and runs
resumed into the same log), measured first: none of its 15 files (the commands aside) was read. Read now: the 5 whose prompts are in
the output (Claude Code with replayed prompts, Gemini CLI, cursor-agent) as conversations, 3 of them holding the
pushback and its revision; the 9 whose prompt was given on the command line (and a script's stdin of prompts) are
skipped with that reason. The researcher's four `*.commands.txt` files are the command lines, not output.
The tenth round, `exports-10/` (the Markdown or JSON that coding agents' "Export task" and "Export chat" write:
Cline, Roo Code, Kilo Code, IBM Bob, Amp, Zed's agent panel before and since its 2025 rewrite, Windsurf, Google
Antigravity, Cursor, VS Code's Copilot Chat) and `pages-10/` (other chat pages selected whole and copied: DeepSeek,
Microsoft Copilot, GitHub Copilot on github.com, Perplexity, Grok, Google AI Studio, Qwen, Blackbox, Antigravity's
agent panel), measured first: of 11 export files 10 were read, but the five whose tool results the export writes
as the person's messages (Cline, Roo, Kilo, Bob, Amp) read every tool result as a user turn and every tool step as
a candidate pair, and Zed's older panel (`## Agent`) matched no format; of 14 page copies 2 were read (Microsoft
Copilot's, one without its pair and with a false one). Read now: all 11 exports, each as its four turns and one
pair (`cline-export`, and the Markdown reader's tool lines), and 6 of 14 pages (Microsoft Copilot's, GitHub
Copilot's, Google AI Studio's, Perplexity's 2024 page: `perplexity-page`; its third question, "which one does ubuntu
use?", is a false pair). Not read: DeepSeek's, Grok's and Qwen's pages, whose copies carry no label for the
person's messages (only where an answer's label or a blank line falls), Perplexity's 2025 page (it lists its
sources between the question and the answer with no mark), Blackbox's (its reasoning runs into the answer with nothing between) and Antigravity's agent panel.
Unread files' errors say "matches no known format".
"""

from __future__ import annotations

from pathlib import Path

import pytest

from app.conversations.files import InputFile, iter_input_files
from app.conversations.importers.base import ParsedConversation, RecordError
from app.conversations.reading import FileRead, prepared, read_file
from app.pairs.detection import DEFAULT_THRESHOLD

ROOT = Path(__file__).resolve().parents[1] / "fixtures" / "outside_probes"

# path: (formats, conversations, pairs at or above the threshold, errors)
EXPECTED = {
    "apps/anythingllm/anythingllm-chats-5_11_2024-alpaca.json": ('anythingllm', 3, 0, 0),
    "apps/anythingllm/anythingllm-chats-5_11_2024-lines.jsonl": ('openai', 2, 1, 0),
    "apps/anythingllm/anythingllm-chats-5_11_2024.csv": ('anythingllm', 2, 1, 0),
    "apps/anythingllm/anythingllm-chats-5_11_2024.json": ('anythingllm', 2, 1, 0),
    "apps/anythingllm/old-2024/anythingllm-chats-5_11_2024-lines.jsonl": ('openai', 2, 1, 0),
    "apps/anythingllm/old-2024/anythingllm-chats-5_11_2024.csv": ('anythingllm', 2, 1, 0),
    "apps/anythingllm/old-2024/anythingllm-chats-5_11_2024.json": ('openai', 2, 1, 0),
    "apps/betterchatgpt/2023-03-20.json": ('betterchatgpt', 2, 1, 0),
    "apps/betterchatgpt/2024-05-11.json": ('betterchatgpt', 2, 1, 0),
    "apps/betterchatgpt/2025-02-14.json": ('betterchatgpt', 2, 1, 0),
    "apps/big-agi/backup_chats_localhost_2_2024-11-05-1232.agi.json": ('big-agi', 2, 1, 0),
    "apps/big-agi/conversation_boiling-point-on-everest_2024-11-05-1233.agi.json": ('big-agi', 1, 1, 0),
    "apps/big-agi/conversations-2023-11-02-152102.json": ('big-agi', 2, 1, 0),
    "apps/chatbox/chatbox-exported-data-2024-5-11.json": ('chatbox', 2, 1, 0),
    "apps/chatbox/chatbox-exported-data-2025-3-2.json": ('chatbox', 2, 1, 0),
    "apps/chatgpt-openai/conversations.json": ('chatgpt', 2, 1, 0),
    "apps/huggingchat-chat-ui/export/assistants.json": ('', 0, 0, 0),
    "apps/huggingchat-chat-ui/export/conversations.json": ('huggingchat', 2, 1, 0),
    "apps/huggingchat-chat-ui/export.zip": ('huggingchat', 2, 1, 0),
    "apps/jan/jan-0.5-datafolder/threads/jan_1715418902/messages.jsonl": ('jan', 1, 1, 0),
    "apps/jan/jan-0.5-datafolder/threads/jan_1715418902/thread.json": ('', 0, 0, 0),
    "apps/jan/jan-0.5-datafolder/threads/jan_1715427613/messages.jsonl": ('jan', 1, 0, 0),
    "apps/jan/jan-0.5-datafolder/threads/jan_1715427613/thread.json": ('', 0, 0, 0),
    "apps/lobechat/2025-03-23-01-05_LobeChat-data.json": ('lobechat', 2, 1, 0),
    "apps/lobechat/2026-04-18T08-41-07Z_LobeHub-data-v2.json": ('lobechat', 2, 1, 0),
    "apps/lobechat/LobeChat-sessions-v7.json": ('lobechat', 2, 1, 0),
    "apps/nextchat/Backup-11_28_2023, 11_05_12 AM.json": ('nextchat', 2, 1, 0),
    "apps/nextchat/Backup-2025_3_2 15_31_09.json": ('nextchat', 2, 1, 0),
    "apps/typingmind/20240814_060530_typingmind_export.json": ('typingmind', 2, 1, 0),
    "apps/typingmind/20260331_200345_typingmind_export/chunks/chats_part_1.json": ('typingmind', 2, 1, 0),
    "apps/typingmind/20260331_200345_typingmind_export/data.json": ('typingmind', 0, 0, 0),
    "apps/typingmind/20260331_200345_typingmind_export/metadata.json": ('typingmind', 0, 0, 0),
    "apps/typingmind/20260331_200345_typingmind_export.zip": ('typingmind', 2, 1, 0),
    "exporters/aichat/.config/aichat/sessions/git-undo.yaml": ('aichat', 1, 1, 0),
    "exporters/aiprm/AIPRM-export-chatgpt-thread_2023-05-02T14:36:18.519Z.md": ('markdown', 1, 1, 0),
    "exporters/chatgpt-exporter/ChatGPT-Undo_last_git_commit.html": ('chatgpt-html', 1, 1, 0),
    "exporters/chatgpt-exporter/ChatGPT-Undo_last_git_commit.json": ('chatgpt', 1, 1, 0),
    "exporters/chatgpt-exporter/ChatGPT-Undo_last_git_commit.md": ('markdown', 1, 1, 0),
    "exporters/chatgpt-exporter/chatgpt-export-json.zip": ('chatgpt', 1, 1, 0),
    "exporters/chatgpt-exporter/chatgpt-export-markdown.zip": ('markdown', 1, 1, 0),
    "exporters/chatgpt-exporter/chatgpt-export.json": ('chatgpt', 1, 1, 0),
    "exporters/chatgpt-exporter/with-metadata-and-timestamps/ChatGPT-Undo_last_git_commit.md": ('markdown', 1, 1, 0),
    "exporters/chatgpt-exporter_chatgptexporter-com/ChatGPT-Undo last git commit.md": ('markdown', 1, 1, 0),
    "exporters/chatgpt-exporter_chatgptexporter-com/with-message-timestamps/ChatGPT-Undo last git commit.md": ('markdown', 1, 1, 0),
    "exporters/claude-chat-exporter_agarwalvishal/older-version/undo_last_git_commit_but_keep_changes.md": ('markdown', 1, 1, 0),
    "exporters/claude-chat-exporter_agarwalvishal/undo_last_git_commit_but_keep_changes.md": ('markdown', 1, 1, 0),
    "exporters/claude-conversation-exporter_socketteer/Undo last git commit but keep changes.json": ('claude-ai', 1, 1, 0),
    "exporters/claude-conversation-exporter_socketteer/Undo last git commit but keep changes.md": ('markdown', 1, 1, 0),
    "exporters/claude-conversation-exporter_socketteer/Undo last git commit but keep changes.txt": ('markdown', 1, 1, 0),
    "exporters/claude-export_ryanschiang/undo-last-git-commit.json": ('page-export', 1, 1, 0),
    "exporters/claude-export_ryanschiang/undo-last-git-commit.md": ('markdown', 1, 1, 0),
    "exporters/claude-exporter_ai-chat-exporter/Claude-Undo last git commit but keep changes.md": ('markdown', 1, 1, 0),
    "exporters/claude-exporter_ai-chat-exporter/early-2025-version/Claude-Undo last git commit but keep changes.md": ('markdown', 1, 1, 0),
    "exporters/fabric/.config/fabric/sessions/git-undo.json": ('openai', 1, 1, 0),
    "exporters/gemini-exporter_ai-chat-exporter/Gemini-Undo last git commit.md": ('markdown', 1, 1, 0),
    "exporters/gemini_amazingpaddy-ai-chat-exporter/Undo_last_git_commit_2025-05-02_104011.md": ('markdown', 1, 1, 0),
    "exporters/google-takeout-gemini/Takeout/My Activity/Gemini Apps/My Activity.json": ('gemini-takeout', 1, 1, 0),
    "exporters/llm/legacy-2024/llm-logs-c.md": ('markdown', 1, 1, 0),
    "exporters/llm/llm-logs-c.json": ('llm-cli', 1, 1, 0),
    "exporters/llm/llm-logs-c.md": ('markdown', 1, 1, 0),
    "exporters/llm/llm-logs-n2.md": ('markdown', 1, 1, 0),
    "exporters/obsidian-nexus-ai-chat-importer/Undo last git commit.md": ('markdown', 1, 1, 0),
    "exporters/ollama/ollama-show-modelfile-git-undo.txt": ('ollama', 1, 1, 0),
    "exporters/open-webui/chat-export-1746196604519.json": ('open-webui', 1, 1, 0),
    "exporters/shell_gpt/sgpt-0.9-era/tmp/chat_cache/git-undo": ('openai', 1, 1, 0),
    "exporters/shell_gpt/tmp/chat_cache/git-undo": ('openai', 1, 1, 0),
    "exporters/you-chatgpt-hr-markdown/ChatGPT-Undo last git commit.md": ('markdown', 1, 1, 0),
    "apps-2/character-ai/Git Guru_oobabooga_Chat.json": ('textgen-webui', 1, 1, 0),
    "apps-2/cherry-studio/Undo Last Git Commit.md": ('markdown', 1, 1, 0),
    "apps-2/cursor/cursor_undo_last_git_commit_but_keep_changes.md": ('markdown', 1, 1, 0),
    "apps-2/gpt4all/gpt4all-4f0b6a3e-9c27-4d1e-8b55-2a7e6f913c04.chat": ('', 0, 0, 1),
    "apps-2/jetbrains-ai-assistant/2YgQ8vN1kLmR5tXwZ3aB7cD9eF0.xml": ('jetbrains-ai', 1, 1, 0),
    "apps-2/kobold-lite/saved_story.json": ('kobold-lite', 1, 1, 0),
    "apps-2/microsoft-copilot/copilot-activity-history.csv": ('copilot-activity', 1, 1, 0),
    "apps-2/perplexity/How do I undo my last git commit but keep the chan.md": ('markdown', 1, 1, 0),
    "apps-2/poe/Undo_last_git_commit_keep_changes (4 messages).txt": ('markdown', 1, 1, 0),
    "apps-2/poe/conversation.txt": ('markdown', 1, 1, 0),
    "apps-2/windsurf/Undoing Last Git Commit.md": ('markdown', 1, 1, 0),
    "apps-2/zed/Undoing the Last Git Commit - 1.zed.json": ('zed', 1, 1, 0),
    "tools-2/aider/.aider.input.history": ('', 0, 0, 0),
    "tools-2/aider/.aider.llm.history": ('aider-llm', 1, 1, 0),
    "tools-2/argilla/git-undo-preferences/records.json": ('preference', 1, 1, 0),
    "tools-2/chatbot-arena/clean_battle_conv_20230630_tagged_v3_pii_33k_added.json": ('preference', 1, 1, 0),
    "tools-2/claude-code/export/2025-10-21-143207-how-do-i-undo-my-last-git-commit-but-keep-the-cha.txt": ('claude-code-export', 1, 1, 0),
    "tools-2/claude-code/export/2026-04-11-091522-how-do-i-undo-my-last-git-commit-but-keep-the-cha.txt": ('claude-code-export', 1, 1, 0),
    "tools-2/claude-code/projects/-Users-dana-src-webapp/34330c79-82ba-48eb-a81f-badcc1e1500f.jsonl": ('claude-code', 1, 1, 0),
    "tools-2/claude-code/projects/-Users-dana-src-webapp/e04d5bf1-2fa0-4c68-9ba3-acdf175385e9.jsonl": ('claude-code', 1, 1, 0),
    "tools-2/flowise/95a32177-f0ef-4e29-bd62-6dd390985768-Message.json": ('openai', 1, 1, 0),
    "tools-2/github-copilot-chat/chat.json": ('vscode-chat', 1, 1, 0),
    "tools-2/helpsteer3/preference/train.jsonl": ('preference', 1, 1, 0),
    "tools-2/helpsteer3/preference/train.jsonl.gz": ('preference', 1, 1, 0),
    "tools-2/label-studio/project-12-at-2025-03-04-10-15-7c1d4e2b.json": ('preference', 1, 1, 0),
    "tools-2/langchain/chat_history/f22861f8-af2c-40d7-8ea5-82dcdd96ce65.json": ('langchain', 1, 1, 0),
    "tools-2/langsmith/run-e3fcbb8b-381b-431b-9701-116fb9d51407.json": ('langsmith', 1, 1, 0),
    "tools-2/llamaindex/chat_store.json": ('llamaindex', 1, 1, 0),
    "tools-2/open-interpreter/conversations/How_do_I_undo_my_last__March_14_2024_10-21-07.json": ('openai', 1, 1, 0),
    "tools-2/open-interpreter/conversations-0.1.x/How_do_I_undo_my_last__September_18_2023_14-05-33.json": ('openai', 1, 1, 0),
    "tools-2/openai-responses/conversation_items.json": ('openai-items', 1, 1, 0),
    "tools-2/prodigy/git_undo_ab.jsonl": ('preference', 1, 1, 0),
    "tools-2/vercel-ai-sdk/.chats/t582mlgG2ss54fiG.json": ('ai-sdk', 1, 1, 0),
    "agents-3/amp/threads/T-0199e2a4-7c05-7318-b6e2-4d1f8a3c9e57.json": ('anthropic', 1, 1, 0),
    "agents-3/copilot-cli/session-state/5e8b1f0a-9c27-4d63-b4e1-7a2c9f3d6b18/events.jsonl": ('copilot-cli', 1, 1, 0),
    "agents-3/crush/.crush/crush.db": ('crush', 1, 1, 0),
    "agents-3/cursor-agent/chats/d5c413476c1aa736f2c85573536d63d3/3b7e1c94-0d52-4a8f-b6e3-9c2a5f8d1e47/store.db": ('', 0, 0, 1),
    "agents-3/goose/sessions/20251014_091200.jsonl": ('goose', 1, 1, 0),
    "agents-3/opencode/storage/message/ses_63f1b2c40ffeQ2kV8nRjT5wXyA/msg_9c0e4d3b8001aQ4rZtY1uV7pLm.json": ('', 0, 0, 0),
    "agents-3/opencode/storage/message/ses_63f1b2c40ffeQ2kV8nRjT5wXyA/msg_9c0e4d4a1001Xk2JbH9sWq3eTn.json": ('', 0, 0, 0),
    "agents-3/opencode/storage/message/ses_63f1b2c40ffeQ2kV8nRjT5wXyA/msg_9c0e4d5f6001Rr8cGm1vKz0dPa.json": ('', 0, 0, 0),
    "agents-3/opencode/storage/message/ses_63f1b2c40ffeQ2kV8nRjT5wXyA/msg_9c0e4f7e2001Lp5yNw4qBx6sHc.json": ('', 0, 0, 0),
    "agents-3/opencode/storage/message/ses_63f1b2c40ffeQ2kV8nRjT5wXyA/msg_9c0e4f8b9001Dt3fVe7kJq2aWu.json": ('', 0, 0, 0),
    "agents-3/opencode/storage/part/msg_9c0e4d3b8001aQ4rZtY1uV7pLm/prt_9c0e4d3b8002Fh6uKp0wZr4cNj.json": ('', 0, 0, 0),
    "agents-3/opencode/storage/part/msg_9c0e4d4a1001Xk2JbH9sWq3eTn/prt_9c0e4d4c2001Gm7xLs2aQe9bVt.json": ('', 0, 0, 0),
    "agents-3/opencode/storage/part/msg_9c0e4d4a1001Xk2JbH9sWq3eTn/prt_9c0e4d4d0001Hn3pWq8rTy5uIo.json": ('', 0, 0, 0),
    "agents-3/opencode/storage/part/msg_9c0e4d4a1001Xk2JbH9sWq3eTn/prt_9c0e4d4e1001Jk9sDf4gHj1kLz.json": ('', 0, 0, 0),
    "agents-3/opencode/storage/part/msg_9c0e4d4a1001Xk2JbH9sWq3eTn/prt_9c0e4d5e9001Mn2bVc5xZa8sDq.json": ('', 0, 0, 0),
    "agents-3/opencode/storage/part/msg_9c0e4d5f6001Rr8cGm1vKz0dPa/prt_9c0e4d5f7001Pq4wEr6tYu8iOp.json": ('', 0, 0, 0),
    "agents-3/opencode/storage/part/msg_9c0e4d5f6001Rr8cGm1vKz0dPa/prt_9c0e4d600001As1dFg3hJk5lZx.json": ('', 0, 0, 0),
    "agents-3/opencode/storage/part/msg_9c0e4d5f6001Rr8cGm1vKz0dPa/prt_9c0e4e0b1001Cv7bNm9qWe2rTy.json": ('', 0, 0, 0),
    "agents-3/opencode/storage/part/msg_9c0e4f7e2001Lp5yNw4qBx6sHc/prt_9c0e4f7e2002Uo4iPa6sDf8gHj.json": ('', 0, 0, 0),
    "agents-3/opencode/storage/part/msg_9c0e4f8b9001Dt3fVe7kJq2aWu/prt_9c0e4f8ba001Kl1zXc3vBn5mQw.json": ('', 0, 0, 0),
    "agents-3/opencode/storage/part/msg_9c0e4f8b9001Dt3fVe7kJq2aWu/prt_9c0e4f8c0001Er7tYu9iOp1aSd.json": ('', 0, 0, 0),
    "agents-3/opencode/storage/part/msg_9c0e4f8b9001Dt3fVe7kJq2aWu/prt_9c0e500a3001Fg2hJk4lZx6cVb.json": ('', 0, 0, 0),
    "agents-3/opencode/storage/project/4b0ea68d7af9a6031a7ffda7ad66e0cb83315750.json": ('', 0, 0, 0),
    "agents-3/opencode/storage/session/4b0ea68d7af9a6031a7ffda7ad66e0cb83315750/ses_63f1b2c40ffeQ2kV8nRjT5wXyA.json": ('opencode', 1, 1, 0),
    "agents-3/qwen-code/projects/-home-dana-projects-uploader/chats/7d3c9e52-41a8-4f0b-9c6e-2b5a8d1f4e07.jsonl": ('claude-code', 1, 1, 0),
    "agents-3/roo-code/tasks/0199e2a4-6f13-7b52-a8d1-3c9e5f7a2b46/api_conversation_history.json": ('cline', 1, 1, 0),
    "apps-3/chatbot-ui/chatbot-ui-data.json": ('', 0, 0, 1),
    "apps-3/chatbot-ui/chatbot_ui_history.json": ('chatbot-ui', 2, 1, 0),
    "apps-3/chatbot-ui/chatbot_ui_history_12-6.json": ('chatbot-ui', 2, 1, 0),
    "apps-3/chathub/chathub.json": ('chathub', 2, 1, 0),
    "apps-3/enchanted/default.store": ('', 0, 0, 1),
    "apps-3/ollama-app/db.sqlite": ('ollama-app', 2, 1, 0),
    "apps-3/page-assist/page-assist-2025-12-05T13_05_12.418Z.json": ('page-assist', 2, 1, 0),
    "apps-3/qwen-chat/qwen-chat-export-1764939700123.json": ('open-webui', 2, 1, 0),
    "apps-4/character-ai-cai-tools/SQL Tutor_tavern_Chat.jsonl": ('sillytavern', 1, 1, 0),
    "apps-4/chatbox/chatbox-exported-data-2025-3-15.json": ('chatbox', 2, 1, 0),
    "apps-4/cherry-studio/Latest order per customer.md": ('markdown', 1, 1, 0),
    "apps-4/cherry-studio/data.json": ('cherry-studio', 2, 1, 0),
    "apps-4/hh-rlhf/helpful-base/train.jsonl": ('preference', 2, 2, 0),
    "apps-4/lmsys-chat-1m/train.jsonl": ('openai', 2, 1, 0),
    "apps-4/nectar/rlaif.jsonl": ('preference', 2, 2, 0),
    "apps-4/ultrafeedback-binarized/train_prefs.jsonl": ('preference', 2, 2, 0),
    "apps-4/wildchat-1m/train.jsonl": ('openai', 2, 1, 0),
    "agents-4/gptme/logs/2025-03-02-retry-helper/conversation.jsonl": ('gptme', 1, 1, 0),
    # Its `[read_file for '...'. Reading multiple files at once ...] Result:` is the answer's tool result since the
    # ninth fetch (a prompt of its own before, and a false pair's pushback).
    "agents-4/kilo-code/Code/User/globalStorage/kilocode.kilo-code/tasks/5b8e2f1a-3c7d-4e96-a0b4-9d1f6c2e8a73/api_conversation_history.json": ('cline', 1, 1, 0),
    "agents-4/kilo-code/Code/User/globalStorage/kilocode.kilo-code/tasks/5b8e2f1a-3c7d-4e96-a0b4-9d1f6c2e8a73/task_metadata.json": ('', 0, 0, 0),
    "agents-4/kilo-code/Code/User/globalStorage/kilocode.kilo-code/tasks/5b8e2f1a-3c7d-4e96-a0b4-9d1f6c2e8a73/ui_messages.json": ('', 0, 0, 0),
    "agents-4/kiro-cli/retry-helper.json": ('amazon-q', 1, 1, 0),
    "agents-4/mini-swe-agent/.config/mini-swe-agent/last_mini_run.traj.json": ('mini-swe-agent', 1, 1, 0),
    "agents-4/openhands/trajectory-9f3c2a7e41d84b6c8e05f1a2b3c4d5e6.json": ('openhands', 1, 1, 0),
    "agents-4/shell-gpt/tmp/chat_cache/retry-helper": ('openai', 1, 1, 0),
    "agents-4/sourcegraph-cody/cody-chat-history-2025-03-02T15-30-12.json": ('cody', 2, 1, 0),
    "agents-4/swe-agent/trajectories/dev/default__anthropic--claude-sonnet-4-20250514__t-0.00__p-1.00__c-0.06___3f7a2c/3f7a2c/3f7a2c.traj": ('swe-agent', 1, 1, 0),
    "datasets-5/capybara/CapybaraPure_Decontaminated.jsonl": ('sft-dataset', 2, 1, 0),
    "datasets-5/databricks-dolly-15k/databricks-dolly-15k.jsonl": ('sft-dataset', 3, 0, 0),
    "datasets-5/helpsteer2/preference/preference.jsonl.gz": ('preference', 2, 2, 0),
    "datasets-5/helpsteer2/train.jsonl.gz": ('sft-dataset', 3, 1, 0),
    "datasets-5/lmsys-arena-human-preference-55k/train.csv": ('preference', 1, 1, 0),
    "datasets-5/mt_bench_human_judgments/human.jsonl": ('preference', 0, 0, 0),
    "datasets-5/oasst1/2023-04-12_oasst_ready.trees.jsonl.gz": ('oasst', 1, 1, 0),
    "datasets-5/pku-saferlhf/data/Alpaca-7B/train.jsonl": ('preference', 3, 3, 0),
    "datasets-5/shp/askengineers/train.json": ('preference', 3, 3, 0),
    # The second conversation's "Which of those is safest if I have a cat?" picks among the answer's plants, no pair:
    # heuristic-17 (the text model reads the answer's end too) leaves it out of the queue; heuristic-16 queued it.
    "datasets-5/ultrachat/train_0.jsonl": ('sft-dataset', 2, 1, 0),
    "datasets-5/ultrafeedback/sharegpt.jsonl": ('preference', 2, 2, 0),
    "tools-5/chatgpt-cli/.chatgpt-cli/history/default.json": ('openai', 1, 1, 0),
    "tools-5/chatgpt-cli/.chatgpt-cli/history/http-codes.json": ('openai', 1, 0, 0),
    "tools-5/devika/data/db/devika.db": ('', 0, 0, 1),
    "tools-5/elia/.local/share/elia/elia.sqlite": ('elia', 2, 1, 0),
    "tools-5/gptel/chats/python-reverse-list.org": ('gptel', 1, 1, 0),
    "tools-5/obsidian-copilot/vault/copilot/copilot-conversations/How_do_I_reverse_a_list_in_Python_without_changing@20250314_101502.md": ('markdown', 1, 1, 0),
    "tools-5/org-ai/org/ai-scratch.org": ('org-ai', 2, 1, 0),
    "tools-5/oterm/.local/share/oterm/store.db": ('oterm', 2, 1, 0),
    "tools-5/void/.config/Void/User/globalStorage/state.vscdb": ('void', 2, 1, 0),
    "platforms-6/chatgpt-2024-branches-regenerate-and-edit/conversations.json": ('chatgpt', 2, 2, 0),
    "platforms-6/chatgpt-2024-tools-and-image-upload/conversations.json": ('chatgpt', 2, 1, 0),
    "platforms-6/chatgpt-2025-thinking-in-project/conversations.json": ('chatgpt', 1, 1, 0),
    "platforms-6/chatgpt-2026-sharded-export/conversations-000.json": ('chatgpt', 1, 1, 0),
    "platforms-6/chatgpt-2026-sharded-export/conversations-001.json": ('chatgpt', 2, 0, 0),
    "platforms-6/claude-2025-branches-edit-and-retry/conversations.json": ('claude-ai', 2, 2, 0),
    "platforms-6/claude-2025-thinking-tools-attachments/conversations.json": ('claude-ai', 1, 1, 0),
    "platforms-6/claude-2025-thinking-tools-attachments/projects.json": ('', 0, 0, 0),
    "platforms-6/claude-2025-thinking-tools-attachments/users.json": ('', 0, 0, 0),
    "platforms-6/claude-2026-08-split-export/conversations.json": ('claude-ai', 1, 1, 0),
    "platforms-6/claude-2026-08-split-export/manifest-31ed68dd-57eb-532e-b079-3d376a8ac665-2026-08-20-08-14-55.json": ('', 0, 0, 1),
    "platforms-6/claude-2026-08-split-export/memories.json": ('', 0, 0, 0),
    "platforms-6/claude-2026-08-split-export/projects/a6b69dd0-42a0-5aa7-aae0-e9d797e41325.json": ('', 0, 0, 1),
    "platforms-6/claude-2026-08-split-export/users.json": ('', 0, 0, 0),
    "platforms-6/deepseek-branched-think-search/conversations.json": ('deepseek', 1, 1, 0),
    "platforms-6/gemini-takeout-my-activity/My Activity.json": ('gemini-takeout', 2, 1, 0),
    "platforms-6/grok-backend-thinking-trace/prod-grok-backend.json": ('grok', 1, 1, 0),
    "agents-7/aider/shellkit/.aider.chat.history.md": ('aider', 1, 1, 0),
    "agents-7/aider/shellkit/.aider.input.history": ('', 0, 0, 0),
    "agents-7/aider/shellkit/.aider.llm.history": ('aider-llm', 1, 1, 0),
    "agents-7/claude-code/.claude/projects/-home-dev-shellkit/5b8e1f2a-3c4d-4e5f-9a0b-1c2d3e4f5a6b.jsonl": ('claude-code', 1, 0, 0),
    "agents-7/claude-code/.claude/projects/-home-dev-shellkit/7c1e0b52-4f3a-4d8e-9a61-2b5f0c9d3e17/subagents/agent-a3f9c2e81d4b7a605.jsonl": ('claude-code', 0, 0, 0),
    "agents-7/claude-code/.claude/projects/-home-dev-shellkit/7c1e0b52-4f3a-4d8e-9a61-2b5f0c9d3e17/subagents/agent-a3f9c2e81d4b7a605.meta.json": ('', 0, 0, 0),
    "agents-7/claude-code/.claude/projects/-home-dev-shellkit/7c1e0b52-4f3a-4d8e-9a61-2b5f0c9d3e17.jsonl": ('claude-code', 1, 1, 0),
    # Its second resumed session: "Go ahead and edit deploy.sh now." after an answer announcing the edit goes along
    # (heuristic-10's second step), where it was a candidate pair before.
    "agents-7/claude-code/.claude/projects/-home-dev-shellkit/e2d4a8f0-6b1c-4c3e-8f57-0d9a1b2c3e4f.jsonl": ('claude-code', 2, 1, 0),
    "agents-7/cline/Code/User/globalStorage/saoudrizwan.claude-dev/tasks/1768468321457/api_conversation_history.json": ('cline', 1, 1, 0),
    "agents-7/cline/Code/User/globalStorage/saoudrizwan.claude-dev/tasks/1768468321457/task_metadata.json": ('', 0, 0, 0),
    "agents-7/cline/Code/User/globalStorage/saoudrizwan.claude-dev/tasks/1768468321457/ui_messages.json": ('', 0, 0, 0),
    "agents-7/codex/.codex/sessions/2025/09/05/rollout-2025-09-05T17-07-46-ed10d7b5-41de-4ebc-8661-78d456260f11.jsonl": ('codex', 1, 1, 0),
    "agents-7/codex/.codex/sessions/2026/03/14/rollout-2026-03-14T09-21-07-019ceba6-419a-7ffc-80a6-708eb114f322.jsonl": ('codex', 1, 1, 0),
    "agents-7/codex/.codex/sessions/rollout-2025-05-05-dda559af-1285-41f3-ac39-a9bd1d893a5d.json": ('codex', 1, 1, 0),
    "agents-7/continue/.continue/sessions/afbf4e59-01db-46e2-9b1e-53bb23fd94b3.json": ('continue', 1, 1, 0),
    "agents-7/continue/.continue/sessions/sessions.json": ('', 0, 0, 0),
    "agents-7/cursor/Cursor/User/globalStorage/state.vscdb": ('cursor', 1, 1, 0),
    "agents-7/gemini/.gemini/tmp/805606f71a5b6b177351f82b7855f8e8cbf1af2c9643d1bbeee59b22889de38f/chats/session-2025-11-03T10-41-d8bb9a1c.json": ('gemini-cli', 1, 1, 0),
    "agents-7/gemini/.gemini/tmp/805606f71a5b6b177351f82b7855f8e8cbf1af2c9643d1bbeee59b22889de38f/checkpoint-strict-mode.json": ('gemini-cli', 1, 1, 0),
    "agents-7/gemini/.gemini/tmp/shellkit/.project_root": ('', 0, 0, 0),
    "agents-7/gemini/.gemini/tmp/shellkit/chats/session-2026-05-19T14-02-61496f08.jsonl": ('gemini-cli', 1, 1, 0),
    "agents-7/gemini/.gemini/tmp/shellkit/logs.json": ('', 0, 0, 0),
    "agents-7/roo-code/Code/User/globalStorage/rooveterinaryinc.roo-cline/tasks/d014a3c5-736d-408f-bc4e-f42b4d410123/api_conversation_history.json": ('cline', 1, 1, 0),
    "agents-7/roo-code/Code/User/globalStorage/rooveterinaryinc.roo-cline/tasks/d014a3c5-736d-408f-bc4e-f42b4d410123/ui_messages.json": ('', 0, 0, 0),
    "agents-7/vscode-copilot/Code/User/workspaceStorage/deef16e001274c23bed77104ee9076f9/chatSessions/6f6eb8e1-d0f5-4332-87c7-4a5e58693fa3.jsonl": ('vscode-chat', 1, 1, 0),
    "agents-7/vscode-copilot/Code/User/workspaceStorage/deef16e001274c23bed77104ee9076f9/chatSessions/f25c3c18-b3d4-49b0-ba40-09c1cc9c39e5.json": ('vscode-chat', 1, 1, 0),
    "agents-7/vscode-copilot/Code/User/workspaceStorage/deef16e001274c23bed77104ee9076f9/workspace.json": ('', 0, 0, 0),
    "platforms-8/chatgpt-exporter/ChatGPT-Bash_strict_mode.json": ('chatgpt', 1, 1, 0),
    "platforms-8/chatgpt-exporter/chatgpt-export-json.zip": ('chatgpt', 2, 1, 0),
    "platforms-8/chatgpt-exporter/chatgpt-export.json": ('chatgpt', 2, 1, 0),
    "platforms-8/claude-export-ryanschiang/bash-script-stop-on-failure.json": ('page-export', 1, 1, 0),
    "platforms-8/claude-exporter/Bash script stop on failure.json": ('claude-ai', 1, 1, 0),
    "platforms-8/claude-exporter/claude-exports-20250912-111503.json": ('claude-ai', 0, 0, 0),
    "platforms-8/perplexport/how-do-i-make-a-bash-script-s-Qm3xT7vLRa2kP9wNc1eZ4g.json": ('perplexity', 1, 1, 0),
    "platforms-8/superpower-chatgpt/16-7-32-Bash_script_stop_on_failure.json": ('chatgpt', 1, 1, 0),
    "platforms-8/superpower-chatgpt/2023-09-02-conversations.zip": ('chatgpt', 2, 1, 0),
    "desktop-8/augment-code/shellkit/.idea/AugmentWebviewStateStore.xml": ('augment', 2, 1, 0),
    "desktop-8/enchanted/Library/Application Support/default.store": ('', 0, 0, 1),
    "desktop-8/jetbrains-ai-assistant/JetBrains/IntelliJIdea2025.1/options/recentProjects.xml": ('', 0, 0, 1),
    "desktop-8/jetbrains-ai-assistant/JetBrains/IntelliJIdea2025.1/workspace/2xQm7RtLp3VbN8sKdW4yHc6JfZa.xml": ('jetbrains-ai', 2, 1, 0),
    "desktop-8/jetbrains-ai-assistant/JetBrains/PyCharm2023.3/workspace/2ZkP9wHq4LmT6vXn1RbC8dSgYe3.xml": ('jetbrains-ai', 2, 1, 0),
    "desktop-8/jetbrains-ai-assistant/dumps/stop-bash-on-error-2024.md": ('jetbrains-ai', 1, 1, 0),
    "desktop-8/jetbrains-ai-assistant/dumps/stop-bash-on-error-2025.md": ('jetbrains-ai', 1, 1, 0),
    "desktop-8/trae/Trae/User/workspaceStorage/8d2f6c1a9e4b7305f1c8a2d96e0b3f47/state.vscdb": ('', 0, 0, 1),
    "desktop-8/trae/Trae/User/workspaceStorage/8d2f6c1a9e4b7305f1c8a2d96e0b3f47/workspace.json": ('', 0, 0, 0),
    "observability-8/arize-phoenix/spans_dataframe.jsonl": ('call-logs', 3, 1, 0),
    "observability-8/arize-phoenix/v1_projects_shell-helper_spans.json": ('call-logs', 3, 1, 0),
    "observability-8/braintrust/project_logs_fetch.json": ('call-logs', 3, 1, 0),
    "observability-8/helicone/output.csv": ('', 0, 0, 1),
    "observability-8/helicone/output.jsonl": ('call-logs', 3, 1, 0),
    "observability-8/langfuse/2026-11-30T09_20_44.518Z-lf-traces-export-cm3k9x1a20004ph07f2d8e1qz.jsonl": ('call-logs', 3, 1, 0),
    "observability-8/langfuse/GET_api_public_observations.json": ('call-logs', 3, 1, 0),
    "observability-8/langfuse/GET_api_public_traces.json": ('call-logs', 3, 1, 0),
    "observability-8/litellm-proxy/spend_logs.json": ('call-logs', 3, 1, 0),
    "observability-8/mlflow/tr-0f9e8d7c6b5a4938a7b6c5d4e3f2a1b0.json": ('call-logs', 1, 0, 0),
    "observability-8/mlflow/tr-6b1f3e8a2c9d4e07b5a1c3d9e2f4a6b8.json": ('call-logs', 1, 0, 0),
    "observability-8/mlflow/tr-d2e4f6a8b0c1435e97a9b1c3d5e7f901.json": ('call-logs', 1, 1, 0),
    "observability-8/openrouter/openrouter_activity_2026-11-30.csv": ('', 0, 0, 1),
    "observability-8/opentelemetry-genai/traces.jsonl": ('call-logs', 3, 1, 0),
    "observability-8/portkey/logs_export.jsonl": ('call-logs', 3, 1, 0),
    "observability-8/wandb-weave/calls_stream_query.jsonl": ('call-logs', 3, 1, 0),
    "headless-9/claude-code-stream-json/claude-json-verbose-array.json": ('agent-stream', 0, 0, 0),
    "headless-9/claude-code-stream-json/claude-multiturn-stream.jsonl": ('agent-stream', 1, 1, 0),
    "headless-9/claude-code-stream-json/claude-multiturn.stdin.txt": ('agent-stream', 0, 0, 0),
    "headless-9/claude-code-stream-json/claude-output.jsonl": ('agent-stream', 0, 0, 0),
    "headless-9/claude-code-stream-json/claude-result.json": ('agent-stream', 0, 0, 0),
    "headless-9/codex-exec-json/codex-exec-failed.jsonl": ('agent-stream', 0, 0, 0),
    "headless-9/codex-exec-json/codex-exec-resume.commands.txt": ('', 0, 0, 1),
    "headless-9/codex-exec-json/codex-exec-resume.jsonl": ('agent-stream', 0, 0, 0),
    "headless-9/codex-exec-json/codex-exec.jsonl": ('agent-stream', 0, 0, 0),
    "headless-9/cursor-agent-stream-json/cursor-resume-chain.commands.txt": ('', 0, 0, 1),
    "headless-9/cursor-agent-stream-json/cursor-resume-chain.jsonl": ('agent-stream', 1, 1, 0),
    "headless-9/cursor-agent-stream-json/cursor-stream.jsonl": ('agent-stream', 1, 0, 0),
    "headless-9/gemini-cli-stream-json/gemini-output.json": ('agent-stream', 0, 0, 0),
    "headless-9/gemini-cli-stream-json/run-chain.commands.txt": ('', 0, 0, 1),
    "headless-9/gemini-cli-stream-json/run-chain.jsonl": ('agent-stream', 1, 1, 0),
    "headless-9/gemini-cli-stream-json/run.jsonl": ('agent-stream', 1, 0, 0),
    "headless-9/opencode-run-json/opencode-run.jsonl": ('agent-stream', 0, 0, 0),
    "headless-9/opencode-run-json/opencode-session-chain.commands.txt": ('', 0, 0, 1),
    "headless-9/opencode-run-json/opencode-session-chain.jsonl": ('agent-stream', 0, 0, 0),
    "exports-10/amp/T-019c4e2a-7b31-7d40-9a2e-5c1f0e8d3b67.md": ('markdown', 1, 1, 0),
    "exports-10/antigravity/Refactor Retry Logic In Fetch Client.md": ('markdown', 1, 1, 0),
    "exports-10/cline/cline_task_mar-4-2026_2-17-09-pm.md": ('cline-export', 1, 1, 0),
    "exports-10/copilot-chat/chat.json": ('vscode-chat', 1, 1, 0),
    "exports-10/cursor/cursor_fix_date_range_filter_in_reports.md": ('markdown', 1, 1, 0),
    "exports-10/ibm-bob/bob_task_may-16-2026_1-27-37-pm.md": ('cline-export', 1, 1, 0),
    "exports-10/kilo-code/kilo_code_task_aug-13-2025_11-59-10-am.md": ('cline-export', 1, 1, 0),
    "exports-10/roo-code/roo_task_feb-20-2026_10-02-11-pm.md": ('cline-export', 1, 1, 0),
    "exports-10/windsurf/Fix Pagination Off-By-One.md": ('markdown', 1, 1, 0),
    "exports-10/zed/fix-csv-header-parsing.md": ('markdown', 1, 1, 0),
    "exports-10/zed/legacy-2025-06_fix-csv-import-first-row-loss.md": ('markdown', 1, 1, 0),
    "pages-10/blackbox/blackbox-ai-page-copy.md": ('', 0, 0, 1),
    "pages-10/deepseek/deepseek-page-copy-zh.md": ('', 0, 0, 1),
    "pages-10/deepseek/deepseek-page-copy.md": ('', 0, 0, 1),
    "pages-10/github-copilot/github-copilot-chat-page-copy.md": ('markdown', 1, 1, 0),
    "pages-10/google-ai-studio/ai-studio-page-copy-2024.md": ('ai-studio-page', 1, 1, 0),
    "pages-10/google-ai-studio/ai-studio-page-copy-2025.md": ('ai-studio-page', 1, 1, 0),
    "pages-10/google-antigravity/antigravity-agent-panel-copy.md": ('', 0, 0, 1),
    "pages-10/grok/grok-com-page-copy.md": ('', 0, 0, 1),
    "pages-10/grok/grok-x-com-page-copy.md": ('', 0, 0, 1),
    "pages-10/microsoft-copilot/copilot-page-copy-2025.md": ('markdown', 1, 1, 0),
    # The second reply, "could I just use input type=\"email\" instead?", answered "Yes, ...", is a follow-up, no pair: the
    # text model (heuristic-16) reads it so; heuristic-15 queued it.
    "pages-10/microsoft-copilot/copilot-page-copy.md": ('markdown', 1, 1, 0),
    "pages-10/perplexity/perplexity-thread-page-copy-2025.md": ('', 0, 0, 1),
    "pages-10/perplexity/perplexity-thread-page-copy.md": ('perplexity-page', 1, 2, 0),
    "pages-10/qwen/qwen-chat-page-copy.md": ('', 0, 0, 1),
}  # fmt: skip


def _read(path: Path) -> tuple[str, int, int, list[str]]:
    formats: set[str] = set()
    conversations = pairs = 0
    errors: list[str] = []
    for item in iter_input_files([path]):
        if not isinstance(item, InputFile):
            continue
        read = FileRead()
        for result in prepared(read_file(item, format="auto", read=read)):
            if isinstance(result, ParsedConversation):
                conversations += 1
                pairs += sum(
                    1
                    for found in result.found_pairs or []
                    if found.detected is None or found.detected.score >= DEFAULT_THRESHOLD
                )
            elif isinstance(result, RecordError):
                errors.append(result.reason)
        formats.update([read.format] if read.format else [])
    return ",".join(sorted(formats)), conversations, pairs, errors


def test_every_probe_is_listed() -> None:
    files = {
        str(path.relative_to(ROOT))
        for path in ROOT.rglob("*")
        if path.is_file() and path.name not in ("SOURCES.md", "README.md")
    }
    assert files == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_probe_imports_as_its_format(name: str) -> None:
    formats, conversations, pairs, errors = _read(ROOT / name)
    assert (formats, conversations, pairs, len(errors)) == EXPECTED[name], errors
    for reason in errors:
        assert reason.startswith("matches no known format"), reason


def test_the_branched_claude_chats_read_the_branch_shown() -> None:
    """The sixth round's branched Claude.ai chats (an edit, a retry listed after its replacement): four turns each,
    the exchange on screen, nothing of the abandoned branches."""
    path = ROOT / "platforms-6" / "claude-2025-branches-edit-and-retry" / "conversations.json"
    (item,) = [i for i in iter_input_files([path]) if isinstance(i, InputFile)]
    chats = [r for r in read_file(item, format="auto", read=FileRead()) if isinstance(r, ParsedConversation)]
    assert [len(chat.turns) for chat in chats] == [4, 4]
    assert all("Are you sure" not in turn.text for chat in chats for turn in chat.turns)
    assert all(chat.turns[3].text.startswith("You're right. Anchor it") for chat in chats)
