"""Polls as files: parsing with precise problems, uploading, publishing, downloading, drafts."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from admin.poll_files import (
    PollDefinition,
    draft_poll,
    dump_poll,
    is_poll_file,
    parse_poll,
    poll_definition,
)
from admin.survey_files import DefinitionError
from flows.effects import Effect, SendDocument
from flows.events import DocumentReceived, Person
from flows.poll.kinds import PollKind
from storage.models import (
    FollowKind,
    NativeMode,
    Poll,
    PollAudience,
    PollStatus,
    PollVisibility,
    Survey,
)
from tests.flows.harness import Harness, find_button, person, private, texts
from tests.flows.poll_support import ELM, add_groups, organiser, outbox, press
from tests.flows.test_account import onboard

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"
BENCH = (EXAMPLES / "bench-poll.yaml").read_bytes()


def problems(text: str, filename: str = "poll.yaml") -> list[str]:
    with pytest.raises(DefinitionError) as caught:
        parse_poll(text.encode(), filename)
    return [str(problem) for problem in caught.value.problems]


async def upload(harness: Harness, who: Person, content: bytes, name: str) -> list[Effect]:
    event = DocumentReceived(
        update_id=next(harness.update_ids),
        at=harness.clock.now(),
        chat=private(who),
        sender=who,
        file_id="F1",
        file_name=name,
        mime_type=None,
        file_size=len(content),
        caption="",
        message_id=1,
        content=content,
    )
    return await harness.send(event)


async def polls(harness: Harness) -> list[Poll]:
    async with harness.database.unit_of_work() as uow:
        return list((await uow.session.scalars(select(Poll).order_by(Poll.id))).all())


def test_the_example_reads_with_every_setting_and_round_trips() -> None:
    bench = parse_poll(BENCH, "bench-poll.yaml")
    assert bench.kind is PollKind.SINGLE and len(bench.options) == 3
    settings = bench.settings
    assert settings.results is PollVisibility.AFTER_VOTE and settings.suggestions
    assert (settings.deadline_hours, settings.quorum) == (72, 25)
    dumped = dump_poll(bench)
    assert dumped.decode().startswith("poll:\n  question: Where should the new bench")
    assert parse_poll(dumped, "again.yaml") == bench
    assert is_poll_file(BENCH, "b.yaml")
    assert not is_poll_file((EXAMPLES / "park-renovation.yaml").read_bytes(), "p.yaml")
    assert not is_poll_file(b"poll: [unclosed", "broken.yaml")


def test_json_files_and_fixed_option_kinds() -> None:
    data = {"poll": {"question": "Plant more trees?", "kind": "yes_no"}}
    trees = parse_poll(json.dumps(data).encode(), "trees.json")
    assert trees == PollDefinition(question="Plant more trees?", kind=PollKind.YES_NO)
    assert dump_poll(trees) == b"poll:\n  question: Plant more trees?\n  kind: yes_no\n"


def test_every_problem_is_named_with_its_place_and_line() -> None:
    found = problems(
        """\
poll:
  question: ""
  kind: single
  options:
    - Lake
    - lake
    - "{long}"
  settings:
    quorum: 0
    results: sometimes
    colour: blue
    max_choices: 2
""".replace("{long}", "x" * 101)
    )
    assert found == [
        "field question, line 2: string should have at least 1 character",
        "option 3, line 7: string should have at most 100 characters",
        "settings, field results, line 10: must be one of 'always', 'after_vote' or 'after_close'",
        "settings, field quorum, line 9: input should be greater than or equal to 1",
        "settings, field colour, line 11: unknown field (check the spelling; see the "
        "documentation for the fields)",
    ]
    # Checks across fields come once every field is valid on its own.
    assert problems(
        """\
poll:
  question: Benches?
  kind: single
  options: [Lake, lake]
  settings: {max_choices: 2, points: 5, suggestions: true}
