"""Sending a poll privately to a segment: the wizard, the copies, votes from them, closing."""

from __future__ import annotations

from sqlalchemy import select, update

from admin.topics import add_followable
from flows.codec import encode, payload
from flows.effects import Effect
from flows.events import Person
from flows.i18n import language_name
from storage.models import (
    AuditEntry,
    FollowKind,
    OutboxMessage,
    OutboxStatus,
    PollAudience,
    PollStatus,
    Role,
)
from storage.repositories.outbox import Recipient
from tests.flows.harness import Harness, person, texts, toasts
from tests.flows.poll_support import (
    ELM,
    add_groups,
    ballots,
    edits,
    organiser,
    outbox,
    press,
    run_jobs,
    send_posts,
    send_private_copies,
    stored,
    vote,
    write_poll,
    write_private_poll,
)
from tests.flows.test_account import onboard
from tests.flows.test_poll_manage import set_role

BENCH = ("By the lake", "Near the playground", "Under the oak")


async def parks(harness: Harness) -> int:
    async with harness.database.unit_of_work() as uow:
        item = await add_followable(
            uow, FollowKind.TOPIC, "parks", {"en": "Parks"}, harness.clock.now()
        )
        await uow.commit()
        return item.id


async def started(harness: Harness, name: str, language: str = "en") -> Person:
    """Someone who started the bot (following Parks when it is offered)."""
    who = person(name)
    await onboard(harness, who, language_name(language))
    return who


async def tap(harness: Harness, who: Person, poll_id: int, option: str) -> list[Effect]:
    """Tap an option in one's own private copy."""
    return await harness.press(who, encode(payload("pl.v", poll_id, option)), message_id=77)


async def rows(harness: Harness, batch: str) -> list[OutboxMessage]:
    async with harness.database.unit_of_work() as uow:
        statement = select(OutboxMessage).where(OutboxMessage.batch == batch)
        return list((await uow.session.scalars(statement.order_by(OutboxMessage.id))).all())


async def test_an_organiser_sends_a_poll_to_everyone_in_their_languages(harness: Harness) -> None:
    olga = organiser()
    await onboard(harness, olga)
    ann = await started(harness, "Ann")
    li = await started(harness, "Li", "zh_Hans")
    quiet = await started(harness, "Quiet")
    await harness.command(quiet, "stop")
    await harness.command(olga, "newpoll")
    await harness.text(olga, "Where should the new bench go?")
    await press(harness, olga, "pw.kind", "single")
    await harness.text(olga, "\n".join(BENCH))
    await press(harness, olga, "pw.done")
    await press(harness, olga, "pw.preview")
    where = await press(harness, olga, "pw.groups")
    # No group yet: sending privately is still possible, and each segment says its size.
    assert "but you can send the poll privately" in texts(where)
    assert "🔒 Privately to everyone who started the bot (3)" in str(where)
    chosen = await press(harness, olga, "pw.seg", 0)
    assert "✅ 🔒 Privately to everyone" in str(chosen)
    assert "Who votes: everyone" in texts(chosen)
    done = await press(harness, olga, "pw.publish")
    assert "sent privately to everyone who started the bot: 3 people" in texts(done)

    [poll] = [await stored(harness, 1)]
    assert poll.audience is PollAudience.EVERYONE and poll.status is PollStatus.OPEN
    sent = await outbox(harness, "poll:1:dm")
    assert sorted(row["chat_id"] for row in sent) == sorted(
        [olga.user_id, ann.user_id, li.user_id]
    )  # not Quiet, who used /stop
    by_chat = {row["chat_id"]: row for row in sent}
    assert by_chat[ann.user_id]["text"].startswith("📊 Where should the new bench go?")
    assert "Single choice" in by_chat[ann.user_id]["text"]
    assert "单选" in by_chat[li.user_id]["text"]  # the copy is in her language
    labels = [button["text"] for [button] in by_chat[ann.user_id]["buttons"]]
    assert labels == list(BENCH)  # the group copy's vote buttons
    assert await outbox(harness, "poll:1") == []  # posted in no group
    async with harness.database.unit_of_work() as uow:
        [entry] = (
            await uow.session.scalars(select(AuditEntry).where(AuditEntry.action == "poll.publish"))
        ).all()
        assert entry.details["recipients"] == 3
        assert await uow.polls.eligible_count(1) == 3  # turnout is measured against the segment


