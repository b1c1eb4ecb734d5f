"""Logging set-up shared by the gateway, the action server and the CLI.

Every record passes through ``mask_pii`` so that ID and phone numbers that residents
type never reach a log file in clear.
"""

from __future__ import annotations

import logging

from bot.privacy import mask_pii


class MaskingFormatter(logging.Formatter):
    """Masks the whole formatted record, tracebacks included (an exception's text may
    quote what a resident typed)."""

    def format(self, record: logging.LogRecord) -> str:
        return mask_pii(super().format(record))


class MaskingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_pii(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


def configure_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(MaskingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(MaskingFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # httpx logs every request URL at INFO: health polls are noise, and Rasa's API token
    # travels in a query parameter.
    for noisy in ("httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
