# ruff: noqa: RUF001 - Claude Code 2.1 draws the prompt mark as U+276F
"""Claude Code's `/export` text transcript: fixtures in tests/fixtures/real_formats/claude_code_export/, written
in the shape of Claude Code's export renderer and real exported files (2.0's logo banner with `>` prompts and
tool calls with their `⎿` output; 2.1's welcome box, angle-quote prompts padded to the terminal's width and wrapped
answers)."""

from __future__ import annotations

import io
from pathlib import Path

from sqlalchemy import Engine

from app.conversations.importers import detect_format, get_importer
from app.conversations.importers.base import ParsedConversation, RecordError
from app.conversations.importing import run_import
from app.conversations.reading import prepare

from .helpers import turns

ROOT = Path(__file__).resolve().parents[2] / "fixtures" / "real_formats" / "claude_code_export"
TOOLS = ROOT / "2025-11-30-104512-the-task-status-stays-queued-until-the-task-ends.txt"
BOXED = ROOT / "2026-04-11-091522-how-do-i-undo-my-last-git-commit-but-keep-the-cha.txt"


def _parse(path: Path) -> ParsedConversation:
    (conversation,) = list(get_importer("claude-code-export").parse(io.BytesIO(path.read_bytes()), path.name))
    assert isinstance(conversation, ParsedConversation)
    return conversation


def test_exports_are_detected_by_content() -> None:
    for path in (TOOLS, BOXED):
        assert detect_format(path.read_bytes(), "transcript.txt") == "claude-code-export"
    assert detect_format(b"> a quoted line\n\nsome notes\n", "notes.txt") is None


def test_prompts_answers_and_tool_calls() -> None:
    conversation = _parse(TOOLS)
    assert conversation.metadata == {"version": "2.0.55", "model": "Sonnet 4.5"}
    assert conversation.dropped == {"attachment": 1}  # the file Claude Code read for the first prompt
    assert turns(conversation)[0] == (
        "user",
        'The task status stays "queued" until the task ends. Read\n@docs/tasks.md and find out why.\n\n\n\n'
        'It should say "running" while the worker handles it.',
    )
    answer = conversation.turns[1]
    assert answer.text == (
        "I'll look at how the status is written.\n\nThe frontend polls every 10 seconds, so a task that "
        'finishes in 2 seconds\nnever shows "running". Lower the interval to 1 second in use-task-status.ts.'
    )
    assert answer.blocks is not None
    tools = [
        (b["type"], b.get("name"), b.get("input"), b.get("content"))
        for b in answer.blocks
        if b["type"] != "text"
    ]
    assert tools[:2] == [
        ("tool_use", "Bash", {"args": 'grep -rn "mark_started" backend/app'}, None),
        (
            "tool_result",
            None,
            None,
            "backend/app/tasks/check.py:41:        status.mark_started()\n"
            "backend/app/tasks/check.py:88:        status.mark_success()\n… +3 lines (ctrl+o to expand)",
        ),
    ]
    # The status line, the tip under it and the compaction rule are not text; the session goes on after them.
    assert [role for role, _ in turns(conversation)] == ["user", "assistant"] * 3
    assert turns(conversation)[4] == ("user", "thanks, that works. now add a test for it")


def test_the_boxed_banner_and_padded_prompts_of_2_1() -> None:
    conversation = _parse(BOXED)
    assert conversation.metadata == {"version": "2.1.97", "model": "Opus 4.6"}
    assert conversation.title == "How do I undo my last git commit but keep the changes in my working tree?"
    assert turns(conversation)[2] == (
        "user",
        "that's wrong, --hard throws away the changes. I want to keep them.",
    )
    assert turns(conversation)[3][1].endswith("(or git reset HEAD~1 to unstage them).")


