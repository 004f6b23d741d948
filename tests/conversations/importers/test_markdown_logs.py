"""aider and SpecStory Markdown logs, and the Claude.ai data export (fixtures written by hand, and a real SpecStory
export)."""

from __future__ import annotations

import io
import json
from pathlib import Path

from app.conversations.importers import detect_format, get_importer
from app.conversations.importers.base import ParsedConversation, Skipped

from .helpers import errors_of, parse, parse_one, turns

REAL = Path(__file__).resolve().parents[2] / "fixtures" / "real_formats"


Shaped = list[list[tuple[str, str, list[tuple[str, str | None]]]]]


def _read(name: str) -> tuple[str | None, Shaped, list]:
    path = REAL / name
    data = path.read_bytes()
    fmt = detect_format(data, str(path))
    assert fmt is not None
    conversations, errors = parse(fmt, data, str(path))
    shaped: Shaped = [
        [
            (t.role, t.text, [(b["type"], b.get("tag") or b.get("name")) for b in t.blocks or []])
            for t in c.turns
        ]
        for c in conversations
    ]
    return fmt, shaped, errors


def test_aider_history_one_conversation_per_answered_session() -> None:
    fmt, conversations, errors = _read("aider/.aider.chat.history.md")
    assert (fmt, errors) == ("aider", [])
    first, second = conversations
    assert [(role, text.split("\n")[0], blocks) for role, text, blocks in first] == [
        ("user", "add a function that divides two numbers", [("context", "aider-output")]),
        ("assistant", "I'll add `divide` to calc.py.", []),
        ("user", "that doesn't raise on zero, it should raise ValueError", [("context", "aider-output")]),
        ("assistant", "You're right, here is the fix:", []),
    ]
    assert first[0][1] == "add a function that divides two numbers\n  and raises on zero"
    # `> Applied edit` inside the answer's aftermath is aider talking, not the model.
    assert "Applied edit" not in first[1][1]
    assert first[1][1].endswith(">>>>>>> REPLACE\n```")
    assert second == [
        ("user", "what does divide return for 1, 4?", [("context", "aider-output")]),
        ("assistant", "It returns 0.25.", []),
    ]


def test_specstory_blocks_merge_per_response_and_tools_become_blocks() -> None:
    fmt, conversations, errors = _read(
        "specstory/.specstory/history/2025-05-10_12-00Z-fix-flaky-date-test.md"
    )
    assert (fmt, errors) == ("specstory", [])
    (turns,) = conversations
    assert turns == [
        ("user", "The test in test_dates.py fails around midnight. Why?", []),
        (
            "assistant",
            "Let me look at the test.\n\nIt calls `date.today()` twice; across midnight the two calls differ.",
            [("thinking", None), ("tool_use", "read_file"), ("text", None), ("text", None)],
        ),
        ("user", "No, it only calls it once. Look again at the fixture.", []),
        (
            "assistant",
            "The fixture builds the expected date at import time, the test at run time: freeze the clock in both.",
            [("tool_use", "Read"), ("tool_use", "Grep"), ("text", None)],
        ),
    ]


def test_specstory_claude_code_session_tool_calls_are_blocks_not_answer_text() -> None:
    """A real SpecStory export of a Claude Code session (specstoryai/tnyOffice, .specstory/history/, cut
    down; its second exchange written in the same shape): each tool call is an agent block of its own, with
    `Tool use: **Name**`, its input, then `Result:`; thinking is folded in `<details>`; a pasted image is a
    line of text."""
    path = "specstory/.specstory/history/2025-07-20_00-40-33Z-user-provided-an-image.md"
    fmt, conversations, errors = _read(path)
    assert (fmt, errors) == ("specstory", [])
    (turns,) = conversations
    assert [(role, blocks) for role, _, blocks in turns] == [
        ("user", []),
        (
            "assistant",
            [("thinking", None), ("text", None), ("tool_use", "TodoWrite"), ("thinking", None),
             ("tool_use", "Bash"), ("tool_use", "Write"), ("tool_result", None), ("tool_use", "Grep"),
             ("tool_result", None), ("text", None)],
        ),
        ("user", []),
        ("assistant", [("tool_use", "Read"), ("tool_result", None), ("text", None)]),
    ]  # fmt: skip
    assert turns[0][1].startswith("read @README.md @apps/api/README.md")
    assert turns[1][1] == (
        "I'll create a simple shared logger package that can be used across your monorepo, following the "
        "approach shown in your example.\n\nI've created the shared logger package at `packages/logger`."
    )
    data = (REAL / path).read_bytes()
    ((conversation,), _) = parse("specstory", data, path)
    blocks = conversation.turns[1].blocks or []
    assert blocks[0]["thinking"].startswith("The user wants to implement")  # no <details> wrapper
    write, written = blocks[5], blocks[6]
    assert write["input"].startswith("const isProd = process.env.NODE_ENV")  # the code, unfenced
    assert written["content"].startswith("File created successfully at: ")
    assert conversation.dropped == {"image": 1}
    assert "User provided an image" not in conversation.turns[0].text


def test_claude_ai_export_messages_attachments_and_empty_chats() -> None:
    fmt, conversations, errors = _read("claude_ai_export/conversations.json")
    assert (fmt, errors) == ("claude-ai", [])
    (turns,) = conversations
    assert turns == [
        ("user", "Write a regex for ISO dates", [("context", "attachment")]),
        ("assistant", "Use `\\d+`.", [("thinking", None), ("text", None)]),
        ("user", "That matches any number, not a date. I need YYYY-MM-DD.", []),
        ("assistant", "Use `^\\d{4}-\\d{2}-\\d{2}$`.", []),
    ]


