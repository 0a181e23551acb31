"""A local Telegram Bot API server for tests and for trying the bot by hand.

Speaks the subset of the Bot API Townsquare uses, with Telegram's JSON shapes, limits and error
texts, so aiogram and python-telegram-bot run against it unmodified. A :class:`World` holds the
state and lets a test act as many people at once.
"""

from bot.emulator.errors import ApiError
from bot.emulator.faults import Fault, Faults, RateLimiter
from bot.emulator.models import BotIdentity, CallbackAnswer, CallRecord, Group, User
from bot.emulator.server import RunningEmulator, build_app, serve_forever, start_emulator
from bot.emulator.views import Button, ChatMessage
from bot.emulator.world import World

__all__ = [
    "ApiError",
    "BotIdentity",
    "Button",
    "CallRecord",
    "CallbackAnswer",
    "ChatMessage",
    "Fault",
    "Faults",
    "Group",
    "RateLimiter",
    "RunningEmulator",
    "User",
    "World",
    "build_app",
    "serve_forever",
    "start_emulator",
]