def test_an_export_without_an_answer_is_one_error() -> None:
    data = b"\n > not a prompt\n\n> only a prompt\n\n\xe2\x9c\xbb Brewed for 2s\n"
    (error,) = list(get_importer("claude-code-export").parse(io.BytesIO(data), "x.txt"))
    assert isinstance(error, RecordError)
    assert error.reason == "Claude Code export: no assistant answer: only the user's messages"


def test_import_stores_the_pairs_and_again_adds_nothing(engine: Engine) -> None:
    summary = run_import(engine, paths=[ROOT], source="claude-code-export", workers=0)
    assert (summary.conversations_added, summary.errors) == (2, [])
    assert summary.pairs_detected >= 2
    assert run_import(engine, paths=[ROOT], source="claude-code-export", workers=0).conversations_added == 0


def test_slash_commands_nobody_answers_are_command_blocks_not_prompts() -> None:
    """A real export opens with `> /model`, `> /status` and `> /context` and their output: commands, not what the
    person asked. A command the model answers (a custom command's prompt) stays the prompt."""
    data = (
        "╭───────────────────────────╮\n│ ✻ Welcome to Claude Code! │\n╰───────────────────────────╯\n\n"
        "> /model \n  ⎿  Kept model as Default (recommended)\n\n"
        "> /context \n  ⎿  claude-opus-4-1 • 35k/200k tokens (18%)\n\n"
        "> /review 12 \n\n"
        "⏺ Reviewing pull request 12: the migration drops the index before the backfill.\n\n"
        "> why does that matter?\n\n"
        "⏺ Without the index the backfill scans the whole table for every batch.\n"
    ).encode()
    (conversation,) = list(get_importer("claude-code-export").parse(io.BytesIO(data), "session.txt"))
    assert isinstance(conversation, ParsedConversation)
    assert [role for role, _ in turns(conversation)] == ["user", "assistant", "user", "assistant"]
    assert turns(conversation)[0] == ("user", "/review 12")
    assert conversation.turns[0].blocks == [
        {"type": "command", "name": "/model", "args": ""},
        {"type": "command", "name": "/context", "args": ""},
    ]


def test_thinking_shown_in_the_transcript_is_a_thinking_block() -> None:
    """An export taken with the thinking expanded: `✻ Thinking…` and its indented lines are the answer's thinking,
    not lost among the status lines (a real export kept four such sections)."""
    text = (
        "> check my todo list for duplicates\n\n"
        "✻ Thinking…\n\n"
        "  The list is in todo.md. I should read it before\n"
        "  answering.\n\n"
        "⏺ Read(todo.md)\n"
        "  ⎿  Read 9 lines (ctrl+r to expand)\n\n"
        '⏺ Two entries repeat: "call the bank" (lines 2 and 7) and\n'
        '  "renew passport" (lines 4 and 9).\n\n'
        "✻ Brewed for 4s\n"
    )
    (conversation,) = list(get_importer("claude-code-export").parse(io.BytesIO(text.encode()), "t.txt"))
    assert isinstance(conversation, ParsedConversation)
    answer = conversation.turns[1]
    assert (
        answer.text
        == 'Two entries repeat: "call the bank" (lines 2 and 7) and\n"renew passport" (lines 4 and 9).'
    )
    assert (answer.blocks or [])[0] == {
        "type": "thinking",
        "thinking": "The list is in todo.md. I should read it before\nanswering.",
    }
    assert [b["type"] for b in answer.blocks or []] == ["thinking", "tool_use", "tool_result", "text"]


