"""What kind of fact a question asks for, and which lines state it."""

from __future__ import annotations

import pytest

from bot.nlu.question_type import (
    QuestionType,
    labelled,
    question_type,
    reports_trouble,
    states,
)


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("phi lam ly lich tu phap online bao nhieu tien", QuestionType.FEE),
        ("làm lại cccd mất bn tiền v", QuestionType.FEE),
        # the story first, the question last
        ("Thẻ BHYT miễn phí của bé dùng đc tới khi nào ạ?", QuestionType.DURATION),
        ("nộp ở phường rồi, phí bao nhiêu", QuestionType.FEE),
        ("hộ cận nghèo được hỗ trợ bao nhiêu phần trăm", QuestionType.FEE),
        ("doi so dien thoai vneid qua tong dai bao lau thi xong", QuestionType.DURATION),
        ("lm giấy khai sinh mất mấy ngày", QuestionType.DURATION),
        ("trong bao lâu phải đăng ký khai tử", QuestionType.DEADLINE),
        ("đăng ký kết hôn ở đâu", QuestionType.PLACE),
        ("đi làm căn cước cần mang giấy tờ gì", QuestionType.PAPERS),
        ("ai được đăng ký khai sinh cho cháu", QuestionType.WHO),
        ("kích hoạt tài khoản định danh điện tử mức 2 như thế nào", QuestionType.HOW),
        ("cmnd 9 số còn dùng được không", QuestionType.YES_NO),
        # "trong thời gian chờ" tells when, it does not ask how long.
        ("trong thời gian chờ cấp lại thì có được lái xe không", QuestionType.YES_NO),
        ("thời gian chờ cấp lại bằng là mấy ngày", QuestionType.DURATION),
        # "mấy tháng nay", "mấy lần rồi": the story's time and tries, not the question.
        ("mấy tháng nay bị phạt liên tục, giờ có còn được chạy xe không", QuestionType.YES_NO),
        ("quét chip mấy lần rồi mà ko đc, có cách nào khác không", QuestionType.HOW),
        ("vneid", QuestionType.GENERAL),
    ],
)
def test_question_types(question: str, kind: QuestionType) -> None:
    assert question_type(question) is kind


def test_a_line_states_a_value_not_just_the_word() -> None:
    assert states(QuestionType.FEE, "Lệ phí: 200.000 đồng/lần")
    assert states(QuestionType.FEE, "Đăng ký đúng hạn được miễn lệ phí.")
    assert not states(QuestionType.FEE, "Lệ phí nộp luôn trong ứng dụng.")
    assert states(QuestionType.DURATION, "Thường khoảng 7–10 ngày làm việc.")
    assert not states(QuestionType.DURATION, "Bạn nhận kết quả qua ứng dụng.")


def test_lines_labelled_with_a_kind() -> None:
    assert labelled(QuestionType.FEE, "Lệ phí: 200.000 đồng")
    assert labelled(QuestionType.PAPERS, "Giấy tờ cần có: tờ khai")
    assert not labelled(QuestionType.FEE, "Nộp lệ phí trong ứng dụng sau khi gửi hồ sơ")
    assert not labelled(QuestionType.PLACE, "Lệ phí: 200.000 đồng")


def test_a_message_saying_something_went_wrong_reports_trouble() -> None:
    for text in (
        "tk bị trừ tiền r mà cổng chưa báo thanh toán",
        "lỡ đọc mã otp cho người lạ",
        "quét chip mấy lần ko đc",
        "bấm gửi thì báo lỗi",
    ):
        assert reports_trouble(text), text
    for text in ("phí làm lý lịch tư pháp bao nhiêu", "kích hoạt vneid mức 2 thế nào"):
        assert not reports_trouble(text), text
