"""Polls for the followers of a topic or area: the wizard, taps, private ballots, reminders."""

from __future__ import annotations

from sqlalchemy import select

from admin.topics import add_followable, archive_followable
from flows.codec import encode, payload
from flows.events import Person
from storage.models import FollowKind, OutboxMessage, Poll, PollAudience
from tests.flows.harness import Harness, person, texts, toasts
from tests.flows.poll_support import (
    ELM,
    add_groups,
    ballots,
    organiser,
    press,
    run_jobs,
    send_posts,
    stored,
    vote,
    write_poll,
)
from tests.flows.test_account import onboard

BENCH = ("By the lake", "Near the playground", "Under the oak")
FOR_PARKS = ("aud", "aud")  # groups' members → everyone → followers of Parks (listed first)


async def topics(harness: Harness) -> dict[str, int]:
    async with harness.database.unit_of_work() as uow:
        now = harness.clock.now()
        await add_followable(uow, FollowKind.TOPIC, "parks", {"en": "Parks"}, now)
        await add_followable(uow, FollowKind.AREA, "north", {"en": "North End"}, now)
        await uow.commit()
        return {item.slug: item.id for item in await uow.followables.listed()}


async def resident(harness: Harness, name: str, *, follows_parks: bool) -> Person:
    """Someone who started the bot (onboarding follows Parks) and was seen in Elm Street."""
    who = person(name)
    await onboard(harness, who)
    async with harness.database.unit_of_work() as uow:
        member = await uow.members.get_by_telegram_id(who.user_id)
        assert member is not None
        await uow.chats.add_member(ELM.chat_id, member.id, harness.clock.now())
        if not follows_parks:
            for followable in await uow.followables.followed_by(member.id):
                await uow.followables.unfollow(member.id, followable)
        await uow.commit()
    return who


async def test_the_wizard_steps_through_every_topic_and_area(harness: Harness) -> None:
    ids = await topics(harness)
    olga = organiser()
    await onboard(harness, olga)
    await harness.command(olga, "newpoll")
    await harness.text(olga, "Where should the new bench go?")
    await press(harness, olga, "pw.kind", "single")
    await harness.text(olga, "\n".join(BENCH))
    await press(harness, olga, "pw.done")
    shown = [str(await press(harness, olga, "pw.set", "aud")) for _ in range(4)]
    assert "Who votes: everyone" in shown[0]
    assert "Who votes: followers of Parks" in shown[1]
    assert "Who votes: followers of North End" in shown[2]
    assert "Who votes: members of the groups it is posted in" in shown[3]

    await add_groups(harness, ELM)
    poll_id = await write_poll(harness, "single", BENCH, settings=FOR_PARKS)
    poll = await stored(harness, poll_id)
    assert poll.audience is PollAudience.FOLLOWERS and poll.followable_id == ids["parks"]


async def test_a_topic_archived_before_publishing_is_refused(harness: Harness) -> None:
    await topics(harness)
    await add_groups(harness, ELM)
    olga = organiser()
    await onboard(harness, olga)
    await harness.command(olga, "newpoll")
    await harness.text(olga, "Where should the new bench go?")
    await press(harness, olga, "pw.kind", "yes_no")
    for name in FOR_PARKS:
        await press(harness, olga, "pw.set", name)
    await press(harness, olga, "pw.preview")
    await press(harness, olga, "pw.groups")
    await press(harness, olga, "pw.chat", ELM.chat_id)
    async with harness.database.unit_of_work() as uow:
        await archive_followable(uow, FollowKind.TOPIC, "parks", harness.clock.now())
        await uow.commit()
    refused = await press(harness, olga, "pw.publish")
    [toast] = toasts(refused)
    assert toast.alert and "no longer offered" in toast.text
    async with harness.database.unit_of_work() as uow:
        assert (await uow.session.scalars(select(Poll))).all() == []


