"""Polls by residents: where organisers allow it, what residents may write and manage."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from sqlalchemy import select

from flows.effects import Effect, SendDocument, SendMessage
from flows.events import Chat, Person
from storage.models import AuditEntry, Poll, PollStatus, Role
from tests.flows.harness import Harness, find_button, group, person, texts, toasts
from tests.flows.poll_support import (
    ELM,
    OAK,
    add_groups,
    organiser,
    outbox,
    press,
    vote,
    write_poll,
)
from tests.flows.test_account import onboard
from tests.flows.test_poll_manage import set_role

BENCH = ("By the lake", "Near the playground")
NO_GROUP = "Residents can post polls only in groups where an organiser has allowed it"
NOT_YOURS = "Sorry, this is only for organisers and the poll's creator."


async def allow(harness: Harness, chat: Chat) -> list[Effect]:
    """Switch residents' polls in `chat` with the organiser's /chats button."""
    olga = organiser()
    async with harness.database.unit_of_work() as uow:
        known = await uow.members.get_by_telegram_id(olga.user_id)
    if known is None:
        await onboard(harness, olga)
    listing = await harness.command(olga, "chats")
    return await harness.tap(olga, listing, f"{chat.title}: residents' polls")


async def resident(harness: Harness, name: str, *chats: Chat) -> Person:
    """An onboarded resident whom the bot has seen join `chats`."""
    who = person(name)
    await onboard(harness, who)
    for chat in chats:
        await harness.joins(who, chat)
    return who


async def write_as(
    harness: Harness, who: Person, chats: tuple[Chat, ...] = (ELM,), question: str = "Benches?"
) -> list[Effect]:
    """Write a single-choice poll as `who` up to Publish; return what Publish answered."""
    await harness.command(who, "newpoll")
    await harness.text(who, question)
    await press(harness, who, "pw.kind", "single")
    await harness.text(who, "\n".join(BENCH))
    await press(harness, who, "pw.done")
    await press(harness, who, "pw.preview")
    await press(harness, who, "pw.groups")
    for chat in chats:
        await press(harness, who, "pw.chat", chat.chat_id)
    return await press(harness, who, "pw.publish")


def csv_rows(effects: Sequence[Effect]) -> list[list[str]]:
    [document] = [e for e in effects if isinstance(e, SendDocument)]
    return list(csv.reader(io.StringIO(document.content.decode("utf-8-sig"))))


async def polls(harness: Harness) -> list[Poll]:
    async with harness.database.unit_of_work() as uow:
        return list((await uow.session.scalars(select(Poll).order_by(Poll.id))).all())


async def member_id(harness: Harness, who: Person) -> int:
    async with harness.database.unit_of_work() as uow:
        member = await uow.members.get_by_telegram_id(who.user_id)
        assert member is not None
        return member.id


async def choosing_groups(harness: Harness, who: Person, question: str, *chats: Chat) -> None:
    """`who` writes a yes / no poll and ticks `chats` on the wizard's last step."""
    await harness.command(who, "newpoll")
    await harness.text(who, question)
    await press(harness, who, "pw.kind", "yes_no")
    await press(harness, who, "pw.preview")
    await press(harness, who, "pw.groups")
    for chat in chats:
        await press(harness, who, "pw.chat", chat.chat_id)


