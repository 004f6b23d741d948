"""A bare JSON array of `{role, content}` messages, read by the `openai` importer as conversations of their own.

The fixtures (tests/fixtures/real_formats/message_arrays/) are written by hand in the shapes the tools write:
shell_gpt's chat cache (`chat_cache/<chat id>`, no extension, Python's `json.dump`; 1.x with its system message,
0.9 with the role wrapped into the first prompt) and a fabric session (`sessions/<name>.json`, Go's compact JSON
with `<`, `>` and `&` escaped, a `meta` message of fabric's own). AnythingLLM's early JSON export, every
workspace's messages in a row, is tested with the AnythingLLM fixtures.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from app.conversations.importers import detect_format, get_importer
from app.conversations.importers.base import ParsedConversation, RecordError, Skipped
from app.conversations.importing import run_import

from .helpers import errors_of, parse, parse_one, turns

ROOT = Path(__file__).resolve().parents[2] / "fixtures" / "real_formats" / "message_arrays"
SGPT = ROOT / "chat_cache" / "squash-commits"
SGPT_09 = ROOT / "sgpt-0.9" / "chat_cache" / "squash-commits"
FABRIC = ROOT / "fabric" / "sessions" / "zip-regex.json"
SQUASH = [
    ("user", "How do I squash my last 3 commits into one?"),
    ("assistant", "Run `git reset --hard HEAD~3` and commit again."),
    ("user", "No, --hard would delete my changes. I need to keep them."),
    ("assistant", "You're right. Use `git reset --soft HEAD~3`, then `git commit`: the changes stay staged."),
]
CHAT = [{"role": "user", "content": "Hi?"}, {"role": "assistant", "content": "Hello."}]


def test_message_arrays_are_detected_as_openai() -> None:
    for path in (SGPT, SGPT_09, FABRIC):
        assert detect_format(path.read_bytes()[:65536], path.name) == "openai"
    # Indented, and with the first message longer than the head.
    messages = json.loads(SGPT.read_bytes())
    messages[0]["content"] = "word " * 20_000
    for data in (json.dumps(messages).encode(), json.dumps(messages, indent=2).encode()):
        assert len(data) > 65536
        assert detect_format(data[:65536], "chat") == "openai"


def test_records_and_other_formats_arrays_read_as_before() -> None:
    records = [{"messages": CHAT}, {"messages": [*CHAT, {"role": "user", "content": "Bye."}]}]
    conversations, errors = parse("openai", json.dumps(records).encode(), "data.json")
    assert (len(conversations), errors) == (2, [])
    assert [c.json_path for c in conversations] == ["$[0]", "$[1]"]
    assert detect_format(json.dumps(records).encode(), "data.json") == "openai"
    sharegpt = [{"conversations": [{"from": "human", "value": "Hi?"}, {"from": "gpt", "value": "Hello."}]}]
    assert detect_format(json.dumps(sharegpt).encode(), "data.json") == "sharegpt"
    # Gemini CLI checkpoints (`parts`, no `content`) and Le Chat messages (`chatId`) keep their importers.
    gemini = [{"role": "user", "parts": [{"text": "Hi?"}]}, {"role": "model", "parts": [{"text": "Hello."}]}]
    assert not get_importer("openai").sniff(json.dumps(gemini).encode(), "checkpoint-a.json")
    assert not get_importer("openai").sniff(b'[{"role": "narrator", "content": "..."}]', "x.json")
    # An array of records whose first one is broken reads its other records as records.
    broken = b'[{"messages": 3}, ' + json.dumps(records[0]).encode() + b"]"
    conversations, errors = parse("openai", broken, "data.json")
    assert (len(conversations), errors_of(errors)) == (
        1,
        [(None, "$[0]", "messages: expected a list, got a number")],
    )


def test_a_shell_gpt_chat_is_one_conversation() -> None:
    chat = parse_one("openai", SGPT.read_bytes(), str(SGPT))
    assert turns(chat) == SQUASH
    assert (chat.system_prompt or "").startswith(
        "You are ShellGPT\nYou are programming and system administration"
    )
    assert (chat.external_id, chat.json_path, chat.title) == (f"{SGPT}:$[0]", "$[0]", None)


def test_shell_gpt_0_9_prompts_are_unwrapped() -> None:
    chat = parse_one("openai", SGPT_09.read_bytes(), str(SGPT_09))
    assert turns(chat) == SQUASH
    assert (chat.system_prompt or "").startswith("You are Command Line App ShellGPT")
    assert (chat.system_prompt or "").endswith("assume it will be stored in the chat.")
    # Only a chat that starts with the wrapped prompt is unwrapped.
    plain = [{"role": "user", "content": "Say hi.\nAnswer:"}, {"role": "assistant", "content": "Hi."}]
    assert turns(parse_one("openai", json.dumps(plain).encode()))[0] == ("user", "Say hi.\nAnswer:")


def test_a_fabric_session_leaves_out_its_meta_messages() -> None:
    chat = parse_one("openai", FABRIC.read_bytes(), str(FABRIC))
    assert turns(chat)[2:] == [
        ("user", "That misses ZIP+4 codes like 12345-6789 & it matches inside longer numbers."),
        ("assistant", "Right. Use ^\\d{5}(-\\d{4})?$ so <12345> and <12345-6789> match whole."),
    ]
    assert (chat.system_prompt, chat.json_path) == (None, "$[1]")


def test_a_system_message_after_the_talk_starts_the_next_conversation() -> None:
    messages = [
        {"role": "system", "content": "Be brief."},
        *CHAT,
        {"role": "system", "content": "Be kind."},
        {"role": "user", "content": "Help?"},
        {"role": "assistant", "content": "Of course."},
        {"role": "system", "content": "Unused."},
    ]
    results = list(get_importer("openai").parse(io.BytesIO(json.dumps(messages).encode()), "all.json"))
    first, second, rest = results
    assert isinstance(first, ParsedConversation)
    assert isinstance(second, ParsedConversation)
    assert [(c.system_prompt, c.external_id, len(c.turns)) for c in (first, second)] == [
        ("Be brief.", "all.json:$[0]", 2),
        ("Be kind.", "all.json:$[3]", 2),
    ]
    assert rest == Skipped("message list without a prompt and an answer")


def test_bad_messages_are_errors_at_their_index_and_the_rest_imports() -> None:
    messages = [
        CHAT[0],
        {"role": "narrator", "content": "x"},
        CHAT[1],
        "hello",
        {"role": "user", "content": 5},
    ]
    results = list(get_importer("openai").parse(io.BytesIO(json.dumps(messages).encode()), "chat.json"))
    errors = [r for r in results if isinstance(r, RecordError)]
    assert errors_of(errors) == [
        (None, "$[1]", 'role: expected "system", "user", "assistant" or "tool", got "narrator"'),
        (None, "$[3]", "expected a JSON object, got a string"),
        (None, "$[4]", "content: expected a string or a list of parts, got a number"),
    ]
    conversations = [r for r in results if isinstance(r, ParsedConversation)]
    assert [turns(c) for c in conversations] == [[("user", "Hi?"), ("assistant", "Hello.")]]
    # A list of messages that is never answered is skipped.
    assert list(get_importer("openai").parse(io.BytesIO(json.dumps(CHAT[:1]).encode()), "c")) == [
        Skipped("message list without a prompt and an answer")
    ]


def test_the_chats_import_once(engine: Engine) -> None:
    summary = run_import(engine, paths=[ROOT])
    # The two shell_gpt chats hold the same talk and system prompts that differ.
    assert (summary.conversations_added, summary.pairs_detected, summary.error_count) == (3, 3, 0)
    assert {report["format"] for report in summary.file_reports} == {"openai"}
    again = run_import(engine, paths=[ROOT])
    assert (again.conversations_added, again.duplicates) == (0, 3)


def _lines(*messages: Any) -> bytes:
    return b"".join(json.dumps(m, ensure_ascii=False).encode() + b"\n" for m in messages)


def test_json_lines_of_messages_are_one_conversation() -> None:
    """A chat app appends each message to a `chat_history.jsonl` as it goes (a real file, with a timestamp a line and
    a tool call answered by a `tool` line): one conversation, the tool's output inside the answer."""
    data = _lines(
        {"role": "user", "timestamp": "2026-03-01T09:00:00", "content": "List the files in ./src please."},
        {
            "role": "assistant",
            "timestamp": "2026-03-01T09:00:03",
            "content": "",
            "tool_calls": [
                {
                    "id": "c1",
                    "type": "function",
                    "function": {"name": "shell", "arguments": '{"cmd": "ls src"}'},
                }
            ],
        },
        {
            "role": "tool",
            "tool_call_id": "c1",
            "timestamp": "2026-03-01T09:00:04",
            "content": "app.py\nutil.py",
        },
        {
            "role": "assistant",
            "timestamp": "2026-03-01T09:00:06",
            "content": "There are two: app.py and util.py.",
        },
        {"role": "user", "timestamp": "2026-03-01T09:01:00", "content": "You missed the hidden ones."},
        {
            "role": "assistant",
            "timestamp": "2026-03-01T09:01:04",
            "content": "Right: with -a there is also .env.",
        },
    )
    assert detect_format(data, "chat_history.jsonl") == "openai"
    chat = parse_one("openai", data, "chat_history.jsonl")
    assert turns(chat) == [
        ("user", "List the files in ./src please."),
        ("assistant", "There are two: app.py and util.py."),
        ("user", "You missed the hidden ones."),
        ("assistant", "Right: with -a there is also .env."),
    ]
    assert [b["type"] for b in chat.turns[1].blocks or []] == ["tool_use", "tool_result", "text"]
    assert (chat.external_id, chat.line) == ("chat_history.jsonl:1", 1)
    # Prompts that were never answered are no conversation: skipped with the reason, not "no known format".
    unanswered = _lines({"role": "user", "content": "안녕"}, {"role": "user", "content": "거기 있어요?"})
    assert detect_format(unanswered, "chat_history.jsonl") == "openai"
    assert list(get_importer("openai").parse(io.BytesIO(unanswered), "chat_history.jsonl")) == [
        Skipped("message list without a prompt and an answer")
    ]


