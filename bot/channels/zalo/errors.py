"""Zalo OpenAPI error codes as exceptions that say what went wrong and what to do.

Zalo often answers HTTP 200 with ``{"error": <non-zero>, "message": ...}``: success is only
``"error": 0``. Codes gathered from third-party documentation and public code; unknown
codes keep Zalo's own message.
"""

from __future__ import annotations


class ZaloError(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"Zalo error {code}: {message}")
        self.code, self.message = code, message


class ZaloTokenExpired(ZaloError):
    """The access token expired or is invalid: refresh it (the client does, once)."""


class ZaloOutsideWindow(ZaloError):
    """The resident has not written within the free-reply window: the message cannot go."""


class ZaloUnavailable(ZaloError):
    """Network error or 5xx after the retries."""


class ZaloRateLimited(ZaloError):
    """Zalo refused for now (-32, believed to be a sending limit): try again later, not a
    permanent refusal."""


class ZaloRefreshFailed(ZaloError):
    """The refresh token was refused: re-authorise the OA app and set ZALO_REFRESH_TOKEN."""


TOKEN_CODES = {-216, -124, -14014}
# -213: the user does not follow the OA or the reply window is over; -230: the user has not
# interacted with the OA for 7 days. Both permanent for this message.
WINDOW_CODES = {-213, -230}
RATE_CODES = {-32}
KNOWN = {
    -216: "access token không hợp lệ hoặc đã hết hạn",
    -213: "người dùng chưa quan tâm OA hoặc đã quá thời gian được phép trả lời",
    -230: "người dùng không tương tác với OA trong 7 ngày qua",
    -201: "tham số không hợp lệ (kiểm tra nội dung tin nhắn, nút bấm)",
    -32: "vượt giới hạn gửi tin",
}


def error_for(code: int, message: str) -> ZaloError:
    message = message or KNOWN.get(code, "không rõ")
    if code in TOKEN_CODES:
        return ZaloTokenExpired(code, message)
    if code in WINDOW_CODES:
        return ZaloOutsideWindow(code, message)
    if code in RATE_CODES:
        return ZaloRateLimited(code, message)
    return ZaloError(code, message)