async def test_organisers_switch_resident_polls_per_group_and_it_is_audited(
    harness: Harness,
) -> None:
    await add_groups(harness, ELM, OAK)
    switched = await allow(harness, ELM)
    [toast] = toasts(switched)
    assert toast.alert and "Residents of Elm Street residents can now post polls" in toast.text
    assert "• Elm Street residents (-100123) — residents may post polls" in texts(switched)
    assert "• Oak Road residents (-100456)\n" in texts(switched) + "\n"
    assert find_button(switched, "Elm Street residents: residents' polls on")
    assert find_button(switched, "Oak Road residents: residents' polls off")

    mo = await resident(harness, "Mo")
    await set_role(harness, mo, Role.MODERATOR)
    listing = await harness.command(mo, "chats")
    assert "residents may post polls" in texts(listing)
    assert all(not m.buttons for m in listing if isinstance(m, SendMessage))
    refused = await press(harness, mo, "ch.rp", ELM.chat_id)
    assert toasts(refused)[0].alert and "only for organisers" in texts(refused)
    olga = organiser()
    assert "no longer valid" in texts(await press(harness, olga, "ch.rp", -999))
    assert "no longer valid" in texts(await press(harness, olga, "ch.rp", "x"))
    in_group = await harness.press(olga, "1:ch.rp:-100456", chat=OAK)
    assert "no longer valid" in texts(in_group)

    off = await allow(harness, ELM)
    assert "can no longer post new polls in Elm Street residents" in texts(off)
    async with harness.database.unit_of_work() as uow:
        elm = await uow.chats.get(ELM.chat_id)
        oak = await uow.chats.get(OAK.chat_id)
        assert elm is not None and oak is not None
        assert not elm.resident_polls and not oak.resident_polls
        entries = (
            await uow.session.scalars(
                select(AuditEntry).where(AuditEntry.action == "chat.resident_polls")
            )
        ).all()
    assert [(e.target, e.details) for e in entries] == [
        ("chat:-100123", {"on": True}),
        ("chat:-100123", {"on": False}),
    ]


async def test_a_resident_posts_in_their_allowed_group_others_vote_and_they_close_it(
    harness: Harness,
) -> None:
    await add_groups(harness, ELM, OAK)
    await allow(harness, ELM)
    ann = await resident(harness, "Ann", ELM, OAK)  # in both groups, only Elm takes her polls

    await harness.command(ann, "newpoll")
    await harness.text(ann, "Where should our bench go?")
    await press(harness, ann, "pw.kind", "single")
    await harness.text(ann, "\n".join(BENCH))
    settings = await press(harness, ann, "pw.done")
    aud = await harness.tap(ann, settings, "Who votes: members of the groups")
    assert toasts(aud)[0].alert and "voted by the members of the groups" in texts(aud)
    await press(harness, ann, "pw.preview")
    choice = await press(harness, ann, "pw.groups")
    assert find_button(choice, "Elm Street residents")
    assert "Oak Road residents" not in str(choice)
    assert "no longer valid" in texts(await press(harness, ann, "pw.chat", OAK.chat_id))
    await press(harness, ann, "pw.chat", ELM.chat_id)
    done = await press(harness, ann, "pw.publish")
    assert "is posted in: Elm Street residents." in texts(done)

    [poll] = await polls(harness)
    assert poll.creator_id == await member_id(harness, ann)
    assert poll.audience.value == "groups"
    assert [row["chat_id"] for row in await outbox(harness, f"poll:{poll.id}")] == [ELM.chat_id]

    bo, cy = await resident(harness, "Bo"), await resident(harness, "Cy")
    assert await vote(harness, bo, poll.id, "o1") == "You voted: By the lake"
    await vote(harness, cy, poll.id, "o2")

    cards = await harness.command(ann, "polls")
    assert f"Poll {poll.id}: Where should our bench go?" in texts(cards)
    assert find_button(cards, "Close") and find_button(cards, "Edit")
    assert "Download file" not in str(cards)
    refused = await press(harness, ann, "pm.file", poll.id)
    assert "only for organisers" in texts(refused)

    results = await harness.tap(ann, cards, "Results")
    assert "2 people voted." in texts(results)
    rows = csv_rows(results)
    assert [row[0] for row in rows[1:]] == ["", ""]  # names are for organisers only
    named = csv_rows(await harness.command(organiser(), "pollresults", str(poll.id)))
    assert sorted(row[0] for row in named[1:]) == ["Bo (@bo)", "Cy (@cy)"]

    closed = await harness.tap(ann, cards, "Close")
    assert "Closed. The groups get the final result." in texts(closed)
    [poll] = await polls(harness)
    assert poll.status is PollStatus.CLOSED