def test_a_code_block_opened_on_the_speaker_line_hides_no_later_speaker() -> None:
    data = (
        b"User: undo my last commit\n\nAssistant: ```bash\ngit reset --hard HEAD~1\n```\n\nThis moves back.\n\n"
        b"User: that deleted my changes\n\nAssistant: Sorry, use `git reset --soft HEAD~1`.\n\n"
        b"User: and this?\n\nAssistant: ```\nUser: not a speaker inside the block\n```\n"
    )
    parsed = parse_one("markdown", data, "chat.md")
    assert [role for role, _ in turns(parsed)] == ["user", "assistant"] * 3
    assert turns(parsed)[1][1] == "```bash\ngit reset --hard HEAD~1\n```\n\nThis moves back."
    assert turns(parsed)[5][1] == "```\nUser: not a speaker inside the block\n```"


def test_a_claude_ai_content_block_that_is_not_an_object_is_counted_not_raised() -> None:
    conversation = {
        "uuid": "c-1",
        "name": "Broken block",
        "chat_messages": [
            {"sender": "human", "text": "Is 91 prime?"},
            {
                "sender": "assistant",
                "content": [["not", "a", "block"], {"type": "text", "text": "No: 7 x 13."}],
            },
        ],
    }
    parsed = parse_one("claude-ai", json.dumps([conversation]).encode(), "conversations.json")
    assert turns(parsed) == [("user", "Is 91 prime?"), ("assistant", "No: 7 x 13.")]
    assert parsed.dropped == {"malformed block": 1}


def test_claude_ai_attachments_that_are_not_a_list_are_an_error_naming_them() -> None:
    conversation = {
        "uuid": "c-2",
        "chat_messages": [
            {"sender": "human", "text": "Summarise this.", "attachments": 3.5},
            {"sender": "assistant", "text": "Done."},
        ],
    }
    conversations, errors = parse("claude-ai", json.dumps([conversation]).encode(), "conversations.json")
    ((_, path, reason),) = errors_of(errors)
    assert conversations == []
    assert (path, reason) == ("$[0]", "chat_messages[0].attachments: expected a list, got a number")


def test_an_aider_ask_prompt_logged_again_is_read_once() -> None:
    log = (
        "# aider chat started at 2026-02-03 09:14:07\n\n> Aider v0.86.1  \n\n"
        "#### /ask which HTTP status means no content?  \n\n"
        "#### which HTTP status means no content?  \n\n"
        "204 No Content.\n\n"
        "#### which HTTP status means no content?  \n\n"
        "Still 204.\n"
    )
    conversation = parse_one("aider", log.encode(), ".aider.chat.history.md")
    assert [(t.role, t.text) for t in conversation.turns] == [
        ("user", "which HTTP status means no content?"),
        ("assistant", "204 No Content."),
        # Asked again after the answer: a prompt of its own.
        ("user", "which HTTP status means no content?"),
        ("assistant", "Still 204."),
    ]


def test_specstory_2_separates_texts_and_tool_calls_within_an_agent_block() -> None:
    """SpecStory's Markdown 2.x writes a `---` line between the agent's texts and tool calls inside one block; a
    `---` in a fence or a tool's output is not one (the shape of real 2.1.0 exports in public repositories)."""
    fmt, conversations, errors = _read(
        "specstory/.specstory/history/2025-11-03_08-12Z-pin-the-node-version.md"
    )
    assert (fmt, errors) == ("specstory", [])
    (turns,) = conversations
    assert turns[1] == (
        "assistant",
        "Adding an `.nvmrc` with the version and an `engines` field:\n\nNode 20 is pinned in `.nvmrc`; `nvm use` "
        "picks it up.",
        [("text", None), ("tool_use", "write"), ("tool_use", "run_terminal_cmd"), ("text", None)],
    )
    assert turns[3][0] == "assistant"
    assert turns[3][1].startswith("Right, the CI reads `engines`, not `.nvmrc`.")
    assert "---" not in turns[3][1]
    assert '"engines": { "node": ">=20 <21" }' in turns[3][1]
    assert turns[3][2] == [("text", None), ("tool_use", "search_replace"), ("text", None)]


def test_specstory_empty_code_blocks_of_unwritten_edits_are_left_out() -> None:
    """VS Code Copilot sessions saved by SpecStory answer with runs of empty fences where an edit was made (a real
    export in a public repository opens most answers with six of them); the prose after them is the answer."""
    data = (
        b"<!-- Generated by SpecStory -->\n\n# Add logging (2025-05-27 10:02:11)\n\n_**User**_\n\n"
        b"add logs to the three scripts\n\n---\n\n_**Assistant**_\n\n\n````\n\n````\n\n````js\n````\n"
        b"The logging is now in all three scripts:\n\n```js\nconsole.log(`[toc] ${file}`);\n```\n\n---\n\n"
    )
    conversation = parse_one("specstory", data, ".specstory/history/2025-05-27_10-02-add-logging.md")
    assert turns(conversation)[1] == (
        "assistant",
        "The logging is now in all three scripts:\n\n```js\nconsole.log(`[toc] ${file}`);\n```",
    )
    assert conversation.dropped == {"empty code block": 2}


