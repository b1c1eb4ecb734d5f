"""What kind of fact a resident asks for, and which article lines state that kind of fact.

"phí làm lý lịch tư pháp bao nhiêu" asks for a fee, "bao lâu thì xong" for a duration,
"làm ở đâu" for a place... The answer opens with the line of the article that states it.
Patterns run on folded text (no diacritics, chat abbreviations expanded), so "bn tien",
"bao nhieu tien" and "bao nhiêu tiền" meet.
"""

from __future__ import annotations

import re
from enum import Enum

from bot.text import fold


class QuestionType(str, Enum):  # no StrEnum: Rasa's Python 3.10 imports this too
    FEE = "fee"
    DURATION = "duration"
    DEADLINE = "deadline"
    PLACE = "place"
    PAPERS = "papers"
    WHO = "who"
    NUMBER = "number"  # how many people, times, which level: a line with a number
    YES_NO = "yes_no"
    HOW = "how"
    GENERAL = "general"


# Each kind's asking phrases. Among the specific kinds the one asked latest wins (ties:
# the earlier in this list); "how" and "yes/no" only when no specific kind is asked,
# since "mất bao lâu thì có, có nhanh không" asks for a duration.
_ASKS: list[tuple[QuestionType, re.Pattern[str]]] = [
    (
        QuestionType.FEE,
        re.compile(
            r"\b(?:bao nhieu tien|het bao nhieu|mat bao nhieu|ton bao nhieu|"
            r"bao nhieu (?:dong|nghin|k|ngan)|le phi|chi phi|mat phi|ton phi|thu phi|mien phi|"
            r"phi (?:la )?bao nhieu|"
            r"muc phi|phi gi|phi\b.{0,20}\bkhong|co mat tien|mat tien|ton tien|tien phi|gia bao "
            r"nhieu|muc dong|dong bao nhieu|nop bao nhieu|bao nhieu mot|muc thu|(?:ho tro|huong|"
            r"nhan|duoc|tro cap|boi thuong|phat) (?:duoc )?(?:bao nhieu|may tram|may trieu)|"
            r"muc huong|muc tro cap|muc ho tro|bao nhieu phan tram|may phan tram|bao nhieu %)\b"
        ),
    ),
    (
        QuestionType.DEADLINE,
        re.compile(
            r"\b(?:thoi han|han chot|han cuoi|cham nhat|truoc ngay nao|trong vong bao lau phai|"
            r"bao lau phai|phai (?:lam|di|dang ky|khai|bao|nop).{0,25}\b(?:trong|truoc|bao lau)|"
            r"qua han|tre han|muon thi|de lau co sao|bao nhieu ngay phai|han la)\b"
        ),
    ),
    (
        QuestionType.DURATION,
        re.compile(
            # "mấy tháng nay", "mấy hôm rồi": the story's time, not a question.
            r"\b(?:bao lau|(?:may|bao nhieu) (?:ngay|hom|tuan|thang)"
            r"(?! (?:nay|qua|truoc|roi|lien)\b)|bao nhieu lau|"
            r"khi nao (?:co|xong|nhan|duoc)|bao gio (?:co|xong|nhan|duoc|thi co)|lau khong|"
            r"lau nhat|nhanh nhat|(?<!trong )thoi gian (?:giai quyet|xu ly|cho|lam|tra|duyet)|"
            r"(?:mat|het) (?:bao nhieu )?thoi gian|den bao gio|hieu luc bao lau|gia tri bao lau|"
            r"dung duoc bao lau|thoi han su dung|(?:toi|den) khi nao|khi nao het)\b"
        ),
    ),
    (
        QuestionType.PLACE,
        re.compile(
            r"\b(?:o dau|cho nao|noi nao|tai dau|den dau (?:lam|nop|de)|co quan nao|don vi nao|"
            r"nop (?:o|tai) dau|lam o dau|di dau|ve dau|dia chi nao|phong nao|"
            r"trang nao|web nao|trang web|ung dung nao|tai cho nao|len dau|vao dau)\b"
        ),
    ),
    (
        QuestionType.PAPERS,
        re.compile(
            r"\b(?:giay to gi|can (?:nhung |co |mang )?gi|can (?:nhung )?giay to|ho so (?:gom|can|"
            r"co)|mang (?:theo )?(?:nhung )?gi|can mang|gom nhung gi|thanh phan ho so|chuan bi "
            r"(?:nhung )?gi|chuan bi giay|can chuan bi|giay to can|dieu kien (?:gi|la gi)|"
            r"nhung giay nao|can nhung)\b"
        ),
    ),
    (
        QuestionType.PAPERS,
        re.compile(r"\b(?:mau gi|mau nao|mau so may|to khai mau|mau to khai|mau don)\b"),
    ),
    (
        QuestionType.NUMBER,
        re.compile(
            # "quét mấy lần rồi mà không được": several times, not a question.
            r"\b(?:may (?:nguoi|lan|buoc|ban|trang|so|con|muc|loai|hang|diem|chu so)"
            r"(?! (?:roi|ma|van|deu|lien|nay)\b)|"
            r"(?:muc|loai|hang|so) may|bao nhieu (?:nguoi|lan|buoc|ban|trang|diem))\b"
        ),
    ),
    (
        QuestionType.WHO,
        re.compile(
            r"\b(?:ai (?:duoc|phai|lam|co the|di|dung|cap|ky|chiu|giai quyet|xu ly)|nhung ai|"
            r"(?:cho|gui|voi|hoi) ai|doi tuong nao|doi tuong"
            r"|ai la nguoi|nguoi nao|may tuoi|bao nhieu tuoi|tu bao nhieu tuoi)\b"
        ),
    ),
    # "phí làm … bao nhiêu", "được hỗ trợ bao nhiêu": an amount, once durations, ages
    # and counts of days were ruled out above.
    (QuestionType.FEE, re.compile(r"\b(?:bao nhieu|may tram|may trieu|may nghin)\b")),
    (
        QuestionType.HOW,
        re.compile(
            r"\b(?:nhu the nao|the nao|lam sao|lam the nao|cach nao|cach|cac buoc|huong dan|"
            r"thu tuc (?:ra sao|the nao)|ra sao|phai lam gi|nen lam gi|lam gi|quy trinh|bat dau|"
            r"kieu gi|kieu nao|bang cach nao)\b"
        ),
    ),
    (
        QuestionType.YES_NO,
        re.compile(
            r"\b(?:co duoc khong|duoc khong|co phai|phai khong|co can|can khong|co bat buoc|"
            r"bat buoc|co mat|co bi|co the|co con|con (?:dung|duoc|gia tri)|co dung|dung duoc "
            r"khong|co nen|co nhat thiet|co ai|co khong|hay khong|chua|khong)\b"
        ),
    ),
]

