"""SQLAlchemy models: the tables Townsquare keeps.

Telegram ids are 64-bit, so every id that comes from Telegram is a BigInteger. Timestamps are
timezone-aware and stored in UTC.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy import text as sql_text
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

# Stable constraint names keep Alembic migrations identical on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class MemberStatus(StrEnum):
    """Where a member stands with the bot."""

    ONBOARDING = "onboarding"  # pressed /start, has not consented yet
    ACTIVE = "active"
    UNREACHABLE = "unreachable"  # blocked the bot (403)
    ERASED = "erased"  # used /forget: personal data gone, the row stays for aggregates


class Role(StrEnum):
    """What a member may do. Owners come from settings (OWNER_IDS), not from this column."""

    RESIDENT = "resident"
    MODERATOR = "moderator"
    ORGANISER = "organiser"
    OWNER = "owner"


class FollowKind(StrEnum):
    """What a member can follow: a subject (topic) or a place (area)."""

    TOPIC = "topic"
    AREA = "area"


def _values(enum: type[StrEnum]) -> list[str]:
    """Store an enum by its value (`active`), not its member name (`ACTIVE`)."""
    return [member.value for member in enum]


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware datetime stored in UTC on every engine.

    SQLite keeps no time zone, so values come back naive; this type refuses naive input and
    returns every value as UTC, the same on SQLite and PostgreSQL.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Convert to UTC before storing; a naive datetime is a bug."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use timezone-aware datetimes")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Return the stored value as an aware UTC datetime."""
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base with the project's naming convention."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON,
        StrEnum: Enum(StrEnum, native_enum=False, length=16, values_callable=_values),
    }


class Member(Base):
    """A person who talks to the bot.

    `id` is our own surrogate key so that an erased member's row carries no Telegram id; all
    other tables refer to it, never to the Telegram id.
    """

    __tablename__ = "members"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    telegram_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    first_name: Mapped[str | None] = mapped_column(String(128))
    last_name: Mapped[str | None] = mapped_column(String(128))
    username: Mapped[str | None] = mapped_column(String(64))
    language: Mapped[str | None] = mapped_column(String(16))  # chosen by the member
    telegram_language: Mapped[str | None] = mapped_column(String(16))  # from language_code
    status: Mapped[MemberStatus] = mapped_column(default=MemberStatus.ONBOARDING)
    role: Mapped[Role] = mapped_column(default=Role.RESIDENT)
    consent_at: Mapped[datetime | None]
    broadcasts_stopped_at: Mapped[datetime | None]  # /stop: no newsletters or announcements
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    erased_at: Mapped[datetime | None]

    follows: Mapped[list[Follow]] = relationship(
        back_populates="member", cascade="all, delete-orphan", passive_deletes=True
    )


class CommunityChat(Base):
    """A Telegram group the bot serves."""

    __tablename__ = "community_chats"

    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    title: Mapped[str] = mapped_column(String(256))
    kind: Mapped[str] = mapped_column(String(16))
    added_by: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    added_at: Mapped[datetime]
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    removed_at: Mapped[datetime | None]
    # Whether residents (not only organisers) may post polls here; an organiser switches it.
    resident_polls: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=sql_text("false")
    )


class ChatMembership(Base):
    """A member (who started the bot) seen joining a community group."""

    __tablename__ = "chat_memberships"

    chat_id: Mapped[int] = mapped_column(
        ForeignKey("community_chats.chat_id", ondelete="CASCADE"), primary_key=True
    )
    member_id: Mapped[int] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), primary_key=True
    )
    joined_at: Mapped[datetime]


class Followable(Base):
    """A topic or an area that organisers define and members follow."""

    __tablename__ = "followables"
    __table_args__ = (UniqueConstraint("kind", "slug"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[FollowKind]
    slug: Mapped[str] = mapped_column(String(40))
    names: Mapped[dict[str, Any]]  # language code -> display name; "en" always present
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]


class Follow(Base):
    """A member follows a topic or an area."""

    __tablename__ = "follows"

    member_id: Mapped[int] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), primary_key=True
    )
    followable_id: Mapped[int] = mapped_column(
        ForeignKey("followables.id", ondelete="CASCADE"), primary_key=True
    )
    created_at: Mapped[datetime]

    member: Mapped[Member] = relationship(back_populates="follows")


