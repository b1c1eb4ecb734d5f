"""What the console pages read: the queue, a ticket and its transcript, as snapshots that
outlive the database session. Access follows ``service.can_handle``: members see their
team's tickets, admins all of them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import audit
from bot.console.deps import Staff
from bot.console.pages import AUTHORS
from bot.handoff import service
from bot.handoff.metrics import WardFigures, ward_figures
from bot.handoff.models import (
    ACTIVE,
    CLAIMED,
    CLOSED,
    OPEN,
    CannedReply,
    Member,
    Team,
    Ticket,
    TicketMessage,
)
from bot.privacy import mask_pii


@dataclass(frozen=True)
class QueueRow:
    id: int
    ward: str
    channel: str
    reason: str
    question: str
    status: str
    created_at: datetime
    claimer: str | None
    mine: bool


@dataclass(frozen=True)
class Queue:
    waiting: list[QueueRow]  # open: someone has to take them
    in_hand: list[QueueRow]  # claimed
    figures: list[WardFigures]
    wards: list[tuple[str, str]]  # (code, team name) for the admins' filter
    ward: str | None  # the filter applied


def queue(session: Session, staff: Staff, ward: str | None) -> Queue:
    query = select(Ticket).where(Ticket.status.in_(ACTIVE)).order_by(Ticket.created_at.desc())
    if not staff.is_admin:
        query = query.where(Ticket.team_id == staff.team_id)
        ward = None
    elif ward:
        query = query.where(Ticket.ward == ward)
    tickets = session.scalars(query.limit(500)).all()
    names = _member_names(session, {t.claimed_by for t in tickets if t.claimed_by})
    rows = [
        QueueRow(
            id=t.id,
            ward=t.ward,
            channel=t.channel,
            reason=t.reason,
            question=mask_pii(t.question),
            status=t.status,
            created_at=t.created_at,
            claimer=names.get(t.claimed_by) if t.claimed_by else None,
            mine=t.claimed_by == staff.member_id,
        )
        for t in tickets
    ]
    if staff.is_admin:
        figures = ward_figures(session, [ward] if ward else None)
    else:
        figures = ward_figures(session, [staff.ward])
    wards = [(w, n) for w, n in session.execute(select(Team.ward, Team.name).order_by(Team.ward))]
    return Queue(
        waiting=[r for r in rows if r.status == OPEN],
        in_hand=[r for r in rows if r.status == CLAIMED],
        figures=figures,
        wards=wards if staff.is_admin else [],
        ward=ward or None,
    )


@dataclass(frozen=True)
class Line:
    id: int
    kind: str  # resident | assistant | member | note
    author: str
    text: str  # ID and phone numbers masked (bot.privacy)
    created_at: datetime
    revealable: bool = False  # something was masked: a member may reveal it (audited)


@dataclass(frozen=True)
class PastTicket:
    id: int
    ward: str
    channel: str
    reason: str
    status: str
    question: str  # masked
    created_at: datetime
    closed_at: datetime | None
    closer: str | None


@dataclass(frozen=True)
class Canned:
    id: int
    title: str
    text: str


def _past(session: Session, tickets: list[Ticket]) -> list[PastTicket]:
    names = _member_names(session, {t.closed_by for t in tickets})
    return [
        PastTicket(
            t.id,
            t.ward,
            t.channel,
            t.reason,
            t.status,
            mask_pii(t.question),
            t.created_at,
            t.closed_at,
            names.get(t.closed_by),
        )
        for t in tickets
    ]


def _visible_to(query: Any, staff: Staff) -> Any:
    return query if staff.is_admin else query.where(Ticket.team_id == staff.team_id)


def earlier_tickets(session: Session, staff: Staff, ticket: Ticket) -> list[PastTicket]:
    query = (
        select(Ticket)
        .where(
            Ticket.channel == ticket.channel,
            Ticket.user_id == ticket.user_id,
            Ticket.id != ticket.id,
        )
        .order_by(Ticket.created_at.desc())
        .limit(20)
    )
    return _past(session, list(session.scalars(_visible_to(query, staff))))


HISTORY_PAGE = 50


def closed_tickets(
    session: Session, staff: Staff, text: str, ward: str | None, before: int | None
) -> list[PastTicket]:
    """Closed tickets, newest first, ``HISTORY_PAGE`` at a time (``before``: a ticket id,
    for the next page). ``text``: a ticket number, or words of the question."""
    query = select(Ticket).where(Ticket.status == CLOSED)
    text = text.strip().lstrip("#")
    if text.isdigit():
        query = query.where(Ticket.id == int(text))
    elif text:
        for word in text.split()[:6]:
            query = query.where(Ticket.question.ilike(f"%{word[:40]}%"))
    if ward and staff.is_admin:
        query = query.where(Ticket.ward == ward)
    if before:
        query = query.where(Ticket.id < before)
    query = _visible_to(query.order_by(Ticket.id.desc()).limit(HISTORY_PAGE), staff)
    return _past(session, list(session.scalars(query)))


def canned_replies(session: Session, team_id: int | None) -> list[Canned]:
    if team_id is None:
        return []
    rows = session.scalars(
        select(CannedReply).where(CannedReply.team_id == team_id).order_by(CannedReply.title)
    )
    return [Canned(r.id, r.title, r.text) for r in rows]


@dataclass(frozen=True)
class TicketPage:
    id: int
    ward: str
    team_name: str
    channel: str
    reason: str
    question: str
    status: str
    created_at: datetime
    claimed_by: int | None
    claimer: str | None
    closed_at: datetime | None
    closer: str | None
    close_reason: str | None
    lines: list[Line]
    can_reply: bool  # the claimer (or an admin) of a claimed ticket
    earlier: list[PastTicket]  # the same resident's other tickets, newest first
    canned: list[Canned]  # the team's canned replies


def _member_names(session: Session, ids: set[int | None]) -> dict[int | None, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return {m.id: m.name for m in session.scalars(select(Member).where(Member.id.in_(wanted)))}


class Hidden(service.HandoffError):
    """The ticket does not exist (404) or belongs to another team (403)."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


