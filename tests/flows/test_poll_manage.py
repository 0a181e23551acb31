"""Editing and deleting a poll from its card: who may, what may change, what the groups see."""

from __future__ import annotations

from sqlalchemy import select, update

from flows.codec import encode, payload
from flows.effects import DeleteMessage, EditMessage, Effect
from flows.events import Person
from storage.models import AuditEntry, OutboxMessage, Poll, PollStatus, Role
from tests.flows.harness import Harness, find_button, person, texts, toasts
from tests.flows.poll_support import (
    ELM,
    OAK,
    add_groups,
    ballots,
    edits,
    organiser,
    press,
    run_jobs,
    send_posts,
    vote,
    write_poll,
)
from tests.flows.test_account import onboard

BENCH = ("By the lake", "Near the playground", "Under the oak")


async def moderator(harness: Harness, name: str = "Mo") -> Person:
    who = person(name)
    await onboard(harness, who)
    await set_role(harness, who, Role.MODERATOR)
    return who


async def set_role(harness: Harness, who: Person, role: Role) -> None:
    async with harness.database.unit_of_work() as uow:
        member = await uow.members.get_by_telegram_id(who.user_id)
        assert member is not None
        member.role = role
        await uow.commit()


async def stored(harness: Harness, poll_id: int) -> Poll | None:
    async with harness.database.unit_of_work() as uow:
        return await uow.polls.get(poll_id)


def deletions(effects: list[Effect]) -> list[DeleteMessage]:
    return [e for e in effects if isinstance(e, DeleteMessage)]


async def test_the_question_and_an_option_are_reworded_and_every_copy_follows(
    harness: Harness,
) -> None:
    await add_groups(harness, ELM, OAK)
    poll_id = await write_poll(harness, "single", BENCH, chats=(ELM, OAK))
    await send_posts(harness, poll_id)
    ann = person("Ann")
    await vote(harness, ann, poll_id, "o3")
    await run_jobs(harness)
    olga = organiser()

    cards = await harness.command(olga, "polls")
    menu = await harness.tap(olga, cards, "Edit")
    assert "People have voted: their votes stay with the option" in texts(menu)
    asked = await harness.tap(olga, menu, "Option 3: Under the oak")
    assert "Send the new text for the option “Under the oak”" in texts(asked)
    done = await harness.text(olga, "Under the old oak")
    assert "Saved. Every copy of the poll shows it within a few seconds." in texts(done)
    assert find_button(done, "Edit")  # the card again

    menu = await harness.tap(olga, cards, "Edit")
    await harness.tap(olga, menu, "Question")
    await harness.text(olga, "Where should the new bench on Elm Street go?")

    poll = await stored(harness, poll_id)
    assert poll is not None and poll.question == "Where should the new bench on Elm Street go?"
    assert [o["text"] for o in poll.options] == [*BENCH[:2], "Under the old oak"]
    assert [b.choices for b in await ballots(harness)] == [["o3"]]  # the vote stayed
    copies = edits(await run_jobs(harness))
    assert sorted(e.chat_id for e in copies) == sorted([ELM.chat_id, OAK.chat_id])
    for copy in copies:
        assert copy.text.startswith("📊 Where should the new bench on Elm Street go?")
        assert [row[0].text for row in copy.buttons] == [*BENCH[:2], "Under the old oak"]
    assert await vote(harness, ann, poll_id, "o3") == "Vote withdrawn."
    async with harness.database.unit_of_work() as uow:
        entries = (await uow.session.scalars(select(AuditEntry.action))).all()
    assert entries.count("poll.edit") == 2


async def test_bad_texts_are_asked_again_and_change_nothing(harness: Harness) -> None:
    await add_groups(harness, ELM)
    poll_id = await write_poll(harness, "single", BENCH)
    olga = organiser()
    await press(harness, olga, "pm.ed", poll_id, "o1")
    for typed, answer in (
        ("   ", "Please write some text, or /cancel."),
        ("x" * 101, "That is 101 characters; the limit is 100."),
        ("near the PLAYGROUND", "You already have that option: near the PLAYGROUND"),
    ):
        said = texts(await harness.text(olga, typed))
        assert said.startswith(answer) and "Send the new text for the option" in said
    await press(harness, olga, "pm.ed", poll_id, "q")
    assert "the limit is 300" in texts(await harness.text(olga, "q" * 301))
    await harness.command(olga, "cancel")
    poll = await stored(harness, poll_id)
    assert poll is not None and [o["text"] for o in poll.options] == list(BENCH)
    assert poll.question == "Where should the new bench go?"


async def test_fixed_options_closed_polls_and_forged_parts_cannot_be_edited(
    harness: Harness,
) -> None:
    await add_groups(harness, ELM)
    poll_id = await write_poll(harness, "yes_no")
    olga = organiser()
    menu = await press(harness, olga, "pm.edit", poll_id)
    assert [row[0].text for m in menu if isinstance(m, EditMessage) for row in m.buttons] == [
        "Question",
        "Back",
    ]
    assert "no longer valid" in texts(await press(harness, olga, "pm.ed", poll_id, "yes"))
    assert "no longer valid" in texts(await press(harness, olga, "pm.ed", poll_id, "o9"))
    await press(harness, olga, "pm.ed", poll_id, "q")  # typing, when the poll closes
    await press(harness, olga, "pm.close", poll_id)
    assert "is closed" in texts(await harness.text(olga, "Plant trees?"))
    refused = await press(harness, olga, "pm.edit", poll_id)
    assert toasts(refused)[0].alert and "is closed" in texts(refused)
    poll = await stored(harness, poll_id)
    assert poll is not None and poll.question == "Where should the new bench go?"


