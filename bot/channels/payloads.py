"""Short codes for button payloads: Telegram's callback_data holds at most 64 bytes, and a
Rasa payload like '/ask_question{"article_id":"vneid-integrate-vehicle-registration"}' is
longer. Payloads are stored once and the button carries "b:<id>"."""

from __future__ import annotations

from sqlalchemy import Integer, String, select
from sqlalchemy.orm import Mapped, mapped_column

from bot.db import session_scope
from bot.db.base import Base

PREFIX = "b:"


class ButtonPayload(Base):
    __tablename__ = "button_payloads"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    payload: Mapped[str] = mapped_column(String(1000), unique=True)


def code_for(payload: str) -> str:
    with session_scope() as session:
        row = session.scalar(select(ButtonPayload).where(ButtonPayload.payload == payload))
        if row is None:
            row = ButtonPayload(payload=payload)
            session.add(row)
            session.flush()
        return f"{PREFIX}{row.id}"


def payload_for(code: str) -> str | None:
    if not code.startswith(PREFIX) or not code[len(PREFIX) :].isdigit():
        return None
    with session_scope() as session:
        row = session.get(ButtonPayload, int(code[len(PREFIX) :]))
        return row.payload if row else None