def test_a_specstory_session_nobody_answered_is_skipped_not_an_error() -> None:
    """A real SpecStory history held one prompt and an empty `_**Assistant (default)**_` section."""

    path = REAL / "specstory/.specstory/history/2025-10-15_00-14Z-executar-o-benchmark.md"
    data = path.read_bytes()
    assert detect_format(data, str(path)) == "specstory"
    results = list(get_importer("specstory").parse(io.BytesIO(data), str(path)))
    assert results == [Skipped("SpecStory session without an answer")]
    # A session whose only speaker is the assistant is still an error, as before.
    lone_answer = data.replace(b"_**User**_", b"_**Assistant**_", 1).replace(
        b"Execute o benchmark", b"Pronto", 1
    )
    assert [type(r).__name__ for r in get_importer("specstory").parse(io.BytesIO(lone_answer), "x.md")] == [
        "RecordError"
    ]


def test_aider_confirmations_blank_lines_multiline_output_and_reasoning() -> None:
    """What real aider histories in public repositories hold (written here in their shape): a typed answer to one of
    aider's questions and `#### <blank>` logged as prompts, an output message of several lines with the `> ` marker
    on its first line only (a failed edit echoed back, its `>>>>>>> REPLACE` line included), and a reasoning
    model's thinking between aider's tags."""
    log = (
        "# aider chat started at 2026-05-02 10:00:00\n\n> Aider v0.86.1  \n\n"
        "#### <blank>  \n\n"
        "#### rename the config loader  \n\n"
        "<thinking-content-7bbeb8e1441453ad999a0bbba8a46d4b>\n\nThe loader lives in config.py.\n\n"
        "</thinking-content-7bbeb8e1441453ad999a0bbba8a46d4b>\n\n"
        "I'll rename it in config.py.\n\n"
        "> Tokens: 2.1k sent, 80 received.  \n"
        "> config.py  \n"
        "> Add file to the chat? (Y)es/(N)o/(A)ll/(S)kip all/(D)on't ask again [Yes]: a  \n\n"
        "#### Add file to the chat? (Y)es/(N)o/(A)ll/(S)kip all/(D)on't ask again [Yes]: all  \n"
        "> # 1 SEARCH/REPLACE block failed to match!\n\n"
        "## SearchReplaceNoExactMatch: This SEARCH block failed to exactly match lines in config.py\n"
        "<<<<<<< SEARCH\ndef load():\n=======\ndef load_config():\n>>>>>>> REPLACE\n\n"
        "The SEARCH section must exactly match an existing block of lines  \n\n"
        "Fixed: the function is now `load_config`.\n\n"
        "#### thanks  \n\n"
        "► **THINKING**\n\nNothing left to do.\n\n------------\n► **ANSWER**\n\nYou're welcome.\n"
    )
    conversation = parse_one("aider", log.encode(), ".aider.chat.history.md")
    assert turns(conversation) == [
        ("user", "rename the config loader"),
        ("assistant", "I'll rename it in config.py.\n\nFixed: the function is now `load_config`."),
        ("user", "thanks"),
        ("assistant", "You're welcome."),
    ]
    blocks = conversation.turns[1].blocks or []
    assert blocks[0] == {"type": "thinking", "thinking": "The loader lives in config.py."}
    assert (conversation.turns[3].blocks or [])[0] == {"type": "thinking", "thinking": "Nothing left to do."}
    output = (conversation.turns[2].blocks or [])[0]["text"]
    assert "SearchReplaceNoExactMatch" in output
    assert ">>>>>>> REPLACE" in output
    assert conversation.dropped == {"aider confirmation": 1}


def test_aider_output_without_its_trailing_spaces_is_one_line_each() -> None:
    # A file whose trailing spaces were stripped (an editor, a formatter): the marker alone tells output.
    log = (
        "# aider chat started at 2026-05-02 10:00:00\n\n> Aider v0.86.1\n\n#### add a test\n\n"
        "Added `test_load`.\n\n> Applied edit to test_config.py\n> Commit 1a2b3c4 add test\n\nDone.\n"
    )
    conversation = parse_one("aider", log.encode(), ".aider.chat.history.md")
    assert turns(conversation) == [("user", "add a test"), ("assistant", "Added `test_load`.\n\nDone.")]


def test_specstory_prompt_suggestions_and_adjacent_code_blocks() -> None:
    """Claude Code's prompt suggestions, which SpecStory writes as `Agent - sidechain` blocks after the answer (the
    answer labelled the same), are left out; a command's block and its output's block next to each other are two
    blocks, not an empty one between them."""
    data = (
        b"<!-- Generated by SpecStory -->\n\n# Ansible warning (2026-02-03 13:27:35Z)\n\n"
        b"_**User (2026-02-03 13:27:35Z)**_\n\nshould we care about this warning?\n\n---\n\n"
        b"_**Agent - sidechain (claude-opus-4-5 2026-02-03 13:27:49Z)**_\n\n"
        b"You can ignore it. Check with:\n\n```bash\nansible --version\n```\n\n```\nansible [core 2.18]\n```\n\n"
        b"_**Agent - sidechain (2026-02-03 13:27:49Z)**_\n\n"
        b"[SUGGESTION MODE: Suggest what the user might naturally type next into Claude Code.]\n\nFIRST: ...\n\n"
        b"_**Agent - sidechain (claude-opus-4-5 2026-02-03 13:27:57Z)**_\n\nadd auto_silent\n\n---\n\n"
    )
    conversation = parse_one("specstory", data, ".specstory/history/2026-02-03_13-27Z-ansible.md")
    assert turns(conversation)[1] == (
        "assistant",
        "You can ignore it. Check with:\n\n```bash\nansible --version\n```\n\n```\nansible [core 2.18]\n```",
    )
    assert conversation.dropped == {"prompt suggestion": 2}