async def test_only_the_creator_or_an_organiser_edits_or_deletes(harness: Harness) -> None:
    await add_groups(harness, ELM)
    poll_id = await write_poll(harness, "single", BENCH)
    mo = await moderator(harness)
    for action, *args in (("pm.edit",), ("pm.ed", "q"), ("pm.del",), ("pm.del1",)):
        refused = await press(harness, mo, action, poll_id, *args)
        assert toasts(refused)[0].alert and "only for organisers" in texts(refused)
    ann = person("Ann")
    await onboard(harness, ann)
    assert "only for organisers" in texts(await press(harness, ann, "pm.del1", poll_id))

    # An organiser demoted while typing the new text: nothing changes.
    zed = person("Zed")
    await onboard(harness, zed)
    await set_role(harness, zed, Role.ORGANISER)
    await press(harness, zed, "pm.ed", poll_id, "q")
    await set_role(harness, zed, Role.MODERATOR)
    assert "only for organisers" in texts(await harness.text(zed, "Benches, anyone?"))
    poll = await stored(harness, poll_id)
    assert poll is not None and poll.question == "Where should the new bench go?"


async def test_delete_asks_then_removes_the_messages_the_poll_and_its_votes(
    harness: Harness,
) -> None:
    await add_groups(harness, ELM, OAK)
    poll_id = await write_poll(harness, "single", BENCH, chats=(ELM, OAK))
    sent = await send_posts(harness, poll_id)
    ann = person("Ann")
    await vote(harness, ann, poll_id, "o1")
    olga = organiser()
    cards = await harness.command(olga, "polls")
    asked = await harness.tap(olga, cards, "Delete")
    assert "Delete poll 1: Where should the new bench go?" in texts(asked)
    assert "its 1 vote are deleted for good" in texts(asked)
    kept = await harness.tap(olga, asked, "Keep it")
    assert "Poll 1: Where should the new bench go?" in texts(kept)
    assert await stored(harness, poll_id) is not None

    gone = await harness.tap(olga, asked, "Delete it")
    assert "Poll 1 is deleted" in texts(gone)
    assert sorted((d.chat_id, d.message_id) for d in deletions(gone)) == sorted(sent.items())
    assert await stored(harness, poll_id) is None and await ballots(harness) == []
    tapped = await harness.press(ann, encode(payload("pl.v", poll_id, "o1")), chat=ELM)
    assert "no longer valid" in texts(tapped)
    assert "no longer valid" in texts(await press(harness, olga, "pm.del1", poll_id))
    assert edits(await run_jobs(harness)) == []  # the pending refresh finds nothing to edit
    assert "There are no polls yet" in texts(await harness.command(olga, "polls"))


async def test_a_poll_still_being_posted_is_not_deleted(harness: Harness) -> None:
    await add_groups(harness, ELM)
    poll_id = await write_poll(harness, "single", BENCH)  # its message waits in the outbox
    refused = await press(harness, organiser(), "pm.del1", poll_id)
    assert toasts(refused)[0].alert and "still being posted" in texts(refused)
    assert await stored(harness, poll_id) is not None


async def test_messages_too_old_to_delete_lose_their_buttons_instead(harness: Harness) -> None:
    await add_groups(harness, ELM)
    poll_id = await write_poll(harness, "yes_no")
    [message_id] = (await send_posts(harness, poll_id)).values()
    olga = organiser()
    await press(harness, olga, "pm.close", poll_id)
    await send_posts(harness, poll_id)  # only the copy: the outcome is another batch
    async with harness.database.unit_of_work() as uow:
        await uow.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.batch == f"poll:{poll_id}:end")
            .values(status="sent", message_id=900, sent_at=harness.clock.now())
        )
        await uow.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.batch == f"poll:{poll_id}")
            .values(sent_at=harness.clock.now())
        )
        await uow.commit()
    harness.clock.advance(hours=50)
    gone = await press(harness, olga, "pm.del1", poll_id)
    assert deletions(gone) == []  # Telegram refuses deleting a bot's message after 48 hours
    [edit] = [e for e in edits(gone) if e.chat_id == ELM.chat_id]
    assert edit.message_id == message_id and edit.buttons == ()
    assert edit.text.endswith("This poll was deleted.")
    async with harness.database.unit_of_work() as uow:
        assert (await uow.session.scalars(select(Poll))).all() == []


async def test_a_closed_poll_is_deleted_with_its_outcome_message(harness: Harness) -> None:
    await add_groups(harness, ELM)
    poll_id = await write_poll(harness, "yes_no")
    [message_id] = (await send_posts(harness, poll_id)).values()
    olga = organiser()
    await press(harness, olga, "pm.close", poll_id)
    async with harness.database.unit_of_work() as uow:
        await uow.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.batch == f"poll:{poll_id}:end")
            .values(status="sent", message_id=901)
        )
        await uow.commit()
    poll = await stored(harness, poll_id)
    assert poll is not None and poll.status is PollStatus.CLOSED
    gone = await press(harness, olga, "pm.del1", poll_id)
    assert sorted(d.message_id for d in deletions(gone)) == sorted([message_id, 901])
