"""Existing preference pairs, JSONL or a JSON array, in the shapes public datasets use.

- TRL explicit prompt: `{"prompt", "chosen", "rejected"}`, each a string (standard) or a message list
  (conversational). Chosen and rejected may repeat the prompt's messages (UltraFeedback-binarized writes
  `prompt` as a string and `chosen`/`rejected` as whole conversations, plus `score_chosen`/`score_rejected`).
- TRL / Argilla implicit prompt: no `prompt`; the messages `chosen` and `rejected` share are the prompt.
- Anthropic HH-RLHF: `chosen` and `rejected` are whole transcripts as strings (`\\n\\nHuman: …\\n\\nAssistant: …`);
  the shared text up to the last `Assistant:` is the prompt.
- LLaMA-Factory Alpaca-style preference: `{"instruction", "input"?, "chosen", "rejected"}`, strings.
- OpenAI DPO: `{"input": {"messages": [...]}, "preferred_output": [...], "non_preferred_output": [...]}`.
- Chatbot Arena battles (lmsys/chatbot_arena_conversations, MT-Bench human judgments, LMArena's
  arena-human-preference-100k and -140k rows as JSON): `conversation_a` and `conversation_b` answer the same
  prompt, `winner` says which model won; the winner's answer is chosen. The 100k set may hold each
  conversation as a JSON string, the 140k set a message's content as a list of parts (`{type, text, image,
  mimeType}`: text parts joined, images counted as dropped). A tie, a vote that both answers are bad
  (`both_bad`) and a battle of several turns, which votes on two conversations that differ before their last
  answer, are skipped with their reason, never paired.
- Intel/orca_dpo_pairs: `{"system", "question", "chosen", "rejected"}` (the question is the prompt).
- PKU-Alignment/PKU-SafeRLHF: `{"prompt", "response_0", "response_1", "better_response_id"}`: the better
  (more helpful) response is chosen; `safer_response_id` and the `is_response_N_safe` flags are metadata.
- Stanford SHP: `{"post_id", "history", "human_ref_A", "human_ref_B", "labels"}`: `labels` 1 means A was
  preferred (by upvotes), 0 B; the scores and the subreddit (`domain`) are metadata.
- berkeley-nest/Nectar: `{"prompt", "answers": [{"answer", "model", "rank"}]}`, the prompt an HH-style
  transcript (`\n\nHuman: …\n\nAssistant:`): the best-ranked answer (lowest `rank`) is chosen, the
  worst-ranked rejected; their models and ranks are metadata. Answers of equal rank give no pair (skipped).
- nvidia/HelpSteer3 (preference): `{"domain", "language", "context": [messages], "response1", "response2",
  "overall_preference"}`: the context is the prompt, `overall_preference` from -3 (response 1 much better) to 3
  (response 2 much better) says which answer is chosen; 0 (no preference) is skipped; the domain, language and
  the preference strength are metadata (the annotators' reasoning is not read).
- nvidia/HelpSteer2 preference (`preference/preference.jsonl.gz`): `{"split", "prompt", "response_1", "response_2",
  "preference_strength", "preference_statement", ...}`: `preference_strength` from -3 (response 1 much better) to
  3 (response 2 much better) says which is chosen, 0 is skipped; the strength and split are metadata, the
  annotators' statements not read. A string prompt holding earlier turns in HelpSteer's convention (each later
  turn opened by a line `<extra_id_1>User` or `<extra_id_1>Assistant`) is read as those turns, in every shape.
- openbmb/UltraFeedback (the raw rows, before binarizing): `{"source", "instruction", "models", "completions":
  [{"model", "response", "annotations", "fine-grained_score", "overall_score", ...}]}`: the completion with the
  best `fine-grained_score` (the mean of its four aspect ratings, as the binarized sets take it; else
  `overall_score`) is chosen and the worst rejected, their models and scores kept as metadata; completions that
  all share one score are skipped. The scores are a model's (GPT-4's) ratings: the pair goes to review like any.
- LMArena's arena-human-preference-55k `train.csv` (Kaggle "lmsys-chatbot-arena"): one battle a row, `prompt`,
  `response_a` and `response_b` JSON-encoded lists of strings (one per turn, `null` for a lost one), the
  winner one-hot in `winner_model_a` / `winner_model_b` / `winner_tie`. Read like a battle: a single-turn row
  is a pair, a tie, a battle of several turns and a row with a lost turn are skipped with their reason.

The conversation is the prompt's turns, then the rejected answer, then the chosen one: two assistant
turns in a row (the one exception to alternation), linked by an ExplicitPair. Scores, ratings and model
names of the record are kept in the conversation's metadata under `preference`.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

from . import _annotation_tools as annotation_tools
from ._csv import csv_header, iter_csv_records
from ._json import BadRecord, decode
from ._records import RecordImporter, expect, external_id, parse_records, peekable, type_name
from ._turns import TurnBuilder, add_marked_prompt, append_pair
from .base import ParsedConversation, ParsedTurn, ParseResult, SkipRecord
from .chat_template import add_templated_prompt
from .openai import add_messages

SHAPES = (
    "TRL {prompt, chosen, rejected}; TRL implicit prompt {chosen, rejected} as message lists sharing "
    'the prompt; HH-RLHF {chosen, rejected} as "\\n\\nHuman: … \\n\\nAssistant: …" strings; '
    "Alpaca {instruction, input?, chosen, rejected}; OpenAI {input, preferred_output, non_preferred_output}; "
    "Chatbot Arena {conversation_a, conversation_b, winner}; LMArena 55k CSV {prompt, response_a, response_b, "
    "winner_model_a, winner_model_b, winner_tie}; Orca DPO {system, question, chosen, rejected}; PKU-SafeRLHF "
    "{prompt, response_0, response_1, better_response_id}; SHP {history, human_ref_A, human_ref_B, labels}; "
    "Nectar {prompt, answers: [{answer, rank}]}; HelpSteer3 {context, response1, response2, overall_preference}; "
    "Label Studio pairwise tasks {data, annotations: [{result: [{type: pairwise, value: {selected}}]}]}; "
    "Argilla records {fields, responses}"
)
_HELPSTEER_TIE = "HelpSteer3 record with no preference (overall_preference 0)"
_HELPSTEER2_TIE = "HelpSteer2 record with no preference (preference_strength 0)"
_ULTRAFEEDBACK_TIE = "UltraFeedback record whose completions all share one score: no answer preferred"
_NECTAR_TIE = "Nectar record whose answers all share one rank: no answer preferred"
_ARENA_WINNERS = {"model_a": ("a", "b"), "model_b": ("b", "a")}
_ARENA_TIE = "Chatbot Arena tie: no answer preferred"
_ARENA_BOTH_BAD = "Chatbot Arena both_bad: both answers judged bad, no answer preferred"
_ARENA_TURNS = "Chatbot Arena battle of several turns: the vote is on whole conversations"
_ARENA_LOST = "Chatbot Arena battle with a lost turn (null in the CSV): no answer to pair"
# The LMArena 55k CSV: a header with these columns (`id` too, not required) is this format's.
_CSV_WINNERS = ("winner_model_a", "winner_model_b", "winner_tie")
_CSV_TEXTS = ("prompt", "response_a", "response_b")
_CSV_COLUMNS = frozenset(("model_a", "model_b", *_CSV_TEXTS, *_CSV_WINNERS))
# Fields kept as metadata: the scores and provenance public preference datasets carry.
_META_KEYS = (
    "score_chosen",
    "score_rejected",
    "chosen_score",
    "rejected_score",
    "rating_chosen",
    "rating_rejected",
    "chosen_rating",
    "rejected_rating",
    "chosen_model",
    "rejected_model",
    "judge",
    "language",
    "winner",
    "prompt_id",
    "source",
    "annotator",
    "chosen_rank",
    "rejected_rank",
    "safer_response_id",
    "is_response_0_safe",
    "is_response_1_safe",
    "domain",
    "score_A",
    "score_B",
    "overall_preference",
    "preference_strength",
    "split",
)
_HH_SPEAKER = re.compile(r"(?:^|\n\n)(Human|Assistant): ?")


def _answer(value: Any, field: str, dropped: Counter[str]) -> ParsedTurn:
    """The answer as one assistant turn; the parts it leaves out (an image) are counted in `dropped`."""
    if type(value) is str:
        return ParsedTurn("assistant", value)
    if type(value) is not list:
        raise BadRecord(f"{field}: expected a string or a list of messages, got {type_name(value)}")
    builder = TurnBuilder()
    add_messages(builder, value, field)
    turns = builder.finish(complete=False)
    dropped.update(builder.dropped)
    if len(turns) != 1 or turns[0].role != "assistant":
        roles = ", ".join(turn.role for turn in turns) or "none"
        raise BadRecord(
            f"{field}: expected the answer as one assistant message after the prompt, got turns: {roles}"
        )
    return turns[0]


def _shared_prefix(chosen: list[Any], rejected: list[Any]) -> int:
    size = 0
    for a, b in zip(chosen, rejected, strict=False):
        if a != b:
            break
        size += 1
    # The answers start with the first differing message: never split inside a prompt's last user turn.
    while size and type(chosen[size - 1]) is dict and chosen[size - 1].get("role") == "assistant":
        if size == len(chosen) or size == len(rejected):
            size -= 1
        else:
            break
    return size


def hh_turns(text: str, field: str) -> list[tuple[str, str]]:
    """An HH-RLHF transcript string as (speaker, text) turns, or BadRecord naming the field."""
    marks = list(_HH_SPEAKER.finditer(text))
    if not marks or text[: marks[0].start()].strip():
        raise BadRecord(f'{field}: expected a transcript of "\\n\\nHuman: …\\n\\nAssistant: …" turns')
    spoken = []
    for i, mark in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(text)
        spoken.append((mark.group(1), text[mark.end() : end]))
    return spoken


def _hh(builder: TurnBuilder, chosen: Any, rejected: Any) -> tuple[str, str]:
    good, bad = hh_turns(chosen, "chosen"), hh_turns(rejected, "rejected")
    if good[-1][0] != "Assistant" or bad[-1][0] != "Assistant":
        raise BadRecord("chosen/rejected: expected HH-RLHF transcripts that end with an Assistant turn")
    if good[:-1] != bad[:-1]:
        raise BadRecord(
            "chosen/rejected: expected HH-RLHF transcripts that differ only in the last Assistant turn"
        )
    for speaker, text in good[:-1]:
        if speaker == "Human":
            builder.user(text.strip())
        else:
            builder.text(text.strip())
    return good[-1][1].strip(), bad[-1][1].strip()


def _is_hh(chosen: Any, rejected: Any) -> bool:
    if type(chosen) is not str or type(rejected) is not str:
        return False
    return any(text.lstrip("\n").startswith("Human:") for text in (chosen, rejected))


def _prompt(builder: TurnBuilder, record: dict[str, Any]) -> tuple[Any, Any]:
    """Feed the prompt to `builder`; return the (chosen, rejected) answers still to read."""
    chosen, rejected, prompt = record.get("chosen"), record.get("rejected"), record.get("prompt")
    if type(chosen) is list and type(rejected) is list:
        size = _shared_prefix(chosen, rejected)
        if size:
            # Implicit prompt (or UltraFeedback's whole conversations): the shared messages are the prompt.
            add_messages(builder, chosen[:size], "chosen")
            return chosen[size:], rejected[size:]
    if prompt is None and _is_hh(chosen, rejected):
        return _hh(builder, chosen, rejected)
    if prompt is None and type(record.get("question")) is str:
        # Orca DPO pairs: a system prompt and the question.
        if type(record.get("system")) is str:
            builder.system(record["system"])
        builder.user(record["question"])
        return chosen, rejected
    if prompt is None and type(record.get("instruction")) is str:
        if type(record.get("system")) is str:
            builder.system(record["system"])
        extra = record.get("input")
        builder.user("\n\n".join(t for t in (record["instruction"], extra) if type(t) is str and t.strip()))
        return chosen, rejected
    if type(prompt) is str:
        tokens = add_templated_prompt(builder, prompt)
        if tokens is None:
            add_marked_prompt(builder, prompt)
        elif type(chosen) is str and type(rejected) is str:
            return tokens.sub("", chosen).strip(), tokens.sub("", rejected).strip()
    elif type(prompt) is list:
        add_messages(builder, prompt, "prompt")
    else:
        raise BadRecord(
            f"prompt: expected a string or a list of messages, got {type_name(prompt)}; shapes read: {SHAPES}"
        )
    return chosen, rejected


def _arena(record: dict[str, Any]) -> dict[str, Any]:
    """A Chatbot Arena battle as an implicit-prompt record: the winner's conversation chosen, the other
    rejected, the models kept; SkipRecord for a tie or a battle of several turns."""
    winner = record.get("winner")
    if type(winner) is not str or winner not in _ARENA_WINNERS:
        if type(winner) is str and winner.startswith("tie"):
            raise SkipRecord(_ARENA_TIE)
        if winner == "both_bad":
            raise SkipRecord(_ARENA_BOTH_BAD)
        got = type_name(winner) if type(winner) is not str else repr(winner[:40])
        raise BadRecord(f'winner: expected "model_a", "model_b", a tie or "both_bad", got {got}')
    good, bad = _ARENA_WINNERS[winner]
    chosen = _conversation(record, f"conversation_{good}")
    rejected = _conversation(record, f"conversation_{bad}")
    prompts = sum(1 for m in chosen if type(m) is dict and m.get("role") == "user")
    if prompts > 1:
        raise SkipRecord(_ARENA_TURNS)
    extra = {"chosen_model": record.get(f"model_{good}"), "rejected_model": record.get(f"model_{bad}")}
    extra |= {key: record[key] for key in ("judge", "language", "winner") if type(record.get(key)) is str}
    # lmsys/chatbot_arena_conversations and the 100k set name the battle `question_id`, the 140k set `id`.
    battle = record.get("question_id", record.get("id"))
    return {"id": battle, "chosen": chosen, "rejected": rejected, **extra}


def _two_responses(record: dict[str, Any]) -> dict[str, Any]:
    """PKU-SafeRLHF (`response_0`/`response_1`, `better_response_id`) or SHP (`human_ref_A`/`human_ref_B`,
    `labels`) as an explicit-prompt record."""
    if "better_response_id" in record:
        better = record.get("better_response_id")
        if better not in (0, 1) or type(better) is bool:
            raise BadRecord(f"better_response_id: expected 0 or 1, got {type_name(better)}")
        chosen, rejected = f"response_{better}", f"response_{1 - better}"
        extra = {
            key: record[key]
            for key in ("safer_response_id", "is_response_0_safe", "is_response_1_safe")
            if type(record.get(key)) in (int, bool)
        }
        prompt = record.get("prompt")
    else:
        label = record.get("labels")
        if label not in (0, 1) or type(label) is bool:
            raise BadRecord(f"labels: expected 1 (A preferred) or 0 (B preferred), got {type_name(label)}")
        chosen, rejected = ("human_ref_A", "human_ref_B") if label == 1 else ("human_ref_B", "human_ref_A")
        extra = {
            key: record[key]
            for key in ("domain", "score_A", "score_B")
            if type(record.get(key)) in (int, float, str)
        }
        prompt = record.get("history")
    return {
        "id": record.get("post_id", record.get("id")),
        "prompt": expect(prompt, str, "history" if "labels" in record else "prompt"),
        "chosen": expect(record.get(chosen), str, chosen),
        "rejected": expect(record.get(rejected), str, rejected),
        **extra,
    }


def _helpsteer(record: dict[str, Any]) -> dict[str, Any]:
    """A HelpSteer3 preference record: its context the prompt, the answer `overall_preference` favours chosen."""
    return _scaled(record, "overall_preference", ("response1", "response2"), ("context", list), _HELPSTEER_TIE,
                   keep=("domain", "language", "overall_preference"))  # fmt: skip


def _helpsteer2(record: dict[str, Any]) -> dict[str, Any]:
    """A HelpSteer2 preference record: `preference_strength` says which answer is chosen; the prompt may hold
    earlier turns (`<extra_id_1>` lines)."""
    return _scaled(record, "preference_strength", ("response_1", "response_2"), ("prompt", str), _HELPSTEER2_TIE,
                   keep=("split", "preference_strength"))  # fmt: skip


def _scaled(
    record: dict[str, Any],
    field: str,
    responses: tuple[str, str],
    prompt: tuple[str, type],
    tie: str,
    *,
    keep: tuple[str, ...],
) -> dict[str, Any]:
    """A record whose `field`, from -3 (the first response much better) to 3 (the second much better), says which
    response is chosen; 0 is a tie, skipped. `keep` names the fields kept as metadata."""
    strength = record.get(field)
    if type(strength) is not int or not -3 <= strength <= 3:
        raise BadRecord(f"{field}: expected a whole number from -3 to 3, got {type_name(strength)}")
    if strength == 0:
        raise SkipRecord(tie)
    first, second = responses
    chosen, rejected = (second, first) if strength > 0 else (first, second)
    return {
        "prompt": expect(record.get(prompt[0]), prompt[1], prompt[0]),
        "chosen": expect(record.get(chosen), str, chosen),
        "rejected": expect(record.get(rejected), str, rejected),
        **{key: record[key] for key in keep if key in record},
    }


def _is_ultrafeedback(record: dict[str, Any]) -> bool:
    completions = record.get("completions")
    return (
        type(completions) is list
        and bool(completions)
        and type(completions[0]) is dict
        and "response" in completions[0]
        and "instruction" in record
    )


def _ultrafeedback(record: dict[str, Any]) -> dict[str, Any]:
    """An UltraFeedback record (openbmb/UltraFeedback): the best-scored completion chosen, the worst rejected. The
    score is `fine-grained_score` (the mean of the four aspect ratings, as the binarized sets use it), else
    `overall_score`; completions that share one score give no pair."""
    scored: list[tuple[float, int, dict[str, Any]]] = []
    for i, completion in enumerate(expect(record.get("completions"), list, "completions")):
        if type(completion) is not dict:
            raise BadRecord(f"completions[{i}]: expected an object, got {type_name(completion)}")
        score: Any = completion.get("fine-grained_score", completion.get("overall_score"))
        if type(score) not in (int, float) or type(completion.get("response")) is not str:
            raise BadRecord(f"completions[{i}]: expected a string response and a number score")
        scored.append((float(score), i, completion))
    if len(scored) < 2:
        raise BadRecord(f"completions: expected at least two scored completions, got {len(scored)}")
    scored.sort(key=lambda item: (-item[0], item[1]))
    (best_score, _, best), (worst_score, _, worst) = scored[0], scored[-1]
    if best_score == worst_score:
        raise SkipRecord(_ULTRAFEEDBACK_TIE)
    return {
        "prompt": expect(record.get("instruction"), str, "instruction"),
        "chosen": best["response"],
        "rejected": worst["response"],
        "chosen_model": best.get("model"),
        "rejected_model": worst.get("model"),
        "score_chosen": best_score,
        "score_rejected": worst_score,
        "source": record.get("source"),
    }


def _nectar(record: dict[str, Any]) -> dict[str, Any]:
    """A Nectar record: the best-ranked answer chosen, the worst-ranked rejected, after the HH-style prompt."""
    answers = expect(record.get("answers"), list, "answers")
    ranked = []
    for i, answer in enumerate(answers):
        if type(answer) is not dict:
            raise BadRecord(f"answers[{i}]: expected an object, got {type_name(answer)}")
        rank, text = answer.get("rank"), answer.get("answer")
        if type(rank) not in (int, float) or type(text) is not str:
            raise BadRecord(f"answers[{i}]: expected a number rank and a string answer")
        ranked.append((rank, i, answer))
    if len(ranked) < 2:
        raise BadRecord(f"answers: expected at least two ranked answers, got {len(ranked)}")
    ranked.sort(key=lambda item: (item[0], item[1]))
    (best_rank, _, best), (worst_rank, _, worst) = ranked[0], ranked[-1]
    if best_rank == worst_rank:
        raise SkipRecord(_NECTAR_TIE)
    prompt = expect(record.get("prompt"), str, "prompt")
    transcript = prompt.rstrip()
    transcript = transcript.removesuffix("Assistant:").rstrip()
    return {
        "id": record.get("id"),
        "prompt": [
            {"role": "user" if speaker == "Human" else "assistant", "content": text.strip()}
            for speaker, text in hh_turns(transcript, "prompt")
        ],
        "chosen": best["answer"],
        "rejected": worst["answer"],
        "chosen_model": best.get("model"),
        "rejected_model": worst.get("model"),
        "chosen_rank": best_rank,
        "rejected_rank": worst_rank,
    }


def _conversation(record: dict[str, Any], field: str) -> list[Any]:
    """A battle's conversation: a list of messages, or (arena-human-preference-100k) that list as JSON text."""
    value = record.get(field)
    if type(value) is str:
        try:
            value = decode(value.encode())
        except BadRecord as exc:
            raise BadRecord(f"{field}: a string that is not a JSON list of messages: {exc}") from None
    return expect(value, list, field)


