"""Running surveys: /surveys and the card, opening, closing, posting in a group, inviting,
and the jobs that close surveys and remind people as time passes."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from admin import build_router
from admin.roles import set_role
from flows.codec import encode, payload
from flows.effects import SendMessage
from flows.engine import Engine
from flows.events import BotAddedToChat, MemberJoined
from flows.survey.closing import close_survey
from flows.survey.definition import SurveyDefinition
from flows.survey.lifecycle import is_open
from storage.models import (
    JobStatus,
    OutboxMessage,
    ResponseStatus,
    Role,
    ScheduledJob,
    Survey,
    SurveyContact,
    SurveyResponse,
    SurveyStatus,
)
from tests.flows.harness import Harness, Person, find_button, group, person, texts, toasts
from tests.flows.test_account import onboard, seed_topic
from tests.flows.test_groups_and_roles import OWNER

NOON = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
NOT_ALLOWED = "Sorry, this is only for organisers and moderators."
EXPIRED = "This button is no longer valid."
OUT_OF_DATE = "This card was out of date."


def definition(slug: str = "park-use", **settings: Any) -> dict[str, Any]:
    return {
        "id": slug,
        "title": {"en": "How do you use the park?", "zh_Hans": "您如何使用公园？"},
        "intro": "Elm Park is being redesigned. Tell us how you use it: five short questions.",
        "settings": settings,
        "questions": [
            {
                "id": "often",
                "type": "single_choice",
                "text": "How often do you go?",
                "options": [{"id": "daily", "text": "Daily"}, {"id": "weekly", "text": "Weekly"}],
            },
            {"id": "wish", "type": "short_text", "text": "What would you change?"},
        ],
    }


async def add_survey(
    harness: Harness,
    slug: str = "park-use",
    status: SurveyStatus = SurveyStatus.DRAFT,
    **settings: Any,
) -> int:
    """Store a survey as the authoring flow would; returns its id."""
    parsed = SurveyDefinition.model_validate(definition(slug, **settings))
    now = harness.clock.now()
    async with harness.database.unit_of_work() as uow:
        survey = await uow.surveys.add(
            Survey(
                slug=slug,
                title=parsed.title,
                definition=parsed.model_dump(mode="json"),
                status=status,
                anonymous=parsed.settings.anonymous,
                opens_at=parsed.settings.opens_at,
                closes_at=parsed.settings.closes_at,
                created_at=now,
                updated_at=now,
            )
        )
        await uow.commit()
        return survey.id


async def member_id(harness: Harness, who: Person) -> int:
    async with harness.database.unit_of_work() as uow:
        member = await uow.members.get_by_telegram_id(who.user_id)
        assert member is not None
        return member.id


async def take_part(harness: Harness, who: Person, survey_id: int, *, finished: bool) -> None:
    """Store what the answering flow stores for someone who started (and maybe submitted)."""
    mid = await member_id(harness, who)
    now = harness.clock.now()
    async with harness.database.unit_of_work() as uow:
        uow.session.add(
            SurveyResponse(
                survey_id=survey_id,
                respondent=f"m:{mid}",
                member_id=mid,
                status=ResponseStatus.COMPLETE if finished else ResponseStatus.IN_PROGRESS,
                current=None if finished else "wish",
                language="en",
                started_at=now,
                updated_at=now,
                submitted_at=now if finished else None,
            )
        )
        uow.session.add(
            SurveyContact(survey_id=survey_id, member_id=mid, started=True, finished=finished)
        )
        if not finished:
            uow.states.set(None, mid, "survey", "question", {"survey": survey_id}, now)
        await uow.commit()


async def survey_row(harness: Harness, survey_id: int) -> Survey:
    async with harness.database.unit_of_work() as uow:
        survey = await uow.surveys.get(survey_id)
    assert survey is not None
    return survey


async def outbox(harness: Harness) -> list[OutboxMessage]:
    async with harness.database.unit_of_work() as uow:
        return list(
            (await uow.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all()
        )


async def jobs(harness: Harness, kind: str) -> list[ScheduledJob]:
    async with harness.database.unit_of_work() as uow:
        statement = select(ScheduledJob).where(ScheduledJob.kind == kind)
        return list((await uow.session.scalars(statement)).all())


async def contact(harness: Harness, survey_id: int, who: Person) -> SurveyContact | None:
    mid = await member_id(harness, who)
    async with harness.database.unit_of_work() as uow:
        return await uow.contacts.get(survey_id, mid)


async def audit_actions(harness: Harness) -> list[str]:
    async with harness.database.unit_of_work() as uow:
        return [entry.action for entry in await uow.audit.recent()]


async def card(harness: Harness, survey_id: int) -> list[Any]:
    """The organiser (the owner) opens the survey's card from /surveys."""
    listing = await harness.command(OWNER, "surveys")
    [button] = [
        button
        for row in listing[-1].buttons  # type: ignore[union-attr]
        for button in row
        if button.payload == payload("sm.card", survey_id)
    ]
    return await harness.press(OWNER, encode(button.payload))  # type: ignore[arg-type]


