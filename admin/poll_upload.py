"""A poll from a file: an organiser uploads a definition and continues as in /newpoll.

A good file is shown as the groups will see it, with the wizard's own buttons (Choose groups,
Change settings, Cancel): the poll then waits in the /newpoll conversation, so choosing groups
and publishing are the wizard's steps, unchanged. A bad file gets every problem and nothing is
kept. "Download file" on a card (`pm.file`) sends a poll's definition back.
"""

from __future__ import annotations

from typing import Any

from admin.file_problems import problems_text
from admin.poll_files import followed, parse_poll, wizard_data
from admin.poll_wizard import FLOW as WIZARD
from admin.poll_wizard import PREVIEW_HEADING, say_preview
from admin.survey_files import DefinitionError
from flows.context import Context


async def offer_poll(ctx: Context, name: str, content: bytes) -> None:
    """Check an uploaded poll file; preview it, or list what is wrong with it."""
    try:
        definition = parse_poll(content, name)
        followable = await followed(ctx.uow, definition)
    except DefinitionError as exc:
        ctx.say(problems_text(ctx, name, exc))
        return
    heading = ctx.t("Here is the poll in {name}.", name=name)
    await show_preview(ctx, wizard_data(definition, followable), heading)


async def show_preview(ctx: Context, data: dict[str, Any], heading: str) -> None:
    """Put `data` in the /newpoll conversation at its preview and show the preview.

    The buttons are the wizard's, so what follows (groups, publishing) is the wizard's own.
    """
    await ctx.set_state(WIZARD, "preview", data)
    ctx.say(heading + " " + ctx.t(PREVIEW_HEADING))
    say_preview(ctx, data)
