"""The JSON contract of subjects."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import ConfigDict, Field

from eventlens.types import Model

SubjectKind = Literal["person", "organization", "place", "session", "event"]
SubjectName = Annotated[str, Field(min_length=1, max_length=200)]


class Subject(Model):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    kind: SubjectKind
    name: str
    created_at: datetime


class SubjectList(Model):
    subjects: list[Subject]


class SubjectCreate(Model):
    kind: SubjectKind
    name: SubjectName


class SubjectRename(Model):
    name: SubjectName


class SubjectMerge(Model):
    into: UUID = Field(description="The subject that remains; this one's links move to it")
