"""The web chat: the page at / and the JSON API it uses (POST /api/messages)."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field, field_validator
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from bot.conversation.inbox import Admit, Inbox
from bot.conversation.messages import OutgoingMessage
from bot.conversation.outbox import pending
from bot.db import SessionDep, session_scope
from bot.gateway.deps import get_inbox
from bot.gateway.static_files import STATIC_DIR
from bot.handoff.service import active_ticket
from bot.ratelimit import is_loopback, within
from bot.settings import Settings
from bot.text.incoming import storable

router = APIRouter(tags=["web chat"])

MAX_TEXT = 4000
_SENDER = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_WARD = re.compile(r"^[a-z0-9-]{1,80}$")


class IncomingMessage(BaseModel):
    sender: str = Field(description="Stable id of the browser (letters, digits, - and _).")
    id: str | None = Field(
        default=None,
        max_length=64,
        description="The page's id for this message: a retried send is answered once.",
    )
    text: str = Field(description="What the resident typed, or a button's payload.")
    ward: str | None = Field(
        default=None, description="Ward code from the page link (?phuong=...): whose team helps."
    )

    @field_validator("sender")
    @classmethod
    def _valid_sender(cls, value: str) -> str:
        if not _SENDER.match(value):
            raise ValueError(
                "Mã người gửi không hợp lệ: chỉ gồm chữ, số, '-' hoặc '_' (tối đa 64)."
            )
        return value

    @field_validator("text")
    @classmethod
    def _encodable_text(cls, value: str) -> str:
        return storable(value)

    @field_validator("ward")
    @classmethod
    def _valid_ward(cls, value: str | None) -> str | None:
        if value is not None and not _WARD.match(value):
            raise ValueError("Mã phường không hợp lệ: chữ thường không dấu, số và '-'.")
        return value


class Reply(BaseModel):
    messages: list[OutgoingMessage]
    # True while a person of the ward's team has the conversation: the page polls faster.
    handoff: bool = False
    # Pending messages only: the id of the last one, which the page sends back as ``after``
    # on its next poll to acknowledge them (a lost answer is sent again).
    last: int | None = None


@router.get("/", include_in_schema=False)
async def page(request: Request) -> FileResponse:
    """The chat page, with headers that keep other sites from framing it (unless
    WEB_CHAT_FRAME_ANCESTORS lets a ward's portal) and scripts to this site's own."""
    settings: Settings = request.app.state.settings
    ancestors = settings.web_chat_frame_ancestors.strip() or "'none'"
    headers = {
        "Cache-Control": "no-cache",
        "Content-Security-Policy": (
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            f"connect-src 'self'; form-action 'self'; base-uri 'none'; "
            f"frame-ancestors {ancestors}"
        ),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
    }
    if ancestors == "'none'":
        headers["X-Frame-Options"] = "DENY"  # for browsers without CSP frame-ancestors
    return FileResponse(STATIC_DIR / "index.html", headers=headers)


@router.get("/api/messages/pending", response_model=Reply)
def pending_messages(session: SessionDep, sender: str, after: int | None = None) -> Reply:
    """Messages the assistant sent on its own (a team member's replies, status updates),
    polled by the web chat; ``after`` acknowledges those up to that id."""
    if not _SENDER.match(sender):
        raise HTTPException(422, "Mã người gửi không hợp lệ.")
    rows = pending(session, "web", sender, after)
    return Reply(
        messages=[OutgoingMessage(text=t) for _, t in rows],
        handoff=_handed_off(session, sender),
        last=rows[-1][0] if rows else after,
    )


def _handed_off(session: Session, sender: str) -> bool:
    return active_ticket(session, "web", sender) is not None


def _is_handed_off(sender: str) -> bool:
    with session_scope() as session:
        return _handed_off(session, sender)


@router.post("/api/messages", response_model=Reply)
async def post_message(
    message: IncomingMessage,
    request: Request,
    inbox: Annotated[Inbox, Depends(get_inbox)],
) -> Reply:
    text = message.text.strip()
    if not text:
        raise HTTPException(422, "Bạn chưa nhập nội dung. Hãy gõ câu hỏi rồi bấm Gửi nhé.")
    if len(text) > MAX_TEXT:
        raise HTTPException(
            422,
            f"Tin nhắn dài quá {MAX_TEXT} ký tự. Bạn chia thành vài tin ngắn hơn giúp mình nhé.",
        )
    # The address limits status look-ups (behind a reverse proxy: run uvicorn with
    # --proxy-headers so this is the resident's address).
    address = request.client.host if request.client else None
    settings: Settings = request.app.state.settings
    metadata = {"address": address, "ward_code": message.ward}
    platform_id = f"{message.sender}:{message.id}" if message.id else None
    limits = _limits(settings, message.sender, address)
    message_id = await inbox.accept("web", message.sender, text, platform_id, metadata, limits)
    messages: list[OutgoingMessage] = []
    if message_id is not None:  # None: a retried send, already answered
        messages = await inbox.answer(
            message_id, "web", message.sender, text, _in_the_response, metadata
        )
    return Reply(messages=messages, handoff=await run_in_threadpool(_is_handed_off, message.sender))


TOO_FAST = "Bạn gửi tin nhanh quá. Bạn chờ khoảng một phút rồi gửi tiếp giúp mình nhé."


def _limits(settings: Settings, sender: str, address: str | None) -> Admit:
    """The web chat's rate limits, checked as the message is stored (one transaction)."""

    def admit(session: Session) -> None:
        per_sender = within(
            session, f"web:{sender}", settings.web_messages_per_sender_per_minute, 60
        )
        per_address = is_loopback(address) or within(
            session, f"web-address:{address}", settings.web_messages_per_address_per_minute, 60
        )
        if not (per_sender and per_address):
            raise HTTPException(429, TOO_FAST)

    return admit


async def _in_the_response(_user_id: str, _messages: list[OutgoingMessage]) -> None:
    """The web chat's replies travel in the HTTP response itself."""
