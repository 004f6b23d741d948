"""Preference judgments exported by annotation tools, as the preference reader's canonical records
(`{id, prompt, chosen, rejected, ...}`).

- Label Studio's JSON export of a pairwise project: a task is `{id, data, annotations, predictions, project,
  ...}`; a `<Pairwise>` judgment is a result `{type: "pairwise", from_name, to_name, value: {selected}}` whose
  `selected` is `left` or `right` (or the tag's `leftChoiceValue` / `rightChoiceValue`).
- Prodigy's `choice` tasks (`prodigy db-out`, JSONL): `{text, options: [{id, text}], accept: [id], answer}`, as its
  A/B comparisons write them (options `A` and `B`); the accepted one is preferred, the task's `text` is the prompt.
  Other choice tasks (a classification's labels as options) give no pair.
- Argilla 2.x records (`Dataset.to_disk()`'s `records.json`, `records.to_json()`): `{id, fields, responses,
  suggestions, metadata, status}`; a label question's response `value` names the preferred field, a ranking
  question's value lists `{value, rank}`, the best rank preferred.

Which fields hold the two answers is read from the data: the names a judgment points at (`to_name`), else two
fields that differ only by a last `1`/`2`, `a`/`b` or `left`/`right` (`answer1`/`answer2`, `response_a`/
`response_b`); the prompt is the field named `prompt`, `question`, `instruction`, `input`, `query`, `text`,
`context`, `chat`, `conversation` or `messages` (text or a list of messages). Only what people decided counts:
cancelled annotations, discarded or draft responses, Label Studio's predictions and Argilla's suggestions (a
model's) are not read. Annotators who disagree give no pair (the task is skipped with its reason), and so does
a task nobody judged.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from ._json import BadRecord
from ._records import type_name
from .base import SkipRecord

PROMPT_FIELDS = (
    "prompt",
    "question",
    "instruction",
    "input",
    "query",
    "text",
    "context",
    "chat",
    "conversation",
    "messages",
)
_SIBLING = re.compile(r"(?i)^(.*?)(1|2|a|b|left|right)$")
_SECOND = {"1": "2", "a": "b", "left": "right"}
LABEL_STUDIO_UNJUDGED = "Label Studio task without a pairwise judgment"
LABEL_STUDIO_SPLIT = "Label Studio task whose annotators disagree: no answer preferred"
ARGILLA_UNJUDGED = "Argilla record without a submitted preference response"
ARGILLA_SPLIT = "Argilla record whose annotators disagree: no answer preferred"
PRODIGY_UNJUDGED = "Prodigy task without an accepted choice (rejected, ignored or none chosen)"
PRODIGY_NOT_AB = "Prodigy choice task that is not an A/B comparison of two texts"


def is_label_studio(record: dict[str, Any]) -> bool:
    return type(record.get("data")) is dict and type(record.get("annotations")) is list


def is_argilla(record: dict[str, Any]) -> bool:
    return type(record.get("fields")) is dict and type(record.get("responses")) is dict


def _answer_fields(data: dict[str, Any], named: list[str]) -> tuple[str, str] | None:
    """The two answer fields (left, right): those a judgment names, else a pair of sibling names."""
    texts = [key for key, value in data.items() if type(value) is str]
    if len(named) == 2 and all(name in texts for name in named):
        return named[0], named[1]
    pairs = []
    for key in texts:
        match = _SIBLING.match(key)
        if match is None or match.group(2).lower() not in _SECOND:
            continue
        first = match.group(2)
        second = _SECOND[first.lower()]
        second = second.upper() if first.isupper() else second
        if (other := match.group(1) + second) in texts:
            pairs.append((key, other))
    preferred = [pair for pair in pairs if named and named[0] in pair]
    return (preferred or pairs)[0] if pairs else None


def _prompt(data: dict[str, Any], answers: tuple[str, str], where: str) -> tuple[str, Any]:
    for key in PROMPT_FIELDS:
        value = data.get(key)
        if key not in answers and (type(value) is str or type(value) is list):
            return key, value
    raise BadRecord(f"{where}: no prompt field (one of {', '.join(PROMPT_FIELDS)}) beside the two answers")


def _majority(votes: list[str], split: str) -> str:
    counts = Counter(votes).most_common()
    if len(counts) > 1 and counts[0][1] == counts[1][1]:
        raise SkipRecord(split)
    return counts[0][0]


def _record(
    data: dict[str, Any], where: str, answers: tuple[str, str], preferred: str, extra: dict[str, Any]
) -> dict[str, Any]:
    _, prompt = _prompt(data, answers, where)
    rejected = answers[1] if preferred == answers[0] else answers[0]
    return {"prompt": prompt, "chosen": data[preferred], "rejected": data[rejected], **extra}


def label_studio(task: dict[str, Any]) -> dict[str, Any]:
    """A Label Studio task judged with `<Pairwise>`: the selected answer chosen, the other rejected."""
    data: dict[str, Any] = task["data"]
    votes: list[str] = []
    answers: tuple[str, str] | None = None
    for i, annotation in enumerate(task["annotations"]):
        if type(annotation) is not dict:
            raise BadRecord(f"annotations[{i}]: expected an object, got {type_name(annotation)}")
        if annotation.get("was_cancelled") is True:
            continue
        results = annotation.get("result")
        for j, result in enumerate(results if type(results) is list else []):
            if type(result) is not dict or result.get("type") != "pairwise":
                continue
            where = f"annotations[{i}].result[{j}]"
            to_name = result.get("to_name")
            named = [name.strip() for name in to_name.split(",")] if type(to_name) is str else []
            answers = _answer_fields(data, named)
            if answers is None:
                raise BadRecord(
                    f"{where}: cannot tell which data fields are the two answers (name them like answer1 and "
                    "answer2, or response_a and response_b)"
                )
            value = result.get("value")
            selected = value.get("selected") if type(value) is dict else None
            if selected == "left" or selected == answers[0]:
                votes.append(answers[0])
            elif selected == "right" or selected == answers[1]:
                votes.append(answers[1])
            else:
                got = repr(selected) if type(selected) is str else type_name(selected)
                raise BadRecord(f'{where}.value.selected: expected "left" or "right", got {got}')
    if not votes or answers is None:
        raise SkipRecord(LABEL_STUDIO_UNJUDGED)
    preferred = _majority(votes, LABEL_STUDIO_SPLIT)
    extra: dict[str, Any] = {"id": task.get("id"), "source": "label-studio"}
    return _record(data, "data", answers, preferred, extra)


def argilla(record: dict[str, Any]) -> dict[str, Any]:
    """An Argilla record with a submitted label or ranking response naming one of two answer fields."""
    fields: dict[str, Any] = record["fields"]
    answers = _answer_fields(fields, [])
    if answers is None:
        raise BadRecord(
            "fields: cannot tell which fields are the two answers (name them like response1 and response2, "
            "or response_a and response_b)"
        )
    for question, responses in record["responses"].items():
        votes: list[str] = []
        for i, response in enumerate(responses if type(responses) is list else []):
            if type(response) is not dict or response.get("status", "submitted") != "submitted":
                continue
            value = response.get("value")
            if type(value) is list:  # a ranking: [{value, rank}], the lowest rank best
                ranked = sorted(
                    (item.get("rank"), item.get("value"))
                    for item in value
                    if type(item) is dict and type(item.get("rank")) is int and item.get("value") in answers
                )
                if len(ranked) == 2 and ranked[0][0] != ranked[1][0]:
                    votes.append(str(ranked[0][1]))
                elif len(ranked) == 2:
                    votes.append("")  # the same rank: neither preferred
            elif type(value) is str and value in answers:
                votes.append(value)
            elif type(value) is str and value:
                raise BadRecord(
                    f'responses.{question}[{i}].value: expected "{answers[0]}" or "{answers[1]}", got {value!r}'
                )
        if votes:
            preferred = _majority(votes, ARGILLA_SPLIT)
            if not preferred:
                raise SkipRecord(ARGILLA_SPLIT)
            extra = {"id": record.get("id"), "source": "argilla"}
            return _record(fields, "fields", answers, preferred, extra)
    raise SkipRecord(ARGILLA_UNJUDGED)


def is_prodigy(record: dict[str, Any]) -> bool:
    """A Prodigy `choice` task as `prodigy db-out` writes it: `options` of `{id, text}` and the annotator's `answer`."""
    options = record.get("options")
    return (
        type(options) is list
        and bool(options)
        and type(options[0]) is dict
        and "id" in options[0]
        and record.get("answer") in ("accept", "reject", "ignore")
    )