class ConversationState(Base):
    """Where a member is in a multi-step conversation (our own FSM storage)."""

    __tablename__ = "conversation_states"

    member_id: Mapped[int] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), primary_key=True
    )
    flow: Mapped[str] = mapped_column(String(32))
    step: Mapped[str] = mapped_column(String(32))
    data: Mapped[dict[str, Any]]
    updated_at: Mapped[datetime]


class ProcessedUpdate(Base):
    """An update id already handled; a repeat is dropped. Old rows are pruned."""

    __tablename__ = "processed_updates"

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    processed_at: Mapped[datetime] = mapped_column(index=True)


class AuditEntry(Base):
    """An admin action: who did what to what, and when."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_at", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(128))
    details: Mapped[dict[str, Any]]
    at: Mapped[datetime]


class JobStatus(StrEnum):
    """Where a scheduled job stands."""

    PENDING = "pending"
    DONE = "done"
    DROPPED = "dropped"  # too late to make sense any more (logged)
    FAILED = "failed"  # its handler kept failing


class ScheduledJob(Base):
    """Work to do later (a reminder, a deadline, a newsletter, a follow-up)."""

    __tablename__ = "scheduled_jobs"
    __table_args__ = (
        UniqueConstraint("kind", "key"),
        Index("ix_scheduled_jobs_due", "status", "due_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(32))
    key: Mapped[str] = mapped_column(String(128))
    due_at: Mapped[datetime]
    data: Mapped[dict[str, Any]]
    status: Mapped[JobStatus] = mapped_column(default=JobStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    done_at: Mapped[datetime | None]


class OutboxStatus(StrEnum):
    """Where one bulk message stands."""

    PENDING = "pending"  # waiting for its turn (or for `not_before`)
    SENDING = "sending"  # claimed by a sender until `claimed_until`
    SENT = "sent"
    FAILED = "failed"  # Telegram refused it for good, or the retries ran out
    UNREACHABLE = "unreachable"  # the person blocked the bot (403)


class OutboxMessage(Base):
    """One message of a bulk send (a broadcast, a newsletter, reminders): one row per recipient.

    The unique (batch, chat_id) pair makes enqueueing idempotent, and the status makes sending
    resumable: a process killed mid-send leaves claimed rows that another sender takes over once
    their lease has run out.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("batch", "chat_id"),
        Index("ix_outbox_ready", "status", "not_before"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    batch: Mapped[str] = mapped_column(String(64))
    chat_id: Mapped[int] = mapped_column(BigInteger)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    payload: Mapped[dict[str, Any]]  # {"text": ..., "buttons": [[{"text", "data"|"url"}]]}
    status: Mapped[OutboxStatus] = mapped_column(default=OutboxStatus.PENDING)
    not_before: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_until: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]


class SurveyStatus(StrEnum):
    """Where a survey stands. An open survey also respects its opening and closing times."""

    DRAFT = "draft"  # saved, not yet open to residents
    OPEN = "open"
    CLOSED = "closed"


class Survey(Base):
    """A questionnaire. Its questions and settings are the validated definition (JSON).

    The columns beside `definition` are the facts that queries and jobs need without parsing it.
    """

    __tablename__ = "surveys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    title: Mapped[dict[str, Any]]  # language code -> title
    definition: Mapped[dict[str, Any]]
    status: Mapped[SurveyStatus] = mapped_column(default=SurveyStatus.DRAFT)
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    opens_at: Mapped[datetime | None]
    closes_at: Mapped[datetime | None]
    created_by: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]


class ResponseStatus(StrEnum):
    """Whether a response was submitted."""

    IN_PROGRESS = "in_progress"
    COMPLETE = "complete"


