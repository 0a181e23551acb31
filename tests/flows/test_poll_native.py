"""Telegram's own polls: the wizard's option, sendPoll through the outbox, answers and counts."""

from __future__ import annotations

from sqlalchemy import select, update

from flows.codec import encode, payload
from flows.effects import Effect, NativePoll, SendMessage, StopPoll
from flows.events import Chat, ChatKind, Person, PollAnswered, PollCounted
from storage.models import (
    ChatMembership,
    Member,
    NativeMode,
    OutboxMessage,
    OutboxStatus,
    Poll,
    PollPost,
    PollStatus,
)
from tests.flows.harness import Harness, person, texts, toasts
from tests.flows.poll_support import (
    ELM,
    OAK,
    add_groups,
    ballots,
    organiser,
    outbox,
    press,
    run_jobs,
    write_poll,
)
from tests.flows.test_account import onboard

BENCH = ("By the lake", "Near the playground", "Under the oak")


async def send_native(harness: Harness, poll_id: int) -> dict[int, str]:
    """Do what the outbox worker does for native copies: send, keep message and poll ids."""
    async with harness.database.unit_of_work() as uow:
        rows = (
            await uow.session.scalars(
                select(OutboxMessage).where(OutboxMessage.batch == f"poll:{poll_id}")
            )
        ).all()
        sent = {row.chat_id: f"tg-{poll_id}-{-row.chat_id}" for row in rows}
        for row in rows:
            await uow.session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == row.id)
                .values(
                    status=OutboxStatus.SENT,
                    message_id=message_id_in(row.chat_id),
                    payload={**row.payload, "receipt": {"poll_id": sent[row.chat_id]}},
                )
            )
        await uow.commit()
    return sent


def message_id_in(chat_id: int) -> int:
    """The message id `send_native` gives the copy in a group."""
    return -chat_id % 1000


async def answer(
    harness: Harness, who: Person, telegram_poll_id: str, *options: int
) -> list[Effect]:
    event = PollAnswered(
        update_id=next(harness.update_ids),
        at=harness.clock.now(),
        chat=Chat(who.user_id, ChatKind.PRIVATE),
        sender=who,
        poll_id=telegram_poll_id,
        option_ids=options,
    )
    return await harness.send(event)


async def counts(
    harness: Harness, telegram_poll_id: str, voter_counts: tuple[int, ...], total: int
) -> list[Effect]:
    event = PollCounted(
        update_id=next(harness.update_ids),
        at=harness.clock.now(),
        chat=Chat(0, ChatKind.CHANNEL),
        sender=None,
        poll_id=telegram_poll_id,
        voter_counts=voter_counts,
        total_voters=total,
        is_closed=False,
    )
    return await harness.send(event)


async def stored_poll(harness: Harness, poll_id: int) -> Poll:
    async with harness.database.unit_of_work() as uow:
        poll = await uow.polls.get(poll_id)
        assert poll is not None
        return poll


async def close(harness: Harness, poll_id: int) -> list[Effect]:
    """Let the one-hour deadline pass and run the closing job."""
    return await run_jobs(harness, 3601)


# --- the wizard -------------------------------------------------------------------------------


async def settings_screen(harness: Harness, kind: str, options: tuple[str, ...]) -> list[Effect]:
    olga = organiser()
    await onboard(harness, olga)
    await harness.command(olga, "newpoll")
    await harness.text(olga, "Where should the new bench go?")
    await press(harness, olga, "pw.kind", kind)
    await harness.text(olga, "\n".join(options))
    return await press(harness, olga, "pw.done")