def _csv_winner(row: dict[str, str]) -> str:
    """Which of the one-hot winner columns is 1 (BadRecord naming the column that is neither 0 nor 1)."""
    won = []
    for column in _CSV_WINNERS:
        cell = row[column].strip()
        if cell not in ("0", "1"):
            raise BadRecord(f'column "{column}": expected 0 or 1, got {cell[:40]!r}')
        if cell == "1":
            won.append(column)
    if len(won) != 1:
        got = ", ".join(row[column].strip() for column in _CSV_WINNERS)
        raise BadRecord(f"columns {', '.join(_CSV_WINNERS)}: expected exactly one of them to be 1, got {got}")
    return won[0]


def _csv_turns(row: dict[str, str], column: str) -> list[str | None]:
    """A column holding a JSON list of strings, one per turn (`null` for a lost turn)."""
    try:
        value = decode(row[column].encode())
    except BadRecord as exc:
        raise BadRecord(f'column "{column}": {exc}') from None
    if type(value) is not list or not value:
        got = "an empty list" if value == [] else type_name(value)
        raise BadRecord(f'column "{column}": expected a JSON list of strings, one per turn, got {got}')
    for i, turn in enumerate(value):
        if turn is not None and type(turn) is not str:
            raise BadRecord(
                f'column "{column}": turn {i + 1}: expected a string or null, got {type_name(turn)}'
            )
    return value