class SurveyResponse(Base):
    """One person's response to one survey, finished or not.

    `respondent` is unique per survey, which is what makes a second response impossible even
    for concurrent taps. For an identified survey it names the member; for an anonymous one it
    is a keyed pseudonym (an HMAC under a secret the database does not hold) and `member_id` is
    empty, so the database cannot tell whose response it is.
    """

    __tablename__ = "survey_responses"
    __table_args__ = (
        UniqueConstraint("survey_id", "respondent"),
        Index("ix_survey_responses_survey_status", "survey_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"))
    respondent: Mapped[str] = mapped_column(String(64))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    status: Mapped[ResponseStatus] = mapped_column(default=ResponseStatus.IN_PROGRESS)
    current: Mapped[str | None] = mapped_column(String(40))  # the question being asked
    language: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    submitted_at: Mapped[datetime | None]
    # The answers as they appear in an export: a line of CSV cells, one per question in the
    # definition's order, rewritten whenever the answers change. An export of 100,000
    # responses then reads this column instead of a million answer rows.
    cells: Mapped[str] = mapped_column(Text, default="")


class SurveyAnswer(Base):
    """One value of one answer. A multiple choice or a ranking has one row per option picked.

    Values are typed columns rather than JSON so that results are counted by the database:
    `choice` holds an option id (or "yes"/"no"/"other"), `number` a number, a scale point or a
    rank, `text` free text (with its detected `language`) or an ISO date.
    """

    __tablename__ = "survey_answers"
    # The index holds every column /results counts, in the order it groups them, so tallying
    # a survey reads only the index, already sorted; it ends with the response, so a question's
    # texts in one language come oldest first without sorting (storage/repositories/
    # survey_results.py).
    __table_args__ = (
        Index(
            "ix_survey_answers_tally",
            "survey_id",
            "question_id",
            "choice",
            "position",
            "number",
            "language",
            "response_id",
        ),
    )

    response_id: Mapped[int] = mapped_column(
        ForeignKey("survey_responses.id", ondelete="CASCADE"), primary_key=True
    )
    question_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"))
    choice: Mapped[str | None] = mapped_column(String(64))
    number: Mapped[float | None] = mapped_column(Float)
    text: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(16))
    answered_at: Mapped[datetime]


class SurveyContact(Base):
    """A member's part in a survey: invited, started, finished. Nothing about their answers.

    This is what reminders, "who took part" and publishing results to participants need. It
    holds no times but the invitation's, so that for an anonymous survey it cannot be matched
    with a response by when things happened.
    """

    __tablename__ = "survey_contacts"

    survey_id: Mapped[int] = mapped_column(
        ForeignKey("surveys.id", ondelete="CASCADE"), primary_key=True
    )
    member_id: Mapped[int] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), primary_key=True
    )
    invited_at: Mapped[datetime | None]  # invited in a private chat
    started: Mapped[bool] = mapped_column(Boolean, default=False)
    finished: Mapped[bool] = mapped_column(Boolean, default=False)
    reminded: Mapped[bool] = mapped_column(Boolean, default=False)


# --- Polls -----------------------------------------------------------------------------------


class PollStatus(StrEnum):
    """Where a poll stands."""

    DRAFT = "draft"  # being written, not yet posted
    OPEN = "open"
    CLOSED = "closed"  # votes are frozen


class PollVisibility(StrEnum):
    """When the poll's messages show the results."""

    ALWAYS = "always"
    AFTER_VOTE = "after_vote"  # a voter sees them with their vote; the group sees the turnout
    AFTER_CLOSE = "after_close"


class PollAudience(StrEnum):
    """Who may vote."""

    GROUPS = "groups"  # members of the groups the poll was posted in
    EVERYONE = "everyone"
    FOLLOWERS = "followers"  # people who follow the poll's topic or area (`followable_id`)


class NativeMode(StrEnum):
    """How a poll posted as Telegram's own poll reports its votes."""

    ANSWERS = "answers"  # identified (is_anonymous=false): each answer, with its voter
    COUNTS = "counts"  # anonymous: counts per option only