"""
    ) == [
        "option 2, line 4: the option 'lake' is given twice",
        "settings, field max_choices, line 5: only multiple-choice polls have max_choices",
        "settings, field points, line 5: only dot votes have points to share",
    ]
    assert problems("poll:\n  question: Trees?\n  kind: ranked\n  options: [A]\n") == [
        "field options, line 4: a ranked poll needs at least two options"
    ]
    assert problems(
        "poll:\n  question: Trees?\n  kind: sense_check\n  options: [A, B]\n"
        "  settings: {suggestions: true}\n"
    ) == [
        "field options, line 4: a sense_check poll has fixed options (agree, unsure, "
        "concerned): leave them out",
        "settings, field suggestions, line 5: only approval, multiple, single polls take "
        "suggested options",
    ]
    assert problems("poll:\n  kind: podium\n") == [
        "field question, line 1: this field is required",
        "field kind, line 2: must be one of 'single', 'multiple', 'approval', 'yes_no', "
        "'sense_check', 'score', 'dot_vote', 'ranked' or 'meeting_time'",
    ]
    assert problems("poll:\n  question: [unclosed\n") == [
        "line 3: not valid YAML: expected ',' or ']', but got '<stream end>'"
    ]
    assert problems('{"poll": 1,}', "p.json") == [
        "line 1, column 12: not valid JSON: Expecting property name enclosed in double quotes"
    ]
    assert problems("poll: {question: Q, kind: single, options: [A, B]}\nextra: 1\n") == [
        "field extra, line 2: unknown field (check the spelling; see the documentation for "
        "the fields)"
    ]


async def test_an_uploaded_poll_file_previews_and_publishes_like_the_wizard(
    harness: Harness,
) -> None:
    await add_groups(harness, ELM)
    olga = organiser()
    await onboard(harness, olga)
    preview = await upload(harness, olga, BENCH, "bench-poll.yaml")
    shown = texts(preview)
    assert "Here is the poll in bench-poll.yaml." in shown
    assert "📊 Where should the new bench on Elm Street go?" in shown
    assert find_button(preview, "Under the old oak").payload is not None
    chooser = await harness.tap(olga, preview, "Choose groups")
    chooser = await harness.tap(olga, chooser, "Elm Street residents")
    done = await harness.tap(olga, chooser, "Publish")
    assert "is posted in: Elm Street residents" in texts(done)

    [poll] = await polls(harness)
    assert poll.status is PollStatus.OPEN and poll.kind == "single"
    assert [o["text"] for o in poll.options] == [
        "By the lake",
        "Near the playground",
        "Under the old oak",
    ]
    assert poll.visibility is PollVisibility.AFTER_VOTE and poll.quorum == 25
    assert poll.suggestions and poll.audience is PollAudience.GROUPS
    assert poll.closes_at == harness.clock.now() + timedelta(hours=72)
    [message] = await outbox(harness, f"poll:{poll.id}")
    assert message["chat_id"] == ELM.chat_id


async def test_change_settings_from_an_uploaded_preview_goes_back_to_the_wizard(
    harness: Harness,
) -> None:
    olga = organiser()
    await onboard(harness, olga)
    preview = await upload(harness, olga, BENCH, "bench.yml")
    settings = await harness.tap(olga, preview, "Change settings")
    assert "Residents suggest options: on" in str(settings)
    assert "Quorum: 25" in str(settings)
    settings = await harness.tap(olga, settings, "Residents suggest options: on")
    assert "Residents suggest options: off" in str(settings)


async def test_a_bad_poll_file_lists_its_problems_and_keeps_nothing(harness: Harness) -> None:
    olga = organiser()
    await onboard(harness, olga)
    bad = b"poll:\n  question: Trees?\n  kind: yes_no\n  options: [A, B]\n  anonymus: true\n"
    answer = texts(await upload(harness, olga, bad, "trees.yaml"))
    assert answer.startswith("I can't use trees.yaml: there is 1 problem.\n\n")
    assert "• field anonymus, line 5: unknown field" in answer
    assert answer.endswith("Nothing was saved. Please fix the file and send it again.")
    assert await polls(harness) == []
    async with harness.database.unit_of_work() as uow:
        member = await uow.members.get_by_telegram_id(olga.user_id)
        assert member is not None and await uow.states.get(member.id) is None
        assert (await uow.session.scalars(select(Survey))).all() == []


async def test_a_resident_cannot_upload_a_poll(harness: Harness) -> None:
    ann = person("Ann")
    await onboard(harness, ann)
    answer = texts(await upload(harness, ann, BENCH, "bench-poll.yaml"))
    assert answer == "Sorry, I can't use files here. Please write your message as text."
    assert await polls(harness) == []


async def test_a_draft_is_published_from_its_card_and_downloaded_as_a_file(
    harness: Harness,
) -> None:
    await add_groups(harness, ELM)
    olga = organiser()
    await onboard(harness, olga)
    async with harness.database.unit_of_work() as uow:
        draft = await uow.polls.add(
            draft_poll(parse_poll(BENCH, "b.yaml"), None, harness.clock.now())
        )
        await uow.commit()
    harness.clock.advance(hours=5)  # the deadline counts from publishing, not from saving
    cards = await harness.command(olga, "polls")
    assert f"Poll {draft.id}: Where should the new bench" in texts(cards)
    assert "draft" in texts(cards)
    with pytest.raises(AssertionError):
        find_button(cards, "Results")  # a draft has none yet
    downloaded = await harness.tap(olga, cards, "Download file")
    [document] = [e for e in downloaded if isinstance(e, SendDocument)]
    assert document.filename == f"poll-{draft.id}.yaml"
    assert parse_poll(document.content, document.filename) == parse_poll(BENCH, "b.yaml")

    preview = await harness.tap(olga, cards, "Publish")
    assert f"Draft poll {draft.id}." in texts(preview)
    chooser = await harness.tap(olga, preview, "Choose groups")
    chooser = await harness.tap(olga, chooser, "Elm Street residents")
    await harness.tap(olga, chooser, "Publish")
    _, posted = await polls(harness)
    assert posted.status is PollStatus.OPEN and posted.suggestions
    assert posted.closes_at == harness.clock.now() + timedelta(hours=72)
    assert poll_definition(posted) == parse_poll(BENCH, "b.yaml")
    assert "no longer valid" in texts(await press(harness, olga, "pm.pub", posted.id))


async def test_an_open_polls_file_keeps_its_deadline_and_fixed_options(harness: Harness) -> None:
    await add_groups(harness, ELM)
    olga = organiser()
    await onboard(harness, olga)
    trees = b"poll:\n  question: Trees?\n  kind: yes_no\n  settings:\n    deadline_hours: 24\n"
    preview = await upload(harness, olga, trees, "trees.yaml")
    chooser = await harness.tap(olga, preview, "Choose groups")
    chooser = await harness.tap(olga, chooser, "Elm Street residents")
    await harness.tap(olga, chooser, "Publish")
    [poll] = await polls(harness)
    assert poll_definition(poll) == parse_poll(trees, "trees.yaml")
    assert [o["id"] for o in poll.options] == ["yes", "no", "abstain"]


async def test_a_file_can_ask_for_telegrams_own_poll(harness: Harness) -> None:
    await add_groups(harness, ELM)
    olga = organiser()
    await onboard(harness, olga)
    native = (
        b"poll:\n  question: Benches?\n  kind: multiple\n  options: [Lake, Oak, Gate]\n"
        b"  settings:\n    results: after_vote\n    telegram_poll: true\n"
    )
    preview = await upload(harness, olga, native, "native.yaml")
    chooser = await harness.tap(olga, preview, "Choose groups")
    chooser = await harness.tap(olga, chooser, "Elm Street residents")
    await harness.tap(olga, chooser, "Publish")
    [poll] = await polls(harness)
    assert poll.native is NativeMode.ANSWERS and poll.max_choices == 3
    assert poll_definition(poll) == parse_poll(native, "native.yaml")
    assert problems(
        "poll:\n  question: Q?\n  kind: ranked\n  options: [A, B]\n"
        "  settings: {telegram_poll: true, who_votes: everyone}\n"
    ) == [
        "settings, field telegram_poll, line 5: only single and multiple polls can be "
        "Telegram's own poll",
        "settings, field telegram_poll, line 5: Telegram shows the counts only after voting or "
        "after closing: give results: after_vote or after_close",
        "settings, field telegram_poll, line 5: Telegram's own poll is voted by its groups' "
        "members only",
    ]


async def test_followers_of_a_topic_are_named_by_its_slug(harness: Harness) -> None:
    await add_groups(harness, ELM)
    olga = organiser()
    await onboard(harness, olga)
    async with harness.database.unit_of_work() as uow:
        parks = await uow.followables.add(
            FollowKind.TOPIC, "parks", {"en": "Parks"}, harness.clock.now()
        )
        await uow.followables.add(FollowKind.AREA, "north", {"en": "North"}, harness.clock.now())
        await uow.followables.add(FollowKind.TOPIC, "north", {"en": "North"}, harness.clock.now())
        await uow.commit()
    base = "poll:\n  question: Benches?\n  kind: single\n  options: [Lake, Oak]\n  settings:\n"
    followers = (base + "    who_votes: followers\n    followers_of: parks\n").encode()
    preview = await upload(harness, olga, followers, "f.yaml")
    chooser = await harness.tap(olga, preview, "Choose groups")
    chooser = await harness.tap(olga, chooser, "Elm Street residents")
    await harness.tap(olga, chooser, "Publish")
    [poll] = await polls(harness)
    assert poll.audience is PollAudience.FOLLOWERS and poll.followable_id == parks.id
    cards = await harness.command(olga, "polls")
    [document] = [
        e for e in await harness.tap(olga, cards, "Download file") if isinstance(e, SendDocument)
    ]
    assert parse_poll(document.content, "f.yaml") == parse_poll(followers, "f.yaml")

    for followers_of, problem in (
        ("gardens", "there is no topic or area 'gardens' (townsquare topics list shows them)"),
        ("north", "a topic and an area are both called 'north': write topic:north or area:north"),
    ):
        text = base + f"    who_votes: followers\n    followers_of: {followers_of}\n"
        answer = texts(await upload(harness, olga, text.encode(), "f.yaml"))
        assert f"• settings, field followers_of: {problem}" in answer
    area = base + "    who_votes: followers\n    followers_of: area:north\n"
    assert "Here is the poll" in texts(await upload(harness, olga, area.encode(), "f.yaml"))
    assert problems(base + "    who_votes: followers\n") == [
        "settings, field who_votes, line 6: followers need followers_of: the slug of a topic "
        "or area"
    ]
    assert problems(base + "    followers_of: parks\n") == [
        "settings, field followers_of, line 6: is only for who_votes: followers"
    ]
