"""The workspace's tables (SQLAlchemy 2 declarative models).

Versioned objects are rows that are never updated in place: a new framework upload, recipe or submission change is
a new row with the next ``version``; an evaluation run is written with all its unit rows in one transaction, so a
reader sees a whole run or none. Only states that are workflow facts (a round published, a job's progress, a
session's expiry) change in place, and each such change is also an audit entry.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar, Literal, TypeGuard, get_args

from sqlalchemy import JSON, Boolean, DateTime, Dialect, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

__all__ = [
    "ApiToken", "AuditEntry", "Base", "Cluster", "FrameworkVersion", "Job", "JobUnit", "LoginAttempt", "RecipeVersion",
    "Round", "Run", "RunUnit", "Submission", "User", "UserCluster", "WebSession", "job_state", "round_state",
    "submission_state", "utcnow",
]

ROLES = ("admin", "analyst", "contributor", "viewer")
SubmissionState = Literal["draft", "submitted", "returned", "accepted"]
RoundState = Literal["collecting", "closed", "published"]  # closed: no data entry, not yet published
JobState = Literal["queued", "running", "done", "failed", "cancelled", "interrupted"]
SUBMISSION_STATES: tuple[SubmissionState, ...] = get_args(SubmissionState)
ROUND_STATES: tuple[RoundState, ...] = get_args(RoundState)
JOB_STATES: tuple[JobState, ...] = get_args(JobState)


def _is_round_state(value: str) -> TypeGuard[RoundState]:
    return value in ROUND_STATES


def _is_submission_state(value: str) -> TypeGuard[SubmissionState]:
    return value in SUBMISSION_STATES


def _is_job_state(value: str) -> TypeGuard[JobState]:
    return value in JOB_STATES


def round_state(value: str) -> RoundState:
    """A round's state as read from the database, checked against the states this version knows."""
    if _is_round_state(value):
        return value
    raise ValueError(f"round state {value!r}: expected one of {', '.join(ROUND_STATES)}")


def submission_state(value: str) -> SubmissionState:
    """A submission's state as read from the database, checked against the states this version knows."""
    if _is_submission_state(value):
        return value
    raise ValueError(f"submission state {value!r}: expected one of {', '.join(SUBMISSION_STATES)}")


def job_state(value: str) -> JobState:
    """A job's state as read from the database, checked against the states this version knows."""
    if _is_job_state(value):
        return value
    raise ValueError(f"job state {value!r}: expected one of {', '.join(JOB_STATES)}")


def utcnow() -> datetime:
    """The current time in UTC (stored with its zone)."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp with its zone; SQLite keeps no zone, so values read from it are marked UTC (as they were
    written)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        dict[str, Any]: JSON, list[Any]: JSON, datetime: UTCDateTime(),
    }


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class UserCluster(Base):
    """A contributor's clusters: the units whose data the account may enter and see before publication."""

    __tablename__ = "user_clusters"
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    unit: Mapped[str] = mapped_column(String(80), primary_key=True)


class WebSession(Base):
    """A browser session; ``id`` is the SHA-256 of the cookie's secret (the secret itself is never stored)."""

    __tablename__ = "sessions"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()