async def test_a_resident_cannot_manage_anyone_elses_poll(harness: Harness) -> None:
    await add_groups(harness, ELM)
    await allow(harness, ELM)
    organisers_poll = await write_poll(harness, "single", BENCH)
    ann = await resident(harness, "Ann", ELM)
    bo = await resident(harness, "Bo", ELM)
    assert "is posted in" in texts(await write_as(harness, bo, question="Bo's question?"))
    bos_poll = (await polls(harness))[-1].id

    cards = await harness.command(ann, "polls")
    assert "There are no polls yet" in texts(cards)
    assert "Bo's question?" not in texts(await harness.command(ann, "polls"))
    for poll_id in (organisers_poll, bos_poll):
        for action, *args in (
            ("pm.close",),
            ("pm.res",),
            ("pm.card",),
            ("pm.anon",),
            ("pm.anon1",),
            ("pm.edit",),
            ("pm.ed", "q"),
            ("pm.del",),
            ("pm.del1",),
            ("pm.sug",),
        ):
            refused = await press(harness, ann, action, poll_id, *args)
            assert toasts(refused)[0].alert and NOT_YOURS in texts(refused), action
        assert NOT_YOURS in texts(await harness.command(ann, "pollresults", str(poll_id)))
        refused = await press(harness, ann, "pm.pub", poll_id)
        assert "only for organisers" in texts(refused)
    assert "no longer valid" in texts(await press(harness, ann, "pm.close", 10**8))
    in_group = await harness.press(bo, f"1:pm.close:{bos_poll}", chat=ELM)
    assert "no longer valid" in texts(in_group)  # management is for the private chat
    assert "Closed" in texts(await press(harness, bo, "pm.close", bos_poll))
    for poll in await polls(harness):
        assert not poll.anonymous
    assert [p.status for p in await polls(harness)] == [PollStatus.OPEN, PollStatus.CLOSED]
    # An organiser manages a resident's poll too.
    assert "Poll" in texts(await press(harness, organiser(), "pm.card", bos_poll))


async def test_residents_without_an_allowed_group_are_told_why(harness: Harness) -> None:
    await add_groups(harness, ELM, OAK)
    ann = await resident(harness, "Ann", OAK)
    assert NO_GROUP in texts(await harness.command(ann, "newpoll"))
    await allow(harness, ELM)
    assert NO_GROUP in texts(await harness.command(ann, "newpoll"))  # not seen in Elm

    in_oak = await harness.command(ann, "newpoll", chat=OAK)
    assert texts(in_oak) == "Organisers have not enabled polls by residents in this group."
    in_elm = await harness.command(ann, "newpoll", chat=ELM)
    assert "Ann, let's write your poll in a private chat." in texts(in_elm)
    link = find_button(in_elm, "Write a poll")
    assert link.url == "https://t.me/townsquare_test_bot?start=newpoll"
    # Typing the command in Elm showed she is there: now she may write.
    assert "What is the question?" in texts(await harness.command(ann, "newpoll"))
    assert "Oak" not in str(await harness.command(organiser(), "newpoll", chat=OAK))
    outsider = await harness.command(person("Zed"), "newpoll", chat=group(-100789, "Other"))
    assert outsider == []  # not a group the bot serves: quiet


async def test_a_resident_who_has_not_started_the_bot_follows_the_link_to_the_wizard(
    harness: Harness,
) -> None:
    await add_groups(harness, ELM)
    await allow(harness, ELM)
    dan = person("Dan")
    in_elm = await harness.command(dan, "newpoll", chat=ELM)
    link = find_button(in_elm, "Write a poll")
    assert link.url is not None
    start = link.url.split("start=")[1]
    assert start.startswith("newpoll--100123_") and len(start) <= 64

    # Someone else cannot use Dan's link: it is signed for him.
    eve = person("Eve")
    await onboard(harness, eve)
    assert NO_GROUP in texts(await harness.command(eve, "start", start))
    forged = start[:-1] + ("0" if start[-1] != "0" else "1")
    assert NO_GROUP in texts(await harness.command(eve, "start", forged))

    welcome = await harness.command(dan, "start", start)
    await harness.tap(dan, welcome, "English")
    finished = await harness.press(dan, "1:consent:yes")
    assert "What is the question?" in texts(finished)
    assert "is posted in" in texts(await write_as(harness, dan))


