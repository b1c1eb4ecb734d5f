"""The one message type: what the assistant says, independent of the channel that carries
it (the channels render it; the conversation, the handoff desk and the gateway build it)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class Button(BaseModel):
    title: str
    # Sent back as the resident's message when pressed: text, or "/intent" for Rasa.
    payload: str


class OutgoingMessage(BaseModel):
    text: str = ""
    buttons: list[Button] = Field(default_factory=list)
    image: str | None = None
    # Rasa custom payloads (e.g. {"sources": [...]}) that a channel may render.
    custom: dict[str, Any] | None = None

    @classmethod
    def from_rasa(cls, reply: dict[str, Any]) -> OutgoingMessage:
        """Build from one item of Rasa's REST channel response."""
        buttons = [
            Button(title=str(b.get("title", "")), payload=str(b.get("payload", "")))
            for b in reply.get("buttons") or []
            if b.get("title")
        ]
        custom = reply.get("custom")
        return cls(
            text=str(reply.get("text") or ""),
            buttons=buttons,
            image=reply.get("image"),
            custom=custom if isinstance(custom, dict) else None,
        )
