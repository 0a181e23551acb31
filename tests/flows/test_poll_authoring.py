"""Writing a poll with /newpoll, posting it in groups, and managing it from /polls."""

from __future__ import annotations

from sqlalchemy import select

from flows.codec import encode, payload
from flows.effects import SendDocument, SendMessage, SendPhoto
from storage.models import Poll, PollPost, PollStatus, ScheduledJob
from tests.flows.harness import Harness, find_button, person, texts, toasts
from tests.flows.poll_support import (
    ELM,
    OAK,
    add_groups,
    organiser,
    outbox,
    press,
    write_poll,
)
from tests.flows.test_account import onboard


async def test_an_organiser_writes_previews_and_posts_a_poll_in_two_groups(
    harness: Harness,
) -> None:
    await add_groups(harness, ELM, OAK)
    olga = organiser()
    await onboard(harness, olga)
    asked = await harness.command(olga, "newpoll")
    assert "What is the question?" in texts(asked)
    kinds = await harness.text(olga, "Where should the new bench go?")
    options = await harness.tap(olga, kinds, "Single choice")
    assert "Send the options" in texts(options)
    await harness.text(olga, "By the lake\nNear the playground")
    listed = await harness.text(olga, "Under the oak")
    assert "3. Under the oak" in texts(listed)
    settings = await harness.tap(olga, listed, "Done")
    settings = await harness.tap(olga, settings, "Anonymous: off")
    assert "Anonymous: on" in str(settings)
    settings = await harness.tap(olga, settings, "Results shown: always")
    assert "Results shown: after voting" in str(settings)
    preview = await harness.tap(olga, settings, "Preview")
    shown = texts(preview)
    assert "Where should the new bench go?" in shown and "anonymous" in shown
    assert find_button(preview, "Near the playground").payload is not None
    chooser = await harness.tap(olga, preview, "Choose groups")
    chooser = await harness.tap(olga, chooser, "Elm Street residents")
    chooser = await harness.tap(olga, chooser, "Oak Road residents")
    assert "✅ Oak Road residents" in str(chooser)
    done = await harness.tap(olga, chooser, "Publish")
    assert "is posted in: Elm Street residents, Oak Road residents" in texts(done)

    async with harness.database.unit_of_work() as uow:
        [poll] = (await uow.session.scalars(select(Poll))).all()
        posts = (await uow.session.scalars(select(PollPost))).all()
    assert poll.status is PollStatus.OPEN and poll.anonymous and poll.kind == "single"
    assert [o["text"] for o in poll.options] == [
        "By the lake",
        "Near the playground",
        "Under the oak",
    ]
    assert sorted(p.chat_id for p in posts) == sorted([ELM.chat_id, OAK.chat_id])
    sent = await outbox(harness, f"poll:{poll.id}")
    assert sorted(m["chat_id"] for m in sent) == sorted([ELM.chat_id, OAK.chat_id])
    assert all("Where should the new bench go?" in m["text"] for m in sent)
    assert [b[0]["text"] for b in sent[0]["buttons"]] == [
        "By the lake",
        "Near the playground",
        "Under the oak",
    ]


async def test_yes_no_polls_have_their_options_written_for_them(harness: Harness) -> None:
    await add_groups(harness, ELM)
    poll_id = await write_poll(harness, "yes_no", question="Plant more trees?")
    [message] = await outbox(harness, f"poll:{poll_id}")
    assert [row[0]["text"] for row in message["buttons"]] == ["Yes", "No", "Abstain"]


async def test_a_private_chat_kind_gets_a_vote_link_in_the_group(harness: Harness) -> None:
    await add_groups(harness, ELM)
    poll_id = await write_poll(harness, "ranked", ("Lake", "Oak", "Gate"))
    [message] = await outbox(harness, f"poll:{poll_id}")
    [[vote], [link]] = message["buttons"]
    assert (vote["text"], vote["data"]) == ("Vote", f"1:pl.go:{poll_id}")
    assert link["url"] == f"https://t.me/townsquare_test_bot?start=poll-{poll_id}"