def _csv_battle(row: dict[str, str]) -> dict[str, Any]:
    """A row of the LMArena 55k CSV as an explicit-prompt record, read as `_arena` reads a battle: the
    winner's response chosen; SkipRecord for a tie, a battle of several turns or a lost turn."""
    won = _csv_winner(row)
    if won == "winner_tie":
        raise SkipRecord(_ARENA_TIE)
    prompt = _csv_turns(row, "prompt")
    if len(prompt) > 1:
        raise SkipRecord(_ARENA_TURNS)
    good, bad = ("a", "b") if won == "winner_model_a" else ("b", "a")
    chosen, rejected = _csv_turns(row, f"response_{good}"), _csv_turns(row, f"response_{bad}")
    for column, turns in ((f"response_{good}", chosen), (f"response_{bad}", rejected)):
        if len(turns) != len(prompt):
            raise BadRecord(f'column "{column}": expected 1 turn as "prompt" has, got {len(turns)}')
    if prompt[0] is None or chosen[0] is None or rejected[0] is None:
        raise SkipRecord(_ARENA_LOST)
    return {
        "id": row.get("id", "").strip(),
        "prompt": prompt[0],
        "chosen": chosen[0],
        "rejected": rejected[0],
        "chosen_model": row[f"model_{good}"],
        "rejected_model": row[f"model_{bad}"],
        "winner": f"model_{good}",
    }