def test_a_failed_request_leaves_its_prompt_out_and_wrapped_lines_lose_the_indent() -> None:
    """A prompt whose request failed (`⎿  API Error: 404`, a model name mistyped) and that the person sent again
    after fixing the model: one prompt, not the same text twice in one turn. Older exports indent a prompt's wrapped
    lines by two spaces under the `> `."""
    text = (
        "> /model sonet\n"
        "  ⎿  Set model to sonet\n\n"
        "> could you read notes.md and list its\n"
        "  open questions?\n"
        "  ⎿  API Error: 404\n"
        '     {"type":"error","error":{"type":"not_found_error"}}\n\n'
        "> /model sonnet\n"
        "  ⎿  Set model to sonnet\n\n"
        "> could you read notes.md and list its\n"
        "  open questions?\n\n"
        "⏺ Two are open: the release date and who owns the migration.\n"
    )
    (conversation,) = list(get_importer("claude-code-export").parse(io.BytesIO(text.encode()), "t.txt"))
    assert isinstance(conversation, ParsedConversation)
    assert turns(conversation) == [
        ("user", "could you read notes.md and list its\nopen questions?"),
        ("assistant", "Two are open: the release date and who owns the migration."),
    ]
    assert conversation.dropped["failed prompt"] == 1


def test_an_export_drawn_with_round_bullets_and_no_banner_is_detected() -> None:
    """Linux and Windows terminals draw the answer's bullet as `●`; a real export began at its first prompt, with no
    banner naming Claude Code."""
    text = (
        "> a rota /api/domains devolve 404\n\n"
        "● Vou verificar a rota no backend.\n\n"
        "● Bash(curl -s localhost:3001/api/domains)\n"
        '  ⎿  {"error": "Invalid token"}\n\n'
        "● A rota existe (responde 401): o frontend chama /api/api/domains.\n"
    ).encode()
    assert detect_format(text, "2026-01-05-a-rota.txt") == "claude-code-export"
    (conversation,) = list(get_importer("claude-code-export").parse(io.BytesIO(text), "t.txt"))
    assert isinstance(conversation, ParsedConversation)
    assert conversation.turns[1].text == (
        "Vou verificar a rota no backend.\n\nA rota existe (responde 401): o frontend chama /api/api/domains."
    )


def test_calls_shown_without_output_and_the_cost_summary_are_not_the_answers_words() -> None:
    """Two real exports: Claude Code 2 folds reads and searches into `● Searched for 2 patterns (ctrl+o to expand)`
    and shows a call without output (`● Bash(touch notes.txt)`), which were stored as the answer's words; a
    terminal copy ended with the cost summary printed on exit, stored at the end of the last answer."""
    text = (
        "❯ what does the config say about edits?\n\n"
        "● Let me check.\n\n"
        "● Searched for 2 patterns, read 1 file (ctrl+o to expand)\n\n"
        "● Edits need your approval: Write and Edit are in the deny list.\n\n"
        "❯ create notes.txt with bash\n\n"
        "● Bash(touch notes.txt)\n\n"
        "● Done. Created notes.txt.\n\n\n"
        "Total cost:            $0.20\nTotal duration (API):  18s\nTotal duration (wall): 56.9s\n"
        "Usage by model:\n    claude-haiku:  550 input, 41 output\n"
    )
    (conversation,) = list(get_importer("claude-code-export").parse(io.BytesIO(text.encode()), "chat.txt"))
    assert isinstance(conversation, ParsedConversation)
    assert turns(conversation) == [
        ("user", "what does the config say about edits?"),
        ("assistant", "Let me check.\n\nEdits need your approval: Write and Edit are in the deny list."),
        ("user", "create notes.txt with bash"),
        ("assistant", "Done. Created notes.txt."),
    ]
    assert [b.get("name") for b in conversation.turns[1].blocks or [] if b["type"] == "tool_use"] == [
        "Searched for 2 patterns, read 1 file"
    ]
    assert conversation.turns[3].blocks is not None
    assert conversation.turns[3].blocks[0] == {
        "type": "tool_use",
        "id": None,
        "name": "Bash",
        "input": {"args": "touch notes.txt"},
    }
    assert conversation.dropped == {"session cost summary": 1}


