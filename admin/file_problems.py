"""How the problems of an uploaded survey or poll file are told to the organiser."""

from __future__ import annotations

from admin.survey_files import DefinitionError
from flows.context import Context

MAX_PROBLEMS_SHOWN = 20  # a file with more gets the first ones and a count of the rest


def problems_text(ctx: Context, name: str, error: DefinitionError) -> str:
    """Every problem in the file `name` (up to a limit), and that nothing was kept."""
    problems = error.problems
    lines = [f"• {problem}" for problem in problems[:MAX_PROBLEMS_SHOWN]]
    if len(problems) > MAX_PROBLEMS_SHOWN:
        lines.append(ctx.t("… and {count} more.", count=len(problems) - MAX_PROBLEMS_SHOWN))
    heading = ctx.t.plural(
        "I can't use {name}: there is {count} problem.",
        "I can't use {name}: there are {count} problems.",
        len(problems),
        name=name,
    )
    footer = ctx.t("Nothing was saved. Please fix the file and send it again.")
    return heading + "\n\n" + "\n".join(lines) + "\n\n" + footer
