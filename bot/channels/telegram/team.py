"""The team's side of Telegram: the ward team's group, where tickets are announced and
members answer residents, and members' private chats with the bot.

``TelegramTeam`` is the desk's ``TeamChannel``: every bot message about a ticket is kept as
a ``TelegramPost``, so a member's *reply* to any of them is a reply to that ticket's
resident. ``add_team_handlers`` registers what members do: the "Nhận xử lý" button, replies
in the thread, /xong and /chuyen, and /id to configure a group. Group chats never reach the
resident dispatcher: a group is many people, not one resident.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, NamedTuple, TypeAlias

from sqlalchemy import select
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, ReplyParameters, Update
from telegram.constants import ChatType
from telegram.error import BadRequest, Forbidden, NetworkError, TelegramError
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from bot.db import in_session
from bot.handoff import service
from bot.handoff.desk import HandoffDesk
from bot.handoff.models import ASSISTANT, CLAIMED, CLOSED, MEMBER, RESIDENT, Member, Team, Ticket
from bot.handoff.models import TelegramPost as Post
from bot.handoff.tickets import TicketInfo
from bot.privacy import mask_pii
from bot.text.split import split_message

logger = logging.getLogger(__name__)
App: TypeAlias = "Application[Any, Any, Any, Any, Any, Any]"

MAX_TEXT = 4096
CLAIM = "h:claim:"  # callback_data "h:claim:<ticket id>", well under Telegram's 64 bytes
TEAM_GROUP = 0  # handler group: team work first; the resident handlers come after

CHANNELS = {"web": "trang web", "telegram": "Telegram", "zalo": "Zalo"}
REASONS = {
    "asked": "người dân muốn gặp người hỗ trợ",
    "kb_unsure": "trợ lý chưa trả lời được",
    "feedback": "người dân góp ý, phản ánh",
}
SPEAKERS = {RESIDENT: "Người dân", ASSISTANT: "Trợ lý", MEMBER: "Tổ hỗ trợ"}
NOT_MEMBER = (
    "Bạn chưa có trong danh sách tổ hỗ trợ; nhờ quản trị viên thêm bằng lệnh team add-member"
)
TRY_LATER = "Hệ thống đang lỗi, bạn thử lại sau ít phút."
NOT_SENT = "Tin này chưa được gửi cho người dân."
NO_TICKET = "Hãy trả lời (reply) một tin có số yêu cầu (#...) của trợ lý."
TEXT_ONLY = "Người dân chỉ nhận được tin nhắn chữ: bạn gõ nội dung trả lời giúp."


class MemberRef(NamedTuple):
    id: int
    name: str


# -- texts the team sees -------------------------------------------------------------------


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _lines(context: list[tuple[str, str]], masked: bool) -> str:
    # Masked before clipping: a number cut in half would no longer look like one.
    return "\n".join(
        f"{SPEAKERS.get(kind, kind)}: {_clip(mask_pii(text) if masked else text, 300)}"
        for kind, text in context
    )


def _about(ticket: TicketInfo) -> str:
    channel = CHANNELS.get(ticket.channel, ticket.channel)
    return f"{channel}; {REASONS.get(ticket.reason, ticket.reason)}"


def announcement(ticket: TicketInfo, context: list[tuple[str, str]], again: bool) -> str:
    """The group post with the claim button. Personal data is masked: the whole group
    reads it; the claimer gets the full text in private and in the relays."""
    head = f"Yêu cầu #{ticket.id}" + (" được chuyển lại cho tổ" if again else " mới")
    parts = [f"{head} ({_about(ticket)})"]
    if ticket.question:
        parts.append(f"Câu hỏi: {_clip(mask_pii(ticket.question), 1000)}")
    if context:
        parts.append("Trước đó:\n" + _lines(context[-6:], masked=True))
    parts.append(
        'Bấm "Nhận xử lý" để nhận, rồi trả lời (reply) tin của yêu cầu này để nhắn người dân.'
    )
    return "\n\n".join(parts)[:MAX_TEXT]


def briefing(ticket: TicketInfo, context: list[tuple[str, str]]) -> str:
    """The claimer's private copy: full text, and how to answer from the private chat."""
    parts = [f"Bạn đã nhận yêu cầu #{ticket.id} ({_about(ticket)})."]
    if ticket.question:
        parts.append(f"Câu hỏi: {_clip(ticket.question, 1500)}")
    if context:
        parts.append("Trước đó:\n" + _lines(context, masked=False))
    parts.append(
        f"Trả lời (reply) tin này để nhắn người dân. Gõ /xong {ticket.id} khi đã xong, "
        f"/chuyen {ticket.id} để chuyển lại cho tổ."
    )
    return "\n\n".join(parts)[:MAX_TEXT]