def test_the_fence_a_pasted_transcript_was_wrapped_in_is_not_the_last_answers() -> None:
    """A real README pasted a Claude Code session inside one code fence; its closing fence ended the last answer."""
    text = "Here is my session.\n\n```\n> make the chicken bigger\n\n⏺ Done! It is 150 pixels now.\n\n```\n"
    (conversation,) = list(
        get_importer("claude-code-export").parse(io.BytesIO(text.encode()), "claude-conversation.md")
    )
    assert isinstance(conversation, ParsedConversation)
    assert conversation.turns[-1].text == "Done! It is 150 pixels now."


def _read(text: str, name: str = "session.txt") -> ParsedConversation:
    (conversation,) = get_importer("claude-code-export").parse(io.BytesIO(text.encode()), name)
    assert isinstance(conversation, ParsedConversation)
    return conversation


def test_a_21_terminal_copy_with_folded_runs_a_recap_and_lost_line_breaks() -> None:
    # A real Claude Code 2.1 terminal copy: folded tool runs on lines of their own, a recap line, and marks that lost
    # their line breaks (a prompt and its answer on one line, a tool's output beside its call).
    text = (
        "※ recap: You asked which plugins to enable; I found pyright-lsp. (disable recaps in /config)\n\n"
        "❯ set up uv and ruff\n\nRan 1 shell command (ctrl+o to expand)\n\n"
        "⏺ Both are installed and on PATH.\n\n"
        "❯ which config files do I need, no docker. ⏺ For uv and ruff you need only pyproject.toml.\n\n"
        "⏺ Write(pyproject.toml) ⎿  Wrote 12 lines to pyproject.toml\n\n"
        "❯ thanks\n"
    )
    chat = _read(text)
    said = turns(chat)
    assert said[:4] == [
        ("user", "set up uv and ruff"),
        ("assistant", "Both are installed and on PATH."),
        ("user", "which config files do I need, no docker."),
        ("assistant", "For uv and ruff you need only pyproject.toml."),
    ]
    assert [b["type"] for b in chat.turns[1].blocks or []] == ["tool_use", "text"]
    assert [b["type"] for b in chat.turns[3].blocks or []] == ["text", "tool_use", "tool_result"]
    assert chat.dropped == {"session recap": 1}


def test_a_readme_showing_a_demo_session_in_a_code_block_is_not_a_transcript() -> None:
    text = (
        "# active-listening\n\nA plugin that remembers your preferences.\n\n## Demo\n\n```\n"
        "❯ /active-listening\n⏺ Active Listening enabled.\n❯ always use tabs\n⏺ Saved: always use tabs.\n```\n\n"
        "## Commands\n\n| command | what |\n|---|---|\n"
    )
    assert detect_format(text.encode(), "README.md") != "claude-code-export"
    # A pasted session a person fenced whole stays a transcript.
    fenced = "```\n❯ add a test\n⏺ Added tests/test_x.py.\n```\n"
    assert detect_format(fenced.encode(), "notes.md") == "claude-code-export"


def test_what_shows_while_a_command_or_a_skill_runs_is_no_prompt_and_an_answer_names_no_session() -> None:
    # A real export: `> /skills is running…` and `> The "x" skill is running` where prompts go; the copy opens with
    # that command's answer, so the first typed prompt names it.
    text = (
        "> /skills is running… \n  ⎿  Allowed 1 tools for this command\n\n"
        "⏺ I'll list the skills. You have 9 skills.\n\n"
        "> run the course-description-analyzer skill \n\n"
        "⏺ I'll run it for you.\n\n"
        '> The "course-description-analyzer" skill is running \n\n'
        "⏺ I'll analyze the course description first.\n"
    )
    chat = _read(text)
    assert chat.title == "run the course-description-analyzer skill"
    assert [turn.text for turn in chat.turns if turn.role == "user"] == [
        "run the course-description-analyzer skill"
    ]
    assert chat.dropped["skill status"] == 1
    assert chat.turns[1].blocks is not None
    assert chat.turns[1].blocks[0] == {"type": "command", "name": "/skills", "args": ""}