async def add_group(harness: Harness, *members: Person) -> None:
    chat = group()
    await harness.send(
        BotAddedToChat(
            update_id=90_000, at=harness.clock.now(), chat=chat, sender=OWNER, as_admin=True
        )
    )
    for index, who in enumerate(members):
        await harness.send(
            MemberJoined(
                update_id=90_001 + index, at=harness.clock.now(), chat=chat, sender=who, member=who
            )
        )


def press_data(action: str, *args: str | int) -> str:
    return encode(payload(action, *args))


# --- /surveys and the card ---------------------------------------------------------------------


async def test_organisers_list_surveys_newest_first_and_open_a_card(harness: Harness) -> None:
    await onboard(harness, OWNER)
    ann, bob = person("Ann"), person("Bob")
    await onboard(harness, ann)
    await onboard(harness, bob)
    older = await add_survey(harness, "older", status=SurveyStatus.CLOSED)
    sid = await add_survey(
        harness,
        status=SurveyStatus.OPEN,
        closes_at=(NOON + timedelta(days=7)).isoformat(),
        anonymous=True,
    )
    await take_part(harness, ann, sid, finished=False)
    await take_part(harness, bob, sid, finished=True)

    listing = await harness.command(OWNER, "surveys")
    shown = texts(listing)
    assert "How do you use the park? (open): 2 started, 1 submitted" in shown
    assert "How do you use the park? (closed): 0 started, 0 submitted" in shown
    assert shown.index("(open)") < shown.index("(closed)")  # newest first
    labels = [row[0].payload for row in listing[-1].buttons]  # type: ignore[union-attr]
    assert labels == [payload("sm.card", sid), payload("sm.card", older)]

    shown_card = await harness.press(OWNER, press_data("sm.card", sid))
    text = texts(shown_card)
    assert "📋 How do you use the park?" in text
    assert "Status: open" in text
    assert "Closes: 2026-12-06 12:00 (UTC)" in text
    assert "Who may answer: everyone" in text
    assert "Anonymous: yes" in text
    assert "Responses: 2 started, 1 submitted" in text
    for label, action in [
        ("Close now", "sm.close"),
        ("Post in a group", "sm.post"),
        ("Invite privately", "sm.invite"),
        ("Results", "sr.results"),
        ("Definition file", "sa.file"),
    ]:
        assert find_button(shown_card, label).payload == payload(action, sid)
    assert "Open now" not in str(shown_card)

    draft = await add_survey(harness, "draft")
    draft_card = await harness.press(OWNER, press_data("sm.card", draft))
    assert "Status: draft" in texts(draft_card)
    assert "Opens: when you open it" in texts(draft_card)
    assert "Closes: when you close it" in texts(draft_card)
    assert find_button(draft_card, "Open now").payload == payload("sm.open", draft)
    assert "Close now" not in str(draft_card) and "Invite" not in str(draft_card)


