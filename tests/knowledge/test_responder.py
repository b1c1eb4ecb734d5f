"""The answer flow: confident answers, unsure, not covered and off-topic outcomes recorded
(masked), follow-ups."""

from __future__ import annotations

from sqlalchemy import select

from bot.db import session_scope
from bot.knowledge.models import Feedback, UnansweredQuestion
from bot.knowledge.responder import Outcome, Responder, is_follow_up, record_feedback
from bot.knowledge.search import Searcher
from bot.texts import DECLINE_MARK


def test_confident_answer(searcher: Searcher, migrated_db: None) -> None:
    reply = Responder(searcher).answer("quên mật khẩu vneid thì lấy lại thế nào", "web")
    assert reply.confident and reply.article_id == "vneid-forgot-password"
    assert "\nNguồn: " in reply.messages[-1]["text"]
    assert reply.messages[-1]["buttons"][0]["payload"].startswith("/show_article")


def test_unsure_answer_offers_titles_and_a_person_and_is_recorded_masked(
    searcher: Searcher, migrated_db: None
) -> None:
    question = "quên mật khẩu, số cccd của tôi là 001203004567"
    reply = Responder(searcher, threshold=0.9999, not_covered_below=0.0).answer(
        question, "telegram"
    )
    assert reply.outcome is Outcome.UNSURE and reply.article_id is None
    assert DECLINE_MARK in reply.messages[0]["text"]  # says plainly it has no sure guide
    buttons = reply.messages[0]["buttons"]
    assert buttons[-1]["payload"] == "/request_human"
    assert all(b["payload"].startswith("/ask_question{") for b in buttons[:-1])
    with session_scope() as session:
        row = session.scalars(
            select(UnansweredQuestion).order_by(UnansweredQuestion.id.desc())
        ).first()
        assert row is not None and row.channel == "telegram" and row.outcome == "unsure"
        assert "001203004567" not in row.question and "*********567" in row.question


def test_uncovered_questions_are_declined_plainly_and_recorded(
    searcher: Searcher, migrated_db: None
) -> None:
    reply = Responder(searcher).answer("xin giấy phép xây dựng nhà ở quê", "web")
    assert reply.outcome is Outcome.NOT_COVERED and reply.article_id is None
    text = reply.messages[0]["text"]
    assert DECLINE_MARK in text and "dichvucong.gov.vn" in text
    assert reply.messages[0]["buttons"][-1]["payload"] == "/request_human"
    with session_scope() as session:
        row = session.scalars(
            select(UnansweredQuestion).order_by(UnansweredQuestion.id.desc())
        ).first()
        assert row is not None and row.outcome == "not_covered"


def test_off_topic_messages_get_no_article(searcher: Searcher, migrated_db: None) -> None:
    reply = Responder(searcher).answer("cách nấu phở bò cho ngon", "web")
    assert reply.outcome is Outcome.OFF_TOPIC and reply.messages == []


def test_follow_up_uses_the_previous_topic(searcher: Searcher) -> None:
    assert is_follow_up("còn mức 1 thì sao?") and is_follow_up("the con thuong tru thi sao")
    assert not is_follow_up("quên mật khẩu vneid thì phải làm những bước nào ở nhà")
    responder = Responder(searcher)
    alone = responder.search("the con thuong tru thi sao")
    after = responder.search("the con thuong tru thi sao", "residence-temporary-tam-tru")
    assert after.top is not None and after.top.article_id == "residence-permanent-thuong-tru"
    assert alone.top is not None
    follow = responder.search("còn mức 1 thì sao", "vneid-register-level2")
    assert "vneid-register-level2" not in [h.article_id for h in follow.hits]
    assert "vneid-register-level1" in [h.article_id for h in follow.hits[:3]]


def test_feedback_is_recorded(migrated_db: None) -> None:
    record_feedback("web", "vneid-forgot-password", False, "gọi 0912345678 giúp")
    with session_scope() as session:
        row = session.scalars(select(Feedback).order_by(Feedback.id.desc())).first()
        assert row is not None and not row.helpful and "0912345678" not in row.question


STORY = (
    "Chiều qua cháu tôi đi đá bóng về thì làm rơi đâu mất cái ví, trong ví có tiền, thẻ xe "
    "buýt và thẻ căn cước. Cả nhà đã đi tìm khắp nơi mà không thấy. Làm lại thẻ căn cước thì "
    "tốn bao nhiêu tiền?"
)


def test_a_story_is_read_by_its_question_when_the_whole_is_not_sure(searcher: Searcher) -> None:
    whole = searcher.search(STORY).confidence
    alone = searcher.search("Làm lại thẻ căn cước thì tốn bao nhiêu tiền?").confidence
    assert alone > whole
    # A threshold the whole message misses and its question alone reaches.
    responder = Responder(searcher, threshold=(whole + alone) / 2)
    result = responder.read(STORY)
    assert result.reading == "Làm lại thẻ căn cước thì tốn bao nhiêu tiền?"
    assert result.query == STORY  # the lines quoted and the checks are the whole message's
    reply = responder.decide(STORY)
    assert reply.outcome is Outcome.ANSWER and reply.article_id == "cancuoc-renew-reissue"


def test_a_story_s_areas_still_bind_its_question(searcher: Searcher) -> None:
    story = (
        "Mảnh đất của ông bà để lại chưa có sổ đỏ, gia đình tôi đang bàn nhau chia cho các "
        "con, anh em cãi nhau suốt. Chứng thực hợp đồng thì làm ở đâu?"
    )
    responder = Responder(searcher, threshold=0.99)
    # Read alone, the question is about certifying contracts; the story is about a first
    # land-use certificate, which no article covers.
    assert responder.read(story).reading is None
    assert responder.decide(story).outcome is Outcome.NOT_COVERED