async def test_sending_to_followers_makes_the_poll_theirs_also_in_the_groups(
    harness: Harness,
) -> None:
    topic = await parks(harness)
    await add_groups(harness, ELM)
    await onboard(harness, organiser())  # follows Parks
    ann = await started(harness, "Ann")  # follows Parks
    bo = person("Bo")
    await onboard(harness, bo)
    async with harness.database.unit_of_work() as uow:
        member = await uow.members.get_by_telegram_id(bo.user_id)
        assert member is not None
        await uow.followables.unfollow(member.id, topic)
        await uow.commit()
    poll_id = await write_private_poll(harness, "single", BENCH, segment=topic, chats=(ELM,))
    poll = await stored(harness, poll_id)
    assert poll.audience is PollAudience.FOLLOWERS and poll.followable_id == topic
    assert {row["chat_id"] for row in await outbox(harness, f"poll:{poll_id}:dm")} == {
        organiser().user_id,
        ann.user_id,
    }
    assert [row["chat_id"] for row in await outbox(harness, f"poll:{poll_id}")] == [ELM.chat_id]
    await send_posts(harness, poll_id)
    # Bo does not follow Parks: the group copy does not let him in either.
    assert "followers of Parks" in await vote(harness, bo, poll_id, "o1")


async def test_a_vote_from_a_private_copy_edits_that_copy_only(harness: Harness) -> None:
    await add_groups(harness, ELM)
    await onboard(harness, organiser())
    ann, bo = await started(harness, "Ann"), await started(harness, "Bo")
    poll_id = await write_private_poll(harness, "single", BENCH, chats=(ELM,))
    await send_posts(harness, poll_id)
    await send_private_copies(harness, poll_id)

    effects = await tap(harness, ann, poll_id, "o2")
    [toast] = toasts(effects)
    assert toast.text == "You voted: Near the playground"
    [edit] = edits(effects)
    assert edit.chat_id == ann.user_id and edit.message_id == 77  # the copy she pressed
    assert "Your vote: Near the playground" in edit.text
    assert "1 (100%)" in edit.text  # results are shown at all times (the default)
    assert [b.text for [b] in edit.buttons] == list(BENCH)

    # Bo votes in the group, then in his private copy: still one ballot each.
    assert await vote(harness, bo, poll_id, "o1") == "You voted: By the lake"
    again = await tap(harness, bo, poll_id, "o3")
    assert toasts(again)[0].text == "You voted: Under the oak"
    assert [sorted(b.choices) for b in await ballots(harness)] == [["o2"], ["o3"]]

    # The coalesced refresh edits the group copy, never the private ones.
    refreshed = edits(await run_jobs(harness))
    assert [e.chat_id for e in refreshed] == [ELM.chat_id]
    assert "2 votes" in refreshed[0].text


async def test_results_in_a_copy_follow_the_visibility_rule(harness: Harness) -> None:
    await onboard(harness, organiser())
    ann = await started(harness, "Ann")
    # Visibility: at all times → after voting → after closing.
    poll_id = await write_private_poll(harness, "yes_no", settings=("vis", "vis"))
    copy = (await outbox(harness, f"poll:{poll_id}:dm"))[0]["text"]
    assert "Results are shown when voting closes." in copy and "%" not in copy
    await send_private_copies(harness, poll_id)
    [edit] = edits(await tap(harness, ann, poll_id, "yes"))
    assert "Your vote: Yes" in edit.text and "%" not in edit.text


async def test_forged_and_stale_taps_in_private_chats_change_nothing(harness: Harness) -> None:
    await add_groups(harness, ELM)
    await onboard(harness, organiser())
    ann = await started(harness, "Ann")
    group_only = await write_poll(harness, "single", BENCH)
    await send_posts(harness, group_only)
    # A group poll's button pressed in a private chat: it was never sent there.
    forged = toasts(await tap(harness, ann, group_only, "o1"))
    assert forged[0].text == "This button is no longer valid. Please use the latest message."
    latecomer = await started(harness, "Cy")  # started the bot after the poll was sent
    poll_id = await write_private_poll(harness, "single", BENCH, question="Lights?")
    await send_private_copies(harness, poll_id)
    dan = await started(harness, "Dan")
    assert "no longer valid" in toasts(await tap(harness, dan, poll_id, "o1"))[0].text
    unknown = toasts(await tap(harness, latecomer, poll_id, "o9"))  # no such option
    assert "no longer valid" in unknown[0].text
    assert await ballots(harness) == []