def prodigy(task: dict[str, Any]) -> dict[str, Any]:
    """A Prodigy A/B task: two options, the accepted one preferred; a rejected or ignored task, or one choosing
    among more than two options or none of them, gives no pair."""
    if task.get("answer") != "accept":
        raise SkipRecord(PRODIGY_UNJUDGED)
    options = [option for option in task["options"] if type(option) is dict]
    texts = {option.get("id"): option.get("text") for option in options}
    # A/B comparisons name their options A and B; a classification's options are its labels, not answers.
    ids = sorted(str(option.get("id")).upper() for option in options)
    if ids != ["A", "B"] or not all(type(text) is str for text in texts.values()):
        raise SkipRecord(PRODIGY_NOT_AB)
    accepted = task.get("accept")
    if type(accepted) is not list or len(accepted) != 1 or accepted[0] not in texts:
        raise SkipRecord(PRODIGY_UNJUDGED)
    data = {f"option_{key}": text for key, text in texts.items()} | {
        key: task[key] for key in PROMPT_FIELDS if key in task
    }
    answers = (f"option_{options[0].get('id')}", f"option_{options[1].get('id')}")
    extra = {"id": task.get("_task_hash"), "source": "prodigy", "annotator": task.get("_annotator_id")}
    return _record(data, "task", answers, f"option_{accepted[0]}", extra)