def test_an_export_with_three_short_prompts_stays_a_claude_code_export() -> None:
    # `> ` prompts and `⏺` answers: not a hand-written transcript that quotes the person's messages.
    text = (
        "> why is it slow?\n\n⏺ The loop copies the list on every pass, so it is quadratic in its length.\n\n"
        "> fix it\n\n⏺ Done: it now appends to one list and joins once at the end of the loop.\n\n"
        "> thanks\n\n⏺ You're welcome. The benchmark went from 4.1 s to 0.2 s on the sample file.\n"
    )
    assert detect_format(text.encode(), "session.md") == "claude-code-export"


def test_commands_the_person_ran_in_bash_mode_are_context_of_their_next_prompt() -> None:
    # A real 2.1 export: `! cmd` lines and their `⎿` output between answers (Claude Code's bash mode).
    text = (
        "❯ hi\n\n● Hi! How can I help you today?\n\n"
        "! pip install -r requirements.txt\n  ⎿  error: externally-managed-environment\n\n"
        "! ./venv/bin/pip install -r requirements.txt\n  ⎿  Successfully installed flask-3.1.3\n\n"
        "❯ what libraries were installed\n\n● flask 3.1.3.\n"
    )
    chat = _read(text)
    assert turns(chat) == [
        ("user", "hi"),
        ("assistant", "Hi! How can I help you today?"),
        ("user", "what libraries were installed"),
        ("assistant", "flask 3.1.3."),
    ]
    assert chat.turns[2].blocks == [
        {
            "type": "context",
            "tag": "bash",
            "text": "pip install -r requirements.txt\nerror: externally-managed-environment",
        },
        {
            "type": "context",
            "tag": "bash",
            "text": "./venv/bin/pip install -r requirements.txt\nSuccessfully installed flask-3.1.3",
        },
    ]


def test_stopped_words_stay_the_answers_and_the_unsent_prompt_box_is_left_out() -> None:
    """A terminal copy (ninth fetch): an answer's only sentence, stopped (`⎿  Interrupted by user`), was read as a tool
    call and the answer left with no words, so the pushback after it paired nothing; the prompt box drawn after
    the last answer, holding what was typed and never sent, ended that answer."""
    width = "─" * 60
    data = (
        f"╭{width}╮\n│ ✻ Welcome to Claude Code!{' ' * 35}│\n╰{width}╯\n\n"
        "> style the mole component\n\n"
        "● Let me continue styling the Mole component to match the sand theme:\n"
        "  ⎿  Interrupted by user\n\n"
        "> but it doesn't even work yet, forget styling\n\n"
        "● You're right! Let's fix the functionality first: the game never starts because GameState is not exported.\n\n"
        "● Update(src/GameState.js)\n  ⎿  Updated src/GameState.js with 1 addition\n\n"
        f"╭{width}╮\n│ > http://localhost:3001/api/leaderboard{' ' * 20}│\n╰{width}╯\n"
    ).encode()
    (chat,) = list(get_importer("claude-code-export").parse(io.BytesIO(data), "copy.txt"))
    assert isinstance(chat, ParsedConversation)
    said = turns(chat)
    assert said[1] == ("assistant", "Let me continue styling the Mole component to match the sand theme:")
    assert said[3][1].startswith("You're right! Let's fix the functionality first")
    assert "leaderboard" not in said[3][1]
    assert chat.dropped == {"interruption": 1, "prompt box": 1}
    assert [b["name"] for b in chat.turns[3].blocks or [] if b["type"] == "tool_use"] == ["Update"]