def test_aider_clear_and_reset_start_a_conversation_of_their_own() -> None:
    # After `/clear` (or `/reset`, or its prefix `/res`) the model sees nothing of what came before: a follow-up
    # there is no pushback on the earlier answer.
    log = (
        "# aider chat started at 2026-05-02 10:00:00\n\n> Aider v0.86.1  \n\n"
        "#### what does main.py do?  \n\nIt starts the web server.\n\n"
        "#### /res  \n\n> All files dropped and chat history cleared.  \n\n"
        "#### that's wrong, explain worker.py  \n\nworker.py consumes the queue.\n"
    )
    first, second = parse("aider", log.encode(), ".aider.chat.history.md")[0]
    assert turns(first) == [("user", "what does main.py do?"), ("assistant", "It starts the web server.")]
    assert turns(second) == [
        ("user", "that's wrong, explain worker.py"),
        ("assistant", "worker.py consumes the queue."),
    ]
    assert second.external_id == first.external_id + "#2"


def test_aider_think_tags_a_resent_replys_reasoning_and_an_unclosed_fence() -> None:
    """More of what real aider histories hold: a model's own `<think>`, a reply aider sent again after its
    questions (with reasoning of its own), a code fence the model left open before aider's output, and the blank
    line aider writes before the first session (no session of its own)."""
    log = (
        "\n# aider chat started at 2026-05-02 10:00:00\n\n> Aider v0.86.1  \n\n"
        "#### fix the failing test  \n\n<think>\nThe test imports a missing module.\n</think>\n\n"
        "Please add `tools/runner.py` to the chat.\n\n"
        "> Tokens: 1.2k sent, 40 received.  \n> tools/runner.py  \n"
        "> Add file to the chat? (Y)es/(N)o/(A)ll/(S)kip all/(D)on't ask again [Yes]: y  \n\n"
        "<thinking-content-7bbeb8e1441453ad999a0bbba8a46d4b>\n\nNow I can see the import.\n\n"
        "</thinking-content-7bbeb8e1441453ad999a0bbba8a46d4b>\n\n"
        "frontend/README.md\n```markdown\n<<<<<<< SEARCH\n=======\n# Frontend\n```bash\nnpm start\n```\n"
        ">>>>>>> REPLACE\n```\n\nConfirm to proceed.\n\n"
        "> Tokens: 5.6k sent, 338 received.  \n> Applied edit to frontend/README.md  \n\n"
        "#### thanks  \n\nYou're welcome.\n"
    )
    results = list(get_importer("aider").parse(io.BytesIO(log.encode()), ".aider.chat.history.md"))
    assert not [r for r in results if isinstance(r, Skipped)]
    (conversation,) = results
    assert isinstance(conversation, ParsedConversation)
    assert [t.role for t in conversation.turns] == ["user", "assistant", "user", "assistant"]
    answer = conversation.turns[1]
    assert [b["type"] for b in answer.blocks or []] == ["thinking", "text", "thinking", "text"]
    assert (answer.blocks or [])[2]["thinking"] == "Now I can see the import."
    assert "Tokens" not in answer.text
    assert "<think" not in answer.text
    assert conversation.turns[2].text == "thanks"


def test_a_specstory_export_of_a_session_with_nothing_said_is_skipped() -> None:
    data = (
        b"<!-- Generated by SpecStory, Markdown v2.0.0 -->\n\n# 2025-12-02 23:36:56Z\n\n"
        b"<!-- Gemini CLI Session 2dd1deab (2025-12-02 23:36:56Z) -->\n"
    )
    results = list(get_importer("specstory").parse(io.BytesIO(data), ".specstory/history/2025-12-02.md"))
    assert results == [Skipped("SpecStory session without a conversation")]


def test_early_2025_specstory_terminal_runs_and_edits_are_tool_calls() -> None:
    """Cursor sessions SpecStory exported in early 2025 write a terminal run as a part of its own (the command in a
    bash fence, its output in a bare one) and an edit as a part that is one diff fence (a real export kept both as
    the answer's text); a `<details>` search is named by its summary."""
    data = (
        "<!-- Generated by SpecStory -->\n\n# Open issues (2025-03-02 10:11:12)\n\n"
        "_**User**_\n\nwhich issues are open?\n\n---\n\n"
        "_**Assistant**_\n\n"
        '<details>\n            <summary>Searched codebase "issues" • **3** results</summary>\n\n'
        "| File | Lines |\n|------|-------|\n| `issues.md` | L1-9 |\n\n</details>\n\n---\n\n"
        "```bash\ntracker list --open\n```\n\n```\n#12 login fails on Safari\n#15 slow export\n```\n\n---\n\n"
        "Two are open: #12 (login fails on Safari) and #15 (slow export).\n\n---\n\n"
        "```diff\n- status: open\n+ status: triaged\n```\n\n---\n\n"
        "_**User**_\n\nthanks\n\n---\n\n"
    ).encode()
    conversation = parse_one("specstory", data, ".specstory/history/2025-03-02_10-11-open-issues.md")
    answer = conversation.turns[1]
    assert answer.text == "Two are open: #12 (login fails on Safari) and #15 (slow export)."
    blocks = answer.blocks or []
    assert [(b["type"], b.get("name")) for b in blocks] == [
        ("tool_use", "Searched codebase"),
        ("tool_use", "run_terminal_cmd"),
        ("tool_result", None),
        ("text", None),
        ("tool_use", "edit_file"),
    ]
    assert blocks[1]["input"] == {"command": "tracker list --open"}
    assert blocks[2]["content"] == "#12 login fails on Safari\n#15 slow export"