async def test_closing_edits_each_sent_copy_once_and_withdraws_unsent_ones(
    harness: Harness,
) -> None:
    await onboard(harness, organiser())
    ann, bo = await started(harness, "Ann"), await started(harness, "Bo")
    poll_id = await write_private_poll(harness, "single", BENCH, settings=("ddl",))
    sent = await send_private_copies(harness, poll_id)
    await tap(harness, ann, poll_id, "o1")
    cy = await started(harness, "Cy")
    async with harness.database.unit_of_work() as uow:
        # A copy for Cy still waiting (quiet hours), one for Bo being sent right now.
        now = harness.clock.now()
        await uow.outbox.enqueue(f"poll:{poll_id}:dm", [Recipient(cy.user_id)], {}, now, now)
        await uow.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.chat_id == bo.user_id)
            .values(status=OutboxStatus.SENDING, message_id=None)
        )
        await uow.commit()

    await run_jobs(harness, 3600 + 1)  # the deadline: an hour
    assert (await stored(harness, poll_id)).status is PollStatus.CLOSED
    dm = {row.chat_id: row.status for row in await rows(harness, f"poll:{poll_id}:dm")}
    assert cy.user_id not in dm  # withdrawn: a closed poll is not sent
    end = {row.chat_id: row.payload for row in await rows(harness, f"poll:{poll_id}:dm:end")}
    assert set(end) == {organiser().user_id, ann.user_id}  # Bo's copy is still in flight
    final = end[ann.user_id]
    assert final["edit"] == sent[ann.user_id] and final["buttons"] == []
    assert "Voting has closed." in final["text"]
    assert "By the lake\n██████████ 1 (100%)" in final["text"]

    # Bo's copy went out after all: the follow-up edits it too, and nothing twice.
    async with harness.database.unit_of_work() as uow:
        await uow.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.chat_id == bo.user_id)
            .values(status=OutboxStatus.SENT, message_id=4242)
        )
        await uow.commit()
    await run_jobs(harness, 31)
    await run_jobs(harness, 31)
    end_rows = await rows(harness, f"poll:{poll_id}:dm:end")
    assert sorted(row.chat_id for row in end_rows) == sorted(
        [organiser().user_id, ann.user_id, bo.user_id]
    )
    assert {row.payload["edit"] for row in end_rows if row.chat_id == bo.user_id} == {4242}

    # A tap in a copy after closing gets the polite answer and changes nothing.
    late = toasts(await tap(harness, bo, poll_id, "o2"))
    assert late[0].text == "This poll is closed."
    assert len(await ballots(harness)) == 1


async def test_people_with_a_copy_are_reminded_with_its_buttons(harness: Harness) -> None:
    await onboard(harness, organiser())
    ann, bo = await started(harness, "Ann"), await started(harness, "Bo")
    poll_id = await write_private_poll(harness, "single", BENCH, settings=("ddl", "ddl"))
    await send_private_copies(harness, poll_id)
    await tap(harness, ann, poll_id, "o1")
    await run_jobs(harness, 12 * 3600)
    reminded = {row["chat_id"]: row for row in await outbox(harness, f"poll:{poll_id}:remind")}
    assert set(reminded) == {organiser().user_id, bo.user_id}  # not Ann, who voted
    assert "you have not voted yet" in reminded[bo.user_id]["text"]
    labels = [button["text"] for [button] in reminded[bo.user_id]["buttons"]]
    assert labels == list(BENCH)
    # Voting from the reminder counts like voting from the copy.
    assert toasts(await tap(harness, bo, poll_id, "o3"))[0].text == "You voted: Under the oak"