async def test_no_surveys_yet(harness: Harness) -> None:
    await onboard(harness, OWNER)
    assert "There are no surveys yet." in texts(await harness.command(OWNER, "surveys"))


async def test_residents_and_moderators_may_not_run_surveys(harness: Harness) -> None:
    rae, mo = person("Rae"), person("Mo")
    await onboard(harness, rae)
    await onboard(harness, mo)
    async with harness.database.unit_of_work() as uow:
        await set_role(uow, mo.user_id, Role.MODERATOR, None, harness.clock.now())
        await uow.commit()
    sid = await add_survey(harness)
    for who in (rae, mo):
        assert NOT_ALLOWED in texts(await harness.command(who, "surveys"))
        for action in ("sm.card", "sm.open", "sm.close_ok", "sm.invite_ok"):
            refused = await harness.press(who, press_data(action, sid))
            assert NOT_ALLOWED in texts(refused)
    assert (await survey_row(harness, sid)).status is SurveyStatus.DRAFT
    assert await outbox(harness) == []
    assert await audit_actions(harness) == ["role.set"]


async def test_forged_card_buttons_change_nothing(harness: Harness) -> None:
    await onboard(harness, OWNER)
    sid = await add_survey(harness)
    for data in (
        "1:sm.open:99999",
        "1:sm.open:abc",
        "1:sm.open",
        "1:sm.card:-1",
        "1:sm.post_to:99999:-100123",
        "1:sm.nonsense:1",
    ):
        assert EXPIRED in texts(await harness.press(OWNER, data))
    assert (await survey_row(harness, sid)).status is SurveyStatus.DRAFT


# --- opening ----------------------------------------------------------------------------------


async def test_opening_schedules_the_close_and_a_stale_button_changes_nothing(
    harness: Harness,
) -> None:
    await onboard(harness, OWNER)
    closes = NOON + timedelta(days=3)
    sid = await add_survey(harness, closes_at=closes.isoformat())
    shown = await card(harness, sid)
    opened = await harness.tap(OWNER, shown, "Open now")
    assert "Opened. Residents can answer now." in texts(opened)
    assert "Status: open" in texts(opened)
    survey = await survey_row(harness, sid)
    assert survey.status is SurveyStatus.OPEN and is_open(survey, harness.clock.now())
    [close] = await jobs(harness, "survey.close")
    assert (close.key, close.due_at, close.data) == (str(sid), closes, {"survey": sid})
    assert await audit_actions(harness) == ["survey.open"]

    again = await harness.tap(OWNER, shown, "Open now")  # the old card, pressed again
    assert [t.text for t in toasts(again)] == [
        "This card was out of date. Here is the survey as it is now."
    ]
    assert "Status: open" in texts(again)
    assert await audit_actions(harness) == ["survey.open"]
    assert len(await jobs(harness, "survey.close")) == 1


async def test_a_survey_whose_closing_time_has_passed_cannot_be_opened(harness: Harness) -> None:
    await onboard(harness, OWNER)
    sid = await add_survey(harness, closes_at=(NOON + timedelta(hours=1)).isoformat())
    shown = await card(harness, sid)
    harness.clock.advance(hours=2)
    refused = await harness.tap(OWNER, shown, "Open now")
    assert "Its closing time, 2026-11-29 13:00 (UTC), has passed, so it cannot be opened." in texts(
        refused
    )
    assert (await survey_row(harness, sid)).status is SurveyStatus.DRAFT
    assert await jobs(harness, "survey.close") == []
    assert await audit_actions(harness) == []


async def test_a_survey_opened_before_its_opening_time_opens_by_itself(harness: Harness) -> None:
    await onboard(harness, OWNER)
    opens = NOON + timedelta(days=1)
    sid = await add_survey(harness, opens_at=opens.isoformat())
    opened = await harness.tap(OWNER, await card(harness, sid), "Open now")
    assert "Opened. Residents can answer from 2026-11-30 12:00 (UTC)." in texts(opened)
    assert await jobs(harness, "survey.close") == []  # no closing time: closed by hand
    survey = await survey_row(harness, sid)
    assert not is_open(survey, harness.clock.now())
    assert is_open(survey, opens)