def test_specstory_sessions_appended_to_one_file_are_conversations_of_their_own() -> None:
    """A real SpecStory file held five sessions, each opened by its own `# Title (timestamp)` line after a `---`;
    read as one, each session's first prompt was a reply to the session before (false pairs). A `# ` line inside
    an answer (a comment in code, a heading) opens nothing."""
    data = (
        b"<!-- Generated by SpecStory -->\n\n# Load the sheet (2025-07-07 05:54Z)\n\n_**User**_\n\nload prices.xlsx\n\n"
        b"---\n\n_**Assistant**_\n\nLoaded it with pandas:\n\n```python\n# read the first sheet\ndf = pd.read_excel('prices.xlsx')\n```\n\n"
        b"---\n\n# Group the rows (2025-07-07 06:03Z)\n\n_**User**_\n\ngroup the rows by region\n\n---\n\n"
        b"_**Assistant**_\n\n# Grouping (2025-07-07 06:04Z)\n\nUse `df.groupby('region')`.\n\n---\n\n"
        b"_**User**_\n\nand sum them\n\n---\n\n_**Assistant**_\n\n`df.groupby('region').sum()`\n\n---\n\n"
    )
    path = ".specstory/history/2025-07-07_05-54-load-the-sheet.md"
    conversations, errors = parse("specstory", data, path)
    assert errors == []
    assert [(c.external_id, c.title, len(c.turns)) for c in conversations] == [
        (path, "Load the sheet", 2),
        (f"{path}#2", "Group the rows", 4),
    ]
    assert conversations[1].turns[1].text.startswith("# Grouping (2025-07-07 06:04Z)")


def test_specstory_an_empty_prompt_between_answers_cuts_the_conversation() -> None:
    """A real SpecStory file held a person's block with nothing in it (what they sent did not export) between two
    answers, which merged into one answer before. The answer to the unseen prompt is left out, counted."""
    data = (
        b"# Server (2025-03-01 10:00Z)\n\n_**User**_\n\nstart an express server\n\n---\n\n_**Assistant**_\n\nRun `node index.js`.\n\n"
        b"---\n\n_**User**_\n\n---\n\n---\n\n_**Assistant**_\n\nSorry about that error, install express first.\n\n---\n\n"
        b"_**User**_\n\nnow add a /health route\n\n---\n\n_**Assistant**_\n\n`app.get('/health', ...)`\n\n---\n\n"
    )
    conversations, errors = parse("specstory", data, ".specstory/history/2025-03-01_10-00-server.md")
    assert errors == []
    assert [turns(c) for c in conversations] == [
        [("user", "start an express server"), ("assistant", "Run `node index.js`.")],
        [("user", "now add a /health route"), ("assistant", "`app.get('/health', ...)`")],
    ]
    assert conversations[1].dropped == {"empty prompt": 1, "answer to an empty prompt": 1}
    assert conversations[1].external_id.endswith("(part 2)")


def test_aider_a_suggested_shell_command_padded_to_one_width_is_output_to_its_end() -> None:
    """A real history: aider printed the shell commands it suggested, the `> ` marker on the first line only and
    every line padded with spaces to the longest; the padding read as the message's end, so the commands after it
    joined the answer."""
    log = (
        "# aider chat started at 2026-05-02 10:00:00\n\n"
        "#### write a script that prints the open issues  \n\n"
        "Here is `issues.sh`; set the token and run it.\n\n"
        "> Tokens: 1.2k sent, 300 received.  \n"
        "> Applied edit to issues.sh  \n"
        "> Commit e14ab36 feat: add the issues script  \n"
        "> export GITHUB_TOKEN=your_token_here\n"
        "export OWNER=the_owner                \n"
        "export REPO=the_repository            \n"
        "./issues.sh  \n"
        "> Run shell commands? (Y)es/(N)o/(D)on't ask again [Yes]: n  \n\n"
        "#### now sort them by date  \n\n"
        "Sorted with `sort -k2`.\n"
    )
    conversation = parse_one("aider", log.encode(), ".aider.chat.history.md")
    assert turns(conversation) == [
        ("user", "write a script that prints the open issues"),
        ("assistant", "Here is `issues.sh`; set the token and run it."),
        ("user", "now sort them by date"),
        ("assistant", "Sorted with `sort -k2`."),
    ]


def test_specstory_a_file_the_agent_read_is_a_tool_call_not_the_answers_words() -> None:
    """Cursor's sessions as SpecStory wrote them early in 2025 (four real ones): `Read file: <path>` lines, alone
    between the answer's parts, were stored as the answer's words."""
    data = (
        b"# Icons (2025-03-01 10:00Z)\n\n_**User**_\n\nthe icons stay white in the light theme\n\n---\n\n"
        b"_**Assistant**_\n\nLet me look at the icon files.\n\n---\n\nRead file: public/rss.svg\n\n---\n\n"
        b"Read file: public/about.svg\n\n---\n\nThey use a fixed `#fff`; switching them to `currentColor`.\n\n---\n\n"
    )
    conversation = parse_one("specstory", data, ".specstory/history/2025-03-01_10-00-icons.md")
    assert conversation.turns[1].text == (
        "Let me look at the icon files.\n\nThey use a fixed `#fff`; switching them to `currentColor`."
    )
    reads = [b["input"] for b in conversation.turns[1].blocks or [] if b["type"] == "tool_use"]
    assert reads == [{"path": "public/rss.svg"}, {"path": "public/about.svg"}]