class ApiToken(Base):
    """A token for scripts (``Authorization: Bearer ...``); only its SHA-256 is stored."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(nullable=True)


class LoginAttempt(Base):
    __tablename__ = "login_attempts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(80), index=True)
    ip: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    ok: Mapped[bool] = mapped_column(Boolean)


class FrameworkVersion(Base):
    __tablename__ = "frameworks"
    __table_args__ = (UniqueConstraint("name", "version"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer)
    title_en: Mapped[str] = mapped_column(Text, default="")
    title_zh: Mapped[str] = mapped_column(Text, default="")
    content: Mapped[dict[str, Any]] = mapped_column()
    hash: Mapped[str] = mapped_column(String(64))
    origin: Mapped[str] = mapped_column(String(200), default="")
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RecipeVersion(Base):
    __tablename__ = "recipes"
    __table_args__ = (UniqueConstraint("name", "version"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer)
    content: Mapped[dict[str, Any]] = mapped_column()
    hash: Mapped[str] = mapped_column(String(64))
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Cluster(Base):
    """A cluster (or a benchmark cluster abroad) known to the workspace, with its grouping metadata."""

    __tablename__ = "clusters"
    code: Mapped[str] = mapped_column(String(80), primary_key=True)
    name: Mapped[str] = mapped_column(Text, default="")
    name_zh: Mapped[str] = mapped_column(Text, default="")
    sector: Mapped[str] = mapped_column(String(200), default="")
    region: Mapped[str] = mapped_column(String(200), default="")
    province: Mapped[str] = mapped_column(String(200), default="")
    benchmark: Mapped[bool] = mapped_column(Boolean, default=False)
    illustrative: Mapped[bool] = mapped_column(Boolean, default=False)


class Round(Base):
    __tablename__ = "rounds"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(Text, default="")
    framework_id: Mapped[int] = mapped_column(ForeignKey("frameworks.id"))
    recipe_id: Mapped[int] = mapped_column(ForeignKey("recipes.id"))
    grading: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    state: Mapped[str] = mapped_column(String(20), default="collecting")
    published_run_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(nullable=True)


class Submission(Base):
    """One version of one cluster's data for one round; the highest version is the current one."""

    __tablename__ = "submissions"
    __table_args__ = (UniqueConstraint("round_id", "unit", "version"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"), index=True)
    unit: Mapped[str] = mapped_column(ForeignKey("clusters.code"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(20))
    values: Mapped[dict[str, Any]] = mapped_column()
    comment: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Run(Base):
    """An evaluation of a round on its accepted submissions, with the data it read and the result's provenance."""

    __tablename__ = "runs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"), index=True)
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    data_hash: Mapped[str] = mapped_column(String(64))
    provenance: Mapped[dict[str, Any]] = mapped_column()
    data: Mapped[list[Any]] = mapped_column()
    submission_ids: Mapped[list[Any]] = mapped_column()
    notes: Mapped[list[Any]] = mapped_column()
    n_units: Mapped[int] = mapped_column(Integer)


class RunUnit(Base):
    """One unit's row of a run: ``summary`` for rankings, ``profile`` for the cluster page."""

    __tablename__ = "run_units"
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    unit: Mapped[str] = mapped_column(String(80), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    benchmark: Mapped[bool] = mapped_column(Boolean)
    summary: Mapped[dict[str, Any]] = mapped_column()
    profile: Mapped[dict[str, Any]] = mapped_column()


class Job(Base):
    """A background job (a robustness analysis of a run) with its progress; cancellable. States: queued ->
    running -> done | failed | cancelled | interrupted (the server stopped while it ran). ``result`` (the summary,
    messages and provenance) and the job's :class:`JobUnit` rows are written in the one transaction that sets
    ``done``, so no reader ever sees part of a result."""

    __tablename__ = "jobs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"), index=True)
    state: Mapped[str] = mapped_column(String(20), default="queued")
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    message: Mapped[str] = mapped_column(Text, default="")
    params: Mapped[dict[str, Any]] = mapped_column()
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(nullable=True)


class JobUnit(Base):
    """One unit's part of a finished robustness job: its rank intervals by node and its grade probabilities."""

    __tablename__ = "job_units"
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), primary_key=True)
    unit: Mapped[str] = mapped_column(String(80), primary_key=True)
    intervals: Mapped[dict[str, Any]] = mapped_column()
    grades: Mapped[dict[str, Any]] = mapped_column()


class AuditEntry(Base):
    __tablename__ = "audit"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    username: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(80))
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[str] = mapped_column(String(120))
    detail: Mapped[dict[str, Any]] = mapped_column()
