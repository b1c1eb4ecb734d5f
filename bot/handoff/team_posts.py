"""The desk's posts in the teams' groups (Telegram): announcements of new tickets, the
residents' messages relayed, members' replies, claims, closings and reminders.

Announcements and relays are made by the desk's loop only (``post_pending``), from what
the database says is not posted yet, and marked once the platform accepted them: one
poster, in order, each post once, retried when refused. A resident's request never waits
for a group (Telegram allows about 20 bot posts a minute per group).
"""

from __future__ import annotations

import logging
from collections.abc import Coroutine
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import select

from bot.db import in_session
from bot.db.base import utcnow
from bot.handoff import service
from bot.handoff.models import ACTIVE, ASSISTANT, OPEN, RESIDENT, Ticket, TicketMessage
from bot.handoff.tickets import TicketInfo, info

logger = logging.getLogger(__name__)


class TeamChannel(Protocol):
    """Where a team hears about tickets (the Telegram team group). Each method returns
    False when the platform refused, so the desk retries later."""

    async def announce(self, ticket: TicketInfo, context: list[tuple[str, str]]) -> bool: ...

    async def relay_resident(self, ticket: TicketInfo, text: str) -> bool: ...

    async def relay_member(self, ticket: TicketInfo, member_name: str, text: str) -> None: ...

    async def taken(self, ticket: TicketInfo, member_name: str) -> None: ...

    async def closed(self, ticket: TicketInfo, summary: str) -> None: ...

    async def notice(self, ticket: TicketInfo, text: str) -> None: ...


class TeamPosts:
    """What the desk posts; nothing when no team channel is configured (the console only)."""

    def __init__(self, team: TeamChannel | None) -> None:
        self.team = team

    async def post_pending(self) -> None:
        """Announce what is not announced yet, then relay what is not relayed, in order."""
        if self.team is None:
            return
        for ticket in await in_session(_unannounced):
            await self.announce(ticket, await in_session(_context, ticket.id))
        for ticket, message_id, text in await in_session(_unrelayed, utcnow()):
            await self._relay(ticket, message_id, text)

    async def announce(self, ticket: TicketInfo, context: list[tuple[str, str]]) -> None:
        if (  # no team group: the console shows it
            self.team is not None
            and ticket.team_chat
            and await _accepted(self.team.announce(ticket, context), ticket)
        ):
            await in_session(_mark_announced, ticket.id)

    async def _relay(self, ticket: TicketInfo, message_id: int, text: str) -> None:
        if (
            self.team is not None
            and ticket.team_chat
            and await _accepted(self.team.relay_resident(ticket, text), ticket)
        ):
            await in_session(_mark_relayed, message_id)

    async def member_replied(self, ticket: TicketInfo, member_name: str, text: str) -> None:
        if self.team is not None:
            await self.team.relay_member(ticket, member_name, text)

    async def taken(self, ticket: TicketInfo, member_name: str) -> None:
        if self.team is not None:
            await self.team.taken(ticket, member_name)

    async def closed(self, ticket: TicketInfo, summary: str) -> None:
        if self.team is not None:
            await self.team.closed(ticket, summary)

    async def notice(self, ticket: TicketInfo, text: str) -> None:
        if self.team is not None:
            await self.team.notice(ticket, text)


async def _accepted(post: Coroutine[Any, Any, bool], ticket: TicketInfo) -> bool:
    """Whether the platform took the post; a failure is logged and tried again at the
    next pass (the post is not marked)."""
    try:
        return await post
    except Exception:
        logger.exception("could not post about ticket %s", ticket.id)
        return False


# -- database steps (each runs in one transaction) --------------------------------------------


def _unannounced(session: Any) -> list[TicketInfo]:
    tickets = session.scalars(
        select(Ticket).where(Ticket.status == OPEN, Ticket.announced_at.is_(None)).limit(50)
    ).all()
    return [info(session, t) for t in tickets]


def _context(session: Any, ticket_id: int) -> list[tuple[str, str]]:
    rows = service.transcript(session, ticket_id)
    return [(m.kind, m.text) for m in rows if m.kind in (RESIDENT, ASSISTANT)][-6:]


def _unrelayed(session: Any, older_than: datetime) -> list[tuple[TicketInfo, int, str]]:
    rows = session.execute(
        select(TicketMessage, Ticket)
        .join(Ticket, Ticket.id == TicketMessage.ticket_id)
        .where(
            TicketMessage.kind == RESIDENT,
            TicketMessage.relayed_at.is_(None),
            TicketMessage.created_at < older_than,
            Ticket.status.in_(ACTIVE),
        )
        .order_by(TicketMessage.id)
        .limit(100)
    ).all()
    return [(info(session, t), m.id, m.text) for m, t in rows]


def _mark_announced(session: Any, ticket_id: int) -> None:
    service.get_ticket(session, ticket_id).announced_at = utcnow()


def _mark_relayed(session: Any, message_id: int) -> None:
    message = session.get(TicketMessage, message_id)
    if message is not None:
        message.relayed_at = utcnow()
