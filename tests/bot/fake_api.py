"""A scripted `BotApi`: records every call and raises planned errors."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.telegram_api import ApiError, Files


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    files: Files | None


@dataclass
class FakeApi:
    calls: list[Call] = field(default_factory=list)
    failures: list[tuple[str, ApiError]] = field(default_factory=list)

    def fail(self, method: str, error: ApiError, times: int = 1) -> None:
        self.failures.extend([(method, error)] * times)

    async def call(self, method: str, params: dict[str, Any], files: Files | None = None) -> Any:
        self.calls.append(Call(method, params, files))
        for index, (failing, error) in enumerate(self.failures):
            if failing == method:
                del self.failures[index]
                raise error
        return {"message_id": len(self.calls)} if method.startswith("send") else True

    def methods(self) -> list[str]:
        return [c.method for c in self.calls]