# -- database steps (each in one transaction, off the event loop) ----------------------------


def _record(session: Any, chat: str, message_id: int, ticket_id: int, announced: bool) -> None:
    session.add(
        Post(chat_id=chat, message_id=message_id, ticket_id=ticket_id, announcement=announced)
    )


def _announcements(session: Any, ticket_id: int) -> list[tuple[str, int]]:
    rows = session.execute(
        select(Post.chat_id, Post.message_id)
        .where(Post.ticket_id == ticket_id, Post.announcement.is_(True))
        .order_by(Post.id)
    ).all()
    return [(chat, message_id) for chat, message_id in rows]


def _anchor(session: Any, ticket_id: int, chat: str) -> int | None:
    """The ticket's latest announcement in ``chat``: the thread's root."""
    found: int | None = session.scalar(
        select(Post.message_id)
        .where(Post.ticket_id == ticket_id, Post.chat_id == chat, Post.announcement.is_(True))
        .order_by(Post.id.desc())
        .limit(1)
    )
    return found


def _recent(
    session: Any, ticket_id: int, kinds: tuple[str, ...], limit: int
) -> list[tuple[str, str]]:
    rows = service.transcript(session, ticket_id)
    return [(m.kind, m.text) for m in rows if m.kind in kinds][-limit:]


def _reannouncing(session: Any, ticket_id: int) -> tuple[bool, list[tuple[str, str]]]:
    """Whether the ticket was announced before (passed back with /chuyen), and what was
    said so far, for an announcement the desk sends without context."""
    again = bool(_announcements(session, ticket_id))
    return again, _recent(session, ticket_id, (RESIDENT, ASSISTANT, MEMBER), 6)


def _claimer(session: Any, ticket_id: int) -> tuple[str | None, list[tuple[str, str]]]:
    """The claimer's Telegram chat (None: not bound to a numeric id yet) and the context."""
    ticket = session.get(Ticket, ticket_id)
    member = session.get(Member, ticket.claimed_by) if ticket and ticket.claimed_by else None
    chat = member.telegram if member and member.telegram and member.telegram.isdigit() else None
    return chat, _recent(session, ticket_id, (RESIDENT, ASSISTANT, MEMBER), 8)


def _member(session: Any, user_id: int, username: str | None) -> MemberRef | None:
    member = service.member_by_telegram(session, user_id, username)
    return MemberRef(member.id, member.name) if member else None


def _ticket_of(session: Any, chat: str, message_id: int) -> int | None:
    found: int | None = session.scalar(
        select(Post.ticket_id).where(Post.chat_id == chat, Post.message_id == message_id)
    )
    return found


def _is_team_chat(session: Any, chat: str) -> bool:
    return session.scalar(select(Team.id).where(Team.telegram_chat_id == chat).limit(1)) is not None


def _held(session: Any, member_id: int) -> list[int]:
    return list(
        session.scalars(
            select(Ticket.id)
            .where(Ticket.claimed_by == member_id, Ticket.status == CLAIMED)
            .order_by(Ticket.id)
        ).all()
    )


class Sender(NamedTuple):
    """Who wrote, and what their message is about, read in one transaction."""

    member: MemberRef | None
    ticket_id: int | None  # the ticket of the bot post they replied to
    team_chat: bool


def _sender(
    session: Any, chat: str, reply_to: int | None, user_id: int, username: str | None
) -> Sender:
    return Sender(
        _member(session, user_id, username),
        _ticket_of(session, chat, reply_to) if reply_to is not None else None,
        _is_team_chat(session, chat),
    )


# -- the desk's TeamChannel ------------------------------------------------------------------