def test_cursors_own_export_steps_separators_commands_and_failed_edits_are_not_answer_text() -> None:
    """Cursor's own "Export chat" of 2025 (`_Exported on … from Cursor (1.5.11)_`, SpecStory's headers; thirteenth
    fetch): the `---` lines between the agent's steps, a command it ran (a step that is one shell fence) and a
    failed edit's result were stored as the answer's words."""
    data = (
        "# Add a license\n\n_Exported on 02/10/2025 at 10:00:00 CEST from Cursor (1.5.11)_\n\n"
        "_**User (2025-10-02 08:00Z)**_\n\nadd an MIT license\n\n---\n\n_**Assistant**_\n\n"
        "Adding the license file.\n\n---\n\nDone. Now let's stage it:\n\n---\n\n"
        "```bash\ncd /home/ana/site && git add LICENSE\n```\n\n---\n\n_**User (2025-10-02 08:05Z)**_\n\n"
        "use my name in it\n\n---\n\n_**Assistant**_\n\nUpdating the holder line:\n\n---\n\n"
        "The string to replace was not found in the file.\n\n---\n\nRead file: undefined\n\n---\n\n"
        "The holder is now Ana.\n\n"
    )
    chat = parse_one("specstory", data.encode(), "cursor_license.md")
    assert turns(chat) == [
        ("user", "add an MIT license"),
        ("assistant", "Adding the license file.\n\nDone. Now let's stage it:"),
        ("user", "use my name in it"),
        ("assistant", "Updating the holder line:\n\nThe holder is now Ana."),
    ]
    work = [
        (b["type"], b.get("name"), b.get("input") or b.get("content"))
        for turn in chat.turns
        for b in turn.blocks or []
        if b["type"] != "text"
    ]
    assert work == [
        ("tool_use", "run_terminal_cmd", {"command": "cd /home/ana/site && git add LICENSE"}),
        ("tool_result", None, "The string to replace was not found in the file."),
        ("tool_use", "read_file", {"path": "undefined"}),
    ]
    # Outside Cursor's export a `---` between two texts stays the answer's own rule.
    plain = parse_one("specstory", data.replace("from Cursor (1.5.11)", "by hand").encode(), "c.md")
    assert turns(plain)[1][1].startswith("Adding the license file.\n\n---\n\nDone.")


PLAIN_NAMES = """---
lang: de
title: ChatGPT hilft mir bei einer Einladung
---

Mia: Kannst du mir eine kurze Einladung zu meinem Geburtstag schreiben?

Samstag, 18 Uhr, bei mir zu Hause.

ChatGPT: Gerne! Hier ist ein Vorschlag:

Betreff: Einladung

Liebe Freunde, ich feiere am Samstag um 18 Uhr meinen Geburtstag bei mir zu Hause. Ich freue mich auf euch!

Hinweis: Du kannst noch eine Bitte um Rückmeldung ergänzen.

---

Mia: Das ist zu lang, bitte nur zwei Sätze.

ChatGPT: Klar, hier die kurze Version:

Am Samstag um 18 Uhr feiere ich meinen Geburtstag bei mir. Kommt vorbei!

---

Mia: Danke! Und wie sage ich das auf Englisch?

ChatGPT: On Saturday at 6 pm I'm celebrating my birthday at my place. Come by!
"""


def test_a_person_named_by_first_name_beside_a_known_assistant_is_the_user() -> None:
    # A blog post of a chat: `Mia:` and `ChatGPT:` open the messages; `Betreff:` and `Hinweis:` open lines of an answer.
    data = PLAIN_NAMES.encode()
    assert detect_format(data, "2023-07-30-einladung.md") == "markdown"
    chat = parse_one("markdown", data, "2023-07-30-einladung.md")
    assert [role for role, _ in turns(chat)] == ["user", "assistant"] * 3
    assert turns(chat)[0][1] == (
        "Kannst du mir eine kurze Einladung zu meinem Geburtstag schreiben?\n\nSamstag, 18 Uhr, bei mir zu Hause."
    )
    assert "Hinweis: Du kannst noch eine Bitte" in turns(chat)[1][1]
    assert turns(chat)[2][1] == "Das ist zu lang, bitte nur zwei Sätze."


def test_an_answers_own_labelled_lines_make_no_speaker() -> None:
    # Only the assistant is labelled: `Schritt:` and `Hinweis:` lines do not stand before its answers.
    text = "ChatGPT: Hier die Schritte.\n\nSchritt: erst speichern.\n\nHinweis: dann neu laden.\n"
    assert detect_format(text.encode(), "notes.md") is None


def test_an_early_specstory_files_title_is_its_second_level_heading() -> None:
    # SpecStory early in 2025: `## SpecStory`, then the session's title as `## <title> (<local time>)`.
    text = (
        "## SpecStory\n\n## Adding Dark Mode to the Settings Page (3/8/2025, 11:08:35 AM)\n\n_**User**_\n\n"
        "add a dark mode toggle to settings\n\n---\n\n_**Assistant**_\n\nAdded a toggle to `Settings.tsx`.\n\n---\n"
    )
    (chat,) = parse("specstory", text.encode(), "2025-03-08_11-08-adding-dark-mode.md")[0]
    assert isinstance(chat, ParsedConversation)
    assert chat.title == "Adding Dark Mode to the Settings Page"