# --- closing ----------------------------------------------------------------------------------


async def test_closing_by_hand_tells_people_midway_and_keeps_their_answers(
    harness: Harness,
) -> None:
    await onboard(harness, OWNER)
    ann, li, bob, cy = person("Ann"), person("Li", "zh-hans"), person("Bob"), person("Cy")
    await onboard(harness, ann)
    await onboard(harness, li, language="中文")
    await onboard(harness, bob)
    await onboard(harness, cy)
    sid = await add_survey(harness, status=SurveyStatus.OPEN, publish_results=True)
    other = await add_survey(harness, "other", status=SurveyStatus.OPEN)
    await take_part(harness, ann, sid, finished=False)
    await take_part(harness, li, sid, finished=False)
    await take_part(harness, bob, sid, finished=True)
    await take_part(harness, cy, other, finished=False)  # mid-way in another survey

    confirm = await harness.tap(OWNER, await card(harness, sid), "Close now")
    assert "People half-way through (2) are told" in texts(confirm)
    assert (await survey_row(harness, sid)).status is SurveyStatus.OPEN  # not yet
    closed = await harness.tap(OWNER, confirm, "Yes, close it")
    assert "Closed. It takes no more answers." in texts(closed)
    assert "Status: closed" in texts(closed)
    assert "Closed: 2026-11-29 12:00 (UTC)" in texts(closed)

    survey = await survey_row(harness, sid)
    assert survey.status is SurveyStatus.CLOSED and survey.closed_at == harness.clock.now()
    rows = {row.chat_id: row for row in await outbox(harness)}
    assert set(rows) == {ann.user_id, li.user_id}  # not Bob, who finished; not Cy
    assert rows[ann.user_id].payload["text"] == (
        "The survey “How do you use the park?” has closed, so it takes no more answers. "
        "The answers you gave so far are kept. Thank you for your time!"
    )
    assert "您如何使用公园？" in rows[li.user_id].payload["text"]  # the title in her language
    ids = {who.first_name: await member_id(harness, who) for who in (ann, li, cy)}
    async with harness.database.unit_of_work() as uow:
        assert await uow.states.get(ids["Ann"]) is None
        assert await uow.states.get(ids["Li"]) is None
        assert await uow.states.get(ids["Cy"]) is not None
        statuses = (
            await uow.session.scalars(
                select(SurveyResponse.status).where(SurveyResponse.survey_id == sid)
            )
        ).all()
    assert sorted(statuses) == [
        ResponseStatus.COMPLETE,
        ResponseStatus.IN_PROGRESS,
        ResponseStatus.IN_PROGRESS,
    ]
    [publish] = await jobs(harness, "survey.publish")
    assert (publish.key, publish.due_at) == (str(sid), harness.clock.now())
    assert await audit_actions(harness) == ["survey.close"]

    stale = await harness.tap(OWNER, confirm, "Yes, close it")
    assert OUT_OF_DATE in texts(stale)
    assert len(await outbox(harness)) == 2
    assert await audit_actions(harness) == ["survey.close"]
    assert "Open now" not in str(stale)  # a closed survey stays closed


async def test_closing_twice_does_nothing_the_second_time(harness: Harness) -> None:
    sid = await add_survey(harness, status=SurveyStatus.OPEN)
    async with harness.database.unit_of_work() as uow:
        survey = await uow.surveys.get(sid)
        assert survey is not None
        await close_survey(uow, survey, harness.clock.now())
        harness.clock.advance(hours=1)
        assert await close_survey(uow, survey, harness.clock.now()) == []
        await uow.commit()
    assert (await survey_row(harness, sid)).closed_at == NOON


