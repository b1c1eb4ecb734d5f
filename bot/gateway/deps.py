"""FastAPI dependencies: objects built once at start-up, kept on ``app.state`` (the
request's database session is ``bot.db.SessionDep``)."""

from __future__ import annotations

from fastapi import Request

from bot.conversation.inbox import Inbox


def get_inbox(request: Request) -> Inbox:
    inbox: Inbox = request.app.state.inbox
    return inbox