def test_a_system_message_an_answer_follows_is_part_of_that_answer() -> None:
    """A chat log that feeds a tool's output back to the model as a system message: the answer goes on after it,
    so it neither opens a new conversation nor loses the answer."""
    messages = [
        {"role": "system", "content": "You can call tools."},
        {"role": "user", "content": "What is 12 * 13?"},
        {"role": "assistant", "content": "It is 146."},
        {"role": "user", "content": "use the calculator"},
        {"role": "assistant", "content": '{"tool": "multiply", "arguments": {"a": 12, "b": 13}}'},
        {"role": "system", "content": "Tool result: 156"},
        {"role": "assistant", "content": "The calculator says 156; I was wrong before."},
    ]
    chat = parse_one("openai", json.dumps(messages).encode(), "chat_log.json")
    assert chat.system_prompt == "You can call tools."
    assert [t.role for t in chat.turns] == ["user", "assistant", "user", "assistant"]
    assert chat.turns[3].text.endswith("The calculator says 156; I was wrong before.")
    assert [b.get("content") for b in chat.turns[3].blocks or [] if b["type"] == "tool_result"] == [
        "Tool result: 156"
    ]


def test_an_answer_logged_beside_the_messages_is_the_last_turn() -> None:
    line = {
        "timestamp": "2026-01-05 10:00:00",
        "messages": [
            {"role": "system", "content": "Answer with code only."},
            {"role": "user", "content": "fizzbuzz"},
        ],
        "response": "for i in range(1, 16): print(i)",
        "model": "deepseek-chat",
    }
    chat = parse_one("openai", _lines(line), "chat_history.jsonl")
    assert turns(chat) == [("user", "fizzbuzz"), ("assistant", "for i in range(1, 16): print(i)")]


