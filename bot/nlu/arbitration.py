"""The one arbitration between Rasa's intents and the knowledge base.

A resident's message is a *question for the knowledge base* unless it clearly is one of
the few things only a dialogue can do. The intent classifier proposes; this module
decides, from signals that generalise better than a classifier trained on ~1,000
examples:

1. An improper request (forgery, someone else's account or data, evading fines, fake
   residence, buying papers or accounts, bribes, cheating biometrics) is refused,
   whatever the classifier says: never an article's steps.
2. A person is handed the conversation only when the resident *asks for a person*
   (``request_human`` needs a person pattern: "gặp cán bộ", "người thật"...). "Tôi không
   có thời gian đến trực tiếp cơ quan" is a question, not a request for a person.
3. Application status needs an application code in the message, or the resident asking
   about *their own* application ("hồ sơ của tôi đến đâu rồi"). "Chuyển hộ khẩu cho con
   thì hồ sơ cần gì" is a procedure question.
4. Small talk (greeting, thanks, "bạn là người hay máy"...) keeps its intent only when the
   message is short or has no question in it; "Chào bạn, cho hỏi đổi CCCD ở đâu" is a
   question. ``bot_challenge`` needs the resident to address the bot.
5. ``out_of_scope`` stands only when the message has no public-service vocabulary; a
   long, oddly worded question about a procedure goes to the knowledge base, which answers,
   says it is unsure, or says plainly it has no guide for that yet.

Stdlib only (with ``bot.text`` and ``bot.nlu.question_type``, both Python 3.10-safe):
the Rasa component ``bot.nlu.arbiter`` runs it inside Rasa's venv, and the action server
uses ``in_domain`` to tell "not covered" from "off topic". Patterns run on the folded text
(no diacritics, abbreviations expanded), so accented, unaccented and teencode messages meet.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.nlu.question_type import QuestionType, question_type
from bot.text import fold, has_diacritics, normalize

ASK_QUESTION = "ask_question"
IMPROPER = "improper_request"
SMALL_TALK = {
    "greet",
    "goodbye",
    "thank",
    "affirm",
    "deny",
    "bot_challenge",
    "ask_capabilities",
    "feedback_positive",
    "feedback_negative",
    "cancel",
}
STATUS_INTENTS = {"check_status", "provide_application_code"}
SUBSCRIPTION_INTENTS = {"subscribe_status", "unsubscribe_status"}
SHORT_SYLLABLES = 7  # "cảm ơn bạn nhiều nhé" is small talk; longer messages may ask


def _rx(*parts: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in parts))


# Papers and accounts residents might ask to forge, buy, rent or sell (folded).
_PAPERS = (
    r"(?:giay to|giay khai sinh|giay kham(?: suc khoe| sk)?|giay phep lai xe|giay phep|"
    r"giay xac nhan|ket hon|hop dong|bang lai xe|"
    r"giay chung nhan|giay dang ky|bang lai|bang tot nghiep|bang cap|bang dai hoc|bang|"
    r"chung chi|can cuoc(?: cong dan)?|chung minh(?: nhan dan| thu)?|the can cuoc|ho chieu|"
    r"so do|so hong|so ho khau|ho khau|con dau|dau do|chu ky|phieu ly lich|ly lich tu phap|"
    r"tai khoan(?: dinh danh| vneid| ngan hang)?|vneid|sim(?: rac)?|visa|thi thuc|"
    r"dang ky xe|ca vet|cavet|giay to xe|hoa don)"
)
_OTHER_PERSON = (
    r"(?:nguoi khac|nguoi ta|nguoi la|hang xom|ai do|mot ai|dong nghiep|nguoi yeu|"
    r"ban gai|ban trai|nguoi quen|sep|chu no|con no|ke thu|doi thu|vo cu|chong cu|"
    r"nguoi do|nguoi kia|nguoi nay|ong ay|ba ay|anh ay|chi ay|co ay)"
)
_PERSONAL_DATA = (
    r"(?:tai khoan|vneid|mat khau|ma otp|otp|passcode|thong tin(?: ca nhan| cu tru)?|du lieu|"
    r"so dinh danh|so can cuoc|can cuoc|so dien thoai|dia chi|noi o|cho o|cu tru|lich su|"
    r"tin nhan|vi tri|ho so)"
)
IMPROPER_PATTERNS: dict[str, re.Pattern[str]] = {
    "forgery": _rx(
        r"\bgia mao\b",
        r"\b(?:lam|in|dat|dich vu lam|co so lam|cho lam|nhan lam|lam ho) gia_",
        rf"\b(?<!tin nhan )(?<!app )(?<!ung dung )(?<!trang )(?<!link ){_PAPERS}"
        r"(?<!vneid)(?<!tai khoan)(?<!sim)(?: (?!hay\b)[a-z0-9]+){0,3} (?<!tac )gia_"
        r"(?! (?:tri|han|dinh|tien|ca|re|bao nhieu|the nao|"
        r"nhu the nao))",
        r"\b(?:photoshop|cat ghep|ghep anh|chinh anh|chinh sua anh)\b",
        r"\b(?:tre|gia|lui|tang|bot|giam|sua) (?:di |lai )?(?:\d+|mot|hai|ba|vai) (?:tuoi|nam)\b"
        r"(?!.{0,20}\b(?:bi sai|sai so|cho dung|dung voi))",
        r"\b(?:dau do|co dau|dong dau) san\b",
        r"\b(?:thay|doi|dan) anh\b.{0,40}\b(?:anh|mat) (?:cua )?(?:nguoi khac|nguoi ta|ai do)",
        r"\b(?:nhan lam|dich vu lam|lam ho(?! so)|lam dum|lam gium)\b.{0,40}\bkhong can "
        r"(?:bang|giay to|"
        r"thi|hoc|co mat|sat hach|ho so|ban goc)",
        r"\b(?:khong ghi|giau|che giau|xoa sach|phieu sach)\b.{0,10}\b(?:an tich|tien an|tien su)",
        r"\b(?:sua|chinh|photoshop|cat ghep|tay|xoa) (?:lai )?(?:ngay sinh|nam sinh|tuoi|ten|anh|"
        r"thong tin|so)\b.{0,30}\b(?:tren|trong) (?:giay|bang|the|can cuoc|ban scan|ban chup|"
        r"anh chup|file)\b.{0,40}\b(?:de|cho) (?:du|qua|lot|khong ai|nguoi ta khong)",
        r"\blam (?:bang|giay to|can cuoc|ho chieu|giay khai sinh|so do) (?:khong can|khong phai) "
        r"(?:thi|hoc|ho so|giay to goc)",
    ),
    "someone_else": _rx(
        rf"\b(?:dang nhap|vao|mo|xem|doc|lay|xin|cho toi|cho minh|cho em|tra|tra cuu|tim|"
        rf"kiem tra|theo doi|doi|reset|hack|be khoa|pha)\b.{{0,40}}\b{_PERSONAL_DATA}\b"
        rf".{{0,25}}\b(?:cua )?{_OTHER_PERSON}\b",
        rf"\b{_PERSONAL_DATA} (?:cua )?{_OTHER_PERSON}\b.{{0,40}}\b(?:khong can|ma khong|"
        rf"khi ho khong|len|bi mat|giau|khong de)",
        rf"\b(?:dang nhap|vao|mo|xem)\b.{{0,40}}\b{_PERSONAL_DATA}\b.{{0,30}}\bkhong can "
        r"(?:mat khau|otp|ma|passcode|ho biet|chu tai khoan)",
        r"\b(?:hack|crack|be khoa|pha khoa|pha mat khau|do mat khau|tool|phan mem gian diep)\b"
        r".{0,40}\b(?:vneid|tai khoan|mat khau|dinh danh|can cuoc|dich vu cong)",
        r"\b(?:vneid|tai khoan|mat khau|dinh danh)\b.{0,40}\b(?:hack|crack|be khoa|pha khoa)\b",
        rf"\b(?:tim|tra|tra cuu|lay|xin|co)\b.{{0,25}}\b(?:so dinh danh|so can cuoc|"
        rf"can cuoc cong dan|so dien thoai|dia chi|noi o|thong tin)\b.{{0,30}}\b(?:cua )?"
        rf"(?:{_OTHER_PERSON}|mot nguoi|nguoi nay|nguoi kia)\b.{{0,30}}\b(?:theo ten|qua ten|"
        r"bang ten|khi biet ten|tu ten|ho ten|bien so|so dien thoai)",
        rf"\b(?:nhan|lay|xin|doc)\b.{{0,20}}\b(?:ma )?otp\b.{{0,30}}\b(?:cua )?{_OTHER_PERSON}",
        r"\b(?:ma|khi|de|sao cho) (?:ba|ong|me|bo|vo|chong|ho|nguoi do|nguoi ta|ba ay|ong ay|"
        r"chu tai khoan|chu the|con|em|anh|chi) (?:khong|chua|ko) "
        r"(?:biet|hay biet|dong y|phat hien)",
        rf"\b{_OTHER_PERSON}\b.{{0,80}}\b(?:tra|xem|tim|kiem tra|biet)\b.{{0,40}}\b"
        r"(?:dang ky tam tru|tam tru|thuong tru|dia chi|so dien thoai|so can cuoc|"
        r"so dinh danh|thong tin ca nhan)\b",
    ),
    "evade_fine": _rx(
        r"\b(?:xoa|go|huy bo|lam mat|an giau|che giau|giau|lach|ne|tron|thoat|xu ly|dep)\b.{0,25}\b"
        r"(?:loi vi pham|vi pham giao thong|phat nguoi|bien ban|lich su vi pham|du lieu vi pham|"
        r"quyet dinh phat|tien phat|nop phat|bi phat|diem bang lai|diem giay phep|tru diem|loi)\b",
        r"\b(?:khong|khoi|chua) (?:nop|dong|tra) (?:tien )?phat\b.{0,30}\b(?:ma|van|duoc khong|"
        r"co sao|khong bi)",
        r"\b(?:ne|tron|lach|thoat|tranh|khoi) (?:phat|luat|bi phat|camera|bi tru diem|dang kiem|"
        r"nop phat|nop tien phat|dong phat|khong nop|viec nop)\b",
        r"\b(?:che|dan|boi|be cong|thao|giau|lam mo)\b.{0,10}\bbien(?: so)?\b",
        r"\b(?:cong an|co quan|nguoi ta|can bo|camera|he thong|ai) (?:khong|ko|chang) "
        r"(?:phat hien|biet|kiem tra|phat|bat)\b.{0,5}$",
        r"\b(?:khong bi|de khong bi|ma khong bi|khoi bi) (?:phat hien|lo|kiem tra ra)\b",
        r"\b(?:chay|lo|xin) (?:loi|diem|an|an phat|cho khoi phat|khoi bi phat)\b",
        r"\b(?:khong bi tru diem|khoi bi tru diem|giu nguyen diem)\b.{0,30}\b(?:cach|lam sao|"
        r"dich vu|nho ai|quen)",
        r"\b(?:dung|mua|gan|lap)\b.{0,20}\b(?:bien so gia|bien gia|che bien so|bien so "
        r"(?:tang hinh|phan quang chong camera)|chong phat nguoi)",
    ),
    # Dodging a declaration, a tax or an inspection ("không khai báo lưu trú để khỏi đóng
    # thuế", "cách nào để công an không kiểm tra ra"); asking whether one must declare is
    # a question, not this.
    "evade_duty": _rx(
        r"\b(?:tron|ne|tranh|lach|khoi|de khoi) (?:phai )?(?:dong |nop |khai )?thue_?\b",
        r"\b(?:khong muon|khoi|ne|tron|tranh|lach|giau) (?:phai )?(?:khai bao|dang ky|bao) "
        r"(?:luu tru|tam tru|tam vang|nguoi thue_?)\b",
        r"\b(?:de|sao cho|cach nao|lam sao|lam the nao)\b.{0,25}\b(?:cong an|co quan|"
        r"nguoi ta|can bo|to dan pho|thue_?) (?:khong|chang) (?:phat hien|biet|kiem tra ra|"
        r"tim ra|bat duoc|phat hien ra)\b",
    ),
    "fake_residence": _rx(
        r"\b(?:tam tru|thuong tru|ho khau|cu tru|nhap khau|dia chi|so nha|noi o|tai khoan|vneid|"
        r"sim|danh tinh|ho so) ao_",
        r"\b(?:tam tru|thuong tru|ho khau|cu tru|dang ky|nhap khau|khai bao)"
        r"(?: [a-z]+){0,3} khong_",
        r"\b(?:lach|gian lan|qua mat)\b(?! (?:khau|thoi|nhieu|lau))",
        r"\bao_ .{0,20}\b(?:de|cho) (?:con|chau|be|em) (?:duoc )?(?:hoc|vao truong|nhap hoc|"
        r"tuyen sinh|dung tuyen)",
        r"\b(?:muon|nho|mua|thue_|xin) (?:dia chi|ho khau|so ho khau|cho dang ky|nha|ten nha|"
        r"cho tam tru|cho thuong tru)\b.{0,50}\b(?:de|cho) (?:con|chau|be) .{0,20}\b(?:hoc|"
        r"truong|tuyen sinh|dung tuyen)",
        r"\b(?:dang ky|khai|nhap) (?:tam tru|thuong tru|ho khau|cu tru)\b.{0,50}\b(?:nhung|ma) "
        r"(?:khong|chua bao gio|ko) (?:o|song|sinh song|cu tru) (?:that|do|o do|tai do|thuc te)",
        r"\b(?:khong|chua bao gio) (?:o|song|sinh song) (?:that|thuc te|o do)\b.{0,50}\b"
        r"(?:dang ky|khai|nhap) (?:tam tru|thuong tru|ho khau|cu tru)",
    ),
    "buy_papers": _rx(
        rf"\b(?:mua|(?<!chao )(?<!cho )(?<!on )ban_|(?<!so )thue_|sang nhuong)"
        r"(?! (?:xe|nha|dat|o to|oto|giay|sao|chinh|goc|scan|chup|dien tu|cung|in|photo|chua|"
        r"roi|ve|duoc|xong|lai xe)\b)"
        rf" (?:[a-z_]+ ){{0,2}}{_PAPERS}\b(?! (?:xe|nha|dat|oto|o to|xe may))",
        r"\b(?:khong can|khong phai|khoi|khoi phai) (?:thi|hoc|sat hach|di thi|di hoc)\b.{0,40}"
        r"\b(?:van co|van duoc|ma co|van lay|lay duoc|co duoc) (?:bang|giay phep|chung chi)",
        r"\b(?:bang|giay phep lai xe|chung chi)\b.{0,30}\b(?:khong can|khong phai|khoi) "
        r"(?:thi|hoc|sat hach)\b",
        # "cầm" is "hold" as often as "pawn" ("vẫn cầm chứng minh thư cũ", "cầm bằng lái
        # chạy xe"): pawning is "cầm cố/cầm đồ", taking papers to be pawned, or for money.
        rf"\bcam_ (?:co|do)\b(?: [a-z_]+){{0,3}} {_PAPERS}\b",
        rf"\b{_PAPERS}\b(?: [a-z_]+){{0,4}} (?:di |de )?cam_ (?:co|lay|vay|duoc)\b",
        rf"\b(?:dem|mang) (?:[a-z_]+ ){{0,3}}{_PAPERS}\b(?: [a-z_]+){{0,2}} "
        r"(?:di |de |ra tiem )?cam_\b",
        rf"\bnhan cam_ (?:[a-z_]+ ){{0,2}}{_PAPERS}\b",
        rf"\bcam_ (?:[a-z_]+ ){{0,2}}{_PAPERS}\b.{{0,30}}\b(?:lay tien|vay tien|vay duoc|"
        r"duoc bao nhieu|bao nhieu tien)",
        # "bao đỗ/đậu" (a pass guaranteed) only with an exam or a licence around it: folded,
        # "con tôi bảo đó là trang lừa đảo" reads "bao do" too.
        r"\b(?:bao dau|bao do|dam bao dau)\b.{0,30}\b(?:thi|sat hach|bang|giay phep|"
        r"chung chi|ly thuyet|thuc hanh|lai xe)\b",
        r"\b(?:thi|sat hach|bang|giay phep|chung chi|ly thuyet|thuc hanh|lai xe)\b.{0,30}\b"
        r"(?:bao dau|bao do|dam bao dau)\b",
        r"\b(?:mua|ban_) diem\b",
        r"\b(?:dich vu|ai|cho nao|o dau)\b.{0,30}\b(?:lam|ban|cung cap)\b.{0,20}\b"
        r"(?:tai khoan vneid|tai khoan dinh danh|vneid muc 2)\b.{0,20}\b(?:san|cho nguoi khac|"
        r"khong can)",
    ),
    "bribery": _rx(
        r"\b(?:lo lot|boi tron|di cua sau|cua sau|phong bi|dut lot|dut tien|tien tra nuoc|"
        r"tien ca phe|tien boi duong)\b",
        r"\b(?:chay|lo|mua)\b.{0,10}\b(?:ho so|giay to|thu tuc|cho|suat|truong|an)\b.{0,30}\b"
        r"(?:nhanh|cho xong|duoc duyet|tron goi|het bao nhieu|bao nhieu tien|mat bao nhieu)",
        r"\b(?:chi|dua|bieu|gui) (?:them )?(?:tien|phong bi|qua)\b.{0,30}\b(?:can bo|cong an|"
        r"nguoi lam|nhan vien|ong|ba|anh|chi)\b.{0,30}\b(?:de|cho|thi)\b.{0,20}\b(?:nhanh|xong|"
        r"duoc|duyet|bo qua|khoi)",
        r"\b(?:quen|co nguoi quen|nguoi nha)\b.{0,30}\b(?:cong an|phuong|uy ban|so)\b.{0,40}\b"
        r"(?:lam nhanh|duyet nhanh|bo qua|khong can|chen|uu tien)",
    ),
    "biometrics": _rx(
        r"\b(?:chup|dung|lay|muon|xin) anh\b.{0,20}\b(?:cua )?(?:nguoi khac|nguoi ta|ai do|"
        r"ban|hang xom|nguoi than)\b.{0,40}\b(?:dang ky|xac thuc|kich hoat|sinh trac|nhan dien|"
        r"khuon mat)",
        r"\b(?:anh|video|mat na|hinh)(?: chup)?(?: cua)? (?:nguoi khac|nguoi ta|ai do|nguoi la)\b"
        r".{0,60}\b(?:nhan dien|khuon mat|xac thuc|sinh trac|kich hoat)",
        r"\b(?:nhan dien|khuon mat|xac thuc|sinh trac)\b.{0,60}\b(?:anh|video|mat na|hinh)"
        r"(?: chup)?(?: cua)? (?:nguoi khac|nguoi ta|ai do|nguoi la)\b",
        r"\b(?:sinh trac|quet mat|quet khuon mat|nhan dien khuon mat|lay van tay|van tay)\b"
        r".{0,20}\b(?:ho|thay|gium|dum)\b.{0,25}\b(?:nguoi khac|cho nguoi|ban|hang xom|ai do)\b",
        # another person's fingerprints or face, even a relative's: "lấy vân tay thay mẹ"
        r"\b(?:sinh trac|quet mat|quet khuon mat|lay van tay|van tay)\b.{0,25}\b(?:thay|ho|"
        r"gium|dum) (?:cho )?(?:me|bo|cha|ong|ba|vo|chong|con|chau|nguoi nha|nguoi than)\b",
        r"\b(?:chup anh|anh chan dung)\b.{0,15}\bthay (?:cho )?(?:me|bo|cha|ong|ba|vo|chong|"
        r"nguoi nha|nguoi than|nguoi khac)\b",
        r"\b(?:dang ky|lam|kich hoat|mo)\b.{0,20}\b(?:vneid|tai khoan|dinh danh)\b.{0,30}\b"
        r"(?:bang|voi|dung) (?:can cuoc|cccd|the can cuoc|thong tin|giay to|so dien thoai|sim) "
        r"(?:cua )?(?:nguoi khac|nguoi ta|ai do|nguoi la|hang xom)",
        r"\b(?:dung|muon|lay)\b.{0,10}\b(?:can cuoc|the can cuoc|can cuoc cong dan|cccd|"
        r"chung minh nhan dan|giay to) (?:cua )?(?:nguoi khac|nguoi ta|ai do|nguoi la|hang xom)"
        r"\b.{0,40}\b(?:dang ky|vay|mo|lam|ky|kich hoat)",
    ),
}

# A resident asking for a person (folded). Questions *about* offices or hotlines
# ("số tổng đài VNeID là gì", "đến trực tiếp cơ quan") do not match.
_STAFF = (
    r"(?:nguoi that|nguoi ho tro|nguoi huong dan|nguoi tu van|nhan vien|can bo|tu van vien|"
    r"tong dai vien|chuyen vien|admin(?: that)?|nguoi cua phuong|nguoi cua xa|nguoi o phuong|"
    r"nguoi trong to|to cong nghe so(?: cong dong)?|to ho tro|nguoi phu trach|nguoi truc|"
    r"cong an phuong|cong an xa|chu cong an)"
)
_PERSON = rf"(?:{_STAFF}|ai do|mot nguoi|nguoi)"
PERSON_PATTERN = _rx(
    rf"\b(?:gap|noi chuyen|trao doi|nhan tin|chat)\b(?: truc tiep)?(?: voi| cho| sang| qua)?"
    rf"(?: mot| ban| anh| chi| em| co| chu| bac)? {_PERSON}\b",
    rf"\b(?:ket noi|chuyen|goi|can|muon|xin|nho)\b.{{0,20}}\b{_STAFF}\b",
    r"\b(?:co ai|co nguoi|co can bo|co nhan vien|ai do)\b.{0,15}\b(?:truc|online|o day|ho tro|"
    r"tra loi|giup)\b.{0,10}\b(?:khong|ha|a)\b",
    r"\b(?:nguoi that|admin that|can bo that)\b",
    r"\b(?:goi|goi dien) (?:lai )?(?:cho|giup) (?:toi|minh|bac|em|chau|tui|con|co|chu|ba|ong)\b",
    r"\b(?:khong muon|chan|met|khong thich)\b.{0,20}\b(?:noi chuyen|hoi|chat)?.{0,10}\b"
    r"(?:voi )?(?:may|bot|robot|chatbot|tro ly ao)\b",
    r"\b(?:den|toi|qua) (?:tan )?nha\b.{0,20}\b(?:ho tro|giup|huong dan|cai|lam)\b",
    r"\b(?:ho tro|huong dan|giup)\b.{0,10}\b(?:tan nha|tai nha)\b",
)

# Unmistakable requests for a person: they win whatever the classifier says (unless
# the message is a question about a procedure, e.g. which key reaches a person).
STRONG_PERSON = _rx(
    rf"\b(?:cho|xin|muon|can)\b(?: [a-z]+){{0,2}} (?:gap|noi chuyen voi|trao doi voi) "
    rf"(?:mot |ban |anh |chi |em |co |chu )?{_STAFF}\b",
    rf"\bchuyen\b(?: [a-z]+){{0,2}} (?:qua|sang|cho|toi|den) (?:mot |ban |anh |chi )?{_STAFF}\b",
    r"\b(?:goi|goi dien) lai cho (?:toi|minh|bac|em|chau|tui|con|co|chu|ba|ong)\b",
    r"\b(?:xuong|den|toi|qua) (?:tan )?nha\b.{0,25}\b(?:ho tro|giup|huong dan|cai dat|cai)\b",
    r"\bnguoi that\b.{0,20}\b(?:ho tro|tra loi|giup|tu van|noi chuyen)\b",
)
# The resident asks about *their own* application's progress (folded).
OWN_APPLICATION = _rx(
    r"\b(?:ho so|don|yeu cau|giay to)\b(?: [a-z]+){0,6}? (?:cua )?(?:toi|minh|em|bac|chau|con|tui|"
    r"tao|nha toi|nha minh|gia dinh toi|ong|ba|me toi|bo toi|vo toi|chong toi)\b.{0,50}\b"
    r"(?:den dau|toi dau|the nao roi|sao roi|xong chua|duoc chua|co chua|ra sao|bao gio (?:co|xong|"
    r"duoc)|da duyet|duyet chua|da xong|chua co|chua thay|lau qua|tre hen|qua han|tinh trang|"
    r"trang thai|dang o dau|toi buoc nao|ket qua)",
    r"\b(?:ho so|don|yeu cau)\b.{0,60}\b(?:da nop|nop tu|nop hom|nop tuan|nop thang|nop roi|"
    r"nop duoc|gui tu|gui roi|nop o)\b.{0,60}\b(?:den dau|toi dau|the nao roi|sao roi|xong chua|"
    r"duoc chua|co chua|ra sao|chua thay|chua co|bao gio|lau|tinh trang|ket qua)",
    r"\b(?:tra cuu|kiem tra|xem|tra|hoi|check)\b.{0,12}\b(?:tinh trang|trang thai|tien do|ket qua)?"
    r" ?(?:ho so|don|yeu cau)\b(?: cua)? (?:toi|minh|em|bac|chau|tui|nha toi|gia dinh)\b",
    r"\b(?:tinh trang|trang thai|tien do) (?:xu ly )?(?:ho so|don|yeu cau)\b.{0,20}\b(?:cua )?"
    r"(?:toi|minh|em|bac|chau|tui)\b",
    r"^(?:tra cuu|kiem tra|xem|tra) (?:tinh trang |trang thai |tien do )?ho so"
    r"(?: voi| giup| di| nhe| a)*$",
    r"\b(?:ho so|don|yeu cau)\b.{0,60}\bnop\b.{0,60}\b(?:chua thay|chua co|chua duoc|van chua|"
    r"khong thay|den dau|the nao roi|sao roi|lau qua|qua han|tre hen)\b",
)
# A question about *how* to do a procedure: it outranks a stray "hồ sơ" or "của tôi".
PROCEDURE_QUESTION = _rx(
    r"\b(?:can (?:nhung )?gi|can giay to gi|giay to gi|gom nhung gi|nhu the nao|the nao|lam sao|"
    r"lam the nao|cach nao|cach|thu tuc|cac buoc|o dau|bao nhieu|bao lau|mat bao lau|may ngay|"
    r"co duoc khong|duoc khong|co phai|co can|phai lam gi|nen lam gi|le phi|bao nhieu tien)\b"
)
# Following an application's status ("báo cho tôi khi có kết quả", "hủy theo dõi").
SUBSCRIPTION = _rx(
    r"\btheo doi\b",
    r"\b(?:bao|nhan|nhan tin|nhan tin nhan|gui|gui tin|thong bao|bao tin)\b.{0,12}\b"
    r"(?:toi|minh|em|bac|tui|chau)\b",
    r"\bnhan (?:thong bao|tin|tin nhan)\b",
    r"\b(?:gui|bat|tat|stop|huy|nhan|dang ky) thong bao\b|\bthong bao khi\b|^stop\b",
    r"\bthi nhan\b.{0,10}$",
    r"\b(?:dung|tat|ngung|huy|bo|khong can|khong muon|thoi)\b.{0,20}\b(?:bao|nhan|nhan tin|"
    r"thong bao|gui)\b",
)
# Asking *how* (not a polite "được không"): a request for a person or a status look-up
# worded as such a question stays a question for the knowledge base.
HOW_QUESTION = _rx(
    r"\b(?:can (?:nhung )?gi|giay to gi|giay gi|nhu the nao|the nao|lam sao|lam the nao|cach nao|"
    r"cach|thu tuc|cac buoc|o dau|bao nhieu|bao lau|may ngay|bam phim|phim may|so may|so nao|"
    r"bo sung)\b"
)
# Addressing the assistant itself ("bạn là người hay máy", "em có phải bot không").
BOT_ADDRESSED = _rx(
    r"\b(?:ban|em|chau|bot|chatbot|tro ly|may|admin|ai)\b.{0,15}\b(?:la nguoi|la may|la bot|la ai|"
    r"la robot|la tro ly|phai nguoi|phai may|phai bot|nguoi that|may that|tu dong|"
    r"tri tue nhan tao)",
    r"\b(?:dang (?:noi chuyen|chat|nhan tin) voi|ai dang tra loi|ai tra loi)\b",
    r"^(?:bot|may|robot|chatbot|ai) (?:a|ha|hay sao|phai khong|dung khong)",
    r"\b(?:ban|em) (?:co phai|la) (?:nguoi|may|bot|robot|chatbot|ai)\b",
)
# What a question about a procedure asks for ("vào mục nào", "gồm mấy bước"); a
# duration or a yes/no ("bao giờ có kết quả", "xong chưa") may be about an application.
PROCEDURE_KINDS = {
    QuestionType.FEE,
    QuestionType.PLACE,
    QuestionType.PAPERS,
    QuestionType.NUMBER,
    QuestionType.WHO,
    QuestionType.HOW,
}
QUESTION_CUE = _rx(
    PROCEDURE_QUESTION.pattern,
    r"\b(?:khong|chua|gi|nao|sao|dau|nhieu|khong a|khong nhi|co biet|hoi|xin hoi|cho hoi|"
    r"muon hoi)\b(?! (?:duoc roi|xong roi))",
)

# Public-service vocabulary (folded): anything with one of these is in the assistant's
# domain, covered by an article or not.
DOMAIN_TERMS = re.compile(
    r"\b(?:vneid|dinh danh|can cuoc|chung minh nhan dan|chung minh thu|ho chieu|thi thuc|visa|"
    r"tam tru|thuong tru|tam vang|luu tru|cu tru|ho khau|nhap khau|tach khau|"
    r"ly lich tu phap|khai sinh|ket hon|khai tu|ho tich|tinh trang hon nhan|ly hon|con nuoi|"
    r"giam ho|chung thuc|cong chung|sao y|trich luc|cai chinh|"
    r"bao hiem|vssid|huu tri|luong huu|tro cap|thai san|that nghiep|ho ngheo|can ngheo|"
    r"nguoi co cong|khuyet tat|an sinh|bao tro xa hoi|"
    r"giay phep|bang lai|lai xe|dang ky xe|bien so|sang ten|dang kiem|phat nguoi|vi pham|nop phat|"
    r"xu phat|tru diem|dich vu cong|thu tuc|ho so|giay to|giay xac nhan|giay chung nhan|"
    r"uy ban|ubnd|mot cua|hanh chinh|cong an|to dan pho|"
    r"le phi|nop thue|ma so thue|thue|etax|so do|so hong|quyen su dung dat|dat dai|thua dat|"
    r"xay dung|giay phep xay dung|ho kinh doanh|doanh nghiep|dang ky kinh doanh|nghia vu quan su|"
    r"tuyen sinh|nhap hoc|chuyen truong|hoc phi|bang tot nghiep|di chuc|thua ke|"
    r"khieu nai|to cao|phan anh|kien nghi|tiep dan|sap nhap|dia chi moi|"
    r"otp|passcode|mat khau|tai khoan|dang ky|kich hoat|dang nhap|tich hop|ung dung|"
    r"cong dich vu|ihanoi|so suc khoe|tiem chung|muc 1|muc 2|doi the|lam the|cap the|"
    r"lam lai the|the het han|doi ten|sim chinh chu|so thue bao|dien thoai|tin nhan|sms|"
    r"ma xac nhan|ma xac thuc|ma kich hoat|"
    # procedures no article covers yet (land, building, business, schools, military...)
    r"xin phep|cap phep|giay phep|chung chi|nop don|don de nghi|co quan nao|"
    r"dat o|dat vuon|dat nong nghiep|dat trong|dat ruong|tach thua|chuyen muc dich|"
    r"boi thuong|giai phong mat bang|thu hoi dat|tranh chap|so nha|nha o xa hoi|"
    r"cong ty|doanh nghiep|giai the|von dieu le|kinh doanh|phu hieu|hop tac xa|"
    r"chuyen truong|hoc ba|bang dai hoc|hop phap hoa|lanh su|hoc bong|"
    r"quan su|nhap ngu|tam hoan|di chuc|thua ke|nhan nuoi|huu tri|nguoi co cong|liet si|"
    r"giay phep lao dong|the tam tru|nhap canh|xuat canh|quoc tich)\b"
)


# Areas of procedure (folded) a question can be *about*. When a question names one and
# the best article never mentions it ("làm sổ đỏ lần đầu" -> an article on certifying
# contracts), the article is about something else: the assistant says it has no guide.
PROCEDURE_AREAS = re.compile(
    r"\b(?:"
    r"so do|so hong|quyen su dung dat|tach thua|chuyen muc dich|dat o|dat vuon|dat nong nghiep|"
    r"thua dat|boi thuong|giai phong mat bang|tranh chap|nha o xa hoi|so nha|"
    r"giay phep xay dung|xay dung|xay nha|sua nha|thanh lap cong ty|doanh nghiep|ho kinh doanh|"
    r"kinh doanh|giai the|phu hieu|an toan thuc pham|quang cao|nghia vu quan su|quan su|"
    r"nhap ngu|ly hon|con nuoi|nhan nuoi|thua ke|chia dat|chia tai san|di chuc|visa|"
    r"thi thuc|giay phep lao dong|chuyen truong|"
    r"hoc ba|bang tot nghiep|bang dai hoc|hop phap hoa|hoc bong|luong huu|huu tri|"
    r"nguoi co cong|liet si|chung chi hanh nghe|phong kham|nha thuoc|thuoc thu y|chan nuoi|"
    r"tau ca|nuoc ngam|cay xanh|rac thai|thu gom rac|den duong|thoat nuoc|cong chung|thi hanh an|"
    r"tro giup phap ly|tien luong|dat cong ich|dang kiem|sat hach|hoc lai xe|hien xac|hien tang|"
    r"hien mo|thue thu nhap ca nhan|quyet toan thue|hoan thue|xuat khau lao dong|"
    # Guardianship as a procedure, not "người giám hộ" signing for a child's passport.
    r"dang ky giam ho|(?:lam|cu|nhan) nguoi giam ho|(?:cham dut|thay doi) giam ho)\b"
)


@dataclass(frozen=True)
class Decision:
    intent: str
    changed: bool
    reason: str
    improper_kind: str | None = None
    sure: bool = False  # a rule matched: act on it even if the classifier was unsure


# Folded, the words that make a request improper collide with common ones (bán/bạn/bản,
# thuê/thuế, giả/giá/gia, ảo/áo, cầm/cảm, khống/không): a marker keeps their sense when
# the resident typed accents; a message without any accents gets the marker on every
# such word, and the patterns then rely on the paper or place named next to it.
_MARKED = {
    "bán": "ban_",
    "thuê": "thue_",
    "giả": "gia_",
    "ảo": "ao_",
    "cầm": "cam_",
    "khống": "khong_",
}
# Without accents "khong" is nearly always "không": it is never marked then.
_AMBIGUOUS = {value[:-1]: value for value in _MARKED.values() if value != "khong_"}


def _marked(text: str) -> str:
    accented = has_diacritics(text)
    words = []
    for token in normalize(text).split():
        folded = fold(token)
        if token in _MARKED:
            folded = _MARKED[token]
        elif not accented and folded in _AMBIGUOUS:
            folded = _AMBIGUOUS[folded]
        words.append(folded)
    return " ".join(words)


def improper_kind(text: str) -> str | None:
    """The kind of improper request the message makes, or None."""
    marked = _marked(text)
    for kind, pattern in IMPROPER_PATTERNS.items():
        if pattern.search(marked):
            return kind
    return None


def asks_for_person(text: str) -> bool:
    return bool(PERSON_PATTERN.search(fold(text)))


def asks_own_application(text: str) -> bool:
    return bool(OWN_APPLICATION.search(fold(text)))


def in_domain(text: str) -> bool:
    """Public-service vocabulary: a question the assistant should answer or say it has no
    guide for, as opposed to something off topic (weather, football)."""
    return bool(DOMAIN_TERMS.search(fold(text)))


# Areas whose folded form is also a common phrase ("số đó" folds to "so do"): in an
# accented message, the accented form must be there.
_FOLDED_TWINS = {"so do": "sổ đỏ", "so hong": "sổ hồng", "dat o": "đất ở"}


def procedure_areas(text: str) -> set[str]:
    """The areas of procedure a message names (folded), e.g. {"so do", "ly hon"}."""
    areas = {m.group() for m in PROCEDURE_AREAS.finditer(fold(text))}
    if has_diacritics(text):
        accented = normalize(text)
        areas = {a for a in areas if a not in _FOLDED_TWINS or _FOLDED_TWINS[a] in accented}
    return areas


def arbitrate(text: str, intent: str, has_code: bool = False) -> Decision:
    """The intent to act on, given the classifier's top ``intent``; see the module doc."""
    folded = fold(text)
    length = len(folded.split())
    kind = improper_kind(text)
    if kind is not None:
        return Decision(IMPROPER, intent != IMPROPER, f"improper:{kind}", kind, sure=True)
    if (
        has_code
        and intent not in STATUS_INTENTS | SUBSCRIPTION_INTENTS
        and (intent != "request_human" or not PERSON_PATTERN.search(folded))
    ):
        return Decision("check_status", True, "code in the message")
    asks_how = bool(HOW_QUESTION.search(folded))
    if intent != "request_human" and STRONG_PERSON.search(folded) and not asks_how:
        return Decision("request_human", True, "clearly asks for a person")
    if (
        intent not in STATUS_INTENTS
        and intent not in SUBSCRIPTION_INTENTS | {"request_human"}
        and OWN_APPLICATION.search(folded)
        and not asks_how
    ):
        return Decision("check_status", True, "asks about own application")
    if intent == "request_human":
        if PERSON_PATTERN.search(folded):
            return Decision(intent, False, "asks for a person", sure=True)
        return Decision(ASK_QUESTION, True, "request_human without a person pattern")
    if intent in SUBSCRIPTION_INTENTS and not SUBSCRIPTION.search(folded):
        return Decision(ASK_QUESTION, True, f"{intent} without following an application")
    if intent in STATUS_INTENTS and not has_code:
        # "Chuyển hộ khẩu cho con thì hồ sơ cần những gì?" asks how, not where an
        # application has got to; "hồ sơ của em sao lâu thế" keeps the code form.
        asks_procedure = asks_how or question_type(text) in PROCEDURE_KINDS
        if asks_procedure and not OWN_APPLICATION.search(folded):
            return Decision(ASK_QUESTION, True, f"{intent} asking how, without a code")
        return Decision(intent, False, "asks about an application")
    if intent == "bot_challenge":
        if BOT_ADDRESSED.search(folded):
            return Decision(intent, False, "addresses the bot", sure=True)
        if DOMAIN_TERMS.search(folded):
            return Decision(ASK_QUESTION, True, "bot_challenge not addressed to the bot")
        return Decision(intent, False, "bot_challenge")
    if intent in SMALL_TALK:
        # "ở đây hỗ trợ những thủ tục nào" is about the assistant: a longer allowance.
        short = SHORT_SYLLABLES * 2 if intent == "ask_capabilities" else SHORT_SYLLABLES
        if length > short and DOMAIN_TERMS.search(folded) and QUESTION_CUE.search(folded):
            return Decision(ASK_QUESTION, True, f"{intent} with a question about a procedure")
        return Decision(intent, False, "small talk")
    if intent == "out_of_scope" and DOMAIN_TERMS.search(folded):
        return Decision(ASK_QUESTION, True, "out_of_scope with public-service vocabulary")
    return Decision(intent, False, "classifier")
