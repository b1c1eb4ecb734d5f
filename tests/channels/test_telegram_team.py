"""The handoff team on Telegram: the real gateway (polling) against a fake Bot API and a
fake Rasa over HTTP; residents in private chats, the team in its group."""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any

import pytest
from telegram.ext import AIORateLimiter

from bot.channels.telegram import bot as telegram_bot
from bot.channels.telegram.team import NO_TICKET, NOT_MEMBER, NOT_SENT
from bot.db import session_scope
from bot.gateway.app import create_app
from bot.handoff import notices, service
from bot.handoff.models import CLAIMED, CLOSED, TelegramPost, Ticket
from bot.settings import Settings
from tests.channels.fake_telegram import FakeTelegram
from tests.fakes.rasa import FakeRasa
from tests.fakes.servers import serve

QUESTION = "Mình quên mật khẩu VNeID, CCCD 079093001234, số điện thoại 0912345678"


def wait_for(predicate: Callable[[], Any], seconds: float = 8.0) -> Any:
    deadline = time.monotonic() + seconds
    while not (found := predicate()):
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)
    return found


def person() -> int:
    return random.randint(10**8, 10**9)


@dataclass
class World:
    rasa: FakeRasa
    telegram: FakeTelegram
    group: int
    ward: str
    team_name: str
    lan: int  # Telegram user ids of members; Lan is configured by @username
    minh: int
    hung: int  # never pressed Start: no private message can reach him

    def claimed(self, name: str) -> str:
        """What the resident is told when ``name`` takes the ticket."""
        return notices.claimed(name, self.team_name)

    def member_id(self, user: int) -> int:
        with session_scope() as session:
            member = service.member_by_telegram(session, user, None)
            assert member is not None
            return member.id

    def add_member(self, name: str) -> int:
        user = person()
        with session_scope() as session:
            service.add_member(session, self.ward, name, telegram=str(user))
        self.telegram.user(user, name)
        return user


@pytest.fixture(scope="module")
def world(migrated_db: None) -> Iterator[World]:
    rasa, telegram = FakeRasa(), FakeTelegram(first_message_id=random.randint(10**6, 10**9))
    lan, minh, hung = person(), person(), person()
    telegram.user(lan, "Lan", "Lan_TCN")
    telegram.user(minh, "Minh")
    telegram.user(hung, "Hùng")
    telegram.never_started.add(hung)
    with session_scope() as session:
        # Telegram residents go to the first team (their ward is unknown): use it, whoever
        # made it (the test database is shared by the whole session).
        team = service.team_for_resident(session, None) or service.add_team(
            session, f"tg-{person()}", "Tổ công nghệ số cộng đồng", "T2-CN 00:00-23:59"
        )
        if not (team.telegram_chat_id or "").lstrip("-").isdigit():
            team.telegram_chat_id = str(-(10**12) - person())
        group, ward, team_name = int(team.telegram_chat_id or 0), team.ward, team.name
        service.add_member(session, ward, "chị Lan", telegram="@lan_tcn")
        service.add_member(session, ward, "anh Minh", telegram=str(minh))
        service.add_member(session, ward, "anh Hùng", telegram=str(hung))
    with (
        pytest.MonkeyPatch.context() as patch,
        serve(rasa.app) as rasa_url,
        serve(telegram.app) as telegram_url,
    ):
        # The fake has no flood limits; Telegram's 20 messages a minute per group would
        # make this module wait for minutes.
        patch.setattr(telegram_bot, "AIORateLimiter", partial(AIORateLimiter, group_max_rate=0))
        settings = Settings(
            rasa_port=int(rasa_url.rsplit(":", 1)[1]),
            rasa_token="secret",
            telegram_bot_token=telegram.token,
            telegram_api_base=telegram_url,
            telegram_poll_timeout_seconds=1,
            handoff_claim_timeout_minutes=600,
        )
        with serve(create_app(settings), lifespan=True):
            yield World(rasa, telegram, group, ward, team_name, lan, minh, hung)


def buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    markup = message.get("reply_markup") or {}
    return [b for row in markup.get("inline_keyboard", []) for b in row]


def announcement(w: World, ticket_id: int, after: int = 0) -> dict[str, Any]:
    """The (newest) group post with the ticket's claim button, as Telegram holds it now."""
    posts = [
        m
        for m in w.telegram.to(w.group)[after:]
        if any(b["callback_data"] == f"h:claim:{ticket_id}" for b in buttons(m))
    ]
    return posts[-1] if posts else {}


