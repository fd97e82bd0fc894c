"""Request bodies of the partner API, with every limit Pulsifi documents. Unknown fields are ignored.

Where the docs contradict themselves, both spellings are accepted: ``external_job_id`` / ``ext_job_id`` on jobs,
``responsibility_achievement`` / ``responsibilities_achievements`` on work experiences.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, StrictBool, StringConstraints, field_validator
from pydantic import validate_email as _validate_email
from pydantic_core import PydanticCustomError

from hirebridge.assessments.questionnaire import QuestionIn, QuestionnaireIn

MIN_DESCRIPTION = 300
MAX_DESCRIPTION = 20_000
MAX_WORK_EXPERIENCES = 10

ExternalIdStr = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
_YEAR_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def _year_month(value: str | None) -> str | None:
    if value is None:
        return None
    if not _YEAR_MONTH.match(value):
        raise PydanticCustomError("year_month", "must be a month as YYYY-MM (e.g. 2022-10)")
    return value


class JobIn(BaseModel):
    """``POST /partner/v1.0/workday/jobs``."""

    model_config = ConfigDict(extra="ignore")

    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
    description: Annotated[str, StringConstraints(min_length=MIN_DESCRIPTION, max_length=MAX_DESCRIPTION)]
    external_job_id: ExternalIdStr = Field(validation_alias=AliasChoices("external_job_id", "ext_job_id"))
    location: Annotated[str, StringConstraints(strip_whitespace=True, max_length=255)] | None = None
    # Extension: the questions this job's candidates answer (a default set when absent).
    questionnaire: list[QuestionIn] | None = None

    @field_validator("questionnaire")
    @classmethod
    def _questionnaire(cls, value: list[QuestionIn] | None) -> list[QuestionIn] | None:
        if value is not None:
            QuestionnaireIn(questions=value)
        return value


class WorkExperienceIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    role: Name
    organization: Name
    is_current: StrictBool
    responsibility_achievement: Annotated[str, StringConstraints(max_length=1000)] | None = Field(
        default=None, validation_alias=AliasChoices("responsibility_achievement", "responsibilities_achievements")
    )
    start_date: str
    end_date: str | None = None

    _dates = field_validator("start_date", "end_date")(_year_month)


class CandidateIn(BaseModel):
    """``POST /partner/v1.0/workday/candidates``, as in seed 001."""

    model_config = ConfigDict(extra="ignore")

    ext_job_id: ExternalIdStr
    ext_candidate_id: ExternalIdStr
    ext_application_id: ExternalIdStr
    email: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
    first_name: Name
    last_name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=255)] | None = None
    resume_base64: str | None = None
    work_experiences: Annotated[list[WorkExperienceIn], Field(max_length=MAX_WORK_EXPERIENCES)] | None = None

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        try:
            _validate_email(value)
        except Exception:  # pydantic raises its own error type; the reason is what matters to the caller
            raise PydanticCustomError("email", "is not a valid email address") from None
        return value