def test_a_21_copy_after_compaction_keeps_commands_notices_and_folds_out_of_the_words() -> None:
    """A real 2.1 terminal copy (eleventh fetch) taken after `✻ Conversation compacted`: `> /permissions` with its
    `⎿` output became user turns (one with `⎿  (no content)` on the prompt's own line) and split the answer; notices of
    background work (`● Agent "x" completed · 3m 2s`) and folded runs indented under an answer were its words; an
    answer with a parenthesis in it, stopped (`⎿  Interrupted · What should ...`), was read as a tool call named by its
    opening words; a call whose output sat on its own line was the answer's words."""
    pad = " " * 50
    text = (
        " ▐▛███▜▌   Claude Code v2.1.150\n▝▜█████▛▘  Opus 4.5 · API Usage Billing\n\n"
        "✻ Conversation compacted (ctrl+o for history)\n\n"
        "  ⎿  Read src\\app.ts (120 lines)\n\n"
        '● Task "Run tests" still running in background\n\n'
        "● Bash(npm run dev -- --port 4000)\n  ⎿  Running in the background (↓ to manage)\n\n"
        '● Agent "Fix lint" completed · 3m 2s\n\n'
        "  Read 3 files (ctrl+o to expand)\n\n"
        '● Background command "Start dev server" failed with exit code 1\n\n'
        f"❯ /permissions{pad}\n  ⎿  (no content)\n\n"
        "● The dev server is up on port 4000.\n\n"
        f"● PowerShell(Get-Process -Name node){pad}  ⎿  Not running: no such process.\n\n"
        "❯ the app uses port 5000 though\n\n"
        "● You're right, the config sets port 5000. Switching to it.\n\n"
        f"❯ /permissions{pad}  ⎿  (no content)\n\n"
        "● The page answers (HTTP 200) on port 5000 now. Let me check the console.\n\n"
        "  Searched for 1 pattern (ctrl+o to expand)\n"
        "  ⎿  Interrupted · What should Claude do instead?\n\n"
        "❯ thanks\n"
    )
    chat = _read(text)
    assert turns(chat) == [
        ("assistant", "The dev server is up on port 4000."),
        ("user", "the app uses port 5000 though"),
        (
            "assistant",
            "You're right, the config sets port 5000. Switching to it.\n\n"
            "The page answers (HTTP 200) on port 5000 now. Let me check the console.",
        ),
        ("user", "thanks"),
    ]
    assert chat.title == "the app uses port 5000 though"
    calls = [
        (b["type"], b.get("name"), b.get("content"))
        for b in chat.turns[0].blocks or []
        if b["type"] != "text"
    ]
    assert calls == [
        ("tool_use", "Bash", None),
        ("tool_result", None, "Running in the background (↓ to manage)"),
        ("tool_use", "Read 3 files", None),
        ("tool_use", "PowerShell", None),
        ("tool_result", None, "Not running: no such process."),
    ]
    assert chat.turns[1].blocks == [{"type": "command", "name": "/permissions", "args": ""}]
    assert chat.turns[3].blocks == [{"type": "command", "name": "/permissions", "args": ""}]
    assert [b["type"] for b in chat.turns[2].blocks or []] == ["text", "text", "tool_use"]
    assert chat.dropped == {"background notice": 3, "command output": 2}
    found = prepare(chat).found_pairs or []
    assert [(finding.rejected, finding.pushback, finding.chosen) for finding in found] == [(0, 1, 2)]