def current(w: World, message: dict[str, Any]) -> dict[str, Any]:
    return w.telegram.messages[(int(message["chat_id"]), message["message_id"])]


def ticket(ticket_id: int) -> Ticket:
    with session_scope() as session:
        found = session.get(Ticket, ticket_id)
        assert found is not None
        return found


def open_ticket(w: World, question: str = QUESTION) -> tuple[int, int, dict[str, Any]]:
    """A resident asks for a person; (resident, ticket id, its announcement)."""
    resident = person()
    text = f"cần người hỗ trợ {uuid.uuid4().hex[:8]}"  # no 9 digits: masked before Rasa
    w.rasa.scripted[text] = [
        {
            "custom": {
                "handoff": {
                    "reason": "kb_unsure",
                    "question": question,
                    "transcript": [["resident", question], ["assistant", "Mình chưa chắc…"]],
                }
            }
        }
    ]
    w.telegram.message(resident, text)

    def opened() -> int | None:
        with session_scope() as session:
            found = service.active_ticket(session, "telegram", str(resident))
            return found.id if found else None

    ticket_id: int = wait_for(opened)
    post = wait_for(lambda: announcement(w, ticket_id))
    wait_for(lambda: w.telegram.to(resident))  # "Mình đã chuyển câu hỏi của bạn ..."
    return resident, ticket_id, post


def press(w: World, post: dict[str, Any], user: int) -> dict[str, Any]:
    update = w.telegram.press(
        w.group, buttons(post)[0]["callback_data"], from_user=user, message_id=post["message_id"]
    )
    answer: dict[str, Any] = wait_for(lambda: w.telegram.answer(update))
    return answer


def texts(w: World, chat: int) -> list[str]:
    return [m["text"] for m in w.telegram.to(chat)]


def thread(w: World, post: dict[str, Any]) -> list[dict[str, Any]]:
    """Group posts that reply to an announcement."""
    return [
        m
        for m in w.telegram.to(w.group)
        if (m.get("reply_parameters") or {}).get("message_id") == post["message_id"]
    ]


def test_ticket_is_announced_with_a_claim_button_and_masked_personal_data(world: World) -> None:
    w = world
    resident, ticket_id, post = open_ticket(w)
    text = post["text"]
    assert f"#{ticket_id}" in text and "Telegram" in text
    assert "trợ lý chưa trả lời được" in text
    assert "079093001234" not in text and "0912345678" not in text
    assert "*********234" in text and "*******678" in text
    assert "Mình chưa chắc…" in text  # the context
    (button,) = buttons(post)
    assert button["text"] == "Nhận xử lý"
    assert len(button["callback_data"].encode()) <= 64

    def recorded() -> tuple[int, bool, str] | None:
        # The desk records the post once Telegram answered: a moment after the fake saw it.
        with session_scope() as session:
            row = session.query(TelegramPost).filter_by(message_id=post["message_id"]).first()
            return (row.ticket_id, row.announcement, row.chat_id) if row else None

    assert wait_for(recorded) == (ticket_id, True, str(w.group))
    assert f"yêu cầu số {ticket_id}" in texts(w, resident)[0]
    # Rasa was paused for the resident, with the ticket in a slot.
    events = w.rasa.events_for(f"telegram:{resident}")
    assert {"event": "slot", "name": "handoff_ticket", "value": str(ticket_id)} in events
    assert {"event": "pause"} in events
    # The resident's question never went to the group unmasked, nor to Rasa as a group.
    assert not any(str(w.group) in r["sender"] for r in w.rasa.received)


def test_claim_edits_the_announcement_tells_the_resident_and_briefs_the_claimer(
    world: World,
) -> None:
    w = world
    resident, ticket_id, post = open_ticket(w)
    answer = press(w, post, w.lan)  # Lan is configured as @lan_tcn: bound on first use
    assert answer["text"] == f"Bạn đã nhận yêu cầu #{ticket_id}"
    assert w.member_id(w.lan)  # now found by her numeric id
    edited = wait_for(lambda: "Đã nhận: chị Lan" in current(w, post)["text"] and current(w, post))
    assert "reply_markup" not in edited  # no button any more
    assert edited["text"].startswith(post["text"])
    wait_for(lambda: w.claimed("chị Lan") in texts(w, resident))
    # Lan started the bot: she gets the full, unmasked context in private.
    brief = wait_for(lambda: w.telegram.to(w.lan))[-1]
    assert f"Bạn đã nhận yêu cầu #{ticket_id}" in brief["text"] and QUESTION in brief["text"]
    # Later presses (the stale button in someone's client) are told who has it.
    late = press(w, post, w.minh)
    assert late["text"] == f"Yêu cầu #{ticket_id} đã có chị Lan nhận" and late["show_alert"]
    assert ticket(ticket_id).claimed_by == w.member_id(w.lan)