async def test_the_wizard_offers_telegrams_poll_for_single_and_multiple_choice_only(
    harness: Harness,
) -> None:
    shown = await settings_screen(harness, "single", BENCH)
    assert "Telegram's own poll: off" in str(shown)
    olga = organiser()
    on = await press(harness, olga, "pw.set", "nat")
    assert "Telegram's own poll: on" in str(on)
    assert "everyone in the group can see who voted what" in texts(on)
    # Telegram shows counts to voters or after closing, takes any member's vote: no such rows.
    assert "Results shown: after voting" in str(on) and "Who votes" not in str(on)
    anonymous = await press(harness, olga, "pw.set", "anon")
    assert "gives counts only" in texts(anonymous)
    assert "Results shown: after closing" in str(await press(harness, olga, "pw.set", "vis"))
    assert "Results shown: after voting" in str(await press(harness, olga, "pw.set", "vis"))
    forged = await press(harness, olga, "pw.set", "aud")  # not offered for a native poll
    assert "no longer valid" in texts(forged)

    await harness.command(olga, "newpoll")
    await harness.text(olga, "Rank the benches")
    await press(harness, olga, "pw.kind", "ranked")
    await harness.text(olga, "\n".join(BENCH))
    ranked = await press(harness, olga, "pw.done")
    assert "Telegram's own poll" not in str(ranked)
    assert "no longer valid" in texts(await press(harness, olga, "pw.set", "nat"))


async def test_a_question_too_long_for_telegram_keeps_the_buttons(harness: Harness) -> None:
    olga = organiser()
    await onboard(harness, olga)
    await harness.command(olga, "newpoll")
    await harness.text(olga, "🌳" * 200)  # 200 characters, 400 UTF-16 units for Telegram
    await press(harness, olga, "pw.kind", "single")
    await harness.text(olga, "\n".join(BENCH))
    await press(harness, olga, "pw.done")
    refused = await press(harness, olga, "pw.set", "nat")
    [toast] = toasts(refused)
    assert toast.alert and "up to 300" in toast.text
    assert "Telegram's own poll: off" in str(await press(harness, olga, "pw.set", "quo"))


async def test_publishing_stores_a_native_poll_in_the_outbox(harness: Harness) -> None:
    await add_groups(harness, ELM, OAK)
    poll_id = await write_poll(
        harness, "multiple", BENCH, settings=("nat", "ddl"), chats=(ELM, OAK)
    )
    poll = await stored_poll(harness, poll_id)
    assert poll.native is NativeMode.ANSWERS and poll.max_choices == len(BENCH)
    rows = await outbox(harness, f"poll:{poll_id}")
    assert sorted(row["chat_id"] for row in rows) == sorted([ELM.chat_id, OAK.chat_id])
    native = NativePoll.from_data(rows[0]["poll"])
    assert native.question == "Where should the new bench go?"
    assert native.options == BENCH and native.multiple and not native.anonymous
    assert native.changes_allowed and not native.results_after_close
    assert "Voting closes" in native.description and rows[0]["buttons"] == []


async def test_an_anonymous_native_poll_is_sent_anonymous(harness: Harness) -> None:
    await add_groups(harness, ELM)
    poll_id = await write_poll(harness, "single", BENCH, settings=("nat", "anon", "vis"))
    poll = await stored_poll(harness, poll_id)
    assert poll.native is NativeMode.COUNTS and poll.anonymous
    [row] = await outbox(harness, f"poll:{poll_id}")
    native = NativePoll.from_data(row["poll"])
    assert native.anonymous and native.results_after_close


# --- answers ----------------------------------------------------------------------------------


async def test_answers_become_ballots_one_per_person_across_copies(harness: Harness) -> None:
    await add_groups(harness, ELM, OAK)
    poll_id = await write_poll(harness, "single", BENCH, settings=("nat",), chats=(ELM, OAK))
    ids = await send_native(harness, poll_id)
    ann, bo = person("Ann"), person("Bo")  # neither has started the bot
    assert await answer(harness, ann, ids[ELM.chat_id], 0) == []  # nothing is said to anyone
    await answer(harness, bo, ids[OAK.chat_id], 2)
    assert [b.choices for b in await ballots(harness)] == [["o1"], ["o3"]]
    # The same person answering in the other group changes their one ballot.
    await answer(harness, ann, ids[OAK.chat_id], 1)
    assert [b.choices for b in await ballots(harness)] == [["o2"], ["o3"]]
    # Taking the answer back withdraws the ballot.
    await answer(harness, ann, ids[OAK.chat_id])
    assert [b.choices for b in await ballots(harness)] == [["o3"]]
    async with harness.database.unit_of_work() as uow:
        posts = await uow.polls.posts(poll_id)
        assert {p.native_poll_id for p in posts} == set(ids.values())
        bare = await uow.members.get_by_telegram_id(bo.user_id)
    assert bare is not None and bare.first_name is None  # the row before consent, no name


