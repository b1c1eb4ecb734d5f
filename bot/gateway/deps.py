"""FastAPI dependencies: objects built once at start-up, kept on ``app.state``."""

from __future__ import annotations

from fastapi import Request

from bot.conversation.dispatcher import Dispatcher
from bot.conversation.rasa_client import RasaClient


def get_dispatcher(request: Request) -> Dispatcher:
    dispatcher: Dispatcher = request.app.state.dispatcher
    return dispatcher


def get_rasa(request: Request) -> RasaClient:
    rasa: RasaClient = request.app.state.rasa
    return rasa