def test_two_members_claiming_at_the_same_moment_exactly_one_wins(world: World) -> None:
    w = world
    resident, ticket_id, post = open_ticket(w)
    data = buttons(post)[0]["callback_data"]
    w.telegram.hold = True  # both presses arrive in one getUpdates answer
    updates = [
        w.telegram.press(w.group, data, from_user=user, message_id=post["message_id"])
        for user in (w.minh, w.hung)
    ]
    w.telegram.hold = False
    answers = [wait_for(lambda u=u: w.telegram.answer(u)) for u in updates]
    won = [a for a in answers if a["text"] == f"Bạn đã nhận yêu cầu #{ticket_id}"]
    lost = [a for a in answers if a["text"].endswith("nhận") and "đã có" in a["text"]]
    assert len(won) == 1 and len(lost) == 1, answers
    winner = (w.minh, w.hung)[answers.index(won[0])]
    name = "anh Minh" if winner == w.minh else "anh Hùng"
    assert lost[0]["text"] == f"Yêu cầu #{ticket_id} đã có {name} nhận"
    found = ticket(ticket_id)
    assert found.status == CLAIMED and found.claimed_by == w.member_id(winner)
    time.sleep(0.3)
    assert texts(w, resident).count(w.claimed(name)) == 1
    # Hùng never started the bot: his private briefing is refused (403), nothing breaks.
    assert w.telegram.to(w.hung) == []


def test_messages_flow_between_the_resident_and_the_thread(world: World) -> None:
    w = world
    resident, ticket_id, post = open_ticket(w)
    press(w, post, w.lan)
    wait_for(lambda: w.claimed("chị Lan") in texts(w, resident))
    before = len(w.telegram.to(resident))

    w.telegram.message(resident, "CCCD của tôi là 079093001234")
    relay = wait_for(
        lambda: [m for m in thread(w, post) if m["text"].startswith(f"#{ticket_id} Người dân:")]
    )[-1]
    # The whole group reads the thread: the number is masked there.
    assert relay["text"] == (
        f"#{ticket_id} Người dân: CCCD của tôi là *********234 "
        "(số đã được che; xem đủ trong console)"
    )
    assert relay["reply_parameters"]["allow_sending_without_reply"] is True
    assert len(w.telegram.to(resident)) == before  # a claimed ticket: no "forwarded" notice

    answer = "Bạn mở ứng dụng VNeID, chọn Quên mật khẩu nhé"
    w.telegram.message(w.group, answer, from_user=w.lan, reply_to=relay["message_id"])
    wait_for(lambda: answer in texts(w, resident))

    # Another member answering someone else's ticket is told so; the resident sees nothing.
    w.telegram.message(w.group, "để mình", from_user=w.minh, reply_to=post["message_id"])
    refusal = wait_for(
        lambda: [m for m in w.telegram.to(w.group) if "do chị Lan đang xử lý" in m["text"]]
    )[-1]
    # A member replying to a bot message that belongs to no ticket is told it went nowhere.
    w.telegram.message(w.group, "ok", from_user=w.minh, reply_to=refusal["message_id"])
    wait_for(lambda: f"{NOT_SENT} {NO_TICKET}" in texts(w, w.group))
    # Group chatter that replies to nothing is ignored, and never reaches Rasa.
    sent, asked = len(w.telegram.sent), len(w.rasa.received)
    w.telegram.message(w.group, "alo cả nhà", from_user=w.minh)
    w.telegram.message(w.group, "/start", from_user=w.minh)
    time.sleep(0.5)
    assert len(w.telegram.sent) == sent and len(w.rasa.received) == asked
    assert "để mình" not in texts(w, resident)

    # Lan answers from her private chat, replying to the briefing.
    brief = wait_for(lambda: [m for m in w.telegram.to(w.lan) if f"#{ticket_id}" in m["text"]])[-1]
    w.telegram.message(w.lan, "Bạn nhận được mã OTP chưa?", reply_to=brief["message_id"])
    wait_for(lambda: "Bạn nhận được mã OTP chưa?" in texts(w, resident))
    assert not any(r["message"] == "Bạn nhận được mã OTP chưa?" for r in w.rasa.received)


