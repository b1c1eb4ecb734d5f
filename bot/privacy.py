"""Masking of personal data (ID numbers, phone numbers, e-mails) and secrets in URLs,
for logs and reports."""

from __future__ import annotations

import hashlib
import re

# 12-digit personal ID (căn cước), 9-digit old ID card, Vietnamese phone numbers
# (0xxxxxxxxx, +84xxxxxxxxx), e-mail addresses. Residents group digits with spaces, dots
# or hyphens ("079-093-001-234") and glue them to a label ("cccd079093001234",
# "sđt0912345678", "CCCD.079…"): a number may follow a letter or a dot, never a digit.
# An application code's tail ("H26-240915-0012") is not one.
_START = r"(?<!\d)(?<!\d[ .-])(?!\d{0,6}[-–]\d{6}[-–]\d{3,6}(?!\d))"
_END = r"(?![ .-]?\d)(?!-?\w*\d)"
_PATTERNS = [
    re.compile(rf"{_START}\d(?:[ .-]?\d){{11}}{_END}"),
    re.compile(rf"{_START}(?:\+?84|0)(?:[ .-]?\d){{8,10}}{_END}"),
    re.compile(rf"{_START}\d(?:[ .-]?\d){{8}}{_END}"),
    re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"),
]


_SECRETS = re.compile(r"(?i)\b(token|access_token|secret|password)=([^&\s]+)")


def _mask(match: re.Match[str]) -> str:
    value = match.group()
    if "@" in value:
        return value[0] + "***@" + value.split("@", 1)[1]
    digits = re.sub(r"\D", "", value)
    return "*" * (len(digits) - 3) + digits[-3:]


def mask_pii(text: str) -> str:
    """Replace ID numbers, phone numbers and e-mails in ``text`` by masked forms."""
    text = _SECRETS.sub(lambda m: f"{m.group(1)}=***", text)
    for pattern in _PATTERNS:
        text = pattern.sub(_mask, text)
    return text


def resident_key(sender: str) -> str:
    """A resident as the figures count them ("web:ab12", "telegram:123"): a short one-way
    digest, the same in every process, so distinct residents are counted without keeping
    who they are."""
    return hashlib.sha256(f"resident:{sender}".encode()).hexdigest()[:16]
