"""Reading a platform's webhook body without trusting it: any bytes, any JSON shape."""

from __future__ import annotations

import hmac
import json
from typing import Any

from fastapi import HTTPException


def json_object(body: bytes, what: str) -> dict[str, Any]:
    """The body as a JSON object, or 400 (not JSON, too deeply nested, not an object)."""
    try:
        value = json.loads(body)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        raise HTTPException(400, f"body must be {what}") from exc
    if not isinstance(value, dict):
        raise HTTPException(400, f"body must be {what}")
    return value


def field(value: Any, *path: str) -> Any:
    """``value[path[0]][path[1]]…``, or None where a step is missing or not an object."""
    for key in path:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def same_secret(given: str, expected: str) -> bool:
    """Constant-time comparison that a non-ASCII header cannot break (TypeError)."""
    return bool(given) and hmac.compare_digest(
        given.encode("utf-8", "surrogateescape"), expected.encode("utf-8")
    )
