"""``kb report``: distinct residents, no off-topic noise, questions answered since left out."""

from __future__ import annotations

import secrets

import pytest

from bot.db import session_scope
from bot.knowledge.models import UnansweredQuestion
from bot.knowledge.report import print_report
from bot.knowledge.responder import Responder
from bot.knowledge.search import Searcher
from bot.text import fold


def ask(question: str, resident: str, outcome: str = "unsure") -> None:
    with session_scope() as session:
        session.add(
            UnansweredQuestion(
                channel="web",
                question=question,
                folded=fold(question),
                confidence=0.1,
                candidates="",
                outcome=outcome,
                resident=resident,
            )
        )


def test_report_counts_residents_and_skips_what_is_answered_now(
    searcher: Searcher, migrated_db: None, capsys: pytest.CaptureFixture[str]
) -> None:
    tag = secrets.token_hex(3)
    for _ in range(30):  # one script, thirty times
        ask(f"vneid có chạy trên đồng hồ thông minh không {tag}", "bot")
    ask(f"vneid có chạy trên đồng hồ thông minh không {tag}", "someone")
    ask(f"cách nấu phở bò {tag}", "x", outcome="off_topic")
    ask("quên mật khẩu vneid thì làm thế nào", "y")  # the index answers it now
    print_report(Responder(searcher), days=1, limit=200)
    out = capsys.readouterr().out
    assert (
        f"2 người,   31 lần  [chưa chắc] vneid có chạy trên đồng hồ thông minh không {tag}" in out
    )
    assert "nấu phở" not in out
    assert "quên mật khẩu vneid thì làm thế nào" not in out
    assert "nay đã được trả lời" in out
