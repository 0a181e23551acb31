"""/announce: organisers reach members through the outbox, once each, in their language."""

from __future__ import annotations

from sqlalchemy import select

from admin.topics import add_followable
from storage.models import FollowKind, OutboxMessage
from tests.flows.harness import Harness, person, texts
from tests.flows.test_account import onboard
from tests.flows.test_groups_and_roles import OWNER


async def outbox(harness: Harness) -> list[OutboxMessage]:
    async with harness.database.unit_of_work() as uow:
        return list((await uow.session.scalars(select(OutboxMessage))).all())


async def test_an_organiser_announces_to_the_followers_of_a_topic(harness: Harness) -> None:
    async with harness.database.unit_of_work() as uow:
        await add_followable(uow, FollowKind.TOPIC, "parks", {"en": "Parks"}, harness.clock.now())
        await uow.commit()
    ann, li, stopped, other = person("Ann"), person("Li", "zh-hans"), person("Stu"), person("Oz")
    await onboard(harness, OWNER)
    for who in (ann, stopped):
        await onboard(harness, who)  # follows Parks
    await onboard(harness, li, language="中文")  # follows Parks too
    await harness.command(stopped, "stop")
    async with harness.database.unit_of_work() as uow:
        await add_followable(uow, FollowKind.AREA, "north", {"en": "North"}, harness.clock.now())
        await uow.commit()
    await onboard(harness, other)
    await harness.tap(other, await harness.command(other, "topics"), "✓ Parks")  # Oz unfollows
    harness.outbound.delivered.clear()

    prompt = await harness.command(OWNER, "announce")
    assert "Send me the announcement" in texts(prompt)
    audience = await harness.text(OWNER, "The park reopens on Saturday.")
    assert "Everyone (4)" in str(audience)  # the owner, Ann, Li and Oz; not Stu who stopped
    preview = await harness.tap(OWNER, audience, "Followers of Parks (3)")
    assert "📣 Announcement from Elm Park\n\nThe park reopens on Saturday." in texts(preview)
    assert "Send this to 3 people?" in texts(preview)
    sent = await harness.tap(OWNER, preview, "Send")
    assert "Queued for 3 people" in texts(sent)

    rows = {row.chat_id: row.payload["text"] for row in await outbox(harness)}
    assert set(rows) == {OWNER.user_id, ann.user_id, li.user_id}
    assert rows[ann.user_id].startswith("📣 Announcement from Elm Park")
    assert rows[li.user_id].startswith("📣 来自Elm Park的公告")

    again = await harness.tap(OWNER, preview, "Send")  # a second tap on the old preview
    assert "no longer valid" in texts(again)
    assert len(await outbox(harness)) == 3


async def test_announcing_is_for_organisers_and_bad_drafts_are_refused(harness: Harness) -> None:
    resident = person("Rae")
    await onboard(harness, resident)
    await onboard(harness, OWNER)
    assert "only for organisers" in texts(await harness.command(resident, "announce"))
    assert "only for organisers" in texts(await harness.press(resident, "1:ann.send"))
    assert "no longer valid" in texts(await harness.press(OWNER, "1:ann.send"))  # no draft

    await harness.command(OWNER, "announce")
    too_long = await harness.text(OWNER, "x" * 3801)
    assert "That is 3801 characters; the limit is 3800." in texts(too_long)
    audience = await harness.text(OWNER, "Short and sweet.")
    assert "no longer valid" in texts(await harness.press(OWNER, "1:ann.to:99999"))
    cancelled = await harness.tap(OWNER, audience, "Cancel")
    assert "nothing was sent" in texts(cancelled)
    assert await outbox(harness) == []
    assert "nothing to cancel" in texts(await harness.command(OWNER, "cancel"))
