"""Request and response bodies of /api/v1: admins see pairs as stored, reviewers as the review screen shows them."""

from __future__ import annotations

from pathlib import PurePath
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.assist.models import SecondOpinion
from app.pairs.models import PairStatus
from app.pairs.shape import PairDetail
from app.params import FieldId

# PostgreSQL cannot store U+0000 in text; refused at the door (422) rather than half-stored.
NO_NUL = r"^[^\x00]*$"
# Not blank and no NUL: a gold edit with nothing in it is refused by the service too.
NOT_BLANK_NO_NUL = r"^[^\x00]*[^\x00\s][^\x00]*$"
Slug = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,39}$", max_length=40)]
Text = Annotated[str, Field(max_length=1_000_000)]


class Message(BaseModel):
    role: Literal["system", "user", "assistant"]
    content: Text


class Source(BaseModel):
    """Where a conversation came from; `file` is the file name only, never a server path."""

    name: str
    file: str
    external_id: str | None


def _file_name(source: dict[str, Any]) -> dict[str, Any]:
    # Only the file name: the stored path can name upload folders and home directories on the server.
    return {**source, "file": PurePath(source.get("file") or "").name}


class SecondOpinionOut(BaseModel):
    """The suggestion provider's opinion of whether the pair is a real pair: shown, never used to decide."""

    verdict: Literal["pair", "not_pair"]
    confidence: float | None = Field(description="0 to 1, when the model gave one.")
    reason: str
    model: str
    prompt_version: str
    created_at: str = Field(description="ISO 8601.")

    @classmethod
    def of(cls, opinion: SecondOpinion | None) -> SecondOpinionOut | None:
        if opinion is None:
            return None
        return cls(
            verdict="pair" if opinion.verdict == "pair" else "not_pair", confidence=opinion.confidence,
            reason=opinion.reason, model=opinion.model, prompt_version=opinion.prompt_version,
            created_at=opinion.created_at.isoformat(),
        )  # fmt: skip


_OPINION = Field(
    default=None, description="A model's second opinion (display only); null when none was asked."
)


class AdminPairOut(PairDetail):
    """A pair as stored (admins): the one pair shape, with status, detected orientation and gold text."""

    view: Literal["admin"] = "admin"
    second_opinion: SecondOpinionOut | None = _OPINION

    @classmethod
    def of(cls, detail: PairDetail, *, opinion: SecondOpinion | None = None) -> AdminPairOut:
        """The admin view of a pair: the shape as is, with the source file reduced to its name."""
        return cls(
            **{**detail.model_dump(), "source": _file_name(detail.source)},
            second_opinion=SecondOpinionOut.of(opinion),
        )


class ReviewPairOut(BaseModel):
    """A pair as the review screen shows it to the caller: two answers in the caller's screen order, blind.

    A projection of the one pair shape (`PairDetail`): no status, no detected orientation, no other
    reviewer's gold edit; `disagreement` is the screen's "reviewers disagreed" note.
    """

    view: Literal["review"] = "review"
    id: FieldId
    source: Source
    title: str | None
    score: float
    disagreement: bool
    prompt: list[Message]
    pushback: Text | None
    left: Text
    right: Text
    lease_expires_at: str | None = Field(description="ISO 8601; null when the caller no longer holds it.")
    second_opinion: SecondOpinionOut | None = _OPINION

    @classmethod
    def blind(
        cls,
        detail: PairDetail,
        *,
        swapped: bool,
        left_side: str,
        lease_expires_at: str | None,
        opinion: SecondOpinion | None = None,
    ) -> ReviewPairOut:
        """The caller's screen: the detector's answers as first written (no gold edit), in screen order."""
        # The shape is in the reviewed orientation; undo it to get the detector's first and second answer.
        first, second = (
            (detail.chosen_original, detail.rejected)
            if swapped
            else (detail.rejected, detail.chosen_original)
        )
        left, right = (first, second) if left_side == "first" else (second, first)
        return cls(
            id=detail.id,
            source=Source(**_file_name(detail.source)),
            title=detail.title,
            score=detail.score,
            disagreement=detail.status == PairStatus.conflict,
            prompt=[Message(role=m["role"], content=m["content"]) for m in detail.prompt],
            pushback=detail.pushback,
            left=left,
            right=right,
            lease_expires_at=lease_expires_at,
            second_opinion=SecondOpinionOut.of(opinion),
        )


PairOut = Annotated[AdminPairOut | ReviewPairOut, Field(discriminator="view")]


class PairPage(BaseModel):
    items: list[PairOut]
    next_after: int | None = Field(description="Pass as `after` to get the next page; null on the last page.")


class LeaseOut(BaseModel):
    pair: ReviewPairOut | None = Field(description="The leased pair; null when the queue is empty.")


class _JudgmentBase(BaseModel):
    model_config = ConfigDict(extra="forbid")

    patterns_left: list[Slug] = Field(default_factory=list, max_length=50)
    patterns_right: list[Slug] = Field(default_factory=list, max_length=50)
    comment: str | None = Field(default=None, max_length=5000, pattern=NO_NUL)
    flagged: bool = False


class PreferJudgmentIn(_JudgmentBase):
    """One answer is better (in the caller's screen order); it may carry a gold edit of that answer."""

    verdict: Literal["left", "right"]
    edited_text: str | None = Field(
        default=None,
        max_length=200_000,
        pattern=NOT_BLANK_NO_NUL,
        description="A gold edit of the preferred answer; the original text (or null) means no edit.",
    )


class OtherJudgmentIn(_JudgmentBase):
    """Both answers are equally good (`tie`), or the two turns are not a preference pair."""

    verdict: Literal["tie", "not_a_pair"]


JudgmentIn = Annotated[PreferJudgmentIn | OtherJudgmentIn, Field(discriminator="verdict")]


class JudgmentOut(BaseModel):
    id: FieldId
    pair_id: FieldId
    verdict: Literal["left", "right", "tie", "not_a_pair"]
    patterns_left: list[str]
    patterns_right: list[str]
    edited_text: str | None
    comment: str | None
    flagged: bool
    version: int


class GoldPromptIn(BaseModel):
    """The question with the follow-up's new facts folded in: it becomes the pair's exported prompt."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(max_length=200_000, pattern=NOT_BLANK_NO_NUL)


class EditOut(BaseModel):
    """One recorded edit of a pair's exported text; the latest per field is current."""

    pair_id: FieldId
    field: Literal["prompt", "chosen"]
    text: str
    previous_text: str
    source: str = Field(description="reviewer, transform or suggestion.")
    created_at: str = Field(description="ISO 8601.")


class SuggestionOut(BaseModel):
    """A model's standalone rewrite of the revised answer (`chosen`) or a folded prompt (`prompt`), with the text
    it rewrites; nothing reaches an export until a person accepts it."""

    id: FieldId
    pair_id: FieldId
    field: Literal["prompt", "chosen"]
    text: str
    base_text: str
    model: str
    status: Literal["pending", "accepted", "ignored"]
    created_at: str = Field(description="ISO 8601.")


class SuggestionDecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decision: Literal["accept", "ignore"] = Field(
        description="accept: the text becomes the gold prompt or answer (with lineage); ignore: it is dropped."
    )