async def test_the_close_job_closes_late_after_downtime(harness: Harness) -> None:
    await onboard(harness, OWNER)
    ann = person("Ann")
    await onboard(harness, ann)
    closes = NOON + timedelta(hours=5)
    sid = await add_survey(harness, closes_at=closes.isoformat())
    await harness.tap(OWNER, await card(harness, sid), "Open now")
    await take_part(harness, ann, sid, finished=False)

    harness.clock.advance(hours=4)
    await harness.engine.run_due_jobs()
    assert (await survey_row(harness, sid)).status is SurveyStatus.OPEN
    harness.clock.advance(days=3)  # the bot was down when the survey should have closed
    assert await harness.engine.run_due_jobs() == 1
    survey = await survey_row(harness, sid)
    assert survey.status is SurveyStatus.CLOSED and survey.closed_at == harness.clock.now()
    [close] = await jobs(harness, "survey.close")
    assert close.status is JobStatus.DONE
    assert [row.chat_id for row in await outbox(harness)] == [ann.user_id]
    assert await jobs(harness, "survey.publish") == []  # this survey does not publish
    assert await harness.engine.run_due_jobs() == 0
    assert await audit_actions(harness) == ["survey.close", "survey.open"]


async def test_the_close_job_leaves_a_survey_closed_by_hand_alone(harness: Harness) -> None:
    await onboard(harness, OWNER)
    sid = await add_survey(harness, closes_at=(NOON + timedelta(hours=5)).isoformat())
    opened = await harness.tap(OWNER, await card(harness, sid), "Open now")
    await harness.tap(OWNER, await harness.tap(OWNER, opened, "Close now"), "Yes, close it")
    harness.clock.advance(hours=6)
    assert await harness.engine.run_due_jobs() == 1
    assert (await survey_row(harness, sid)).closed_at == NOON
    assert await audit_actions(harness) == ["survey.close", "survey.open"]


# --- posting in a group -----------------------------------------------------------------------


async def test_posting_an_open_survey_in_a_group_with_a_deep_link(harness: Harness) -> None:
    await onboard(harness, OWNER)
    sid = await add_survey(
        harness, status=SurveyStatus.OPEN, closes_at=(NOON + timedelta(days=2)).isoformat()
    )
    no_group = await harness.tap(OWNER, await card(harness, sid), "Post in a group")
    assert "I am not in any community group yet." in texts(no_group)

    await add_group(harness)
    choose = await harness.tap(OWNER, await card(harness, sid), "Post in a group")
    assert "In which group should I post “How do you use the park?”" in texts(choose)
    posted = await harness.tap(OWNER, choose, "Elm Street residents")
    [message] = [e for e in posted if isinstance(e, SendMessage) and e.chat_id == group().chat_id]
    assert message.text == (
        "📋 Survey: How do you use the park?\n\n"
        "Elm Park is being redesigned. Tell us how you use it: five short questions.\n\n"
        "Open until 2026-12-01 12:00 (UTC)."
    )
    [[button]] = message.buttons
    assert button.text == "Take the survey"
    assert button.url == f"https://t.me/townsquare_test_bot?start=survey-{sid}"
    assert "Posted in Elm Street residents." in texts(posted)
    assert await audit_actions(harness) == ["survey.post", "chat.register"]

    forged = await harness.press(OWNER, press_data("sm.post_to", sid, -555))  # not our group
    assert EXPIRED in texts(forged)
    async with harness.database.unit_of_work() as uow:
        await close_survey(uow, await uow.surveys.get(sid), NOON)  # type: ignore[arg-type]
        await uow.commit()
    stale = await harness.tap(OWNER, choose, "Elm Street residents")
    assert OUT_OF_DATE in texts(stale)
    assert not [e for e in stale if isinstance(e, SendMessage) and e.chat_id < 0]


# --- inviting and reminding -------------------------------------------------------------------


