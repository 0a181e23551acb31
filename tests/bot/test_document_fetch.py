"""Small documents sent in a private chat are fetched before the engine sees them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bot.frontends.base import DOCUMENT_FETCH_LIMIT, with_content
from bot.telegram_api import BadRequest, Files
from flows.events import Chat, ChatKind, DocumentReceived, Person, TextReceived

ADA = Person(user_id=7, first_name="Ada")


@dataclass
class FileServer:
    """A transport that serves downloads from a dict and counts them."""

    files: dict[str, bytes]
    fetched: list[str] = field(default_factory=list)

    async def call(self, method: str, params: dict[str, Any], files: Files | None = None) -> Any:
        raise AssertionError("no calls expected")

    async def download(self, file_id: str) -> bytes:
        self.fetched.append(file_id)
        if file_id not in self.files:
            raise BadRequest("Bad Request: invalid file_id")
        return self.files[file_id]


def document(file_id: str, size: int | None, chat: Chat | None = None) -> DocumentReceived:
    return DocumentReceived(
        update_id=1,
        at=datetime(2026, 11, 29, tzinfo=UTC),
        chat=chat or Chat(ADA.user_id, ChatKind.PRIVATE),
        sender=ADA,
        file_id=file_id,
        file_name="survey.yaml",
        mime_type="application/yaml",
        file_size=size,
        caption="",
        message_id=3,
    )


async def test_a_small_private_document_arrives_with_its_content() -> None:
    api = FileServer({"F": b"id: x\n"})
    event = await with_content(document("F", 6), api)
    assert isinstance(event, DocumentReceived) and event.content == b"id: x\n"


async def test_big_group_unknown_size_and_failed_documents_arrive_without_content() -> None:
    api = FileServer({"F": b"x" * (DOCUMENT_FETCH_LIMIT + 1), "G": b"small"})
    group = Chat(-100, ChatKind.SUPERGROUP, "Elm")
    for event in (
        document("F", DOCUMENT_FETCH_LIMIT + 1),  # announced as too big: not fetched
        document("G", 5, group),  # groups: not fetched
        document("G", None),  # size unknown: not fetched
        document("F", 10),  # announced small, but too big once fetched
        document("missing", 10),  # the download fails
    ):
        fetched = await with_content(event, api)
        assert isinstance(fetched, DocumentReceived) and fetched.content is None
    assert api.fetched == ["F", "missing"]


async def test_other_events_pass_untouched() -> None:
    text = TextReceived(
        update_id=2,
        at=datetime(2026, 11, 29, tzinfo=UTC),
        chat=Chat(7, ChatKind.PRIVATE),
        sender=ADA,
        text="hi",
        message_id=4,
    )
    assert await with_content(text, FileServer({})) is text