async def test_multiple_answers_and_no_changes(harness: Harness) -> None:
    await add_groups(harness, ELM, OAK)
    poll_id = await write_poll(
        harness, "multiple", BENCH, settings=("nat", "chg"), chats=(ELM, OAK)
    )
    ids = await send_native(harness, poll_id)
    ann = person("Ann")
    await answer(harness, ann, ids[ELM.chat_id], 2, 0)
    assert [b.choices for b in await ballots(harness)] == [["o1", "o3"]]
    # Telegram keeps the answer in one copy; in the other, the first ballot stands.
    await answer(harness, ann, ids[OAK.chat_id], 1)
    await answer(harness, ann, ids[OAK.chat_id])
    assert [b.choices for b in await ballots(harness)] == [["o1", "o3"]]


async def test_bad_unknown_and_late_answers_change_nothing(harness: Harness) -> None:
    await add_groups(harness, ELM)
    poll_id = await write_poll(harness, "single", BENCH, settings=("nat", "ddl"))
    [telegram_id] = (await send_native(harness, poll_id)).values()
    ann = person("Ann")
    assert await answer(harness, ann, telegram_id, 7) == []  # no such option
    assert await answer(harness, ann, telegram_id, 0, 1) == []  # two in a single choice
    assert await answer(harness, ann, "not-ours", 0) == []
    assert await ballots(harness) == []
    harness.clock.advance(seconds=3600)  # the deadline has passed, the job has not run
    await answer(harness, ann, telegram_id, 0)
    assert await ballots(harness) == []


async def test_a_tap_forged_for_a_native_poll_is_refused(harness: Harness) -> None:
    await add_groups(harness, ELM)
    poll_id = await write_poll(harness, "single", BENCH, settings=("nat",))
    await send_native(harness, poll_id)
    forged = await harness.press(person("Ann"), encode(payload("pl.v", poll_id, "o1")), chat=ELM)
    assert "no longer valid" in texts(forged)
    assert await ballots(harness) == []


async def test_an_answer_before_the_outbox_recorded_the_copy_still_counts(
    harness: Harness,
) -> None:
    # The outbox keeps Telegram's poll id with its row; the copy learns it on the first answer.
    await add_groups(harness, ELM)
    poll_id = await write_poll(harness, "single", BENCH, settings=("nat",))
    [telegram_id] = (await send_native(harness, poll_id)).values()
    async with harness.database.unit_of_work() as uow:
        [post] = (await uow.session.scalars(select(PollPost))).all()
        assert post.native_poll_id is None and post.message_id is None
    await answer(harness, person("Ann"), telegram_id, 1)
    assert [b.choices for b in await ballots(harness)] == [["o2"]]


async def test_a_member_who_answers_is_known_in_that_group(harness: Harness) -> None:
    await add_groups(harness, ELM)
    poll_id = await write_poll(harness, "single", BENCH, settings=("nat",))
    [telegram_id] = (await send_native(harness, poll_id)).values()
    ann = person("Ann")
    await onboard(harness, ann)
    await answer(harness, ann, telegram_id, 0)
    async with harness.database.unit_of_work() as uow:
        member = await uow.members.get_by_telegram_id(ann.user_id)
        assert member is not None
        chats = (
            await uow.session.scalars(
                select(ChatMembership.chat_id).where(ChatMembership.member_id == member.id)
            )
        ).all()
    assert list(chats) == [ELM.chat_id]


# --- closing ----------------------------------------------------------------------------------


