"""Tickets and teams in the database: the rules of the handoff, free of any channel.

Every function takes the caller's session (one transaction per team action) and writes
an audit event for what people do. Claims are decided by the database: the update only
succeeds while the ticket is still open, so of two members pressing at once exactly one
wins.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.audit import record
from bot.db.base import affected, utcnow
from bot.handoff.hours import parse_hours
from bot.handoff.models import (
    ACTIVE,
    CLAIMED,
    CLOSED,
    OPEN,
    Member,
    Team,
    Ticket,
    TicketMessage,
)
from bot.ratelimit import within

# Editors also keep the knowledge articles (console "Bài viết"); admins do everything.
ROLES = ("member", "editor", "admin")
REASONS = ("asked", "kb_unsure", "feedback")


class HandoffError(Exception):
    """A team action that cannot be done; the message (Vietnamese) says why."""


@dataclass(frozen=True)
class ClaimResult:
    won: bool
    ticket: Ticket
    holder: Member | None  # who has the ticket now


# -- teams and members ---------------------------------------------------------------------


def add_team(
    session: Session, ward: str, name: str, hours: str, telegram_chat_id: str | None = None
) -> Team:
    parse_hours(hours)  # refuse a spec residents would be told wrongly
    if session.scalar(select(Team).where(Team.ward == ward)) is not None:
        raise HandoffError(f"Phường '{ward}' đã có tổ; dùng lệnh sửa tổ thay vì thêm mới.")
    team = Team(ward=ward, name=name, hours=hours, telegram_chat_id=telegram_chat_id or None)
    session.add(team)
    session.flush()
    record(session, "system", "team_added", f"team:{team.id}", f"ward={ward}")
    return team


def update_team(
    session: Session,
    ward: str,
    *,
    name: str | None = None,
    hours: str | None = None,
    telegram_chat_id: str | None = None,
) -> Team:
    team = team_by_ward(session, ward)
    if name:
        team.name = name
    if hours:
        parse_hours(hours)
        team.hours = hours
    if telegram_chat_id is not None:
        team.telegram_chat_id = telegram_chat_id or None
    record(session, "system", "team_changed", f"team:{team.id}")
    return team


def team_by_ward(session: Session, ward: str) -> Team:
    team = session.scalar(select(Team).where(Team.ward == ward))
    if team is None:
        raise HandoffError(f"Chưa có tổ nào cho phường '{ward}'. Thêm bằng: team add {ward} ...")
    return team


def team_for_resident(session: Session, ward: str | None) -> Team | None:
    """The team of the resident's ward; the first team when the ward has none (a
    deployment for one ward needs no ward codes at all)."""
    if ward:
        team = session.scalar(select(Team).where(Team.ward == ward))
        if team is not None:
            return team
    return session.scalar(select(Team).order_by(Team.id).limit(1))


def add_member(
    session: Session,
    ward: str,
    name: str,
    *,
    username: str | None = None,
    password_hash: str | None = None,
    role: str = "member",
    telegram: str | None = None,
) -> Member:
    if role not in ROLES:
        raise HandoffError(f"Vai trò '{role}' không có; chọn một trong: {', '.join(ROLES)}.")
    if username and session.scalar(select(Member).where(Member.username == username)):
        raise HandoffError(f"Tên đăng nhập '{username}' đã có người dùng.")
    if not username and not telegram:
        raise HandoffError("Thành viên cần tên đăng nhập (console) hoặc tài khoản Telegram.")
    team = team_by_ward(session, ward)
    member = Member(
        team_id=team.id,
        name=name,
        username=username or None,
        password_hash=password_hash,
        role=role,
        telegram=_normalise_telegram(telegram),
    )
    session.add(member)
    session.flush()
    record(session, "system", "member_added", f"member:{member.id}", f"team:{team.id} role={role}")
    return member


def find_member(session: Session, identifier: str) -> Member:
    """A member by console login, Telegram id or @username, or "#<member id>"."""
    identifier = identifier.strip()
    if identifier.startswith("#") and identifier[1:].isdigit():
        found = session.get(Member, int(identifier[1:]))
    else:
        found = session.scalar(
            select(Member).where(
                (Member.username == identifier)
                | (Member.telegram == _normalise_telegram(identifier))
            )
        )
    if found is None:
        raise HandoffError(
            f"Không tìm thấy thành viên '{identifier}': dùng tên đăng nhập, số Telegram, "
            "@tên Telegram hoặc #mã (xem `team list`)."
        )
    return found


def deactivate_member(session: Session, identifier: str) -> tuple[Member, list[int]]:
    """A member who left: no sign-in, no claims; the tickets they held go back to the
    queue (announced again) so those residents are not left waiting. Returns the member
    and the tickets released."""
    member = find_member(session, identifier)
    member.active = False
    held = session.scalars(
        select(Ticket)
        .where(Ticket.claimed_by == member.id, Ticket.status == CLAIMED)
        .with_for_update()
    ).all()
    for ticket in held:
        ticket.status, ticket.claimed_by, ticket.claimed_at = OPEN, None, None
        ticket.announced_at = None  # announced again, with a claim button
        record(session, "system", "ticket_released", f"ticket:{ticket.id}", "member deactivated")
    record(session, "system", "member_deactivated", f"member:{member.id}")
    return member, [t.id for t in held]


def reactivate_member(session: Session, member_id: int) -> Member:
    member = find_member(session, f"#{member_id}")
    member.active = True
    record(session, "system", "member_reactivated", f"member:{member.id}")
    return member


def set_role(session: Session, member_id: int, role: str) -> Member:
    if role not in ROLES:
        raise HandoffError(f"Vai trò '{role}' không có; chọn một trong: {', '.join(ROLES)}.")
    member = find_member(session, f"#{member_id}")
    member.role = role
    record(session, "system", "member_role", f"member:{member.id}", f"role={role}")
    return member


def _normalise_telegram(value: str | None) -> str | None:
    if not value:
        return None
    value = value.strip()
    return value.lower() if value.startswith("@") else value


def member_by_telegram(session: Session, user_id: int, username: str | None) -> Member | None:
    """The active member behind a Telegram user. A member configured by @username is
    bound to the numeric id the first time they write (usernames can change)."""
    member = session.scalar(
        select(Member).where(Member.telegram == str(user_id), Member.active.is_(True))
    )
    if member is None and username:
        member = session.scalar(
            select(Member).where(Member.telegram == f"@{username.lower()}", Member.active.is_(True))
        )
        if member is not None:
            member.telegram = str(user_id)
    return member


def member_by_username(session: Session, username: str) -> Member | None:
    return session.scalar(
        select(Member).where(Member.username == username, Member.active.is_(True))
    )


def can_handle(member: Member, ticket: Ticket) -> bool:
    return member.role == "admin" or member.team_id == ticket.team_id


# -- tickets -------------------------------------------------------------------------------


def active_ticket(session: Session, channel: str, user_id: str) -> Ticket | None:
    return session.scalar(
        select(Ticket).where(
            Ticket.channel == channel, Ticket.user_id == user_id, Ticket.status.in_(ACTIVE)
        )
    )


TICKETS_PER_RESIDENT_PER_HOUR = 3
TICKETS_PER_TEAM_PER_HOUR = 60


class TooManyTickets(HandoffError):
    """More new tickets than a resident or a team takes in an hour."""


def open_ticket(
    session: Session,
    channel: str,
    user_id: str,
    *,
    team: Team,
    reason: str,
    question: str,
    context: Sequence[tuple[str, str]] = (),
) -> tuple[Ticket, bool]:
    """Open a ticket with the conversation so far; (ticket, False) when one is open."""
    existing = active_ticket(session, channel, user_id)
    if existing is not None:
        return existing, False
    # A loop of "/request_human" from fresh ids must not flood a ward's Telegram group
    # with text an attacker wrote, posted by the official bot.
    if not within(session, f"ticket:{channel}:{user_id}", TICKETS_PER_RESIDENT_PER_HOUR, 3600):
        raise TooManyTickets("resident")
    if not within(session, f"ticket-team:{team.id}", TICKETS_PER_TEAM_PER_HOUR, 3600):
        raise TooManyTickets("team")
    ticket = Ticket(
        team_id=team.id,
        ward=team.ward,
        channel=channel,
        user_id=user_id,
        reason=reason if reason in REASONS else "asked",
        question=question[:4000],
    )
    session.add(ticket)
    session.flush()
    now = utcnow()
    for kind, text in context:
        # Context the announcement already carries: nothing to relay again.
        session.add(TicketMessage(ticket_id=ticket.id, kind=kind, text=text[:4000], relayed_at=now))
    record(session, f"{channel}:{user_id}", "ticket_opened", f"ticket:{ticket.id}", reason)
    return ticket, True


def add_message(
    session: Session, ticket: Ticket, kind: str, text: str, member: Member | None = None
) -> TicketMessage:
    message = TicketMessage(
        ticket_id=ticket.id, kind=kind, text=text, member_id=member.id if member else None
    )
    session.add(message)
    session.flush()
    return message


def get_ticket(session: Session, ticket_id: int, *, lock: bool = False) -> Ticket:
    query = select(Ticket).where(Ticket.id == ticket_id)
    ticket = session.scalar(query.with_for_update() if lock else query)
    if ticket is None:
        raise HandoffError(f"Không có yêu cầu #{ticket_id}.")
    return ticket


def claim(session: Session, ticket_id: int, member: Member) -> ClaimResult:
    ticket = get_ticket(session, ticket_id)
    if not can_handle(member, ticket):
        raise HandoffError(f"Yêu cầu #{ticket_id} thuộc tổ của phường khác.")
    now = utcnow()
    won = session.execute(
        update(Ticket)
        .where(Ticket.id == ticket_id, Ticket.status == OPEN)
        .values(status=CLAIMED, claimed_by=member.id, claimed_at=now)
        .execution_options(synchronize_session=False)
    )
    session.refresh(ticket)
    if affected(won) == 1:
        if ticket.first_claimed_at is None:
            ticket.first_claimed_at = now
        record(session, _actor(member), "ticket_claimed", f"ticket:{ticket_id}")
        return ClaimResult(True, ticket, member)
    holder = session.get(Member, ticket.claimed_by) if ticket.claimed_by else None
    return ClaimResult(False, ticket, holder)


def _require_holder(session: Session, ticket_id: int, member: Member, action: str) -> Ticket:
    ticket = get_ticket(session, ticket_id, lock=True)
    if ticket.status == CLOSED:
        raise HandoffError(f"Yêu cầu #{ticket_id} đã đóng.")
    if ticket.status != CLAIMED:
        raise HandoffError(
            f"Yêu cầu #{ticket_id} chưa có ai nhận: bấm 'Nhận xử lý' trước khi {action}."
        )
    if ticket.claimed_by != member.id and member.role != "admin":
        holder = session.get(Member, ticket.claimed_by) if ticket.claimed_by else None
        raise HandoffError(
            f"Yêu cầu #{ticket_id} do {holder.name if holder else 'người khác'} đang xử lý."
        )
    return ticket


def reply(session: Session, ticket_id: int, member: Member, text: str) -> Ticket:
    text = text.strip()
    if not text:
        raise HandoffError("Tin nhắn trống: hãy nhập nội dung trả lời.")
    ticket = _require_holder(session, ticket_id, member, "trả lời")
    add_message(session, ticket, "member", text[:4000], member)
    record(session, _actor(member), "ticket_reply", f"ticket:{ticket_id}")
    return ticket


def release(session: Session, ticket_id: int, member: Member) -> Ticket:
    """Pass the ticket back to the queue (/chuyen): another member can claim it."""
    ticket = _require_holder(session, ticket_id, member, "chuyển")
    ticket.status, ticket.claimed_by, ticket.claimed_at = OPEN, None, None
    ticket.announced_at = None  # announce it again, with a claim button
    record(session, _actor(member), "ticket_released", f"ticket:{ticket_id}")
    return ticket


def close(session: Session, ticket_id: int, member: Member | None, reason: str) -> Ticket:
    """Close (member: /xong or the console; None: the resident cancelled)."""
    if member is not None:
        ticket = get_ticket(session, ticket_id, lock=True)
        if ticket.status == CLAIMED:
            ticket = _require_holder(session, ticket_id, member, "đóng")
        elif ticket.status == CLOSED:
            raise HandoffError(f"Yêu cầu #{ticket_id} đã đóng.")
        elif not can_handle(member, ticket):
            raise HandoffError(f"Yêu cầu #{ticket_id} thuộc tổ của phường khác.")
    else:
        ticket = get_ticket(session, ticket_id, lock=True)
    ticket.status, ticket.closed_at, ticket.close_reason = CLOSED, utcnow(), reason
    ticket.closed_by = member.id if member else None
    actor = _actor(member) if member else f"{ticket.channel}:{ticket.user_id}"
    record(session, actor, "ticket_closed", f"ticket:{ticket_id}", reason)
    return ticket


def add_note(session: Session, ticket_id: int, member: Member, text: str) -> TicketMessage:
    text = text.strip()
    if not text:
        raise HandoffError("Ghi chú trống.")
    ticket = get_ticket(session, ticket_id)
    if not can_handle(member, ticket):
        raise HandoffError(f"Yêu cầu #{ticket_id} thuộc tổ của phường khác.")
    record(session, _actor(member), "ticket_note", f"ticket:{ticket_id}")
    return add_message(session, ticket, "note", text[:4000], member)


def transcript(session: Session, ticket_id: int, after_id: int = 0) -> list[TicketMessage]:
    return list(
        session.scalars(
            select(TicketMessage)
            .where(TicketMessage.ticket_id == ticket_id, TicketMessage.id > after_id)
            .order_by(TicketMessage.id)
        ).all()
    )


def waiting_too_long(session: Session, older_than: datetime) -> list[Ticket]:
    """Open tickets nobody claimed in time whose resident was not yet told."""
    return list(
        session.scalars(
            select(Ticket).where(
                Ticket.status == OPEN,
                Ticket.created_at < older_than,
                Ticket.wait_notice_at.is_(None),
            )
        ).all()
    )


def _actor(member: Member) -> str:
    return f"member:{member.id}"
