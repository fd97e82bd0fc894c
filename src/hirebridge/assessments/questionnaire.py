"""The assessment a job's candidates take: a questionnaire whose options carry scores, and how it is scored.

A questionnaire is a list of questions ``{"id", "text", "dimension", "options": [{"label", "score"}]}``, where
``dimension`` is ``role_fit`` or ``organizational_fit`` and each option scores 0..100. A candidate's score in a
dimension is the points of their chosen options over the best possible points there, scaled to 0..100, which
gives Pulsifi's two scores: ``{"score_format": 100, "score_type": ..., "score_value": 0..100}``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

DIMENSIONS = ("role_fit", "organizational_fit")
MAX_QUESTIONS = 30
MAX_OPTIONS = 6

QuestionId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,40}$")]


class OptionIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    label: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    score: Annotated[int, Field(ge=0, le=100, strict=True)]


class QuestionIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: QuestionId | None = None
    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
    dimension: Literal["role_fit", "organizational_fit"]
    options: Annotated[list[OptionIn], Field(min_length=2, max_length=MAX_OPTIONS)]


def _check_questions(questions: list[QuestionIn]) -> list[QuestionIn]:
    present = {q.dimension for q in questions}
    missing = [d for d in DIMENSIONS if d not in present]
    if missing:
        raise ValueError(f"needs at least one question for each dimension (missing: {', '.join(missing)})")
    ids = [q.id for q in questions if q.id is not None]
    if len(ids) != len(set(ids)):
        raise ValueError("question ids must be unique")
    for question in questions:
        if max(option.score for option in question.options) == 0:
            raise ValueError(f"question '{question.text[:40]}' needs at least one option scoring above 0")
    return questions


class QuestionnaireIn(BaseModel):
    """Validates a questionnaire sent with a job (wrapped so the whole list is checked together)."""

    questions: Annotated[list[QuestionIn], Field(min_length=2, max_length=MAX_QUESTIONS)]

    @model_validator(mode="after")
    def _valid(self) -> QuestionnaireIn:
        _check_questions(self.questions)
        return self


def normalized(questions: list[QuestionIn]) -> list[dict[str, Any]]:
    """The stored form: every question gets an id (q1, q2, ... unless the sender chose ids)."""
    stored = []
    for index, question in enumerate(questions, start=1):
        stored.append(
            {
                "id": question.id or f"q{index}",
                "text": question.text,
                "dimension": question.dimension,
                "options": [{"label": o.label, "score": o.score} for o in question.options],
            }
        )
    return stored


_SCALE = ["Strongly disagree", "Disagree", "Neutral", "Agree", "Strongly agree"]


def _likert(qid: str, text: str, dimension: str) -> dict[str, Any]:
    return {
        "id": qid,
        "text": text,
        "dimension": dimension,
        "options": [
            {"label": label, "score": score} for label, score in zip(_SCALE, (0, 25, 50, 75, 100), strict=True)
        ],
    }


def default_questionnaire() -> list[dict[str, Any]]:
    """The questionnaire of a job that sent none: three statements per dimension, on a five-point scale."""
    return [
        _likert("rf1", "I have done work very like this role's main duties before.", "role_fit"),
        _likert("rf2", "I can name a result I achieved using the skills this role needs.", "role_fit"),
        _likert("rf3", "I learn the tools of a new role quickly and on my own.", "role_fit"),
        _likert("of1", "I do my best work in a team that shares decisions openly.", "organizational_fit"),
        _likert("of2", "I am comfortable when priorities change at short notice.", "organizational_fit"),
        _likert("of3", "I ask for feedback and act on it.", "organizational_fit"),
    ]


def score(questions: list[dict[str, Any]], answers: dict[str, int]) -> list[dict[str, int | str]]:
    """Pulsifi's score list for ``answers`` (question id -> chosen option index), every question answered."""
    scores: list[dict[str, int | str]] = []
    for dimension in DIMENSIONS:
        earned = best = 0
        for question in questions:
            if question["dimension"] != dimension:
                continue
            option_scores = [int(option["score"]) for option in question["options"]]
            best += max(option_scores)
            earned += option_scores[answers[question["id"]]]
        value = round(100 * earned / best) if best else 0
        scores.append({"score_format": 100, "score_type": dimension, "score_value": value})
    return scores


def parse_answers(questions: list[dict[str, Any]], form: dict[str, str]) -> tuple[dict[str, int], dict[str, str]]:
    """Chosen option per question from a submitted form, and an error per question left unanswered or invalid."""
    answers: dict[str, int] = {}
    errors: dict[str, str] = {}
    for question in questions:
        raw = form.get(question["id"], "")
        if not raw:
            errors[question["id"]] = "Please choose an answer."
        elif not (raw.isascii() and raw.isdigit() and len(raw) <= 2) or int(raw) >= len(question["options"]):
            errors[question["id"]] = "That answer is not one of the options."
        else:
            answers[question["id"]] = int(raw)
    return answers, errors