async def test_closing_stops_every_copy_and_posts_the_outcome(harness: Harness) -> None:
    await add_groups(harness, ELM, OAK)
    poll_id = await write_poll(harness, "single", BENCH, settings=("nat", "ddl"), chats=(ELM, OAK))
    ids = await send_native(harness, poll_id)
    await answer(harness, person("Ann"), ids[ELM.chat_id], 2)
    await answer(harness, person("Bo"), ids[OAK.chat_id], 2)
    await answer(harness, person("Cy"), ids[OAK.chat_id], 0)
    delivered = await close(harness, poll_id)
    stops = sorted((e.chat_id, e.message_id) for e in delivered if isinstance(e, StopPoll))
    assert stops == sorted((chat.chat_id, message_id_in(chat.chat_id)) for chat in (ELM, OAK))
    assert not [e for e in delivered if type(e).__name__ == "EditMessage"]  # polls are stopped
    assert (await stored_poll(harness, poll_id)).status is PollStatus.CLOSED
    rows = await outbox(harness, f"poll:{poll_id}:end")
    assert len(rows) == 2
    assert "Result: Under the oak" in rows[0]["text"] and "3 people voted" in rows[0]["text"]


async def test_anonymous_counts_add_up_over_copies(harness: Harness) -> None:
    await add_groups(harness, ELM, OAK)
    poll_id = await write_poll(
        harness, "single", BENCH, settings=("nat", "anon", "ddl"), chats=(ELM, OAK)
    )
    ids = await send_native(harness, poll_id)
    # Identified answers never come for a poll Telegram keeps anonymous; one that did is ignored.
    await answer(harness, person("Ann"), ids[ELM.chat_id], 0)
    await counts(harness, ids[ELM.chat_id], (1, 0, 2), 3)
    await counts(harness, ids[OAK.chat_id], (0, 0, 1), 1)
    await counts(harness, ids[ELM.chat_id], (2, 0, 2), 4)  # a later state replaces the earlier
    assert await ballots(harness) == []
    async with harness.database.unit_of_work() as uow:
        assert await uow.session.scalar(select(Member.id).where(Member.first_name == "Ann")) is None
    olga = organiser()
    shown = texts(await harness.command(olga, "pollresults", str(poll_id)))
    assert "Under the oak" in shown and "3 (60%)" in shown and "2 (40%)" in shown
    delivered = await close(harness, poll_id)
    assert len([e for e in delivered if isinstance(e, StopPoll)]) == 2
    [row, _] = await outbox(harness, f"poll:{poll_id}:end")
    assert "Result: Under the oak" in row["text"] and "5 people voted" in row["text"]
    # Counts that arrive after closing change nothing: the outcome is final.
    await counts(harness, ids[OAK.chat_id], (9, 0, 1), 10)
    async with harness.database.unit_of_work() as uow:
        oak = (
            await uow.session.scalars(select(PollPost).where(PollPost.chat_id == OAK.chat_id))
        ).one()
    assert oak.native_counts == [0, 0, 1]


async def test_a_copy_sent_after_closing_is_stopped_when_it_goes_out(harness: Harness) -> None:
    await add_groups(harness, ELM)
    poll_id = await write_poll(harness, "single", BENCH, settings=("nat",))
    closed = await press(harness, organiser(), "pm.close", poll_id)
    assert "Closed" in texts(closed)
    assert not [e for e in closed if isinstance(e, StopPoll)]  # nothing sent yet
    await send_native(harness, poll_id)
    later = await run_jobs(harness)
    assert [(e.chat_id, e.message_id) for e in later if isinstance(e, StopPoll)] == [
        (ELM.chat_id, message_id_in(ELM.chat_id))
    ]


async def test_the_preview_shows_telegrams_poll(harness: Harness) -> None:
    await settings_screen(harness, "multiple", BENCH)
    olga = organiser()
    await press(harness, olga, "pw.set", "nat")
    preview = await press(harness, olga, "pw.preview")
    [shown] = [e for e in preview if isinstance(e, SendMessage) and "📊" in e.text]
    assert "☐ By the lake" in shown.text and shown.buttons == ()


async def test_the_private_ballot_link_of_a_native_poll_points_to_the_group(
    harness: Harness,
) -> None:
    await add_groups(harness, ELM)
    poll_id = await write_poll(harness, "single", BENCH, settings=("nat",))
    ann = person("Ann")
    await onboard(harness, ann)
    shown = await harness.command(ann, "start", f"poll-{poll_id}")
    assert "Please vote in Telegram's poll in the group." in texts(shown)