async def test_a_resident_who_loses_the_right_while_writing_is_told_on_publish(
    harness: Harness,
) -> None:
    await add_groups(harness, ELM, OAK)
    await allow(harness, ELM)
    await allow(harness, OAK)
    ann = await resident(harness, "Ann", ELM, OAK)

    await choosing_groups(harness, ann, "Benches?", ELM, OAK)
    await allow(harness, OAK)  # switched off while she chooses
    again = await press(harness, ann, "pw.publish")
    assert toasts(again)[0].alert and "no longer takes your poll" in texts(again)
    assert "✅ Elm Street residents" in str(again) and "Oak" not in str(again)
    assert await polls(harness) == []
    posted = await press(harness, ann, "pw.publish")
    assert "is posted in: Elm Street residents." in texts(posted)

    # She leaves Elm while writing the next one: no group takes her polls any more.
    await choosing_groups(harness, ann, "Trees?", ELM)
    await harness.leaves(ann, ELM)
    ended = await press(harness, ann, "pw.publish")
    assert "Your poll was not posted." in texts(ended) and NO_GROUP in texts(ended)
    assert "no longer valid" in texts(await press(harness, ann, "pw.publish"))
    assert len(await polls(harness)) == 1
    # Typing in the wizard after the right went ends it too.
    await harness.joins(ann, ELM)
    await harness.command(ann, "newpoll")
    await allow(harness, ELM)  # off
    assert NO_GROUP in texts(await harness.text(ann, "Lamps?"))
    assert "no longer valid" in texts(await press(harness, ann, "pw.kind", "yes_no"))


async def test_a_resident_has_at_most_three_open_polls(harness: Harness) -> None:
    await add_groups(harness, ELM)
    await allow(harness, ELM)
    ann = await resident(harness, "Ann", ELM)
    for number in range(3):
        assert "is posted in" in texts(await write_as(harness, ann, question=f"Q{number}?"))
    refused = texts(await harness.command(ann, "newpoll"))
    assert "You have 3 open polls, as many as a resident may have at once." in refused
    first = (await polls(harness))[0].id
    await press(harness, ann, "pm.close", first)
    assert "What is the question?" in texts(await harness.command(ann, "newpoll"))
    # Organisers have no such limit.
    for number in range(4):
        await write_poll(harness, "yes_no", question=f"O{number}?")


async def test_a_forged_audience_or_group_button_changes_nothing(harness: Harness) -> None:
    await add_groups(harness, ELM, OAK)
    await allow(harness, ELM)
    ann = await resident(harness, "Ann", ELM)
    await harness.command(ann, "newpoll")
    await harness.text(ann, "Benches?")
    await press(harness, ann, "pw.kind", "yes_no")
    refused = await press(harness, ann, "pw.set", "aud")
    assert "voted by the members of the groups" in texts(refused)
    await press(harness, ann, "pw.preview")
    await press(harness, ann, "pw.groups")
    assert "no longer valid" in texts(await press(harness, ann, "pw.chat", OAK.chat_id))
    refused_publish = await press(harness, ann, "pw.publish")
    assert "Please choose at least one group." in texts(refused_publish)
    assert await polls(harness) == []


async def test_an_organiser_demoted_while_writing_keeps_the_poll_within_resident_rules(
    harness: Harness,
) -> None:
    await add_groups(harness, ELM, OAK)
    await allow(harness, ELM)
    zed = await resident(harness, "Zed", ELM)
    await set_role(harness, zed, Role.ORGANISER)
    await harness.command(zed, "newpoll")
    await harness.text(zed, "Benches?")
    await press(harness, zed, "pw.kind", "yes_no")
    everyone = await press(harness, zed, "pw.set", "aud")
    assert "Who votes: everyone" in str(everyone)
    await press(harness, zed, "pw.preview")
    await set_role(harness, zed, Role.RESIDENT)

    shown = await press(harness, zed, "pw.groups")
    assert toasts(shown)[0].alert and "voted by the members of the groups" in texts(shown)
    assert find_button(shown, "Elm Street residents") and "Oak" not in str(shown)
    await press(harness, zed, "pw.chat", ELM.chat_id)
    assert "is posted in: Elm Street residents." in texts(await press(harness, zed, "pw.publish"))
    [poll] = await polls(harness)
    assert poll.audience.value == "groups"