def visible_ticket(session: Session, staff: Staff, ticket_id: int) -> Ticket:
    """The ticket when this member may see it; ``Hidden`` otherwise."""
    ticket = session.get(Ticket, ticket_id)
    if ticket is None:
        raise Hidden(f"Không có yêu cầu #{ticket_id}.", 404)
    member = session.get(Member, staff.member_id)
    if member is None or not service.can_handle(member, ticket):
        raise Hidden(f"Yêu cầu #{ticket_id} thuộc tổ của phường khác.", 403)
    return ticket


def lines(session: Session, ticket_id: int, after_id: int = 0) -> list[Line]:
    messages: list[TicketMessage] = service.transcript(session, ticket_id, after_id)
    names = _member_names(session, {m.member_id for m in messages})
    result = []
    for m in messages:
        if m.kind in ("member", "note"):
            author = names.get(m.member_id, "Thành viên tổ")
        else:
            author = AUTHORS.get(m.kind, m.kind)
        shown = mask_pii(m.text)
        result.append(Line(m.id, m.kind, author, shown, m.created_at, shown != m.text))
    return result


def reveal(session: Session, staff: Staff, ticket_id: int, message_id: int) -> str:
    """The unmasked text of one message of a ticket this member may see; the audit log
    records who revealed which message (Decree 13/2023: access to personal data)."""
    visible_ticket(session, staff, ticket_id)
    message = session.get(TicketMessage, message_id)
    if message is None or message.ticket_id != ticket_id:
        raise Hidden(f"Yêu cầu #{ticket_id} không có tin nhắn này.", 404)
    audit.record(
        session, f"console:{staff.username}", "reveal", f"ticket:{ticket_id}", f"tin {message_id}"
    )
    return message.text


def ticket_page(session: Session, staff: Staff, ticket_id: int) -> TicketPage:
    ticket = visible_ticket(session, staff, ticket_id)
    team = session.get(Team, ticket.team_id) if ticket.team_id else None
    names = _member_names(session, {ticket.claimed_by, ticket.closed_by})
    return TicketPage(
        id=ticket.id,
        ward=ticket.ward,
        team_name=team.name if team else ticket.ward,
        channel=ticket.channel,
        reason=ticket.reason,
        question=mask_pii(ticket.question),
        status=ticket.status,
        created_at=ticket.created_at,
        claimed_by=ticket.claimed_by,
        claimer=names.get(ticket.claimed_by),
        closed_at=ticket.closed_at,
        closer=names.get(ticket.closed_by),
        close_reason=ticket.close_reason,
        lines=lines(session, ticket.id),
        can_reply=ticket.status == CLAIMED
        and (ticket.claimed_by == staff.member_id or staff.is_admin),
        earlier=earlier_tickets(session, staff, ticket),
        canned=canned_replies(session, ticket.team_id),
    )


@dataclass(frozen=True)
class Update:
    """What the ticket page's script polls for."""

    status: str
    claimed_by: int | None
    lines: list[Line]


def update(session: Session, staff: Staff, ticket_id: int, after_id: int) -> Update:
    ticket = visible_ticket(session, staff, ticket_id)
    return Update(ticket.status, ticket.claimed_by, lines(session, ticket.id, after_id))
