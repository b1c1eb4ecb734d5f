"""The dashboard page for ward leaders, and each chart's table as CSV."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.console.dashboard import Figures, Period, figures
from bot.console.deps import SignedIn, Staff, workbench_of
from bot.console.pages import ConsoleProblem, ConsoleRoute, render
from bot.db import SessionDep
from bot.handoff.models import Team
from bot.text.dates import vietnam_today

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
PRESETS = {7: "7 ngày", 30: "30 ngày", 90: "90 ngày"}
LONGEST = 366


def _period(staff: Staff, start: str, end: str, days: int, ward: str) -> Period:
    today = vietnam_today()
    try:
        last = date.fromisoformat(end) if end else today
        first = date.fromisoformat(start) if start else last - timedelta(days=days - 1)
    except ValueError as exc:
        raise ConsoleProblem(400, "Ngày không hợp lệ: chọn lại khoảng thời gian.") from exc
    if first > last:
        first, last = last, first
    if (last - first).days >= LONGEST:
        raise ConsoleProblem(400, f"Chọn khoảng tối đa {LONGEST} ngày.")
    # Members see their ward; admins any ward, or all of them.
    chosen = (ward or None) if staff.is_admin else staff.ward
    return Period(first, last, chosen)


Start = Annotated[str, Query(alias="tu", max_length=10)]
End = Annotated[str, Query(alias="den", max_length=10)]
Days = Annotated[int, Query(alias="khoang", ge=1, le=LONGEST)]
Ward = Annotated[str, Query(alias="phuong", max_length=80)]


def period_of(
    staff: SignedIn, start: Start = "", end: End = "", days: Days = 30, ward: Ward = ""
) -> Period:
    return _period(staff, start, end, days, ward)


Chosen = Annotated[Period, Depends(period_of)]


def _figures(request: Request, session: Session, period: Period) -> Figures:
    return figures(session, period, workbench_of(request).groups)


@router.get("/console/dashboard")
def dashboard_page(
    request: Request, staff: SignedIn, session: SessionDep, period: Chosen
) -> Response:
    result = _figures(request, session, period)
    wards = list(session.execute(select(Team.ward, Team.name).order_by(Team.ward)))
    query = f"tu={period.start}&den={period.end}&phuong={period.ward or ''}"
    return render(
        request,
        "dashboard.html",
        {
            "staff": staff,
            "f": result,
            "query": query,
            "presets": PRESETS,
            "wards": wards if staff.is_admin else [],
            "drawings": json.dumps(
                {c.key: c.drawing() for c in result.charts}, ensure_ascii=False
            ).replace("</", "<\\/"),
        },
    )


@router.get("/console/dashboard/{key}.csv")
def chart_csv(request: Request, session: SessionDep, key: str, period: Chosen) -> Response:
    chart = _figures(request, session, period).chart(key)
    if chart is None:
        raise ConsoleProblem(404, "Không có biểu đồ này.")
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(chart.columns)
    writer.writerows(chart.rows)
    name = f"{key}_{period.start}_{period.end}{'_' + period.ward if period.ward else ''}.csv"
    # With a BOM: Excel, which ward offices open CSV files with, then reads Vietnamese right.
    return Response(
        "\ufeff" + out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
