"""A ticket as the desk, the team channel and the console pass it around: a snapshot,
safe outside the database session."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.handoff.models import Member, Team, Ticket


@dataclass(frozen=True)
class TicketInfo:
    """A ticket as the team sees it (a snapshot: safe outside the database session)."""

    id: int
    ward: str
    team_name: str
    team_chat: str | None
    hours: str
    channel: str
    user_id: str
    status: str
    reason: str
    question: str
    created_at: datetime
    claimer: str | None


def info(session: Any, ticket: Ticket) -> TicketInfo:
    team = session.get(Team, ticket.team_id) if ticket.team_id else None
    claimer = session.get(Member, ticket.claimed_by) if ticket.claimed_by else None
    return TicketInfo(
        id=ticket.id,
        ward=ticket.ward,
        team_name=team.name if team else "tổ hỗ trợ",
        team_chat=team.telegram_chat_id if team else None,
        hours=team.hours if team else "",
        channel=ticket.channel,
        user_id=ticket.user_id,
        status=ticket.status,
        reason=ticket.reason,
        question=ticket.question,
        created_at=ticket.created_at,
        claimer=claimer.name if claimer else None,
    )