def test_a_20_copy_keeps_blinking_calls_apart_and_leaves_out_the_empty_input_box() -> None:
    """A real 2.0 terminal copy (eleventh fetch): a running sub-agent's bullet caught blinking off (`  Task(x)` under
    the answer's words, its `⎿` output under it) was read into the answer's words and the call before; the empty input
    box between two `───` rules and its footer (`2 background tasks · ? for shortcuts`) became a user turn."""
    rule = "─" * 80
    text = (
        " ▐▛███▜▌   Claude Code v2.0.37\n▝▜█████▛▘  Opus 4.1 · Claude Max\n\n"
        "> check both services\n\n"
        "● Starting 2 agents in parallel:\n\n"
        "  Task(Check the API)\n  ⎿  Done (4 tool uses · 12.0k tokens · 30s)\n\n"
        "● Task(Check the worker)\n  ⎿  Done (2 tool uses · 9.1k tokens · 21s)\n\n"
        "  Task(Check the queue)\n  ⎿  Waiting…\n     +1 more tool use (ctrl+o to expand)\n\n"
        "✽ Checking services… (esc to interrupt · ctrl+t to hide todos)\n"
        "  ⎿  ☐ Check the queue\n\n"
        f"{rule}\n> \n{rule}\n  2 background tasks · ? for shortcuts\n\n\n"
    )
    chat = _read(text)
    assert turns(chat) == [("user", "check both services"), ("assistant", "Starting 2 agents in parallel:")]
    calls = [(b["type"], b.get("input") or b.get("content")) for b in chat.turns[1].blocks or []]
    assert calls == [
        ("text", None),
        ("tool_use", {"args": "Check the API"}),
        ("tool_result", "Done (4 tool uses · 12.0k tokens · 30s)"),
        ("tool_use", {"args": "Check the worker"}),
        ("tool_result", "Done (2 tool uses · 9.1k tokens · 21s)"),
        ("tool_use", {"args": "Check the queue"}),
        ("tool_result", "Waiting…\n+1 more tool use (ctrl+o to expand)"),
    ]
    assert chat.dropped == {"prompt box": 1}


def test_stopped_words_with_a_parenthesis_are_no_tool_call() -> None:
    """A real 2.1 copy (eleventh fetch): an answer's words with a parenthesis, stopped by the person (2.x's `⎿
    Interrupted · What should Claude do instead?`), were read as a call named by the words before the parenthesis."""
    text = (
        "❯ does it build?\n\n"
        "● The build passes (12 tests) but the linter fails on\n  two files. Let me fix that.\n"
        "  ⎿  Interrupted · What should Claude do instead?\n\n"
        "❯ leave the linter\n\n● OK, leaving it.\n"
    )
    chat = _read(text)
    assert turns(chat)[1] == (
        "assistant",
        "The build passes (12 tests) but the linter fails on\ntwo files. Let me fix that.",
    )
    assert chat.turns[1].blocks is None
    assert chat.dropped == {"interruption": 1}


def test_what_the_person_typed_rejecting_a_call_is_their_turn() -> None:
    """A call the person rejected with a message (`⎿  Tool use rejected with user message: ...`, wrapped to the
    terminal's width; eleventh fetch): the message is the person's turn after the answer that made the call, the
    answer after it a revision (before, it was read as the call's output, and the two answers one)."""
    text = (
        "❯ add a retry to the webhook sender\n\n"
        "● I'll wrap the POST in a loop of five tries.\n\n"
        "● Update(sender.py)\n"
        "  ⎿  Tool use rejected with user message: no loop, we already depend on tenacity. use its decorator\n"
        "     and keep the timeout\n\n"
        "● Right, tenacity is already a dependency: using @retry with the timeout kept.\n\n"
        "● Update(sender.py)\n"
        "  ⎿  Updated sender.py with 3 additions\n\n"
        "● Done.\n"
    )
    chat = _read(text)
    assert [role for role, _ in turns(chat)] == ["user", "assistant", "user", "assistant"]
    assert turns(chat)[2] == (
        "user",
        "no loop, we already depend on tenacity. use its decorator and keep the timeout",
    )
    assert chat.turns[1].blocks is not None
    assert chat.turns[1].blocks[-1] == {
        "type": "tool_result",
        "tool_use_id": None,
        "content": "Tool use rejected.",
        "is_error": True,
    }
    assert turns(chat)[3][1].startswith("Right, tenacity is already a dependency")