# What a line that *states* each kind of fact contains (folded): an amount, a duration,
# a place... not merely the word ("lệ phí nộp trong ứng dụng" names the fee, it does not
# state it).
_NUMBER = r"\d[\d.,]*(?: ?(?:-|–|den) ?\d[\d.,]*)?"
_STATES: dict[QuestionType, re.Pattern[str]] = {
    QuestionType.FEE: re.compile(
        rf"\b(?:{_NUMBER} ?(?:dong|d|nghin|ngan|trieu|000|k)\b|mien phi|mien le phi|"
        r"khong mat (?:phi|tien|le phi)|khong thu (?:phi|tien|le phi)|khong phai (?:nop|tra) "
        r"(?:phi|tien|le phi)|(?:muc|so tien|le phi|phi) (?:do|theo|la)|luong co so|% )"
    ),
    QuestionType.DURATION: re.compile(
        rf"\b(?:{_NUMBER} ?(?:ngay|gio|thang|nam|tuan|phut)\b|trong ngay|ngay (?:lap tuc|khi|sau"
        r"|trong)|lien|khong thoi han|vinh vien|den het|den khi|co gia tri (?:den|trong))"
    ),
    QuestionType.DEADLINE: re.compile(
        rf"\b(?:{_NUMBER} ?(?:ngay|gio|thang|nam|tuan)\b|thoi han|ke tu|truoc ngay|cham nhat|"
        r"qua han|tre han|trong vong)"
    ),
    QuestionType.PLACE: re.compile(
        r"\b(?:uy ban|ubnd|cong an|trung tam|bo phan|mot cua|cong dich vu|dich vu cong|"
        r"ung dung|vneid|dichvucong|so tu phap|phong|buu dien|co quan|noi (?:lam|nop|cap|"
        r"thuong tru|cu tru)|bat ky|gov vn|trang|tai|truc tuyen|vssid|ngan hang|benh vien)\b"
    ),
    QuestionType.PAPERS: re.compile(
        r"\b(?:giay to|ho so gom|ho so|mang theo|to khai|ban sao|ban chinh|giay (?:chung|khai|"
        r"xac nhan|to|bao|phep)|can co|the can cuoc|can cuoc|dieu kien|anh|mau)\b"
    ),
    QuestionType.WHO: re.compile(
        r"\b(?:ai|nguoi|doi tuong|cong dan|tu du|tuoi|cha|me|con|nguoi than|chu)\b"
    ),
    QuestionType.YES_NO: re.compile(
        r"\b(?:khong|duoc|co the|bat buoc|phai|can|van|chua|chi|neu)\b"
    ),
    QuestionType.NUMBER: re.compile(r"\d"),
    QuestionType.HOW: re.compile(r"\b(?:bam|chon|vao|mo|nhap|dang nhap|buoc)\b"),
    QuestionType.GENERAL: re.compile(r"$^"),
}
# The label an article line opens with ("Lệ phí: …", "Thời gian giải quyết: …", "Giấy tờ
# cần có: …"; knowledge/README.md asks editors for them), folded: a line labelled with
# the kind asked for states it more surely than one that merely holds a number or a place.
_LABELS: dict[QuestionType, re.Pattern[str]] = {
    QuestionType.FEE: re.compile(
        r"^(?:le phi|phi|chi phi|muc phi|muc huong|muc dong|muc tro cap|muc ho tro|so tien|"
        r"tien|muc thu|gia)\b"
    ),
    QuestionType.DURATION: re.compile(
        r"^(?:thoi gian|thoi han|han|hieu luc|gia tri|bao lau|han the|han dung)\b"
    ),
    QuestionType.DEADLINE: re.compile(r"^(?:thoi han|han|han chot|cham nhat|khi nao phai)\b"),
    QuestionType.PLACE: re.compile(
        r"^(?:noi|o dau|co quan|nop o|lam o|nop tai|lam tai|dia chi|trang|ung dung|cong)\b"
    ),
    QuestionType.PAPERS: re.compile(
        r"^(?:giay to|ho so|can co|can mang|mang theo|thanh phan|dieu kien|anh|to khai|mau)\b"
    ),
    QuestionType.WHO: re.compile(r"^(?:ai|doi tuong|nguoi|nhung ai)\b"),
    QuestionType.YES_NO: re.compile(r"^(?:co |co phai|co bat buoc|bat buoc|co can|co duoc)"),
}
LABEL_MAX = 40  # characters before the colon


