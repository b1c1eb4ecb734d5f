"""Resident-facing texts more than one package says (the conversation, the handoff desk,
the channels): one place, in the assistant's voice ("mình"/"bạn"). Texts one package alone
says live beside it (bot/handoff/notices.py, bot/knowledge/answer.py, domain.yml)."""

from __future__ import annotations

HOTLINE = (
    "gọi tổng đài Bộ Công an 1900 0368 (về VNeID, căn cước) hoặc đến bộ phận một cửa "
    "của phường trong giờ hành chính"
)

# Rasa or the action server did not answer: the message is kept and answered later.
APOLOGY = (
    "Xin lỗi bạn, hệ thống đang bận nên mình chưa trả lời được ngay. "
    "Tin nhắn của bạn đã được ghi lại, mình sẽ trả lời ngay khi hệ thống trở lại. Nếu cần gấp, "
    "hãy gọi tổng đài Bộ Công an 1900 0368 (về VNeID, căn cước) hoặc đến bộ phận một cửa "
    "của phường."
)

NO_DESK = f"Xin lỗi bạn, mình chưa chuyển được câu hỏi cho người hỗ trợ lúc này. Bạn {HOTLINE} nhé."

# In every reply that does not answer from an article (unsure, not covered): the answer
# evaluation tells a decline from an answer by it.
DECLINE_MARK = "chưa có hướng dẫn"
