"""FastAPI dependencies: objects built once at start-up, kept on ``app.state``."""

from __future__ import annotations

from fastapi import Request

from bot.conversation.dispatcher import Dispatcher


def get_dispatcher(request: Request) -> Dispatcher:
    dispatcher: Dispatcher = request.app.state.dispatcher
    return dispatcher