async def test_inviting_the_audience_privately_once_and_reminding_those_who_never_started(
    harness: Harness,
) -> None:
    await onboard(harness, OWNER)
    ann, li, stu, bob = person("Ann"), person("Li", "zh-hans"), person("Stu"), person("Bob")
    for who in (ann, stu, bob):
        await onboard(harness, who)
    await onboard(harness, li, language="中文")
    await harness.command(stu, "stop")
    closes = NOON + timedelta(days=5)
    sid = await add_survey(
        harness, status=SurveyStatus.OPEN, closes_at=closes.isoformat(), remind_after_hours=48
    )
    await take_part(harness, bob, sid, finished=False)  # already taking part

    confirm = await harness.tap(OWNER, await card(harness, sid), "Invite privately")
    assert "Invite 3 people" in texts(confirm)  # the owner, Ann and Li; not Stu, not Bob
    queued = await harness.tap(OWNER, confirm, "Send invitations")
    assert "Invitations queued for 3 people." in texts(queued)
    rows = {row.chat_id: row.payload for row in await outbox(harness)}
    assert set(rows) == {OWNER.user_id, ann.user_id, li.user_id}
    assert rows[ann.user_id]["text"].startswith(
        "📋 Elm Park invites you to take a survey: “How do you use the park?”"
    )
    assert "您如何使用公园？" in rows[li.user_id]["text"]
    assert rows[ann.user_id]["buttons"] == [
        [
            {
                "text": "Take the survey",
                "url": f"https://t.me/townsquare_test_bot?start=survey-{sid}",
            }
        ]
    ]
    invited = await contact(harness, sid, ann)
    assert invited is not None and invited.invited_at == NOON and not invited.started
    [reminder_job] = await jobs(harness, "survey.invite_reminder")
    assert reminder_job.due_at == closes - timedelta(hours=48)
    assert await audit_actions(harness) == ["survey.invite"]

    again = await harness.tap(OWNER, await card(harness, sid), "Invite privately")
    assert "Nobody left to invite" in texts(again)
    stale = await harness.tap(OWNER, confirm, "Send invitations")  # the old confirmation
    assert "Nobody left to invite" in texts(stale)
    assert len(await outbox(harness)) == 3
    assert await audit_actions(harness) == ["survey.invite"]

    await take_part_after_invitation(harness, li, sid)  # Li starts before the reminder
    harness.clock.advance(days=3)
    assert await harness.engine.run_due_jobs() == 1
    reminders = [row for row in await outbox(harness) if row.batch.endswith("invite-remind")]
    assert sorted(row.chat_id for row in reminders) == sorted([OWNER.user_id, ann.user_id])
    text = next(row.payload for row in reminders if row.chat_id == ann.user_id)
    assert text["text"] == (
        "A reminder: you are invited to take the survey “How do you use the park?”.\n\n"
        "It closes on 2026-12-04 12:00 (UTC)."
    )
    assert text["buttons"] == [[{"text": "Take the survey", "data": f"1:sv.take:{sid}"}]]
    reminded = await contact(harness, sid, ann)
    assert reminded is not None and reminded.reminded
    harness.clock.advance(hours=1)
    assert await harness.engine.run_due_jobs() == 0
    assert len(await outbox(harness)) == 5  # exactly once


async def take_part_after_invitation(harness: Harness, who: Person, survey_id: int) -> None:
    mid = await member_id(harness, who)
    async with harness.database.unit_of_work() as uow:
        found = await uow.contacts.get(survey_id, mid)
        assert found is not None
        found.started = True
        await uow.commit()