def test_a_support_bots_transcript_of_customer_and_bot_is_read() -> None:
    text = (
        "# Scenario 12\n\n## Conversation\n\n### Turn 1\n\n**Customer:** my parcel never arrived\n\n"
        "**Bot:** Sorry to hear that. Could you share the order number?\n\n### Turn 2\n\n**Customer:** it's #5521\n\n"
        "**Bot:** Thanks, I've opened a claim for order #5521.\n"
    )
    chat = parse_one("markdown", text.encode(), "scenario_12.md")
    said = turns(chat)
    assert [role for role, _ in said] == ["user", "assistant", "user", "assistant"]
    assert said[0][1] == "my parcel never arrived"
    assert said[1][1].startswith("Sorry to hear that. Could you share the order number?")
    assert said[2:] == [("user", "it's #5521"), ("assistant", "Thanks, I've opened a claim for order #5521.")]


def test_an_early_specstory_files_unnamed_part_headers_are_not_answer_text() -> None:
    # Early 2025: `_****_` opens each further part of the agent's response.
    text = (
        "## SpecStory\n\n## Colors (3/8/2025, 11:08:35 AM)\n\n_**User**_\n\nuse rich colors\n\n---\n\n_**Assistant**_\n\n"
        "I'll look at the code first.\n\n---\n\n_****_\n\nRead file: app.py\n\n---\n\n_****_\n\nAdded colors to app.py.\n\n"
        "---\n\n_****_\n\n"
    )
    (chat,) = parse("specstory", text.encode(), "2025-03-08_colors.md")[0]
    assert isinstance(chat, ParsedConversation)
    assert "_****_" not in chat.turns[1].text
    assert chat.turns[1].text.endswith("Added colors to app.py.")


def test_an_extractors_claude_code_marks_and_generic_heading_are_not_words_or_title() -> None:
    # claude-conversation-extractor's Markdown (a real one): the mark of a stopped response as a message of its own,
    # `(no content)` placeholders of streamed messages, and the same heading on every file.
    text = (
        "# Claude Conversation Log\n\nSession ID: 0b1c2d3e\nDate: 2026-02-04 21:34:42\n\n---\n\n"
        "## 👤 User\n\n[Request interrupted by user for tool use]\n\n---\n\n## 👤 User\n\nrun the new tests\n\n---\n\n"
        "## 🤖 Claude\n\n(no content)\n\n---\n\n## 🤖 Claude\n\nAll 10 tests pass.\n\n---\n"
    )
    chat = parse_one("markdown", text.encode(), "claude-conversation-2026-02-04-0b1c2d3e.md")
    assert turns(chat) == [("user", "run the new tests"), ("assistant", "All 10 tests pass.")]
    assert chat.dropped == {"Claude Code mark": 2}
    assert chat.title is None


def test_a_permission_request_in_a_specstory_claude_code_session_is_not_the_persons_words() -> None:
    text = (
        "# Fix the API client (2026-01-29 10:18Z)\n\n**Project:** app\n\n---\n\n_**User: ana (2026-01-29 10:18Z)**_\n\n"
        "_Opened file: `docs/openapi.yaml`_\n\nthe client doesn't match the OpenAPI spec. Correct it\n\n\n#### Permission Request - 2026-01-29 10:20Z\n\n"
        "**Tool:** `Edit`\n\n---\n\n_**Agent (model claude-opus-4-5-20251101)**_\n\nFixed the client.\n\n---\n"
    )
    (chat,) = parse("specstory", text.encode(), "2026-01-29_10-18Z-fix.md")[0]
    assert isinstance(chat, ParsedConversation)
    assert turns(chat) == [
        ("user", "the client doesn't match the OpenAPI spec. Correct it"),
        ("assistant", "Fixed the client."),
    ]
    # The file open in the editor is the prompt's context.
    assert chat.turns[0].blocks == [{"type": "context", "tag": "opened file", "text": "docs/openapi.yaml"}]


def test_an_early_specstory_files_escaped_part_headers_are_not_answer_text() -> None:
    text = (
        "## SpecStory\n\n## Cache (2/18/2025, 5:59:41 AM)\n\n_**User**_\n\nadd a cache\n\n---\n\n_**Assistant**_\n\n"
        "Adding it.\n\n---\n\n_\\*\\*\\*\\*_\n\nDone: the cache is in cache.py.\n\n---\n"
    )
    (chat,) = parse("specstory", text.encode(), "2025-02-18_cache.md")[0]
    assert isinstance(chat, ParsedConversation)
    assert chat.turns[1].text == "Adding it.\n\nDone: the cache is in cache.py."


def test_a_plain_log_of_you_and_bot_lines_is_a_transcript() -> None:
    # A real companion bot's chat_history.txt: bare `You:` / `Bot:` labels, which alone on a line of an answer are
    # too common to take, here taking turns throughout.
    data = (
        b"You: what hobby should I pick?\nBot: Drawing.\n\nYou: what do I need to start?\n"
        b"Bot: A pencil and paper.\nYou may also want an eraser.\n\nYou: thanks\nBot: You're welcome!\n"
    )
    assert detect_format(data, "chat_history.txt") == "markdown"
    chat = parse_one("markdown", data, "chat_history.txt")
    assert turns(chat) == [
        ("user", "what hobby should I pick?"),
        ("assistant", "Drawing."),
        ("user", "what do I need to start?"),
        ("assistant", "A pencil and paper.\nYou may also want an eraser."),
        ("user", "thanks"),
        ("assistant", "You're welcome!"),
    ]
    # One `You:` line and one `Bot:` line are too few to call a transcript.
    assert detect_format(b"You: hi\nBot: hello\n", "notes.txt") is None