def test_chuyen_passes_the_ticket_back_to_the_team(world: World) -> None:
    w = world
    resident, ticket_id, post = open_ticket(w)
    press(w, post, w.lan)
    wait_for(lambda: w.claimed("chị Lan") in texts(w, resident))
    seen = len(w.telegram.to(w.group))

    w.telegram.message(w.group, "/chuyen", from_user=w.lan, reply_to=post["message_id"])
    wait_for(lambda: notices.released() in texts(w, resident))
    again = wait_for(lambda: announcement(w, ticket_id, after=seen))
    assert again["message_id"] != post["message_id"]
    assert f"Yêu cầu #{ticket_id} được chuyển lại cho tổ" in again["text"]
    assert "*********234" in again["text"]  # the context again, still masked
    assert ticket(ticket_id).status == "open"

    assert press(w, again, w.minh)["text"] == f"Bạn đã nhận yêu cầu #{ticket_id}"
    assert ticket(ticket_id).claimed_by == w.member_id(w.minh)
    # Minh closes it from his private chat, by number.
    w.telegram.message(w.minh, f"/xong {ticket_id}")
    wait_for(lambda: f"Đã đóng yêu cầu #{ticket_id}." in texts(w, w.minh))
    wait_for(lambda: notices.closed("anh Minh") in texts(w, resident))


def test_xong_closes_the_ticket_and_the_assistant_takes_over(world: World) -> None:
    w = world
    tu = w.add_member("chị Tú")  # holds exactly one ticket: /xong needs no number
    resident, ticket_id, post = open_ticket(w)
    press(w, post, tu)
    wait_for(lambda: w.claimed("chị Tú") in texts(w, resident))

    w.telegram.message(w.group, "/xong", from_user=tu)
    wait_for(lambda: notices.closed("chị Tú") in texts(w, resident))
    wait_for(
        lambda: f"#{ticket_id} chị Tú đã đóng yêu cầu." in [m["text"] for m in thread(w, post)]
    )
    assert ticket(ticket_id).status == CLOSED
    # Rasa resumes, with what the resident was told.
    events = wait_for(lambda: w.rasa.events_for(f"telegram:{resident}"))
    wait_for(lambda: {"event": "resume"} in w.rasa.events_for(f"telegram:{resident}"))
    assert {"event": "pause"} in events
    w.telegram.message(resident, "cảm ơn")
    wait_for(lambda: "echo: cảm ơn" in texts(w, resident))
    # The button of a closed ticket says so.
    assert press(w, post, w.minh)["text"] == f"Yêu cầu #{ticket_id} đã đóng."


def test_resident_cancelling_removes_the_claim_button(world: World) -> None:
    w = world
    resident, ticket_id, post = open_ticket(w)
    w.telegram.message(resident, "hủy")
    wait_for(lambda: notices.CANCELLED in texts(w, resident))
    wait_for(lambda: "Đã đóng" in current(w, post)["text"])
    assert "reply_markup" not in current(w, post)
    assert f"#{ticket_id} Người dân đã hủy yêu cầu." in [m["text"] for m in thread(w, post)]


def test_unknown_user_pressing_claim_is_told_to_ask_an_admin(world: World) -> None:
    w = world
    _, ticket_id, post = open_ticket(w)
    answer = press(w, post, person())
    assert answer["text"] == NOT_MEMBER and answer["show_alert"]
    assert ticket(ticket_id).status == "open"
    # Their reply to a ticket post does not reach the resident either.
    stranger = person()
    w.telegram.message(w.group, "tôi giúp được", from_user=stranger, reply_to=post["message_id"])
    wait_for(lambda: f"{NOT_SENT} {NOT_MEMBER}" in texts(w, w.group))


def test_id_answers_the_group_chat_id(world: World) -> None:
    w = world
    other = -(10**12) - person()  # a group not configured for any team yet
    asked = len(w.rasa.received)
    w.telegram.message(other, "/id", from_user=w.minh)
    reply = wait_for(lambda: w.telegram.to(other))[0]
    assert reply["text"].startswith(f"ID của nhóm này: {other}")
    assert f"--telegram-chat {other}" in reply["text"]
    w.telegram.message(other, "/xong 1", from_user=person())  # a stranger in a stranger group
    w.telegram.message(other, "xin chào", from_user=person())
    time.sleep(0.5)
    assert len(w.telegram.to(other)) == 1 and len(w.rasa.received) == asked
    # In a private chat, /id gives the user's id (for team add-member --telegram).
    user = person()
    w.telegram.message(user, "/id")
    assert wait_for(lambda: texts(w, user)) == [f"ID Telegram của bạn: {user}"]
