"""Handoff records: teams and their members, tickets and everything said in them.

Everything lives in the project database, so a ticket survives restarts of every process.
Transcripts of handed-off conversations stay here, out of Rasa's tracker and training data.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base, utcnow

# Ticket states. "open": waiting for a member; "claimed": a member talks with the resident.
OPEN, CLAIMED, CLOSED = "open", "claimed", "closed"
ACTIVE = (OPEN, CLAIMED)


class Team(Base):
    """A ward's tổ công nghệ số cộng đồng."""

    __tablename__ = "handoff_teams"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ward: Mapped[str] = mapped_column(String(80), unique=True)  # code, e.g. "tay-ho"
    name: Mapped[str] = mapped_column(String(200))  # shown to residents
    # The team's Telegram group (a negative chat id), where new tickets are posted.
    telegram_chat_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    # When members answer, e.g. "T2-T6 07:30-11:30, 13:30-17:00; T7 07:30-11:30".
    hours: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Member(Base):
    __tablename__ = "handoff_members"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("handoff_teams.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))  # shown to residents: "anh Minh"
    # Console login (None: Telegram only).
    username: Mapped[str | None] = mapped_column(String(80), unique=True, nullable=True)
    password_hash: Mapped[str | None] = mapped_column(String(300), nullable=True)
    role: Mapped[str] = mapped_column(String(20), default="member")  # member | editor | admin
    # Telegram numeric user id, or "@username" until the member first writes to the bot.
    telegram: Mapped[str | None] = mapped_column(String(80), nullable=True, index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # A one-time code an admin gave the member to set their password (argon2 hash).
    setup_code_hash: Mapped[str | None] = mapped_column(String(300), nullable=True)
    setup_code_expires: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), nullable=True
    )


class Ticket(Base):
    __tablename__ = "handoff_tickets"
    __table_args__ = (
        # One active ticket per resident conversation, enforced by the database.
        Index(
            "uq_handoff_tickets_active_conversation",
            "channel",
            "user_id",
            unique=True,
            sqlite_where=text("status != 'closed'"),
            postgresql_where=text("status != 'closed'"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("handoff_teams.id"), nullable=True)
    ward: Mapped[str] = mapped_column(String(80), index=True)
    channel: Mapped[str] = mapped_column(String(20))
    user_id: Mapped[str] = mapped_column(String(120))
    status: Mapped[str] = mapped_column(String(20), default=OPEN, index=True)
    reason: Mapped[str] = mapped_column(String(40))  # asked | kb_unsure | feedback
    question: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    claimed_by: Mapped[int | None] = mapped_column(ForeignKey("handoff_members.id"), nullable=True)
    # The first claim, for "time to claim" (a ticket passed back is claimed again).
    first_claimed_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), nullable=True
    )
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    closed_by: Mapped[int | None] = mapped_column(ForeignKey("handoff_members.id"), nullable=True)
    close_reason: Mapped[str | None] = mapped_column(String(40), nullable=True)
    # Set when the team's Telegram group was told (the gateway retries until then).
    announced_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # Set when the resident was told nobody claimed in time.
    wait_notice_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # Set when Rasa was told the handoff ended (retried before the next message otherwise).
    rasa_resumed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


# Kinds of ticket messages.
RESIDENT, MEMBER, ASSISTANT, NOTE = "resident", "member", "assistant", "note"


class TicketMessage(Base):
    """The transcript: what the resident and members said, what the assistant said before
    the handoff, and members' internal notes (never shown to the resident)."""

    __tablename__ = "handoff_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("handoff_tickets.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("handoff_members.id"), nullable=True)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # Resident messages: when the team's Telegram group got it (retried until then).
    relayed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class TelegramPost(Base):
    """A bot message in a team chat that belongs to a ticket: a member's reply to it is
    a reply to that ticket's resident."""

    __tablename__ = "handoff_telegram_posts"
    __table_args__ = (UniqueConstraint("chat_id", "message_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chat_id: Mapped[str] = mapped_column(String(40))
    message_id: Mapped[int] = mapped_column(Integer)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("handoff_tickets.id"), index=True)
    # The announcement carries the claim button; it is edited when the ticket is taken.
    announcement: Mapped[bool] = mapped_column(Boolean, default=False)


class ConsoleSession(Base):
    """A signed-in console user. The cookie holds a random token; only its hash is kept."""

    __tablename__ = "console_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("handoff_members.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CannedReply(Base):
    """A reply a team sends often ("Bạn mang thẻ căn cước đến bộ phận một cửa…"), picked
    on the ticket page instead of typed again."""

    __tablename__ = "handoff_canned_replies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("handoff_teams.id"), index=True)
    title: Mapped[str] = mapped_column(String(80))
    text: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
