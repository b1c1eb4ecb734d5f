"""What ``action_request_human`` sends the gateway: a custom message
``{"handoff": {"reason", "question", "transcript"}}`` that the dispatcher turns into a
ticket. Built here, Rasa-free, from the tracker's events."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

CONTEXT_MESSAGES = 6  # how much of the conversation the team sees with a new ticket


def transcript(events: Iterable[dict[str, Any]], limit: int = CONTEXT_MESSAGES) -> list[list[str]]:
    """The last resident and assistant texts, oldest first. Button payloads ("/intent")
    and the request for a person itself say nothing the team needs."""
    said: list[list[str]] = []
    for event in events:
        text = str(event.get("text") or "").strip()
        if not text or text.startswith("/"):
            continue
        if event.get("event") == "user":
            said.append(["resident", text])
        elif event.get("event") == "bot":
            said.append(["assistant", text])
    return said[-limit:]


def handoff_message(reason: str, question: str, events: Iterable[dict[str, Any]]) -> dict[str, Any]:
    return {"handoff": {"reason": reason, "question": question, "transcript": transcript(events)}}


def main_question(events: list[dict[str, Any]], last_question: str | None) -> str:
    """The resident's real question: the one the knowledge base last tried, else the
    last thing they typed that was not the request for a person."""
    if last_question:
        return last_question
    for event in reversed(events):
        intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
        text = str(event.get("text") or "")
        if (
            event.get("event") == "user"
            and text
            and not text.startswith("/")
            and intent not in {"request_human", "affirm", "greet"}
        ):
            return text
    return ""
