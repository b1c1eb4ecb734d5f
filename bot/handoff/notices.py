"""What residents are told about their handoff, in the assistant's voice ("mình"/"bạn")."""

from __future__ import annotations

from datetime import datetime

from bot.handoff.hours import describe_opening, parse_hours
from bot.texts import HOTLINE

MEANWHILE = (
    "Trong lúc chờ, bạn cứ nhắn thêm chi tiết (đang làm bước nào, máy báo lỗi gì). "
    "Đừng gửi mật khẩu hay mã OTP cho bất kỳ ai. "
    'Nếu không cần nữa, bạn bấm "Quay lại trợ lý" hoặc nhắn "hủy".'
)


def started(ticket_id: int, team_name: str, hours: str, wait_minutes: int, now: datetime) -> str:
    spec = parse_hours(hours)
    if spec.is_open(now):
        when = (
            f"Một người trong tổ sẽ nhắn lại bạn ngay tại đây, thường trong khoảng "
            f"{wait_minutes} phút."
        )
    else:
        opening = spec.next_opening(now)
        start = (
            f" Người hỗ trợ sẽ trả lời bạn từ {describe_opening(opening, now)}." if opening else ""
        )
        when = f"Hiện đã ngoài giờ làm việc của tổ ({hours}).{start}"
    return (
        f"Mình đã chuyển câu hỏi của bạn cho {team_name} (yêu cầu số {ticket_id}). {when}\n"
        f"{MEANWHILE}"
    )


def already_waiting(ticket_id: int, claimed_by: str | None) -> str:
    if claimed_by:
        return f"{claimed_by} đang hỗ trợ bạn (yêu cầu số {ticket_id}). Bạn cứ nhắn tại đây nhé."
    return (
        f"Yêu cầu số {ticket_id} của bạn đang chờ người hỗ trợ nhận. Bạn cứ nhắn thêm chi tiết, "
        "người hỗ trợ sẽ đọc được hết. "
        'Bấm "Quay lại trợ lý" (hoặc nhắn "hủy") nếu không cần nữa.'
    )


def forwarded(ticket_id: int) -> str:
    return f"Mình đã chuyển tin này cho tổ hỗ trợ (yêu cầu số {ticket_id}). Bạn chờ chút nhé."


def claimed(member_name: str, team_name: str) -> str:
    return (
        f"{member_name} ở {team_name} đã nhận hỗ trợ bạn. Bạn cứ nhắn tại đây, "
        f"{member_name} sẽ trả lời."
    )


def released() -> str:
    return (
        "Người hỗ trợ vừa chuyển yêu cầu của bạn lại cho cả tổ; một người khác sẽ nhắn bạn "
        "sớm. Bạn không cần gửi lại câu hỏi."
    )


def closed(member_name: str | None) -> str:
    who = member_name or "Người hỗ trợ"
    return (
        f"{who} đã kết thúc cuộc trò chuyện. Từ giờ mình (trợ lý tự động) tiếp tục hỗ trợ bạn; "
        'khi cần gặp người, bạn nhắn "gặp người hỗ trợ" nhé.'
    )


CANCELLED = "Mình đã hủy yêu cầu gặp người hỗ trợ. Bạn cần gì cứ nhắn mình nhé."

TEXT_ONLY = (
    "Bạn đang trò chuyện với người hỗ trợ của tổ công nghệ số: bạn nhắn bằng chữ giúp mình "
    'nhé. Bấm "Quay lại trợ lý" (hoặc nhắn "hủy") nếu muốn quay lại trợ lý tự động.'
)


def waiting_too_long(ticket_id: int, hours: str) -> str:
    return (
        f"Xin lỗi bạn, tổ hỗ trợ chưa có ai rảnh để nhận yêu cầu số {ticket_id}. Yêu cầu vẫn "
        f"được giữ và người hỗ trợ sẽ nhắn bạn ngay khi có thể (giờ làm việc của tổ: {hours}). "
        f"Nếu cần gấp, bạn {HOTLINE}."
    )


TOO_MANY_TICKETS = (
    "Bạn vừa gửi nhiều yêu cầu gặp người hỗ trợ, tổ công nghệ số đang xem các yêu cầu trước. "
    f"Bạn chờ một lúc rồi thử lại nhé; nếu cần gấp, bạn {HOTLINE}."
)

NO_TEAM = (
    "Phường chưa cấu hình tổ hỗ trợ trực tuyến, nên mình chưa chuyển được cho người. "
    f"Để được hỗ trợ trực tiếp, bạn {HOTLINE}. Trong lúc đó bạn vẫn có thể nhắn câu hỏi "
    "để mình thử hướng dẫn."
)
