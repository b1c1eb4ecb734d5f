"""What a status means for the resident, and what to do next, in plain Vietnamese.

Statuses differ between systems; they are matched by keywords of their folded text. A
status we do not recognise is shown as it is, with the office to ask.
"""

from __future__ import annotations

from datetime import date

from bot.privacy import mask_pii
from bot.status.providers import ApplicationStatus
from bot.text import fold
from bot.text.dates import vietnam_today

_UNKNOWN = ""
_WAITING = (
    "Hồ sơ đang chờ bạn bổ sung giấy tờ{note}. Bạn mang giấy tờ còn thiếu cùng giấy tiếp nhận "
    "đến {office}, hoặc nộp bổ sung trực tuyến trên cổng nơi đã nộp (mục tra cứu hồ sơ, "
    '"Bổ sung hồ sơ"). Hồ sơ chỉ được giải quyết tiếp sau khi đã bổ sung.'
)
_PROCESSING = "Hồ sơ đang được giải quyết, bạn chưa cần làm gì thêm.{due}"
# First match wins. Negations and finished supplements come first: "Không tiếp nhận" is
# not "tiếp nhận", "Chưa hoàn thành" not "hoàn thành", "Đã bổ sung" no longer waits.
_RULES: list[tuple[tuple[str, ...], str]] = [
    (
        ("tu choi", "khong giai quyet", "khong du dieu kien", "khong tiep nhan"),
        "Hồ sơ không được giải quyết{note}. Bạn liên hệ {office} để được giải thích và hướng dẫn "
        "nộp lại nếu được.",
    ),
    (("chua hoan thanh", "chua co ket qua", "chua tra", "chua xu ly"), _UNKNOWN),
    (("da bo sung",), "Hồ sơ đã được bổ sung và đang được giải quyết tiếp.{due}"),
    (("bo sung",), _WAITING),
    (
        ("da tra", "hoan thanh", "da nhan ket qua"),
        "Hồ sơ đã hoàn thành và đã trả kết quả. Nếu bạn chưa nhận được, hãy liên hệ {office}.",
    ),
    (
        ("co ket qua", "cho tra", "cho nhan ket qua", "da duyet"),
        "Hồ sơ đã có kết quả. Bạn mang giấy tiếp nhận và giấy tờ tùy thân (thẻ căn cước) đến "
        "{office} để nhận, hoặc nhận theo cách đã đăng ký khi nộp (bưu điện, trực tuyến).",
    ),
    (
        ("dang xu ly", "dang giai quyet", "da tiep nhan", "moi dang ky", "cho xu ly", "tiep nhan"),
        _PROCESSING,
    ),
]


def _overdue(app: ApplicationStatus, today: date) -> bool:
    return app.due_at is not None and app.due_at < today


def explain(app: ApplicationStatus, today: date | None = None) -> str:
    today = today or vietnam_today()
    key = fold(app.status)
    office = app.office or "nơi đã nộp hồ sơ"
    # Exports sometimes carry a phone or ID number in the note: never show it in a chat.
    note = f" ({mask_pii(app.note)})" if app.note else ""
    due = f" Ngày hẹn trả: {app.due_at:%d/%m/%Y}." if app.due_at else ""
    for keywords, text in _RULES:
        if any(k in key for k in keywords):
            if not text:  # a negated status: we cannot say what it means
                break
            meaning = text.format(office=office, note=note, due=due)
            if text == _PROCESSING and _overdue(app, today):
                meaning = (
                    f"Hồ sơ đã quá ngày hẹn trả ({app.due_at:%d/%m/%Y}) mà chưa có kết "
                    f"quả. Bạn liên hệ {office} (mang theo giấy tiếp nhận) để hỏi lý do, "
                    "hoặc nhờ tổ công nghệ số cộng đồng hỗ trợ."
                )
            return meaning
    return (
        f'Trạng thái "{app.status}" chưa có giải thích chính thức trong hệ thống. '
        f"Bạn liên hệ {office} để hỏi rõ."
    )


def status_message(app: ApplicationStatus, today: date | None = None) -> str:
    """The answer: no name, ID number or address of the applicant, only the application."""
    lines = [
        f"Hồ sơ {app.code}",
        f"- Thủ tục: {app.procedure}",
        f"- Trạng thái: {app.status}",
        f"- Ngày tiếp nhận: {app.received_at:%d/%m/%Y}",
    ]
    if app.due_at:
        lines.append(f"- Hẹn trả: {app.due_at:%d/%m/%Y}")
    if app.office:
        lines.append(f"- Nơi giải quyết: {app.office}")
    lines.append(explain(app, today))
    return "\n".join(lines)
