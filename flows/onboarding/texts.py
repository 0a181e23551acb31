"""Texts used by more than one onboarding module (marked for translation, translated when shown)."""

from __future__ import annotations

from flows.context import Context
from flows.i18n import N_

PRIVACY_NOTICE = N_(
    "How {community} handles your data\n"
    "\n"
    "What we store: your Telegram id, name and username, your language, the topics and areas "
    "you follow, the groups of ours you are in, and what you send us (answers, votes, questions, "
    "feedback). Anonymous answers and votes are stored without any link to you.\n"
    "\n"
    "Why: to send you the consultations you follow, to count every voice once, and to tell you "
    "what came of your input.\n"
    "\n"
    "For how long: until you erase it. /mydata shows everything we hold about you; /forget "
    "erases it at once (anonymous totals you contributed to remain, without you in them).\n"
    "\n"
    "We never sell or share your data, and we only write to you about this community."
)

WELCOME = N_(
    "Welcome to {community}!\n"
    "\n"
    "Through this bot the people who serve our community consult you: surveys, polls, events, "
    "questions at town halls and your feedback, in your own language.\n"
    "\n"
    "First, which language would you like?"
)

TOPICS_PROMPT = N_(
    "What would you like to hear about? Tap a topic or an area to follow it, tap again to "
    "unfollow. You can change this any time with /topics."
)

DONE = N_("Done")
EXPIRED_OPTION = N_("That option is no longer available.")


def privacy_notice(ctx: Context) -> str:
    """The privacy notice in the sender's language."""
    return ctx.t(PRIVACY_NOTICE, community=ctx.config.community_name)