def test_an_answer_logged_as_reply_beside_the_messages_is_the_last_turn() -> None:
    """A tutoring app's log names the call's answer `reply` (ninth fetch: every answer lost, four calls refused as
    unanswered); its greeting before the prompt stays the assistant's."""
    line = {
        "time": "2025-11-02 20:14:09",
        "messages": [
            {"role": "system", "content": "你是一名耐心的数学老师。"},
            {"role": "assistant", "content": "已清空。把新题目发我。"},
            {"role": "user", "content": "解方程 2(x-3)=x+5"},
        ],
        "reply": "先把括号展开, 2x-6=x+5。你下一步会怎么做",
        "usage": {"total_tokens": 412},
    }
    chat = parse_one("openai", _lines(line), "history.jsonl")
    assert turns(chat)[1:] == [
        ("user", "解方程 2(x-3)=x+5"),
        ("assistant", "先把括号展开, 2x-6=x+5。你下一步会怎么做"),
    ]


def test_a_reasoning_models_thinking_is_a_block_not_the_answer() -> None:
    messages = [
        {"role": "user", "content": "Is 91 prime?"},
        {"role": "assistant", "content": "<think>\n91 = 7 * 13.\n</think>\n\nNo: 91 is 7 times 13."},
    ]
    chat = parse_one("openai", json.dumps(messages).encode(), "chat.json")
    assert chat.turns[1].text == "No: 91 is 7 times 13."
    assert chat.turns[1].blocks == [
        {"type": "thinking", "thinking": "91 = 7 * 13."},
        {"type": "text", "text": "No: 91 is 7 times 13."},
    ]


