"""What answers a resident's message, whatever the channel (the inbox calls it).

A handed-off resident's messages go to a person (the handoff desk), not Rasa. Otherwise the
message goes to Rasa, masked (``for_rasa``), and a failure becomes a polite apology, the
message kept (``UndeliveredMessage``) and marked unanswered so the inbox answers it later.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass, replace
from typing import Any, Protocol

from starlette.concurrency import run_in_threadpool

from bot.conversation.messages import OutgoingMessage
from bot.conversation.models import UndeliveredMessage
from bot.conversation.outcomes import HANDOFF, MARKER, OTHER, TEAM, Verdict
from bot.conversation.rasa_client import RasaClient, RasaUnavailable
from bot.db import session_scope
from bot.privacy import mask_pii
from bot.texts import APOLOGY, NO_DESK

logger = logging.getLogger(__name__)


class HandoffRouter(Protocol):
    """What the dispatcher needs of the handoff desk (bot.handoff.desk.HandoffDesk): the
    conversation package does not import the handoff package, which builds on it."""

    async def route(
        self, channel: str, user_id: str, text: str
    ) -> list[OutgoingMessage] | None: ...

    async def start(
        self, channel: str, user_id: str, ward: str | None, request: dict[str, Any]
    ) -> list[OutgoingMessage]: ...


def sender_id(channel: str, user_id: str) -> str:
    """Rasa keeps one conversation per person per channel: "telegram:123", "web:ab12"."""
    return f"{channel}:{user_id}"


@dataclass(frozen=True)
class Handled:
    messages: list[OutgoingMessage]
    # False when the resident got the apology (Rasa or the action server down or silent):
    # the inbox answers the message again later.
    answered: bool = True
    verdict: Verdict | None = None  # what became of it, for the figures


class Dispatcher:
    def __init__(
        self,
        rasa: RasaClient,
        ward: str,
        desk: HandoffRouter | None = None,
        address_key: bytes | None = None,
        default_ward: str = "",
    ) -> None:
        self._rasa = rasa
        self._ward = ward
        self._default_ward = default_ward
        self._desk = desk
        # Keys the residents' addresses Rasa sees (see ``for_rasa``); random per process
        # unless the settings fix one (several gateways must share it).
        self._address_key = address_key or secrets.token_bytes(32)

    def for_rasa(self, text: str, meta: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """What Rasa's tracker store keeps: the text with ID and phone numbers masked
        (application codes stay: the look-up needs them), and the web client's address as
        a keyed hash (the look-up limits only compare addresses)."""
        address = meta.get("address")
        if address:
            digest = hmac.new(self._address_key, str(address).encode(), hashlib.sha256)
            meta = {**meta, "address": digest.hexdigest()[:32]}
        return mask_pii(text), meta

    async def handle(
        self, channel: str, user_id: str, text: str, metadata: dict[str, Any] | None = None
    ) -> Handled:
        sender = sender_id(channel, user_id)
        meta = {"channel": channel, "user_id": user_id, "ward": self._ward, **(metadata or {})}
        ward = str(meta.get("ward_code") or self._default_ward)[:80]
        if self._desk is not None:
            try:
                # A handed-off resident talks to a person: Rasa does not see the message.
                routed = await self._desk.route(channel, user_id, text)
            except Exception:  # the database hiccuped: the assistant answers meanwhile
                logger.exception("handoff routing failed for %s", sender)
                routed = None
            if routed is not None:
                return Handled(routed, verdict=Verdict(TEAM, ward=ward))
        try:
            replies = await self._rasa.send(sender, *self.for_rasa(text, meta))
        except RasaUnavailable as exc:
            return await self._apologise(channel, sender, text, f"rasa unavailable: {exc}")
        if not replies:
            # Every rule in the domain answers; silence means an action failed (the
            # action server is down or raised).
            return await self._apologise(channel, sender, text, "rasa returned no reply")
        messages: list[OutgoingMessage] = []
        verdict = Verdict(OTHER)
        for reply in replies:
            custom = reply.get("custom")
            if isinstance(custom, dict) and MARKER in custom:  # for the figures, not sent
                verdict = Verdict.from_marker(custom[MARKER]) or verdict
            elif isinstance(custom, dict) and isinstance(custom.get("handoff"), dict):
                messages += await self._hand_off(channel, user_id, meta, custom["handoff"])
                verdict = Verdict(HANDOFF, topic=str(custom["handoff"].get("reason") or ""))
            else:
                messages.append(OutgoingMessage.from_rasa(reply))
        return Handled(messages, verdict=replace(verdict, ward=ward))

    async def _hand_off(
        self, channel: str, user_id: str, meta: dict[str, Any], request: dict[str, Any]
    ) -> list[OutgoingMessage]:
        """``action_request_human`` asked for a person: open a ticket for the team."""
        if self._desk is None:
            return [OutgoingMessage(text=NO_DESK)]
        try:
            return await self._desk.start(channel, user_id, meta.get("ward_code"), request)
        except Exception:
            logger.exception("could not open a handoff ticket for %s", sender_id(channel, user_id))
            return [OutgoingMessage(text=NO_DESK)]

    async def _apologise(self, channel: str, sender: str, text: str, reason: str) -> Handled:
        logger.warning("message from %s kept, not answered: %s", sender, reason)
        try:
            await run_in_threadpool(_keep, channel, sender, text, reason)
        except Exception:  # the resident still gets the apology
            logger.exception("could not store the undelivered message from %s", sender)
        return Handled([OutgoingMessage(text=APOLOGY)], answered=False)


def _keep(channel: str, sender: str, text: str, reason: str) -> None:
    with session_scope() as session:
        session.add(UndeliveredMessage(channel=channel, sender=sender, text=text, reason=reason))
