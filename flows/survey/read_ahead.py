"""Reading ahead for a batch: the responses its survey answers will work on, in one query.

A busy survey gets many answers at once; the engine decides them in batches (see
`flows/batcher.py`), and each answer starts by loading the person's response with its answers.
Loading them for the whole batch first turns one query per answer into one per batch.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from flows.context import Context
from flows.events import ButtonPressed, CommandReceived, PhotoReceived, TextReceived
from flows.router import Router
from flows.survey.attempt import FLOW
from flows.survey.respondent import respondent_key

SURVEY_BUTTONS = "sv."  # the answering flow's button actions; their first argument is the survey
SURVEY_LINK = "survey-"  # a survey's deep link: /start survey-<id>


def register(router: Router) -> None:
    """Register the read-ahead of survey responses."""
    router.prefetch(read_responses_ahead)


async def read_responses_ahead(contexts: Sequence[Context]) -> None:
    """Read ahead the responses of the people in the batch who are answering a survey."""
    wanted: defaultdict[int, set[str]] = defaultdict(set)
    for ctx in contexts:
        survey_id = _survey_answered(ctx)
        member, sender = ctx.member, ctx.event.sender
        if survey_id is None or member is None or sender is None:
            continue
        survey = await ctx.uow.surveys.get(survey_id)  # kept for the transaction
        if survey is not None:
            key = respondent_key(survey, member, sender.user_id, ctx.config.pseudonym_key)
            wanted[survey.id].add(key)
    for survey_id, respondents in wanted.items():
        if len(respondents) > 1:  # for one, the handler's own query is as cheap
            await contexts[0].uow.responses.read_ahead(survey_id, respondents)


def _survey_answered(ctx: Context) -> int | None:
    """The survey this update answers or opens: by a button, a conversation or a deep link.

    Deep links count because a burst of residents opens a survey together when it is announced.
    """
    event = ctx.event
    if isinstance(event, ButtonPressed):
        value = event.payload
        if value is None or not value.action.startswith(SURVEY_BUTTONS) or not value.args:
            return None
        return _id(value.args[0])
    if isinstance(event, CommandReceived):
        link = event.args.strip()
        if event.command != "start" or not link.startswith(SURVEY_LINK):
            return None
        return _id(link.removeprefix(SURVEY_LINK))
    state = ctx.state
    if isinstance(event, TextReceived | PhotoReceived) and state and state.flow == FLOW:
        survey_id = state.data.get("survey")
        return survey_id if isinstance(survey_id, int) else None
    return None


def _id(raw: str) -> int | None:
    return int(raw) if raw.isdigit() and len(raw) < 19 else None