def label_of(line: str, longest: int = LABEL_MAX) -> str | None:
    """What a line opens with before its colon ("Lệ phí" in "Lệ phí: 200.000 đồng"), when
    that is at most ``longest`` characters; None otherwise."""
    head, colon, _ = line.partition(":")
    return head if colon and len(head) <= longest else None


def labelled(kind: QuestionType, line: str) -> bool:
    """Whether ``line`` opens with a label for ``kind`` ("Lệ phí: 200.000 đồng")."""
    pattern = _LABELS.get(kind)
    head = label_of(line)
    return pattern is not None and head is not None and bool(pattern.search(fold(head)))


SPECIFIC = {
    QuestionType.FEE,
    QuestionType.NUMBER,
    QuestionType.DURATION,
    QuestionType.DEADLINE,
    QuestionType.PLACE,
    QuestionType.PAPERS,
    QuestionType.WHO,
    QuestionType.YES_NO,
}


_FALLBACK = (QuestionType.HOW, QuestionType.YES_NO)


def question_type(question: str) -> QuestionType:
    """The kind of fact asked for. A resident's message tells its story first and asks
    last ("thẻ BHYT miễn phí của bé dùng tới khi nào?"): the specific kind asked latest
    wins; "how" and "yes/no" only when no specific kind is asked."""
    folded = fold(question)
    latest: tuple[int, int, QuestionType] | None = None
    for order, (kind, pattern) in enumerate(_ASKS):
        if kind in _FALLBACK:
            continue
        for match in pattern.finditer(folded):
            candidate = (match.end(), -order, kind)
            if latest is None or candidate[:2] > latest[:2]:
                latest = candidate
    if latest is not None:
        return latest[2]
    for kind, pattern in _ASKS:
        if kind in _FALLBACK and pattern.search(folded):
            return kind
    return QuestionType.GENERAL


def states(kind: QuestionType, line: str) -> bool:
    """Whether an article line states the kind of fact asked for."""
    return states_folded(kind, fold(line))


def states_folded(kind: QuestionType, folded_line: str) -> bool:
    """``states`` on a line folded beforehand (the searcher folds every line at load)."""
    return bool(_STATES[kind].search(folded_line))


# A resident reporting that something went wrong ("bị trừ tiền rồi mà chưa báo thanh toán",
# "lỡ đọc mã OTP cho người lạ", "quét chip mấy lần không được"): the article's "Nếu không
# được" lines, each opening with the situation it answers, are then the answer.
_TROUBLE = re.compile(
    r"\b(?:loi|bao loi|bi loi|khong duoc|chua duoc|khong the|khong vao|khong nhan|"
    r"chua nhan|khong thay|chua thay|chua bao|van chua|bi tru|bi khoa|bi tu choi|that bai|"
    r"lo (?:dua|doc|bam|cai|gui|noi|nhan|chuyen)|nham|bi lua|mat tien|khong doc|quay vong)\b"
)


def reports_trouble(question: str) -> bool:
    """Whether the message says that something failed or went wrong."""
    return bool(_TROUBLE.search(fold(question)))