class TelegramTeam:
    """Posts about tickets in the team's group. Methods never raise: a refusal is logged
    and, for announcements and relays, reported as False so the desk retries."""

    def __init__(self, app: App) -> None:
        self._app = app
        # Announcement texts, to append "Đã nhận: ..." when a ticket is taken (Telegram
        # needs the whole text to edit). After a restart the header is rebuilt instead.
        self._texts: OrderedDict[tuple[str, int], str] = OrderedDict()

    async def announce(self, ticket: TicketInfo, context: list[tuple[str, str]]) -> bool:
        if not ticket.team_chat:
            return False
        again, said = await in_session(_reannouncing, ticket.id)
        text = announcement(ticket, context or said, again)
        button = InlineKeyboardButton("Nhận xử lý", callback_data=f"{CLAIM}{ticket.id}")
        message_id = await self._post(
            ticket.team_chat,
            ticket.id,
            text,
            markup=InlineKeyboardMarkup([[button]]),
            announced=True,
        )
        if message_id is None:
            return False
        self._remember((ticket.team_chat, message_id), text)
        return True

    async def relay_resident(self, ticket: TicketInfo, text: str) -> bool:
        # The whole group reads the thread: ID and phone numbers are masked here (the
        # console, behind sign-in, has the message as sent).
        masked = mask_pii(text)
        note = " (số đã được che; xem đủ trong console)" if masked != text else ""
        return await self._thread(ticket, f"#{ticket.id} Người dân: {masked}{note}")

    async def relay_member(self, ticket: TicketInfo, member_name: str, text: str) -> None:
        await self._thread(ticket, f"#{ticket.id} {member_name} (console): {text}")

    async def taken(self, ticket: TicketInfo, member_name: str) -> None:
        await self._mark(ticket, f"Đã nhận: {member_name}")
        chat, context = await in_session(_claimer, ticket.id)
        if chat is not None:  # not yet bound: the member never wrote to the bot
            await self._post(chat, ticket.id, briefing(ticket, context), private=True)

    async def closed(self, ticket: TicketInfo, summary: str) -> None:
        await self._thread(ticket, f"#{ticket.id} {summary}")
        if ticket.claimer is None:  # never taken: the claim button must go
            await self._mark(ticket, f"Đã đóng: {summary}")

    async def notice(self, ticket: TicketInfo, text: str) -> None:
        await self._thread(ticket, text)

    # -- helpers ---------------------------------------------------------------------------

    def _remember(self, key: tuple[str, int], text: str) -> None:
        self._texts[key] = text
        while len(self._texts) > 2000:
            self._texts.popitem(last=False)

    async def _thread(self, ticket: TicketInfo, text: str) -> bool:
        """Post in the ticket's thread: as a reply to its latest announcement."""
        if not ticket.team_chat:
            return False
        anchor = await in_session(_anchor, ticket.id, ticket.team_chat)
        parts = [text] if len(text) <= MAX_TEXT else split_message(text, MAX_TEXT)
        for part in parts:
            if await self._post(ticket.team_chat, ticket.id, part, reply_to=anchor) is None:
                return False
        return True

    async def _mark(self, ticket: TicketInfo, status: str) -> None:
        """Rewrite the ticket's announcements with its state, without the button."""
        for chat, message_id in await in_session(_announcements, ticket.id):
            original = self._texts.get((chat, message_id)) or announcement(ticket, [], False)
            try:
                await self._app.bot.edit_message_text(
                    chat_id=chat, message_id=message_id, text=f"{original}\n\n{status}"[:MAX_TEXT]
                )
            except BadRequest as exc:  # deleted, or already says so
                logger.info(
                    "announcement %s of ticket %s not edited: %s", message_id, ticket.id, exc
                )
            except TelegramError as exc:
                logger.warning("announcement of ticket %s not edited: %s", ticket.id, exc)

    async def _post(
        self,
        chat: str,
        ticket_id: int,
        text: str,
        *,
        markup: InlineKeyboardMarkup | None = None,
        reply_to: int | None = None,
        announced: bool = False,
        private: bool = False,
    ) -> int | None:
        """Send and keep the message as a post of the ticket; its id, None when refused."""
        reply = (
            ReplyParameters(message_id=reply_to, allow_sending_without_reply=True)
            if reply_to is not None
            else None
        )
        try:
            message = await self._send(chat, text, markup, reply)
        except Forbidden as exc:
            # A member who never pressed Start in a private chat: Telegram allows no first
            # message. Expected; the group has everything.
            level = logging.INFO if private else logging.WARNING
            logger.log(
                level, "Telegram refused a post of ticket %s to %s: %s", ticket_id, chat, exc
            )
            return None
        except TelegramError as exc:
            logger.warning("Telegram refused a post of ticket %s to %s: %s", ticket_id, chat, exc)
            return None
        await in_session(_record, chat, message.message_id, ticket_id, announced)
        return message.message_id

    async def _send(
        self,
        chat: str,
        text: str,
        markup: InlineKeyboardMarkup | None,
        reply: ReplyParameters | None,
    ) -> Message:
        async for attempt in AsyncRetrying(
            retry=retry_if_exception_type(NetworkError),  # TimedOut and 5xx too
            stop=stop_after_attempt(3),
            wait=wait_exponential(multiplier=0.2, max=2.0),
            reraise=True,
        ):
            with attempt:
                message: Message = await self._app.bot.send_message(
                    chat_id=chat,
                    text=text,
                    reply_markup=markup,
                    reply_parameters=reply,
                    disable_web_page_preview=True,
                )
                return message
        raise AssertionError("unreachable: tenacity re-raises the last error")