def test_an_aider_answers_own_level_four_headings_stay_in_the_answer() -> None:
    # A real history: the model's `#### Step 1: ...` headings, which aider's typed lines look like, without the two
    # trailing spaces aider ends what the person typed with.
    text = (
        "# aider chat started at 2026-04-05 03:17:00\n\n"
        "#### split the admin layout  \n#### and the user layout  \n\n"
        "Let's start with the layouts.\n\n#### Step 1: Create Admin Layout\n\nsrc/app/admin/layout.tsx\n\n"
        "#### Step 2: Update Routing\n\nDone.\n\n"
        "#### now add tests  \n\nAdded tests.\n"
    )
    chat = parse_one("aider", text.encode(), ".aider.chat.history.md")
    assert [role for role, _ in turns(chat)] == ["user", "assistant", "user", "assistant"]
    assert "#### Step 1: Create Admin Layout" in chat.turns[1].text
    assert "#### Step 2: Update Routing" in chat.turns[1].text


def test_specstory_claude_code_marks_commands_summaries_escapes_and_an_answers_own_rules() -> None:
    text = (
        "<!-- Generated by SpecStory -->\n\n# 2025-11-05 21:15:30Z\n\n"
        "_**User**_\n\nThis session is being continued from a previous conversation that ran out of context. "
        "The conversation is summarized below: we built a video loop.\n\n---\n\n"
        "_**Agent (claude-sonnet-4-5-20250929)**_\n\nContinuing with the loop.\n\n---\n\n"
        "_**User**_\n\n/clear\n ⎿  (no content)\n\n---\n\n"
        "_**User**_\n\n[Request interrupted by user]\n\n---\n\n"
        "_**User**_\n\nread \\@workbench/notes.md and condense it\n\n---\n\n"
        "_**Agent (claude-sonnet-4-5-20250929)**_\n\nHere is the short version.\n\n---\n\n# Rule Name: loop\n\n---\n"
    )
    (chat,) = parse("specstory", text.encode(), "2025-11-05_21-15-30Z-this-session-is-being.md")[0]
    assert isinstance(chat, ParsedConversation)
    assert turns(chat) == [
        ("assistant", "Continuing with the loop."),
        ("user", "read @workbench/notes.md and condense it"),
        ("assistant", "Here is the short version.\n\n---\n\n# Rule Name: loop"),
    ]
    assert chat.dropped == {"Claude Code mark": 2}


def test_specstorys_subagents_are_tool_blocks_and_its_session_summary_no_words() -> None:
    """SpecStory's 2026 export of a Claude Code session writes a subagent's start and result in the person's section
    and a summary where the session was cleared or ended (eighth fetch: the result was glued to the prompt and the
    summary to the answer)."""
    data = (
        b"<!-- Generated by SpecStory -->\n\n# skip permissions (2026-06-09 06:10Z)\n\n"
        b"_**User (2026-06-09 06:10Z)**_\n\nhow do I skip permissions\n\n"
        b"_**Agent (model claude-opus-4-8)**_\n\nLaunch it with `--dangerously-skip-permissions`.\n\n---\n\n"
        b"_**User (2026-06-09 06:12Z)**_\n\nI don't use a terminal, I use VS Code. Guide me\n\n\n"
        b"#### Subagent Started - 2026-06-09 06:13Z\n\n**Type:** `claude-code-guide`\n**Agent ID:** `ac3c3e24`\n\n---\n\n\n"
        b"#### Subagent Completed - 2026-06-09 06:13Z\n\n**Type:** `claude-code-guide`\n**Agent ID:** `ac3c3e24`\n"
        b'**Result:**\nIn the extension, turn on "Allow dangerously skip permissions".\n\n---\n\n\n'
        b"_**User (2026-06-09 06:13Z)**_\n\nwhere is that setting\n\n"
        b"_**Agent (model claude-opus-4-8)**_\n\nOpen the Extensions panel, then the gear of Claude Code.\n\n---\n\n\n---\n\n"
        b"## Session Summary (Recovered from /clear)\n\n**Recovered:** 2026-06-09 06:14Z\n**Total Prompts:** 3\n\n"
        b"### Token Usage\n\n_Token usage data not available._\n"
    )
    chat = parse_one("specstory", data, "2026-06-09_06-10Z-skip-permissions.md")
    assert [(t.role, t.text) for t in chat.turns] == [
        ("user", "how do I skip permissions"),
        ("assistant", "Launch it with `--dangerously-skip-permissions`."),
        ("user", "I don't use a terminal, I use VS Code. Guide me"),
        ("assistant", ""),
        ("user", "where is that setting"),
        ("assistant", "Open the Extensions panel, then the gear of Claude Code."),
    ]
    blocks = chat.turns[3].blocks
    assert blocks is not None
    assert [b["type"] for b in blocks] == ["tool_use", "tool_result"]
    assert blocks[0]["input"] == {"subagent_type": "claude-code-guide"}
    assert blocks[1]["content"] == 'In the extension, turn on "Allow dangerously skip permissions".'
    assert chat.dropped == {"session summary": 1}
