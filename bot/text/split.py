"""Split text into chat-sized messages at paragraph boundaries (standard library only)."""

from __future__ import annotations


def pack(paragraphs: list[str], limit: int) -> list[str]:
    """Group paragraphs into messages of at most ``limit`` characters, never splitting a
    paragraph unless it alone is longer than the limit (then at line breaks, then at a
    space). Paragraphs are joined by a single newline: Rasa splits a text at blank lines
    into separate messages, which would send one chat bubble per section."""
    messages: list[str] = []
    current = ""
    for paragraph in paragraphs:
        pieces = [paragraph] if len(paragraph) <= limit else paragraph.split("\n")
        for piece in pieces:
            while len(piece) > limit:  # a single line over the limit: cut at a space
                cut = piece.rfind(" ", 0, limit) if " " in piece[:limit] else limit
                messages.append(piece[:cut].strip())
                piece = piece[cut:].strip()
            if current and len(current) + 1 + len(piece) > limit:
                messages.append(current)
                current = ""
            current = f"{current}\n{piece}" if current else piece
    if current:
        messages.append(current)
    return messages


def split_message(text: str, limit: int) -> list[str]:
    """One long chat text as several messages of at most ``limit`` characters."""
    return pack([p for p in text.split("\n") if p.strip()], limit) or [text[:limit]]