# -- what members do -------------------------------------------------------------------------


def _claim_answer(ticket_id: int, member_id: int, result: service.ClaimResult) -> str:
    if result.won:
        return f"Bạn đã nhận yêu cầu #{ticket_id}"
    if result.ticket.status == CLOSED:
        return f"Yêu cầu #{ticket_id} đã đóng."
    if result.holder is not None and result.holder.id == member_id:
        return f"Bạn đã nhận yêu cầu #{ticket_id} rồi."
    who = result.holder.name if result.holder is not None else "người khác"
    return f"Yêu cầu #{ticket_id} đã có {who} nhận"


def _which_ticket(args: list[str], replied: int | None, held: list[int], command: str) -> int | str:
    """The ticket a /xong or /chuyen is about: its number, the post it replies to, or the
    one ticket the member holds. A string says what is missing."""
    if args:
        number = args[0].lstrip("#")
        if number.isdigit():
            return int(number)
        return f"Số yêu cầu không hợp lệ. Ví dụ: /{command} 12"
    if replied is not None:
        return replied
    if len(held) == 1:
        return held[0]
    if not held:
        return f"Bạn không giữ yêu cầu nào. Ghi số yêu cầu, ví dụ: /{command} 12"
    numbers = ", ".join(f"#{n}" for n in held)
    return (
        f"Bạn đang giữ các yêu cầu {numbers}: ghi số, ví dụ /{command} {held[0]}, "
        "hoặc trả lời (reply) một tin của yêu cầu đó."
    )