def _convert(record: dict[str, Any], fallback: str) -> ParsedConversation:
    builder = TurnBuilder()
    if "conversation_a" in record and "winner" in record:
        record = _arena(record)
    elif "better_response_id" in record or ("human_ref_A" in record and "labels" in record):
        record = _two_responses(record)
    elif type(record.get("answers")) is list and "prompt" in record and "chosen" not in record:
        record = _nectar(record)
    elif "overall_preference" in record and "response1" in record:
        record = _helpsteer(record)
    elif "preference_strength" in record and "response_1" in record:
        record = _helpsteer2(record)
    elif _is_ultrafeedback(record):
        record = _ultrafeedback(record)
    elif annotation_tools.is_label_studio(record):
        record = annotation_tools.label_studio(record)
    elif annotation_tools.is_argilla(record):
        record = annotation_tools.argilla(record)
    elif annotation_tools.is_prodigy(record):
        record = annotation_tools.prodigy(record)
    if "preferred_output" in record or ("input" in record and "instruction" not in record):
        add_messages(builder, expect(record.get("input"), dict, "input").get("messages"), "input.messages")
        chosen_key, rejected_key = "preferred_output", "non_preferred_output"
        chosen, rejected = record.get(chosen_key), record.get(rejected_key)
    else:
        chosen_key, rejected_key = "chosen", "rejected"
        chosen, rejected = _prompt(builder, record)
    turns = builder.finish(complete=False)
    answers = _answer(rejected, rejected_key, builder.dropped), _answer(chosen, chosen_key, builder.dropped)
    pairs = append_pair(turns, *answers)
    scores = {key: record[key] for key in _META_KEYS if type(record.get(key)) in (int, float, str, bool)}
    return ParsedConversation(
        external_id=external_id(record, fallback),
        turns=turns,
        system_prompt=builder.system_prompt,
        explicit_pairs=pairs,
        metadata={"preference": scores} if scores else {},
        dropped=dict(builder.dropped),
    )


