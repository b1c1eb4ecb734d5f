"""The handoff desk: the gateway's side of a handoff, across channels and processes.

The dispatcher asks ``route`` first: a resident with an active ticket talks to a person,
not to Rasa. Rasa's ``action_request_human`` asks for a handoff with a custom payload and
the dispatcher calls ``start``. Team members act through ``claim``/``reply``/``release``/
``close``/``note`` from the Telegram team group or the web console. ``tick`` runs in the
gateway's background loop: it tells residents nobody claimed yet, and retries whatever a
platform refused earlier (announcements, relays, Rasa being told the handoff ended).

Every step is written to the database before any platform is called, so a restart of any
process loses nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Coroutine
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import select

from bot.conversation.dispatcher import sender_id
from bot.conversation.messages import Button, OutgoingMessage
from bot.conversation.outbox import Sender, deliver
from bot.conversation.rasa_client import RasaClient, RasaUnavailable
from bot.db import in_session
from bot.db.base import utcnow
from bot.db.duties import hold
from bot.handoff import notices, service
from bot.handoff.models import (
    ACTIVE,
    ASSISTANT,
    CLOSED,
    OPEN,
    RESIDENT,
    Member,
    Team,
    Ticket,
    TicketMessage,
)
from bot.text import fold, normalize

logger = logging.getLogger(__name__)

# How a resident leaves the queue: the button, a command, or a phrase no one says to a
# person by chance. A bare "Huy" is a name and "Thôi!" an exclamation: they are relayed.
CANCEL_PAYLOADS = {"/cancel", "/deny", "/huy"}
CANCEL_ACCENTED = {"hủy", "hủy yêu cầu", "hủy hỗ trợ", "quay lại trợ lý"}
CANCEL_FOLDED = {
    "huy yeu cau",
    "huy yeu cau ho tro",
    "huy ho tro",
    "quay lai tro ly",
    "quay lai tro ly tu dong",
    "khong can ho tro nua",
}
CANCEL_BUTTON = Button(title="Quay lại trợ lý", payload="/cancel")


def is_cancel(text: str) -> bool:
    """The resident asks to leave the queue (see the sets above)."""
    stripped = text.strip()
    if stripped.lower() in CANCEL_PAYLOADS:
        return True
    phrase = normalize(stripped).strip(" .!")
    return phrase in CANCEL_ACCENTED or fold(phrase) in CANCEL_FOLDED


def waiting(ticket_id: int, claimer: str | None) -> OutgoingMessage:
    return OutgoingMessage(
        text=notices.already_waiting(ticket_id, claimer), buttons=[CANCEL_BUTTON]
    )


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


class TeamChannel(Protocol):
    """Where a team hears about tickets (the Telegram team group). Each method returns
    False when the platform refused, so the desk retries later."""

    async def announce(self, ticket: TicketInfo, context: list[tuple[str, str]]) -> bool: ...

    async def relay_resident(self, ticket: TicketInfo, text: str) -> bool: ...

    async def relay_member(self, ticket: TicketInfo, member_name: str, text: str) -> None: ...

    async def taken(self, ticket: TicketInfo, member_name: str) -> None: ...

    async def closed(self, ticket: TicketInfo, summary: str) -> None: ...

    async def notice(self, ticket: TicketInfo, text: str) -> None: ...


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


class HandoffDesk:
    def __init__(
        self,
        rasa: RasaClient,
        residents: dict[str, Sender],
        *,
        team: TeamChannel | None = None,
        claim_timeout_minutes: float,
        expected_wait_minutes: int,
        default_ward: str = "",
    ) -> None:
        self._rasa = rasa
        # Pushing channels (Telegram, Zalo); the web chat polls the outbox instead.
        self.residents = residents
        self._timeout = timedelta(minutes=claim_timeout_minutes)
        self._wait = expected_wait_minutes
        self._default_ward = default_ward
        self.team = team  # the teams' Telegram groups; None: the console only
        # Team-group posts (announcements, relays) are made by the desk's loop, which a
        # resident's request only wakes: Telegram's ~20 posts a minute per group never
        # hold up a resident, and one poster posts each thing once.
        self._wake = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()

    # -- residents -----------------------------------------------------------------------

    async def route(self, channel: str, user_id: str, text: str) -> list[OutgoingMessage] | None:
        """Replies when the resident is handed off (their message went to a person);
        None when the assistant should answer."""
        found, resume = await in_session(_route_state, channel, user_id)
        if found is None:
            if resume:  # Rasa missed the end of an earlier handoff: tell it first
                await self._resume_rasa(channel, user_id)
            return None
        ticket = found
        if is_cancel(text):
            closed = await in_session(_close_by_resident, ticket.id)
            if self.team is not None:  # the group's post is edited, not in this request
                self._in_background(self.team.closed(closed, "Người dân đã hủy yêu cầu."))
            await self._resume_rasa(channel, user_id)
            return [OutgoingMessage(text=notices.CANCELLED)]
        if text.startswith("/"):  # a button from before the handoff
            if text == "/request_human":
                return [waiting(ticket.id, ticket.claimer)]
            return [OutgoingMessage(text=notices.TEXT_ONLY, buttons=[CANCEL_BUTTON])]
        await in_session(_add_resident_message, ticket.id, text)
        self.wake()  # relayed to the team's group by the desk's loop, not in this request
        if ticket.status == OPEN:
            return [OutgoingMessage(text=notices.forwarded(ticket.id))]
        return []

    async def start(
        self, channel: str, user_id: str, ward: str | None, request: dict[str, Any]
    ) -> list[OutgoingMessage]:
        """Open a ticket for what ``action_request_human`` sent; the resident's notice."""
        context = [
            (str(kind), str(text))
            for kind, text in request.get("transcript") or []
            if kind in (RESIDENT, ASSISTANT) and text
        ]
        try:
            opened = await in_session(
                _open,
                channel,
                user_id,
                ward or self._default_ward or None,
                str(request.get("reason") or "asked"),
                str(request.get("question") or ""),
                context,
            )
        except service.TooManyTickets as exc:
            logger.warning("handoff refused for %s:%s: too many (%s)", channel, user_id, exc)
            return [OutgoingMessage(text=notices.TOO_MANY_TICKETS)]
        if opened is None:
            return [OutgoingMessage(text=notices.NO_TEAM)]
        ticket, created = opened
        if not created:
            return [waiting(ticket.id, ticket.claimer)]
        await self._tell_rasa(
            channel,
            user_id,
            [
                {"event": "slot", "name": "handoff_ticket", "value": str(ticket.id)},
                {"event": "pause"},
            ],
        )
        self.wake()  # announced in the team's group by the desk's loop, not in this request
        text = notices.started(ticket.id, ticket.team_name, ticket.hours, self._wait, utcnow())
        return [OutgoingMessage(text=text, buttons=[CANCEL_BUTTON])]

    # -- team members --------------------------------------------------------------------

    async def claim(self, ticket_id: int, member_id: int) -> service.ClaimResult:
        result = await in_session(_claim, ticket_id, member_id)
        if result.won:
            ticket = await in_session(_info, ticket_id)
            name = result.holder.name if result.holder else "Người hỗ trợ"
            await self._to_resident(ticket, notices.claimed(name, ticket.team_name))
            if self.team is not None:
                await self.team.taken(ticket, name)
        return result

    async def reply(
        self, ticket_id: int, member_id: int, text: str, *, from_team_chat: bool = False
    ) -> None:
        ticket, member_name = await in_session(_reply, ticket_id, member_id, text)
        await self._to_resident(ticket, text.strip())
        if self.team is not None and not from_team_chat:
            await self.team.relay_member(ticket, member_name, text.strip())

    async def release(self, ticket_id: int, member_id: int) -> None:
        ticket = await in_session(_release, ticket_id, member_id)
        await self._to_resident(ticket, notices.released())
        await self._announce(ticket, [])

    async def close(self, ticket_id: int, member_id: int) -> None:
        ticket, member_name = await in_session(_close, ticket_id, member_id)
        await self._to_resident(ticket, notices.closed(member_name))
        if self.team is not None:
            await self.team.closed(ticket, f"{member_name} đã đóng yêu cầu.")
        await self._resume_rasa(ticket.channel, ticket.user_id)

    async def note(self, ticket_id: int, member_id: int, text: str) -> None:
        await in_session(_note, ticket_id, member_id, text)

    # -- the background loop -------------------------------------------------------------

    async def tick(self) -> None:
        """Tell residents nobody claimed in time; retry what platforms refused."""
        for ticket in await in_session(_overdue, utcnow() - self._timeout):
            text = notices.waiting_too_long(ticket.id, ticket.hours)
            await self._to_resident(ticket, text)
            if self.team is not None:
                minutes = int(self._timeout.total_seconds() // 60)
                await self.team.notice(
                    ticket, f"Yêu cầu {ticket.id} đã chờ quá {minutes} phút mà chưa ai nhận."
                )
        if self.team is not None:
            for ticket in await in_session(_unannounced):
                await self._announce(ticket, await in_session(_context, ticket.id))
            for ticket, message_id, text in await in_session(_unrelayed, utcnow()):
                await self._relay(ticket, message_id, text)
        for channel, user_id in await in_session(_unresumed):
            await self._resume_rasa(channel, user_id)

    def wake(self) -> None:
        """Something waits to be posted in a team's group: the loop runs at once."""
        self._wake.set()

    async def wait_for_work(self, seconds: float) -> None:
        """Until ``wake`` or ``seconds`` pass, whichever comes first."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), seconds)
        self._wake.clear()

    # -- helpers -------------------------------------------------------------------------

    def _in_background(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)  # kept until done: the loop holds only weak references
        task.add_done_callback(self._tasks.discard)

    async def _to_resident(self, ticket: TicketInfo, text: str) -> None:
        await deliver(self.residents, ticket.channel, ticket.user_id, text)

    async def _announce(self, ticket: TicketInfo, context: list[tuple[str, str]]) -> None:
        if self.team is None or not ticket.team_chat:
            return  # the console shows it; nothing to post
        try:
            posted = await self.team.announce(ticket, context)
        except Exception:
            logger.exception("could not announce ticket %s", ticket.id)
            posted = False
        if posted:
            await in_session(_mark_announced, ticket.id)

    async def _relay(self, ticket: TicketInfo, message_id: int, text: str) -> None:
        if self.team is None or not ticket.team_chat:
            return
        try:
            relayed = await self.team.relay_resident(ticket, text)
        except Exception:
            logger.exception("could not relay a message of ticket %s", ticket.id)
            relayed = False
        if relayed:
            await in_session(_mark_relayed, message_id)

    async def _tell_rasa(self, channel: str, user_id: str, events: list[dict[str, Any]]) -> bool:
        try:
            await self._rasa.append_events(sender_id(channel, user_id), events)
            return True
        except RasaUnavailable as exc:
            logger.warning("Rasa not told about the handoff of %s:%s: %s", channel, user_id, exc)
            return False

    async def _resume_rasa(self, channel: str, user_id: str) -> None:
        """Tell Rasa the handoff ended, so the dialogue goes on from a clean state."""
        last = await in_session(_closed_unresumed, channel, user_id)
        if last is None:
            return
        ticket_id, said = last
        events: list[dict[str, Any]] = [
            {"event": "resume"},
            {"event": "active_loop", "name": None},
            {"event": "slot", "name": "requested_slot", "value": None},
            {"event": "slot", "name": "handoff_ticket", "value": None},
            {"event": "slot", "name": "kb_unsure_streak", "value": 0.0},
            {"event": "bot", "text": said, "metadata": {"handoff_ticket": ticket_id}},
        ]
        if await self._tell_rasa(channel, user_id, events):
            await in_session(_mark_resumed, ticket_id)


# -- database steps (each runs in one transaction) --------------------------------------------


def _route_state(session: Any, channel: str, user_id: str) -> tuple[TicketInfo | None, bool]:
    """One read per message: the active ticket, else whether Rasa still awaits a resume."""
    ticket = service.active_ticket(session, channel, user_id)
    if ticket is not None:
        return info(session, ticket), False
    return None, _closed_unresumed(session, channel, user_id) is not None


def _info(session: Any, ticket_id: int) -> TicketInfo:
    return info(session, service.get_ticket(session, ticket_id))


def _member(session: Any, member_id: int) -> Member:
    member: Member | None = session.get(Member, member_id)
    if member is None or not member.active:
        raise service.HandoffError("Tài khoản thành viên không còn hoạt động.")
    return member


def _open(
    session: Any,
    channel: str,
    user_id: str,
    ward: str | None,
    reason: str,
    question: str,
    context: list[tuple[str, str]],
) -> tuple[TicketInfo, bool] | None:
    team = service.team_for_resident(session, ward)
    if team is None:
        return None
    ticket, created = service.open_ticket(
        session, channel, user_id, team=team, reason=reason, question=question, context=context
    )
    return info(session, ticket), created


def _add_resident_message(session: Any, ticket_id: int, text: str) -> int:
    ticket = service.get_ticket(session, ticket_id)
    return service.add_message(session, ticket, RESIDENT, text[:4000]).id


def _close_by_resident(session: Any, ticket_id: int) -> TicketInfo:
    return info(session, service.close(session, ticket_id, None, "resident_cancelled"))


def _claim(session: Any, ticket_id: int, member_id: int) -> service.ClaimResult:
    return service.claim(session, ticket_id, _member(session, member_id))


def _reply(session: Any, ticket_id: int, member_id: int, text: str) -> tuple[TicketInfo, str]:
    member = _member(session, member_id)
    ticket = service.reply(session, ticket_id, member, text)
    return info(session, ticket), member.name


def _release(session: Any, ticket_id: int, member_id: int) -> TicketInfo:
    return info(session, service.release(session, ticket_id, _member(session, member_id)))


def _close(session: Any, ticket_id: int, member_id: int) -> tuple[TicketInfo, str]:
    member = _member(session, member_id)
    ticket = service.close(session, ticket_id, member, "resolved")
    return info(session, ticket), member.name


def _note(session: Any, ticket_id: int, member_id: int, text: str) -> None:
    service.add_note(session, ticket_id, _member(session, member_id), text)


def _overdue(session: Any, older_than: datetime) -> list[TicketInfo]:
    tickets = service.waiting_too_long(session, older_than)
    now = utcnow()
    for ticket in tickets:
        ticket.wait_notice_at = now
    return [info(session, t) for t in tickets]


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


def _unresumed(session: Any) -> list[tuple[str, str]]:
    rows = session.execute(
        select(Ticket.channel, Ticket.user_id)
        .where(Ticket.status == CLOSED, Ticket.rasa_resumed_at.is_(None))
        .limit(50)
    ).all()
    return [(c, u) for c, u in rows]


def _closed_unresumed(session: Any, channel: str, user_id: str) -> tuple[int, str] | None:
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


def _mark_announced(session: Any, ticket_id: int) -> None:
    service.get_ticket(session, ticket_id).announced_at = utcnow()


def _mark_relayed(session: Any, message_id: int) -> None:
    message = session.get(TicketMessage, message_id)
    if message is not None:
        message.relayed_at = utcnow()


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


async def handoff_loop(desk: HandoffDesk, interval: float) -> None:
    """The desk's pass, every ``interval`` and whenever a resident's request wakes it, in
    the one process holding the duty when several gateways run (each would tell residents
    and post in the groups again; another gateway's tickets wait for the next pass)."""
    while True:
        try:
            # Held a little longer than a pass: a holder that died is replaced soon.
            if await in_session(hold, "handoff-tick", timedelta(seconds=interval + 5)):
                await desk.tick()
        except Exception:  # a database hiccup must not stop the next pass
            logger.exception("handoff pass failed")
        await desk.wait_for_work(interval)
