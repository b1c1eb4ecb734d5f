"""Masking of personal data (ID numbers, phone numbers, e-mails) and secrets in URLs,
for logs and reports."""

from __future__ import annotations

import re

# 12-digit personal ID (căn cước), 9-digit old ID card, Vietnamese phone numbers
# (0xxxxxxxxx, +84xxxxxxxxx, with optional spaces/dots), e-mail addresses.
_PATTERNS = [
    # ID numbers, also typed in groups ("0790 9300 1234", "079 093 001 234")
    re.compile(r"(?<![\w.-])\d(?:[ .]?\d){11}(?![\w-])"),
    re.compile(r"(?<![\w.-])(?:\+?84|0)(?:[\s.-]?\d){8,10}(?![\w-])"),
    re.compile(r"(?<![\w.-])\d(?:[ .]?\d){8}(?![\w-])"),
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