def test_a_system_message_then_an_item_that_is_no_message_is_an_error_at_its_index() -> None:
    """The item after a system message decides what the system message is; an item that is no object is an error at
    its place, and the system message then opens the next conversation."""
    messages = [
        {"role": "user", "content": "q"},
        {"role": "assistant", "content": "x"},
        {"role": "system", "content": "note"},
        "junk",
        {"role": "user", "content": "q2"},
        {"role": "assistant", "content": "y"},
    ]
    results = list(get_importer("openai").parse(io.BytesIO(json.dumps(messages).encode()), "f.json"))
    assert [type(r).__name__ for r in results] == ["RecordError", "ParsedConversation", "ParsedConversation"]
    error, _, second = results
    assert isinstance(error, RecordError)
    assert error.json_path == "$[3]"
    assert isinstance(second, ParsedConversation)
    assert (second.system_prompt, turns(second)) == ("note", [("user", "q2"), ("assistant", "y")])


def test_message_lines_split_where_their_session_changes_and_ai_is_the_assistant() -> None:
    # A real bot's `chat_log.jsonl`: one message a line, `role: "ai"` for its answers, `session` naming the chat.
    # Before, every "ai" line was an error and nothing was stored; with the role read, the chats ran together
    # (a false pair across two sessions).
    data = (
        b'{"session": 11, "role": "user", "content": ":q", "timestamp": 1}\n'
        b'{"session": 12, "role": "user", "content": "How tall is Ben Nevis?", "timestamp": 2}\n'
        b'{"session": 12, "role": "ai", "content": "1,345 metres.", "timestamp": 3}\n'
        b'{"session": 13, "role": "user", "content": "describe a heron to me", "timestamp": 4}\n'
        b'{"session": 13, "role": "ai", "content": "A tall grey wading bird.", "timestamp": 5}\n'
        b'{"session": 13, "role": "user", "content": "where do they nest?", "timestamp": 6}\n'
        b'{"session": 13, "role": "ai", "content": "In colonies, high in trees.", "timestamp": 7}\n'
    )
    assert detect_format(data, "chat_log.jsonl") == "openai"
    results = list(get_importer("openai").parse(io.BytesIO(data), "chat_log.jsonl"))
    assert results[0] == Skipped("message list without a prompt and an answer")
    chats = [r for r in results if isinstance(r, ParsedConversation)]
    assert [turns(chat) for chat in chats] == [
        [("user", "How tall is Ben Nevis?"), ("assistant", "1,345 metres.")],
        [
            ("user", "describe a heron to me"),
            ("assistant", "A tall grey wading bird."),
            ("user", "where do they nest?"),
            ("assistant", "In colonies, high in trees."),
        ],
    ]
    assert [chat.line for chat in chats] == [2, 4]


