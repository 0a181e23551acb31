"""Who answers: the respondent key (a keyed pseudonym when anonymous), times, eligibility."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime

from flows.survey.definition import AudienceKind, SurveyDefinition
from storage.models import FollowKind, Member, Survey
from storage.uow import UnitOfWork


def respondent_key(survey: Survey, member: Member, telegram_id: int, secret: bytes) -> str:
    """The value that makes a response unique per person and survey.

    Identified: `m:<member id>`. Anonymous: a keyed hash of the survey and Telegram ids, so
    the database can refuse a second response without knowing whose the first one is.
    """
    if not survey.anonymous:
        return f"m:{member.id}"
    digest = hmac.new(secret, f"{survey.id}:{telegram_id}".encode(), hashlib.sha256)
    return "a:" + digest.hexdigest()[:40]


def stored_time(survey: Survey, moment: datetime) -> datetime:
    """The time to store on a response or answer: for an anonymous survey only the day (UTC).

    Times to the second could be matched with server logs or with the moment someone was seen
    in a group; the day cannot.
    """
    if survey.anonymous:
        return moment.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return moment


async def is_eligible(uow: UnitOfWork, definition: SurveyDefinition, member: Member) -> bool:
    """Whether the survey's audience includes this (consented) member."""
    audience = definition.settings.audience
    if audience.kind is AudienceKind.GROUP:
        return audience.chat_id in await uow.chats.member_chat_ids(member.id)
    if audience.kind is AudienceKind.FOLLOWERS:
        followed = await uow.followables.followed_by(member.id)
        for kind in (FollowKind.TOPIC, FollowKind.AREA):
            item = await uow.followables.by_slug(kind, audience.followable or "")
            if item is not None and item.id in followed:
                return True
        return False
    return True