async def test_invitations_go_to_the_survey_audience_only(harness: Harness) -> None:
    await seed_topic(harness)  # "parks": onboarding follows it
    await onboard(harness, OWNER)
    ann, gus = person("Ann"), person("Gus")
    await onboard(harness, ann)
    await onboard(harness, gus)
    await add_group(harness, gus)
    in_group = await add_survey(
        harness,
        "in-group",
        status=SurveyStatus.OPEN,
        audience={"kind": "group", "chat_id": group().chat_id},
    )
    shown = await harness.press(OWNER, press_data("sm.card", in_group))
    assert "Who may answer: members of the group Elm Street residents" in texts(shown)
    confirm = await harness.tap(OWNER, shown, "Invite privately")
    assert "Invite 1 person to" in texts(confirm)
    await harness.tap(OWNER, confirm, "Send invitations")
    assert [row.chat_id for row in await outbox(harness)] == [gus.user_id]
    assert await jobs(harness, "survey.invite_reminder") == []  # no closing time

    followers = await add_survey(
        harness,
        "followers",
        status=SurveyStatus.OPEN,
        audience={"kind": "followers", "followable": "parks"},
    )
    await harness.tap(OWNER, await harness.command(ann, "topics"), "✓ Parks")  # Ann unfollows
    shown = await harness.press(OWNER, press_data("sm.card", followers))
    assert "Who may answer: followers of Parks" in texts(shown)
    confirm = await harness.tap(OWNER, shown, "Invite privately")
    assert "Invite 2 people" in texts(confirm)  # the owner and Gus


async def test_a_reminder_to_finish_goes_once_and_not_to_people_who_finished(
    harness: Harness,
) -> None:
    ann, bob = person("Ann"), person("Bob")
    await onboard(harness, ann)
    await onboard(harness, bob)
    sid = await add_survey(
        harness, status=SurveyStatus.OPEN, closes_at=(NOON + timedelta(days=3)).isoformat()
    )
    await take_part(harness, ann, sid, finished=False)
    await take_part(harness, bob, sid, finished=False)
    due = NOON + timedelta(hours=24)
    ids = [await member_id(harness, who) for who in (ann, bob)]
    async with harness.database.unit_of_work() as uow:
        for mid in ids:  # as the answering flow schedules them when people start
            data = {"survey": sid, "member": mid}
            await uow.jobs.schedule("survey.remind", f"{sid}:{mid}", due, data, NOON)
        bob_contact = await uow.contacts.get(sid, ids[1])
        assert bob_contact is not None
        bob_contact.finished = True  # Bob submits before his reminder is due
        await uow.commit()

    harness.clock.advance(hours=23)
    assert await harness.engine.run_due_jobs() == 0
    harness.clock.advance(hours=1)
    assert await harness.engine.run_due_jobs() == 2
    [row] = await outbox(harness)
    assert row.chat_id == ann.user_id
    assert row.payload["text"].startswith(
        "You started the survey “How do you use the park?” but have not finished it yet."
    )
    assert row.payload["buttons"] == [[{"text": "Continue the survey", "data": f"1:sv.take:{sid}"}]]
    reminded = await contact(harness, sid, ann)
    assert reminded is not None and reminded.reminded

    # The same reminder scheduled again (e.g. Ann stopped at another question) is not sent.
    mid = await member_id(harness, ann)
    async with harness.database.unit_of_work() as uow:
        data = {"survey": sid, "member": mid}
        await uow.jobs.schedule(
            "survey.remind", f"{sid}:{mid}:again", harness.clock.now(), data, NOON
        )
        await uow.commit()
    assert await harness.engine.run_due_jobs() == 1
    assert len(await outbox(harness)) == 1


async def test_reminders_are_dropped_when_late_or_the_survey_closed(harness: Harness) -> None:
    ann, bob = person("Ann"), person("Bob")
    await onboard(harness, ann)
    await onboard(harness, bob)
    sid = await add_survey(harness, status=SurveyStatus.OPEN)
    await take_part(harness, ann, sid, finished=False)
    await take_part(harness, bob, sid, finished=False)
    ids = [await member_id(harness, who) for who in (ann, bob)]
    async with harness.database.unit_of_work() as uow:
        for mid, due in zip(ids, (NOON, NOON + timedelta(days=3)), strict=True):
            data = {"survey": sid, "member": mid}
            await uow.jobs.schedule("survey.remind", f"{sid}:{mid}", due, data, NOON)
        await uow.commit()
    harness.clock.advance(days=2)  # Ann's reminder is two days late: dropped
    assert await harness.engine.run_due_jobs() == 1
    [dropped] = [j for j in await jobs(harness, "survey.remind") if j.due_at == NOON]
    assert dropped.status is JobStatus.DROPPED
    async with harness.database.unit_of_work() as uow:
        await close_survey(uow, await uow.surveys.get(sid), harness.clock.now())  # type: ignore[arg-type]
        await uow.commit()
    closing_notices = len(await outbox(harness))
    harness.clock.advance(days=1)
    assert await harness.engine.run_due_jobs() == 1  # Bob's: the survey closed meanwhile
    assert len(await outbox(harness)) == closing_notices
    bob_contact = await contact(harness, sid, bob)
    assert bob_contact is not None and not bob_contact.reminded