def test_claudes_blocks_in_a_role_content_list_are_the_answers_tool_calls() -> None:
    # A real assistant's chat_log.json keeps Claude's messages as the API returned them in a role/content list:
    # the tool call and its result were dropped before; a result before any answer (an earlier session's call) is.
    messages = [
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_0", "content": "done"}]},
        {"role": "user", "content": "book the room for 3pm"},
        {
            "role": "assistant",
            "content": [
                {"type": "text", "text": "Booking it."},
                {"type": "tool_use", "id": "toolu_1", "name": "book_room", "input": {"at": "15:00"}},
            ],
        },
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": "booked"}]},
        {"role": "assistant", "content": "The room is yours at 3pm."},
    ]
    conversation = parse_one("openai", json.dumps(messages).encode(), "chat_log.json")
    assert turns(conversation) == [
        ("user", "book the room for 3pm"),
        ("assistant", "Booking it.\n\nThe room is yours at 3pm."),
    ]
    assert [b["type"] for b in conversation.turns[1].blocks or []] == [
        "text",
        "tool_use",
        "tool_result",
        "text",
    ]
    assert conversation.dropped == {"tool_result": 1}


def test_an_agents_log_in_claudes_blocks_keeps_a_tool_call_with_no_words_as_part_of_its_answer() -> None:
    # A coding agent's log, one message per line in Anthropic's shape: an answer that is only a tool call, then the
    # tool's result in a user message, is the answer at work, not an answer lost before the next prompt.
    def call(n: int) -> dict[str, Any]:
        return {"type": "tool_use", "id": f"toolu_{n}", "name": "read_file", "input": {"path": f"src/{n}.js"}}

    def result(n: int) -> dict[str, Any]:
        return {
            "role": "user",
            "content": [{"type": "tool_result", "tool_use_id": f"toolu_{n}", "content": "ok"}],
        }

    lines = [
        {"role": "system", "content": "You are a coding agent with read_file, write_file and run_command."},
        {"role": "user", "content": "Build the task API: read src/index.js and src/db.js first."},
        {"role": "assistant", "content": [{"type": "text", "text": "I'll read the two files."}, call(1)]},
        result(1),
        {"role": "assistant", "content": [call(2)]},
        result(2),
        {
            "role": "assistant",
            "content": [{"type": "text", "text": "Both files read; the schema goes in db.js."}],
        },
    ]
    data = "\n".join(json.dumps(line) for line in lines).encode()
    conversation = parse_one(detect_format(data, "transcript.jsonl") or "", data, "transcript.jsonl")
    assert [turn.role for turn in conversation.turns] == ["user", "assistant"]
    answer = conversation.turns[1]
    assert answer.text == "I'll read the two files.\n\nBoth files read; the schema goes in db.js."
    assert [block["type"] for block in answer.blocks or []].count("tool_use") == 2
    assert [block["type"] for block in answer.blocks or []].count("tool_result") == 2


def test_a_github_copilot_thread_saved_whole_is_titled_by_its_thread_name() -> None:
    # A real thread of GitHub Copilot's chat on github.com, saved as JSON: `threadName` beside the messages.
    data = json.dumps(
        {
            "currentUserLogin": "someone",
            "threadUrl": "https://github.com/copilot/c/c231c824",
            "threadName": "Converting GWBASIC to VB.NET application",
            "messages": [
                # The thread's root: a placeholder without text.
                {"id": "root", "role": "user", "createdAt": "", "threadID": "", "references": None},
                {
                    "id": "a",
                    "role": "user",
                    "content": "Convert this menu program",
                    "createdAt": "2026-04-01T20:12:21Z",
                },
                {
                    "id": "b",
                    "role": "assistant",
                    "content": "Here is the form.",
                    "createdAt": "2026-04-01T20:12:40Z",
                },
            ],
        }
    ).encode()
    assert detect_format(data, "thread.json") == "openai"
    chat = parse_one("openai", data, "thread.json")
    assert chat.title == "Converting GWBASIC to VB.NET application"


def test_an_exporters_messages_with_their_text_under_texte() -> None:
    # A browser extension's export of a Grok chat (a real file): `{role, texte, code_blocks, reasoning, ...}`.
    data = json.dumps(
        {
            "conversation_id": "f0000000",
            "platform": "grok",
            "title": "Titre",
            "messages": [
                {"role": "user", "texte": "Affiche un titre.", "code_blocks": [], "reasoning": ""},
                {"role": "assistant", "texte": "# Test Titre", "code_blocks": [], "reasoning": ""},
            ],
        }
    ).encode()
    chat = parse_one("openai", data, "grok.json")
    assert turns(chat) == [("user", "Affiche un titre."), ("assistant", "# Test Titre")]
