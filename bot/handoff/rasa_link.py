"""How the desk tells Rasa about a handoff: paused when a ticket opens (Rasa stays quiet
while a person has the conversation), resumed from a clean state when it ends — and again
at the desk's next pass for a ticket that closed while Rasa was down."""

from __future__ import annotations

import logging
from typing import Any, Protocol

from sqlalchemy import select

from bot.conversation.dispatcher import sender_id
from bot.conversation.rasa_client import RasaUnavailable
from bot.db import in_session
from bot.db.base import utcnow
from bot.handoff import notices, service
from bot.handoff.models import CLOSED, Member, Ticket
from bot.slots import HANDOFF_TICKET, KB_UNSURE_STREAK, REQUESTED_SLOT

logger = logging.getLogger(__name__)

# What a resumed conversation starts from: no form half filled, no ticket, no unsure streak.
RESET_SLOTS: dict[str, Any] = {REQUESTED_SLOT: None, HANDOFF_TICKET: None, KB_UNSURE_STREAK: 0.0}


class RasaEvents(Protocol):
    """What the link needs of Rasa (bot.conversation.rasa_client.RasaClient)."""

    async def append_events(self, conversation_id: str, events: list[dict[str, Any]]) -> None: ...


class RasaLink:
    def __init__(self, rasa: RasaEvents) -> None:
        self._rasa = rasa

    async def pause(self, channel: str, user_id: str, ticket_id: int) -> None:
        events = [
            {"event": "slot", "name": HANDOFF_TICKET, "value": str(ticket_id)},
            {"event": "pause"},
        ]
        await self._tell(channel, user_id, events)

    async def resume(self, channel: str, user_id: str) -> None:
        """Tell Rasa the handoff ended, so the dialogue goes on from a clean state."""
        last = await in_session(closed_unresumed, channel, user_id)
        if last is None:
            return
        ticket_id, said = last
        events: list[dict[str, Any]] = [
            {"event": "resume"},
            {"event": "active_loop", "name": None},
            *({"event": "slot", "name": k, "value": v} for k, v in RESET_SLOTS.items()),
            {"event": "bot", "text": said, "metadata": {HANDOFF_TICKET: ticket_id}},
        ]
        if await self._tell(channel, user_id, events):
            await in_session(_mark_resumed, ticket_id)

    async def resume_missed(self) -> None:
        """Resume conversations whose ticket closed while Rasa was down."""
        for channel, user_id in await in_session(_unresumed):
            await self.resume(channel, user_id)

    async def _tell(self, channel: str, user_id: str, events: list[dict[str, Any]]) -> bool:
        try:
            await self._rasa.append_events(sender_id(channel, user_id), events)
            return True
        except RasaUnavailable as exc:
            logger.warning("Rasa not told about the handoff of %s:%s: %s", channel, user_id, exc)
            return False


# -- database steps (each runs in one transaction) --------------------------------------------


def _unresumed(session: Any) -> list[tuple[str, str]]:
    rows = session.execute(
        select(Ticket.channel, Ticket.user_id)
        .where(Ticket.status == CLOSED, Ticket.rasa_resumed_at.is_(None))
        .limit(50)
    ).all()
    return [(c, u) for c, u in rows]


def closed_unresumed(session: Any, channel: str, user_id: str) -> tuple[int, str] | None:
    ticket = session.scalar(
        select(Ticket)
        .where(
            Ticket.channel == channel,
            Ticket.user_id == user_id,
            Ticket.status == CLOSED,
            Ticket.rasa_resumed_at.is_(None),
        )
        .order_by(Ticket.id.desc())
        .limit(1)
    )
    if ticket is None:
        return None
    if ticket.close_reason == "resident_cancelled":
        return ticket.id, notices.CANCELLED
    closer = session.get(Member, ticket.closed_by) if ticket.closed_by else None
    return ticket.id, notices.closed(closer.name if closer else None)


def _mark_resumed(session: Any, ticket_id: int) -> None:
    # Every closed ticket of this conversation: one resume covers them all.
    ticket = service.get_ticket(session, ticket_id)
    for older in session.scalars(
        select(Ticket).where(
            Ticket.channel == ticket.channel,
            Ticket.user_id == ticket.user_id,
            Ticket.status == CLOSED,
            Ticket.rasa_resumed_at.is_(None),
        )
    ):
        older.rasa_resumed_at = utcnow()