def _is_preference(record: dict[str, Any]) -> bool:
    if "preferred_output" in record or ("conversation_a" in record and "winner" in record):
        return True
    if annotation_tools.is_label_studio(record) or annotation_tools.is_argilla(record):
        return True
    if annotation_tools.is_prodigy(record):
        return True
    if "better_response_id" in record and "response_0" in record and "response_1" in record:
        return True
    if "human_ref_A" in record and "human_ref_B" in record and "labels" in record:
        return True
    if "overall_preference" in record and "response1" in record and "response2" in record:
        return True
    if "preference_strength" in record and "response_1" in record and "response_2" in record:
        return True
    if _is_ultrafeedback(record):
        return True
    answers = record.get("answers")
    if type(answers) is list and answers and type(answers[0]) is dict and "rank" in answers[0]:
        return "prompt" in record
    return "chosen" in record and "rejected" in record and "conversations" not in record


def _hint(head: bytes) -> bool:
    if b'"preferred_output"' in head or (b'"conversation_a"' in head and b'"winner"' in head):
        return True
    if b'"better_response_id"' in head or (b'"human_ref_A"' in head and b'"labels"' in head):
        return True
    if b'"answers"' in head and b'"rank"' in head and b'"prompt"' in head:
        return True
    if b'"overall_preference"' in head and b'"response1"' in head:
        return True
    if b'"preference_strength"' in head and b'"response_1"' in head:
        return True
    if b'"completions"' in head and b'"instruction"' in head and b'"annotations"' in head:
        return True
    if (b'"annotations"' in head and b'"data"' in head) or (b'"fields"' in head and b'"responses"' in head):
        return True  # Label Studio tasks, Argilla records
    if b'"options"' in head and b'"_view_id"' in head and b'"answer"' in head:
        return True  # Prodigy choice tasks
    return b'"chosen"' in head and b'"rejected"' in head and b'"conversations"' not in head


def _is_arena_csv(head: bytes) -> bool:
    names = csv_header(head)
    return names is not None and _CSV_COLUMNS.issubset(names)


def _convert_csv(row: dict[str, str], fallback: str) -> ParsedConversation:
    return _convert(_csv_battle(row), fallback)


@dataclass(frozen=True, slots=True)
class _PreferenceImporter:
    """Preference records as JSON (`records`), or the LMArena 55k CSV, told apart by the file's first line."""

    name: str
    records: RecordImporter

    def sniff(self, head: bytes, filename: str) -> bool:
        return self.records.sniff(head, filename) or _is_arena_csv(head)

    def parse(self, stream: IO[bytes], filename: str) -> Iterator[ParseResult]:
        buffered = peekable(stream)
        if _is_arena_csv(buffered.peek(65536)):
            return parse_records(buffered, filename, _convert_csv, records=iter_csv_records(buffered))
        return self.records.parse(buffered, filename)


importer = _PreferenceImporter(
    "preference", RecordImporter(name="preference", convert=_convert, looks=_is_preference, hint=_hint)
)
