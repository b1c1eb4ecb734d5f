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
from datetime import datetime, timedelta
from typing import Any

from bot.conversation.messages import Button, OutgoingMessage
from bot.conversation.outbox import Sender, deliver
from bot.db import in_session
from bot.db.base import utcnow
from bot.db.duties import hold
from bot.handoff import notices, service
from bot.handoff.models import ASSISTANT, OPEN, RESIDENT, Member
from bot.handoff.rasa_link import RasaLink, closed_unresumed
from bot.handoff.team_posts import TeamPosts
from bot.handoff.tickets import TicketInfo, info
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


class HandoffDesk:
    """Routes residents' messages and members' actions through the ticket rules
    (bot.handoff.service); tells Rasa through ``rasa`` (pause, resume) and the teams'
    groups through ``posts``; reaches residents through the outbox and ``residents``."""

    def __init__(
        self,
        rasa: RasaLink,
        posts: TeamPosts,
        residents: dict[str, Sender],
        *,
        claim_timeout_minutes: float,
        expected_wait_minutes: int,
        default_ward: str = "",
    ) -> None:
        self.rasa = rasa
        self.posts = posts
        # Pushing channels (Telegram, Zalo); the web chat polls the outbox instead.
        self.residents = residents
        self._timeout = timedelta(minutes=claim_timeout_minutes)
        self._wait = expected_wait_minutes
        self._default_ward = default_ward
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
                await self.rasa.resume(channel, user_id)
            return None
        ticket = found
        if is_cancel(text):
            closed = await in_session(_close_by_resident, ticket.id)
            # The group's post is edited, not in this request.
            self._in_background(self.posts.closed(closed, "Người dân đã hủy yêu cầu."))
            await self.rasa.resume(channel, user_id)
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
        await self.rasa.pause(channel, user_id, ticket.id)
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
            await self.posts.taken(ticket, name)
        return result

    async def reply(
        self, ticket_id: int, member_id: int, text: str, *, from_team_chat: bool = False
    ) -> None:
        ticket, member_name = await in_session(_reply, ticket_id, member_id, text)
        await self._to_resident(ticket, text.strip())
        if not from_team_chat:
            await self.posts.member_replied(ticket, member_name, text.strip())

    async def release(self, ticket_id: int, member_id: int) -> None:
        ticket = await in_session(_release, ticket_id, member_id)
        await self._to_resident(ticket, notices.released())
        await self.posts.announce(ticket, [])

    async def close(self, ticket_id: int, member_id: int) -> None:
        ticket, member_name = await in_session(_close, ticket_id, member_id)
        await self._to_resident(ticket, notices.closed(member_name))
        await self.posts.closed(ticket, f"{member_name} đã đóng yêu cầu.")
        await self.rasa.resume(ticket.channel, ticket.user_id)

    async def note(self, ticket_id: int, member_id: int, text: str) -> None:
        await in_session(_note, ticket_id, member_id, text)

    # -- the background loop -------------------------------------------------------------

    async def tick(self) -> None:
        """Tell residents nobody claimed in time; retry what platforms refused."""
        for ticket in await in_session(_overdue, utcnow() - self._timeout):
            text = notices.waiting_too_long(ticket.id, ticket.hours)
            await self._to_resident(ticket, text)
            minutes = int(self._timeout.total_seconds() // 60)
            await self.posts.notice(
                ticket, f"Yêu cầu {ticket.id} đã chờ quá {minutes} phút mà chưa ai nhận."
            )
        await self.posts.post_pending()
        await self.rasa.resume_missed()

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


# -- database steps (each runs in one transaction) --------------------------------------------


def _route_state(session: Any, channel: str, user_id: str) -> tuple[TicketInfo | None, bool]:
    """One read per message: the active ticket, else whether Rasa still awaits a resume."""
    ticket = service.active_ticket(session, channel, user_id)
    if ticket is not None:
        return info(session, ticket), False
    return None, closed_unresumed(session, channel, user_id) is not None


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