async def test_only_followers_vote_with_a_tap_checked_on_every_tap(harness: Harness) -> None:
    await topics(harness)
    await add_groups(harness, ELM)
    ann = await resident(harness, "Ann", follows_parks=True)
    bo = await resident(harness, "Bo", follows_parks=False)
    poll_id = await write_poll(harness, "single", BENCH, settings=FOR_PARKS)
    await send_posts(harness, poll_id)
    assert await vote(harness, ann, poll_id, "o1") == "You voted: By the lake"
    refused = await vote(harness, bo, poll_id, "o1")
    assert "for the followers of Parks" in refused and "/topics" in refused
    assert "followers of Parks" in await vote(harness, person("Cy"), poll_id, "o2")  # no /start
    assert [b.choices for b in await ballots(harness)] == [["o1"]]
    # Ann stops following: her next tap is refused, her ballot stays.
    async with harness.database.unit_of_work() as uow:
        member = await uow.members.get_by_telegram_id(ann.user_id)
        assert member is not None
        for followable in await uow.followables.followed_by(member.id):
            await uow.followables.unfollow(member.id, followable)
        await uow.commit()
    assert "followers of Parks" in await vote(harness, ann, poll_id, "o2")
    assert [b.choices for b in await ballots(harness)] == [["o1"]]


async def test_private_ballots_are_for_followers_wherever_they_are(harness: Harness) -> None:
    await topics(harness)
    await add_groups(harness, ELM)
    ann = person("Ann")
    await onboard(harness, ann)  # follows Parks, never seen in a group
    bo = await resident(harness, "Bo", follows_parks=False)
    poll_id = await write_poll(harness, "score", BENCH, settings=FOR_PARKS)
    await send_posts(harness, poll_id)
    ballot = await harness.command(ann, "start", f"poll-{poll_id}")
    assert "Give each option a score" in texts(ballot)
    not_for_bo = await harness.command(bo, "start", f"poll-{poll_id}")
    assert "for the followers of Parks" in texts(not_for_bo)
    from_group = await harness.press(bo, encode(payload("pl.go", poll_id)), chat=ELM)
    [toast] = toasts(from_group)
    assert toast.alert and "followers of Parks" in toast.text
    assert "Give each option" not in texts(from_group)


async def test_followers_are_reminded_and_count_for_turnout(harness: Harness) -> None:
    await topics(harness)
    await add_groups(harness, ELM)
    ann = person("Ann")
    await onboard(harness, ann)  # follows Parks, not in the group
    bo = await resident(harness, "Bo", follows_parks=False)  # in the group, not a follower
    cy = await resident(harness, "Cy", follows_parks=True)
    poll_id = await write_poll(harness, "score", BENCH, settings=(*FOR_PARKS, "ddl", "ddl"))
    await run_jobs(harness, 12 * 3600)
    async with harness.database.unit_of_work() as uow:
        rows = (
            await uow.session.scalars(
                select(OutboxMessage.chat_id).where(OutboxMessage.batch == f"poll:{poll_id}:remind")
            )
        ).all()
        eligible = await uow.polls.eligible_count(poll_id)
    # Ann, Cy and the organiser, who followed Parks when starting the bot; not Bo.
    assert sorted(rows) == sorted([ann.user_id, cy.user_id, organiser().user_id])
    assert bo.user_id not in rows and eligible == 3


async def test_a_follower_outside_the_groups_is_pointed_at_the_first_copy(
    harness: Harness,
) -> None:
    await topics(harness)
    await add_groups(harness, ELM)
    ann = person("Ann")
    await onboard(harness, ann)  # follows Parks, never seen in Elm Street
    poll_id = await write_poll(harness, "single", BENCH, settings=(*FOR_PARKS, "ddl", "ddl"))
    [message_id] = (await send_posts(harness, poll_id)).values()
    await run_jobs(harness, 12 * 3600)
    async with harness.database.unit_of_work() as uow:
        row = (
            await uow.session.scalars(
                select(OutboxMessage).where(
                    OutboxMessage.batch == f"poll:{poll_id}:remind",
                    OutboxMessage.chat_id == ann.user_id,
                )
            )
        ).one()
    assert "Elm Street residents" in row.payload["text"]
    assert row.payload["buttons"][0][0]["url"] == f"https://t.me/c/123/{message_id}"