async def test_someone_answering_through_the_bot_is_told_when_it_closes(harness: Harness) -> None:
    await onboard(harness, OWNER)
    ann = person("Ann")
    await onboard(harness, ann)
    sid = await add_survey(harness, status=SurveyStatus.OPEN)
    first = await harness.command(ann, "start", f"survey-{sid}")
    await harness.tap(ann, first, "Daily")  # one answer given, the next question waiting

    confirm = await harness.tap(OWNER, await card(harness, sid), "Close now")
    assert "People half-way through (1) are told" in texts(confirm)
    await harness.tap(OWNER, confirm, "Yes, close it")
    [notice] = await outbox(harness)
    assert notice.chat_id == ann.user_id and "has closed" in notice.payload["text"]
    mid = await member_id(harness, ann)
    async with harness.database.unit_of_work() as uow:
        assert await uow.states.get(mid) is None
        [response] = (
            await uow.session.scalars(select(SurveyResponse).where(SurveyResponse.survey_id == sid))
        ).all()
    assert response.status is ResponseStatus.IN_PROGRESS and response.submitted_at is None


async def test_a_closing_time_moved_later_is_kept(harness: Harness) -> None:
    await onboard(harness, OWNER)
    sid = await add_survey(harness, closes_at=(NOON + timedelta(hours=5)).isoformat())
    await harness.tap(OWNER, await card(harness, sid), "Open now")
    later = NOON + timedelta(days=2)
    async with harness.database.unit_of_work() as uow:  # as an edited definition would
        survey = await uow.surveys.get(sid)
        assert survey is not None
        survey.closes_at = later
        await uow.commit()
    harness.clock.advance(hours=5)
    assert await harness.engine.run_due_jobs() == 1
    assert (await survey_row(harness, sid)).status is SurveyStatus.OPEN
    assert sorted(job.due_at for job in await jobs(harness, "survey.close")) == [
        NOON + timedelta(hours=5),
        later,
    ]
    harness.clock.current = later
    assert await harness.engine.run_due_jobs() == 1
    assert (await survey_row(harness, sid)).closed_at == later


async def test_the_list_shows_the_newest_thirty(harness: Harness) -> None:
    await onboard(harness, OWNER)
    for number in range(31):
        await add_survey(harness, f"survey-{number}")
    listing = await harness.command(OWNER, "surveys")
    assert "(the newest 30 of 31)" in texts(listing)
    assert len(listing[-1].buttons) == 30  # type: ignore[union-attr]


async def test_a_close_by_hand_and_the_close_job_at_once_close_once(harness: Harness) -> None:
    """As with two instances on PostgreSQL: the survey row is locked while one decides."""
    await onboard(harness, OWNER)
    sid = await add_survey(harness, closes_at=(NOON + timedelta(hours=5)).isoformat())
    opened = await harness.tap(OWNER, await card(harness, sid), "Open now")
    confirm = await harness.tap(OWNER, opened, "Close now")
    harness.clock.advance(hours=6)
    other = Engine(
        harness.database, build_router(), harness.outbound, harness.config, harness.clock
    )
    await asyncio.gather(harness.tap(OWNER, confirm, "Yes, close it"), other.run_due_jobs())
    assert (await audit_actions(harness)).count("survey.close") == 1