async def test_a_deadline_schedules_the_closing(harness: Harness) -> None:
    await add_groups(harness, ELM)
    poll_id = await write_poll(harness, "yes_no", settings=("ddl", "ddl"))  # one day
    async with harness.database.unit_of_work() as uow:
        poll = await uow.polls.get(poll_id)
        jobs = (await uow.session.scalars(select(ScheduledJob).order_by(ScheduledJob.kind))).all()
    assert poll is not None and poll.closes_at is not None
    [job, reminder] = jobs
    assert (job.kind, job.key, job.due_at) == ("poll.close", str(poll_id), poll.closes_at)
    assert (reminder.kind, reminder.key) == ("poll.remind", str(poll_id))
    assert (poll.closes_at - harness.clock.now()).total_seconds() == 24 * 3600


async def test_residents_cannot_write_polls_where_no_group_allows_it(harness: Harness) -> None:
    ann = person("Ann")
    await onboard(harness, ann)
    refused = texts(await harness.command(ann, "newpoll"))
    assert "only in groups where an organiser has allowed it" in refused
    assert "no longer valid" in texts(await press(harness, ann, "pw.kind", "single"))


async def test_buttons_of_an_ended_wizard_change_nothing(harness: Harness) -> None:
    await add_groups(harness, ELM)
    olga = organiser()
    await onboard(harness, olga)
    await harness.command(olga, "newpoll")
    await harness.text(olga, "Benches?")
    await harness.command(olga, "cancel")
    stale = await press(harness, olga, "pw.kind", "single")
    assert "no longer valid" in texts(stale)
    forged = await press(harness, olga, "pw.kind", "no_such_kind")
    assert "no longer valid" in texts(forged)
    async with harness.database.unit_of_work() as uow:
        assert (await uow.session.scalars(select(Poll))).all() == []


async def test_only_organisers_and_the_creator_manage_a_poll(harness: Harness) -> None:
    await add_groups(harness, ELM)
    poll_id = await write_poll(harness, "yes_no")
    olga = organiser()
    cards = await harness.command(olga, "polls")
    assert f"Poll {poll_id}: Where should the new bench go?" in texts(cards)
    assert find_button(cards, "Close") and find_button(cards, "Results")

    mo = person("Mo")
    await onboard(harness, mo)
    async with harness.database.unit_of_work() as uow:
        member = await uow.members.get_by_telegram_id(mo.user_id)
        assert member is not None
        member.role = "moderator"  # type: ignore[assignment]
        await uow.commit()
    assert "There are no polls yet" in texts(await harness.command(mo, "polls"))
    refused = await press(harness, mo, "pm.close", poll_id)
    assert toasts(refused)[0].alert and "only for organisers" in texts(refused)
    assert "only for organisers" in texts(await harness.command(mo, "pollresults", str(poll_id)))
    async with harness.database.unit_of_work() as uow:
        poll = await uow.polls.get(poll_id)
        assert poll is not None and poll.status is PollStatus.OPEN

    closed = await press(harness, olga, "pm.close", poll_id)
    assert "Closed." in texts(closed)
    again = await press(harness, olga, "pm.close", poll_id)
    assert "already closed" in texts(again)
    [outcome] = await outbox(harness, f"poll:{poll_id}:end")
    assert outcome["chat_id"] == ELM.chat_id and "The poll has closed" in outcome["text"]
    assert not any(isinstance(e, SendMessage) and e.chat_id == ELM.chat_id for e in closed)


async def test_management_buttons_pressed_in_a_group_show_nothing_there(harness: Harness) -> None:
    await add_groups(harness, ELM)
    poll_id = await write_poll(harness, "yes_no")
    olga = organiser()
    assert "no longer valid" in texts(await press(harness, olga, "pm.close", 10**15))
    for action in ("pm.res", "pm.close", "pm.anon1"):
        effects = await harness.press(olga, encode(payload(action, poll_id)), chat=ELM)
        assert "no longer valid" in texts(effects)
        assert not any(isinstance(e, SendPhoto | SendDocument | SendMessage) for e in effects)
    async with harness.database.unit_of_work() as uow:
        poll = await uow.polls.get(poll_id)
        assert poll is not None and poll.status is PollStatus.OPEN and not poll.anonymous
    link = await harness.command(olga, "start", "poll-" + "9" * 30)
    assert "not valid" in texts(link)