class Poll(Base):
    """A poll: a question, its options, how it is voted and counted.

    `kind` is a `flows.poll.kinds.PollKind` value, kept as text here because storage knows
    nothing of flows. `options` is a list of `{"id": ..., "text": ...}` in display order.
    """

    __tablename__ = "polls"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    creator_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    question: Mapped[str] = mapped_column(Text)
    options: Mapped[list[dict[str, str]]] = mapped_column(JSON)
    kind: Mapped[str] = mapped_column(String(16))
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    visibility: Mapped[PollVisibility] = mapped_column(default=PollVisibility.ALWAYS)
    changes_allowed: Mapped[bool] = mapped_column(Boolean, default=True)
    closes_at: Mapped[datetime | None]
    quorum: Mapped[int | None] = mapped_column(Integer)  # minimum number of voters
    max_choices: Mapped[int | None] = mapped_column(Integer)  # multiple choice
    points: Mapped[int | None] = mapped_column(Integer)  # dot vote
    audience: Mapped[PollAudience] = mapped_column(default=PollAudience.GROUPS)
    followable_id: Mapped[int | None] = mapped_column(
        ForeignKey("followables.id", ondelete="SET NULL")
    )
    # Posted as Telegram's own poll (sendPoll) instead of a message with our buttons; how it
    # was sent decides where its votes come from, whatever `anonymous` becomes later.
    native: Mapped[NativeMode | None]
    # Residents may suggest options, queued for a moderator's approval (poll_suggestions).
    suggestions: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[PollStatus] = mapped_column(default=PollStatus.DRAFT)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    opened_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]

    # SQLite would give a deleted poll's id to the next one; its outbox batches (`poll:<id>`)
    # would then look already sent. AUTOINCREMENT never reuses an id (PostgreSQL never does).
    __table_args__ = ({"sqlite_autoincrement": True},)


class PollPost(Base):
    """One copy of a poll posted in a group.

    The message is sent through the outbox (batch `poll:<id>`); `message_id` is filled in from
    the outbox row once it has gone out, so that the copy can be edited.
    """

    __tablename__ = "poll_posts"
    __table_args__ = (UniqueConstraint("poll_id", "chat_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("polls.id", ondelete="CASCADE"))
    chat_id: Mapped[int] = mapped_column(BigInteger)
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    posted_at: Mapped[datetime]
    # A native copy: Telegram's id of the poll it sent (answers name only this), and for an
    # anonymous one the counts Telegram reports (votes per option, in order; people).
    native_poll_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    native_counts: Mapped[list[int] | None] = mapped_column(JSON)
    native_voters: Mapped[int | None] = mapped_column(Integer)


def unordered_key() -> int:
    """A random 62-bit primary key: its order says nothing about when the row was written.

    For rows of anonymous answers, where ids counting up would give the order of voting, to
    be matched with anything else that records when a person was active.
    """
    return secrets.randbits(62) + 1


class Ballot(Base):
    """One person's vote in one poll.

    `voter` is unique per poll, so the database itself refuses a second ballot, also for
    concurrent taps. Identified: `m:<member id>` with `member_id` set. Anonymous: a keyed
    pseudonym (an HMAC under a secret the database does not hold), no member id, and times cut
    to the day, so the database cannot tell who voted what.
    """

    __tablename__ = "ballots"
    __table_args__ = (UniqueConstraint("poll_id", "voter"),)

    # Random, not counting up: see `unordered_key`.
    id: Mapped[int] = mapped_column(
        BigInteger, primary_key=True, autoincrement=False, default=unordered_key
    )
    poll_id: Mapped[int] = mapped_column(ForeignKey("polls.id", ondelete="CASCADE"))
    voter: Mapped[str] = mapped_column(String(64))
    member_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL"), index=True
    )
    choices: Mapped[Any] = mapped_column(JSON)  # the normal form of flows.poll.ballots
    cast_at: Mapped[datetime]
    updated_at: Mapped[datetime]


# --- Poll suggestions ------------------------------------------------------------------------


class SuggestionStatus(StrEnum):
    """Where an option a resident suggested stands."""

    PENDING = "pending"  # waiting for a moderator
    APPROVED = "approved"  # added to the poll
    REJECTED = "rejected"


class PollSuggestion(Base):
    """An option a resident suggested for a poll, queued for a moderator's decision.

    The partial unique index holds each person to one pending suggestion per poll, also when
    two instances take two suggestions at once; decided ones no longer count.
    """

    __tablename__ = "poll_suggestions"
    __table_args__ = (
        Index(
            "uq_poll_suggestions_pending",
            "poll_id",
            "member_id",
            unique=True,
            sqlite_where=sql_text("status = 'pending'"),
            postgresql_where=sql_text("status = 'pending'"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("polls.id", ondelete="CASCADE"))
    member_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL"), index=True
    )
    text: Mapped[str] = mapped_column(String(100))
    status: Mapped[SuggestionStatus] = mapped_column(default=SuggestionStatus.PENDING)
    created_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