async def test_a_private_ballot_kind_is_voted_from_the_copy_link(harness: Harness) -> None:
    await onboard(harness, organiser())
    ann = await started(harness, "Ann")
    poll_id = await write_private_poll(harness, "score", BENCH)
    [[vote_button]] = (await outbox(harness, f"poll:{poll_id}:dm"))[0]["buttons"]
    assert vote_button["url"].endswith(f"start=poll-{poll_id}")
    await send_private_copies(harness, poll_id)
    ballot = await harness.command(ann, "start", f"poll-{poll_id}")
    assert "Give each option a score" in texts(ballot)


async def test_only_organisers_send_privately_and_never_a_native_poll(harness: Harness) -> None:
    await add_groups(harness, ELM)
    olga = organiser()
    await onboard(harness, olga)
    ann = await started(harness, "Ann")
    refused = await press(harness, ann, "pw.seg", 0)
    assert toasts(refused) and await outbox(harness, "poll:1:dm") == []

    # Telegram's own poll: no private choice, and a forged one is refused.
    await harness.command(olga, "newpoll")
    await harness.text(olga, "Lights on the path?")
    await press(harness, olga, "pw.kind", "single")
    await harness.text(olga, "\n".join(BENCH))
    await press(harness, olga, "pw.done")
    await press(harness, olga, "pw.set", "nat")
    await press(harness, olga, "pw.preview")
    where = await press(harness, olga, "pw.groups")
    assert "Privately" not in str(where) and "Telegram's own polls are posted in groups" in texts(
        where
    )
    forged = toasts(await press(harness, olga, "pw.seg", 0))
    assert "no longer valid" in forged[0].text

    # Chosen, then demoted before Publish: nothing is sent privately.
    oli = await started(harness, "Oli")
    await set_role(harness, oli, Role.ORGANISER)
    await harness.command(oli, "newpoll")
    await harness.text(oli, "Benches?")
    await press(harness, oli, "pw.kind", "yes_no")
    await press(harness, oli, "pw.preview")
    await press(harness, oli, "pw.groups")
    await press(harness, oli, "pw.seg", 0)
    await set_role(harness, oli, Role.RESIDENT)
    assert "sent privately" not in texts(await press(harness, oli, "pw.publish"))
    async with harness.database.unit_of_work() as uow:
        batches = (await uow.session.scalars(select(OutboxMessage.batch))).all()
        assert not [batch for batch in batches if batch.endswith(":dm")]


async def test_forget_erases_the_private_copy_and_its_votes_stop(harness: Harness) -> None:
    await onboard(harness, organiser())
    ann = await started(harness, "Ann")
    poll_id = await write_private_poll(harness, "single", BENCH)
    await send_private_copies(harness, poll_id)
    forget = await harness.command(ann, "forget")
    await harness.tap(ann, forget, "Yes")
    assert ann.user_id not in {row.chat_id for row in await rows(harness, f"poll:{poll_id}:dm")}
    await harness.command(ann, "start")
    assert "no longer valid" in toasts(await tap(harness, ann, poll_id, "o1"))[0].text


async def test_a_deleted_poll_leaves_no_copy_to_send_or_vote_from(harness: Harness) -> None:
    olga = organiser()
    await onboard(harness, olga)
    ann, bo = await started(harness, "Ann"), await started(harness, "Bo")
    poll_id = await write_private_poll(harness, "single", BENCH)
    async with harness.database.unit_of_work() as uow:  # Ann's copy has gone, Bo's waits
        await uow.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.chat_id == ann.user_id)
            .values(status=OutboxStatus.SENT, message_id=31)
        )
        await uow.commit()
    cards = await harness.command(olga, "polls")
    assert "in 0 groups · sent privately to 3 people" in texts(cards)
    asked = await harness.tap(olga, cards, "Delete")
    assert "is deleted" in texts(await harness.tap(olga, asked, "Delete it"))
    assert await rows(harness, f"poll:{poll_id}:dm") == []  # Bo's copy will not go out
    assert "no longer valid" in toasts(await tap(harness, ann, poll_id, "o1"))[0].text
    # The next poll never gets the deleted one's id (SQLite would reuse it without
    # AUTOINCREMENT), so its copies are not skipped as already sent.
    again = await write_private_poll(harness, "single", BENCH, question="Lights?")
    assert again != poll_id
    assert {row["chat_id"] for row in await outbox(harness, f"poll:{again}:dm")} >= {
        ann.user_id,
        bo.user_id,
    }
