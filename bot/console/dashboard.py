"""The ward leaders' figures: what the database records, aggregated for a period.

Every chart is a table first (shown under the chart, exported as CSV) and drawn from
that table. Messages come from ``message_outcomes`` (one row per answered message,
grouped in SQL by day, channel and kind, on the ``(day, ward)`` index), handoffs from the
tickets, feedback from ``kb_feedback``, notifications from the audit log; the
unanswered question groups from the editors' inbox.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from statistics import median
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from bot.audit import AuditEvent
from bot.console.misses import collect
from bot.conversation import outcomes as o
from bot.conversation.outcomes import MessageOutcome
from bot.db.base import as_utc
from bot.handoff.models import Ticket
from bot.knowledge.grouping import Miss, MissGroup
from bot.knowledge.models import Feedback
from bot.status.notifier import NOTIFIED
from bot.text.dates import VIETNAM

CHANNELS = {"web": "Web", "telegram": "Telegram", "zalo": "Zalo"}
# The share of messages by what the assistant did with them.
BUCKETS = {
    "Trả lời được": (o.ANSWERED,),
    "Chưa chắc": (o.UNSURE,),
    "Từ chối hoặc chưa có bài": (o.NOT_COVERED, o.OFF_TOPIC, o.IMPROPER),
    "Chuyển cho tổ hỗ trợ": (o.HANDOFF, o.TEAM),
    "Tra cứu hồ sơ": (o.STATUS,),
    "Chào hỏi, khác": (o.OTHER,),
}
TOP = 10
TOTAL = "Tổng"
GROUPED_WORDINGS = 300  # the unanswered groups are built from the most asked wordings


@dataclass(frozen=True)
class Period:
    start: date  # Vietnam dates, both included
    end: date
    ward: str | None  # None: all wards

    @property
    def days(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days + 1)]

    def bounds(self) -> tuple[datetime, datetime]:
        """The period as UTC instants (for columns that hold a time, not a day)."""
        first = datetime.combine(self.start, time.min, VIETNAM)
        return first, datetime.combine(self.end + timedelta(days=1), time.min, VIETNAM)


@dataclass
class Chart:
    key: str  # in the URL of its CSV
    title: str
    kind: str  # bar | stacked | line | doughnut | hbar
    columns: list[str]
    rows: list[list[Any]]
    note: str = ""

    def drawing(self) -> dict[str, Any]:
        """Chart.js data: labels from the first column, one series per other column;
        percentages and totals are for the table (a stacked total would count twice)."""
        series = [
            i for i, c in enumerate(self.columns) if i and not c.endswith("(%)") and c != TOTAL
        ]
        return {
            "kind": self.kind,
            "labels": [str(r[0]) for r in self.rows],
            "series": [
                {"label": self.columns[i], "data": [r[i] for r in self.rows]} for i in series
            ],
        }


@dataclass
class Figures:
    period: Period
    headline: dict[str, str] = field(default_factory=dict)
    charts: list[Chart] = field(default_factory=list)

    def chart(self, key: str) -> Chart | None:
        return next((c for c in self.charts if c.key == key), None)


def _day(value: date) -> str:
    return value.strftime("%d/%m")


def _percent(part: int, whole: int) -> float:
    return round(100.0 * part / whole, 1) if whole else 0.0


def _outcomes(period: Period) -> Any:
    query = select(MessageOutcome).where(
        MessageOutcome.day >= period.start, MessageOutcome.day <= period.end
    )
    return query if period.ward is None else query.where(MessageOutcome.ward == period.ward)


def _local_day(moment: datetime) -> date:
    return as_utc(moment).astimezone(VIETNAM).date()


def _span(minutes: float | None) -> str:
    if minutes is None:
        return "—"
    if minutes < 60:
        return f"{minutes:.0f} phút"
    return f"{minutes / 60:.1f} giờ"


def figures(
    session: Session, period: Period, group: Callable[[list[Miss]], list[MissGroup]]
) -> Figures:
    """All charts of the period; ``group`` groups unanswered questions by meaning (the
    editors' workbench)."""
    result = Figures(period)
    where = _outcomes(period).whereclause
    assert where is not None
    # One pass over the period's rows, served from the covering index: counts by day,
    # channel, kind and topic; every message chart is summed from these.
    per_day: Counter[tuple[date, str]] = Counter()
    kinds: Counter[str] = Counter()
    topics: Counter[str] = Counter()
    lookups: Counter[date] = Counter()
    for day, channel, kind, topic, count in session.execute(
        select(
            MessageOutcome.day,
            MessageOutcome.channel,
            MessageOutcome.kind,
            MessageOutcome.topic,
            func.count(),
        )
        .where(where)
        .group_by(
            MessageOutcome.day, MessageOutcome.channel, MessageOutcome.kind, MessageOutcome.topic
        )
    ):
        per_day[(day, channel)] += count
        kinds[kind] += count
        if kind == o.ANSWERED and topic:
            topics[topic] += count
        if kind == o.STATUS:
            lookups[day] += count
    total = sum(kinds.values())
    residents = session.scalar(
        select(func.count(func.distinct(MessageOutcome.resident))).where(where)
    )
    result.charts.append(
        Chart(
            "tin-nhan",
            "Tin nhắn mỗi ngày theo kênh",
            "stacked",
            ["Ngày", *CHANNELS.values(), TOTAL],
            [
                [
                    _day(d),
                    *(per_day[(d, c)] for c in CHANNELS),
                    sum(per_day[(d, c)] for c in CHANNELS),
                ]
                for d in period.days
            ],
        )
    )
    buckets = [(label, sum(kinds[k] for k in members)) for label, members in BUCKETS.items()]
    result.charts.append(
        Chart(
            "ket-qua",
            "Trợ lý đã làm gì với các tin nhắn",
            "doughnut",
            ["Kết quả", "Số tin", "Tỉ lệ (%)"],
            [[label, count, _percent(count, total)] for label, count in buckets],
        )
    )
    result.charts.append(
        Chart(
            "chu-de",
            "Chủ đề được hỏi nhiều nhất (câu đã trả lời)",
            "hbar",
            ["Chủ đề", "Số câu trả lời"],
            [[topic, count] for topic, count in topics.most_common(TOP)],
        )
    )
    result.charts.append(_unanswered(session, period, group))
    result.charts.append(_helpful(session, period))
    handoffs, to_claim, to_close = _handoffs(session, period)
    result.charts.append(handoffs)
    result.charts.append(_status(session, period, lookups))
    answered = kinds[o.ANSWERED]
    asked = answered + kinds[o.UNSURE] + kinds[o.NOT_COVERED]
    result.headline = {
        "Tin nhắn": f"{total:,}".replace(",", "."),
        "Người dân": f"{residents or 0:,}".replace(",", "."),
        "Câu hỏi được trả lời": f"{_percent(answered, asked):.0f}%" if asked else "—",
        "Chuyển cho tổ hỗ trợ": str(sum(r[1] for r in handoffs.rows)),
        "Thời gian đến khi có người nhận (trung vị)": _span(to_claim),
        "Thời gian đến khi kết thúc (trung vị)": _span(to_close),
    }
    return result


def _unanswered(
    session: Session, period: Period, group: Callable[[list[Miss]], list[MissGroup]]
) -> Chart:
    first, after = period.bounds()
    days = max(1, (datetime.now(VIETNAM) - first).days + 1)
    misses = [m for m in collect(session, days) if as_utc(m.at) < after]
    asked = Counter(miss.key for miss in misses)
    keep = {key for key, _ in asked.most_common(GROUPED_WORDINGS)}
    groups = group([m for m in misses if m.key in keep])[:TOP]
    return Chart(
        "chua-tra-loi",
        "Câu hỏi chưa được trả lời tốt nhiều nhất",
        "hbar",
        ["Câu hỏi", "Số người hỏi", "Số lần"],
        [[g.question[:120], g.residents, g.times] for g in groups],
        "Gộp theo nghĩa, mọi phường (câu hỏi không ghi phường). Xử lý ở trang Câu hỏi cần xem.",
    )


def _helpful(session: Session, period: Period) -> Chart:
    first, after = period.bounds()
    good = func.sum(case((Feedback.helpful, 1), else_=0))
    rows = session.execute(
        select(Feedback.article_id, good, func.count())
        .where(Feedback.at >= first, Feedback.at < after)
        .group_by(Feedback.article_id)
        .order_by(func.count().desc())
        .limit(15)
    ).all()
    return Chart(
        "huu-ich",
        "Người dân thấy bài viết hữu ích không",
        "stacked",
        ["Bài viết", "Hữu ích", "Chưa hữu ích", "Tỉ lệ hữu ích (%)"],
        [
            [article, int(yes or 0), count - int(yes or 0), _percent(int(yes or 0), count)]
            for article, yes, count in rows
        ],
        "Mọi phường: nút Hữu ích / Chưa hữu ích dưới câu trả lời.",
    )


def _handoffs(session: Session, period: Period) -> tuple[Chart, float | None, float | None]:
    first, after = period.bounds()
    query = select(
        Ticket.created_at, Ticket.first_claimed_at, Ticket.closed_at, Ticket.closed_by
    ).where(Ticket.created_at >= first, Ticket.created_at < after)
    if period.ward is not None:
        query = query.where(Ticket.ward == period.ward)
    opened: Counter[date] = Counter()
    to_claim: list[float] = []
    to_close: list[float] = []
    for created, claimed, closed, closed_by in session.execute(query):
        opened[_local_day(created)] += 1
        if claimed is not None:
            to_claim.append((as_utc(claimed) - as_utc(created)).total_seconds() / 60)
        if closed is not None and closed_by is not None:
            to_close.append((as_utc(closed) - as_utc(created)).total_seconds() / 60)
    chart = Chart(
        "chuyen-nguoi",
        "Yêu cầu gặp người hỗ trợ mỗi ngày",
        "bar",
        ["Ngày", "Yêu cầu mới"],
        [[_day(d), opened.get(d, 0)] for d in period.days],
    )
    return (
        chart,
        median(to_claim) if to_claim else None,
        median(to_close) if to_close else None,
    )


def _status(session: Session, period: Period, lookups: Counter[date]) -> Chart:
    first, after = period.bounds()
    notified: Counter[date] = Counter(
        _local_day(at)
        for (at,) in session.execute(
            select(AuditEvent.at).where(
                AuditEvent.action == NOTIFIED, AuditEvent.at >= first, AuditEvent.at < after
            )
        )
    )
    return Chart(
        "tra-cuu",
        "Tra cứu hồ sơ và thông báo kết quả đã gửi",
        "line",
        ["Ngày", "Lượt tra cứu", "Thông báo đã gửi"],
        [[_day(d), lookups.get(d, 0), notified.get(d, 0)] for d in period.days],
        "Thông báo tính cho mọi phường (người theo dõi hồ sơ không ghi phường).",
    )
