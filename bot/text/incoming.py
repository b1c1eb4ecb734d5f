"""What every channel does to a resident's text before anything stores it."""

from __future__ import annotations

import re

# NUL and the other C0 controls but tab and newline mean nothing in a chat message, and
# PostgreSQL refuses NUL in text columns.
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def storable(text: str) -> str:
    """``text`` without control characters and with lone surrogates (a "\\ud800" JSON
    escape) replaced by U+FFFD: what can be stored, relayed and sent to Rasa."""
    text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return _CONTROLS.sub("", text)