def add_team_handlers(app: App, desk: HandoffDesk | None) -> None:
    """Register team work in handler group 0; the resident handlers come after. A
    handler that dealt with an update stops it (``ApplicationHandlerStop``); one that
    finds it is not team work returns, and a private chat's message goes to the
    resident handlers."""

    def replied_to_bot(message: Message) -> int | None:
        target = message.reply_to_message
        if target is None or target.from_user is None or target.from_user.id != app.bot.id:
            return None
        return target.message_id

    async def on_id(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message, chat, user = update.effective_message, update.effective_chat, update.effective_user
        if message is None or chat is None:
            raise ApplicationHandlerStop
        if chat.type == ChatType.PRIVATE:
            text = f"ID Telegram của bạn: {user.id if user else chat.id}"
        else:
            text = (
                f"ID của nhóm này: {chat.id}\n"
                f"Để tổ nhận yêu cầu tại nhóm này: team set <mã phường> --telegram-chat {chat.id}"
            )
        await message.reply_text(text)
        raise ApplicationHandlerStop

    async def on_claim(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query, user = update.callback_query, update.effective_user
        if query is None or user is None or desk is None:
            raise ApplicationHandlerStop
        ticket_id = int((query.data or "").removeprefix(CLAIM))
        member = await in_session(_member, user.id, user.username)
        if member is None:
            await query.answer(NOT_MEMBER, show_alert=True)
            raise ApplicationHandlerStop
        try:
            result = await desk.claim(ticket_id, member.id)
        except service.HandoffError as exc:
            await query.answer(str(exc), show_alert=True)
        except Exception:
            logger.exception("claim of ticket %s by member %s failed", ticket_id, member.id)
            await query.answer(TRY_LATER, show_alert=True)
        else:
            await query.answer(
                _claim_answer(ticket_id, member.id, result), show_alert=not result.won
            )
        raise ApplicationHandlerStop

    async def on_other_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        chat, query = update.effective_chat, update.callback_query
        if chat is not None and chat.type == ChatType.PRIVATE:
            return  # a resident's button: the resident handlers answer it
        if query is not None:
            await query.answer()
        raise ApplicationHandlerStop

    async def on_reply(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A reply to a ticket post: the member's answer to the resident."""
        message, chat, user = update.effective_message, update.effective_chat, update.effective_user
        private = chat is not None and chat.type == ChatType.PRIVATE
        if message is None or chat is None or user is None or desk is None:
            raise ApplicationHandlerStop
        replied = replied_to_bot(message)
        if replied is None:
            if private:
                return  # a resident quoting the assistant
            raise ApplicationHandlerStop  # group chatter
        who = await in_session(_sender, str(chat.id), replied, user.id, user.username)
        if who.ticket_id is None or who.member is None:
            if private:
                return
            if who.ticket_id is not None:  # someone outside the team answering a ticket
                await message.reply_text(f"{NOT_SENT} {NOT_MEMBER}")
            elif who.member is not None and who.team_chat:  # e.g. a reply to /id's answer
                await message.reply_text(f"{NOT_SENT} {NO_TICKET}")
            raise ApplicationHandlerStop
        if not message.text:
            await message.reply_text(TEXT_ONLY)
            raise ApplicationHandlerStop
        try:
            await desk.reply(who.ticket_id, who.member.id, message.text, from_team_chat=True)
        except service.HandoffError as exc:
            await message.reply_text(str(exc))
        raise ApplicationHandlerStop

    def ticket_command(
        command: str, act: Callable[[int, int], Awaitable[None]], done: str
    ) -> Callable[[Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]]:
        async def run(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
            message, chat, user = (
                update.effective_message,
                update.effective_chat,
                update.effective_user,
            )
            if message is None or chat is None or user is None or desk is None:
                raise ApplicationHandlerStop
            private = chat.type == ChatType.PRIVATE
            replied = replied_to_bot(message)
            who = await in_session(_sender, str(chat.id), replied, user.id, user.username)
            if who.member is None:
                if who.team_chat:
                    await message.reply_text(NOT_MEMBER)
                raise ApplicationHandlerStop  # a resident or a stranger: nothing to do
            held = await in_session(_held, who.member.id)
            ticket_id = _which_ticket(list(context.args or []), who.ticket_id, held, command)
            if isinstance(ticket_id, str):
                await message.reply_text(ticket_id)
                raise ApplicationHandlerStop
            try:
                await act(ticket_id, who.member.id)
            except service.HandoffError as exc:
                await message.reply_text(str(exc))
                raise ApplicationHandlerStop from None
            if private:  # the group sees the thread; a private chat needs the confirmation
                await message.reply_text(done.format(id=ticket_id))
            raise ApplicationHandlerStop

        return run

    async def swallow(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        raise ApplicationHandlerStop  # group chatter is not for the assistant

    only_new = filters.UpdateType.MESSAGE  # an edited message must not act twice
    app.add_handler(CommandHandler("id", on_id, filters=only_new), group=TEAM_GROUP)
    app.add_handler(CallbackQueryHandler(on_claim, pattern=rf"^{CLAIM}\d+$"), group=TEAM_GROUP)
    app.add_handler(CallbackQueryHandler(on_other_button), group=TEAM_GROUP)
    if desk is not None:
        app.add_handler(
            CommandHandler(
                "xong",
                ticket_command("xong", desk.close, "Đã đóng yêu cầu #{id}."),
                filters=only_new,
            ),
            group=TEAM_GROUP,
        )
        app.add_handler(
            CommandHandler(
                "chuyen",
                ticket_command("chuyen", desk.release, "Đã chuyển yêu cầu #{id} lại cho tổ."),
                filters=only_new,
            ),
            group=TEAM_GROUP,
        )
        app.add_handler(
            MessageHandler(only_new & filters.REPLY & ~filters.COMMAND, on_reply),
            group=TEAM_GROUP,
        )
    app.add_handler(MessageHandler(~filters.ChatType.PRIVATE, swallow), group=TEAM_GROUP)