def test_a_notes_copy_keeps_the_compaction_summary_todo_lists_and_an_indented_prompt_apart() -> None:
    """A hand-saved 1.0 terminal copy (thirteenth fetch): the compaction summary (`> This session is being continued
    ...`, a `/status` panel under it) was joined to the person's first prompt; an answer's words with a to-do list
    under them were read as a call named by those words; a prompt indented by two spaces stayed in the answer."""
    text = (
        "# notes-june-3\n\npytest tests/ -v\n\n"
        "==================== Previous Conversation Compacted ====================\n\n"
        "> This session is being continued from a previous conversation that ran out of context. The conversation is\n"
        "  summarized below:\n  Analysis:\n  The user asked for a parser.\n"
        "  ⎿  Read src/parser.py (120 lines)\n\n"
        " Claude Code Status v1.0.17\n\n Model • /model\n  L Default (claude-sonnet-4-20250514)\n\n\n"
        "> This session is about speeding up the parser. Please read @NOTES.md first.\n"
        "  ⎿  Read NOTES.md (40 lines)\n\n"
        "⏺ I understand you want the parser faster. From the notes I can see:\n\n"
        "  1. Tokenising takes most of the time\n"
        "  ⎿  ☐ Profile the tokeniser\n     ☐ Cache compiled patterns\n\n"
        "⏺ Update Todos\n  ⎿  ☒ Profile the tokeniser\n     ☐ Cache compiled patterns\n\n"
        "⏺ Where should I start?\n\n\n"
        "  > Great. Now write the findings up as markdown.\n\n"
        "⏺ I'll write them to FINDINGS.md.\n"
    )
    chat = _read(text, "notes.md")
    assert turns(chat) == [
        ("user", "This session is about speeding up the parser. Please read @NOTES.md first."),
        (
            "assistant",
            "I understand you want the parser faster. From the notes I can see:\n\n"
            "1. Tokenising takes most of the time\n\nWhere should I start?",
        ),
        ("user", "Great. Now write the findings up as markdown."),
        ("assistant", "I'll write them to FINDINGS.md."),
    ]
    assert chat.title == "This session is about speeding up the parser. Please read @NOTES.md first."
    blocks = [(b["type"], b.get("name"), b.get("content")) for b in chat.turns[1].blocks or []]
    assert blocks[1:5] == [
        ("tool_use", "Update Todos", None),
        ("tool_result", None, "☐ Profile the tokeniser\n☐ Cache compiled patterns"),
        ("tool_use", "Update Todos", None),
        ("tool_result", None, "☒ Profile the tokeniser\n☐ Cache compiled patterns"),
    ]
    assert chat.dropped == {"compaction summary": 1, "attachment": 1}


def test_a_stopped_prompt_sent_again_is_one_prompt() -> None:
    """A terminal copy (thirteenth fetch): a prompt the person stopped before any answer (`⎿  Interrupted by user`)
    and sent again as it was, its wrapped lines indented otherwise, was one turn holding the text twice. One that is
    not sent again stays the person's words."""
    text = (
        "> explain the retry loop in detail:\\\n  1. why five tries?\\\n  2. where is the delay set?\n"
        "  ⎿  ⧉ Selected 3 lines from sender.py in Cursor\n  ⎿  Interrupted by user\n\n"
        "> explain the retry loop in detail:\\\n    1. why five tries?\\\n    2. where is the delay set?\n\n"
        "⏺ Five tries cover the gateway's restart; the delay is set in config.py.\n\n"
        "> and the timeout?\n  ⎿  Interrupted by user\n\n"
        "> also the backoff\n\n"
        "⏺ The timeout is 10s and the backoff doubles.\n"
    )
    chat = _read(text)
    assert [role for role, _ in turns(chat)] == ["user", "assistant", "user", "assistant"]
    # The one sent again, the two spaces of the older exports' wrapping taken off its lines.
    assert turns(chat)[0][1] == (
        "explain the retry loop in detail:\\\n  1. why five tries?\\\n  2. where is the delay set?"
    )
    assert turns(chat)[2] == ("user", "and the timeout?\n\nalso the backoff")
    assert chat.dropped == {"interrupted prompt": 1, "attachment": 1, "interruption": 1}
