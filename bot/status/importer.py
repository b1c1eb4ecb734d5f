"""``status import FILE``: load a one-stop office export (CSV or .xlsx) into the registry.

Columns are recognised by their Vietnamese or English headers, with or without accents:

| field       | headers recognised                                                  | required |
| code        | Mã hồ sơ, Mã, Số biên nhận, Mã biên nhận, code                     | yes      |
| procedure   | Thủ tục, Tên thủ tục, Tên TTHC, procedure                           | yes      |
| status      | Trạng thái, Tình trạng, Trạng thái hồ sơ, status                    | yes      |
| received_at | Ngày tiếp nhận, Ngày nhận, Ngày nộp, received_at                    | yes      |
| due_at      | Hẹn trả, Ngày hẹn trả, Hạn giải quyết, due_at                       | no       |
| office      | Cơ quan, Cơ quan giải quyết, Đơn vị xử lý, Nơi xử lý, office        | no       |
| note        | Ghi chú, note                                                        | no       |

Rows are upserted by code (dots and case ignored); a changed status is recorded with its
time. A bad row is reported with its line number and skipped; every other row is kept.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.db.base import utcnow
from bot.status.codes import find_code
from bot.status.models import Application, StatusChange
from bot.text import fold

HEADERS: dict[str, tuple[str, ...]] = {
    "code": ("ma ho so", "ma", "so bien nhan", "ma bien nhan", "code"),
    "procedure": ("thu tuc", "ten thu tuc", "ten tthc", "procedure"),
    "status": ("trang thai", "tinh trang", "trang thai ho so", "status"),
    "received_at": ("ngay tiep nhan", "ngay nhan", "ngay nop", "received at", "received_at"),
    "due_at": ("hen tra", "ngay hen tra", "han giai quyet", "due at", "due_at"),
    "office": ("co quan", "co quan giai quyet", "don vi xu ly", "noi xu ly", "office"),
    "note": ("ghi chu", "note"),
}
REQUIRED = ("code", "procedure", "status", "received_at")
_DATE_FORMATS = (
    "%d/%m/%Y",
    "%Y-%m-%d",
    "%d-%m-%Y",
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y %H:%M:%S",
    "%Y-%m-%d %H:%M:%S",
    "%d.%m.%Y",
)


@dataclass
class ImportReport:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    status_changes: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)

    def summary(self) -> str:
        lines = [
            f"thêm mới {self.inserted}, cập nhật {self.updated} "
            f"({self.status_changes} đổi trạng thái), không đổi {self.unchanged}, "
            f"bỏ qua {len(self.errors)} dòng lỗi"
        ]
        lines += [f"  dòng {line}: {message}" for line, message in self.errors]
        return "\n".join(lines)


class ImportFileError(ValueError):
    """The file as a whole cannot be read (format, headers)."""


def _field_for(header: Any) -> str | None:
    key = fold(str(header or "")).replace("_", " ").strip()
    return next((name for name, names in HEADERS.items() if key in names), None)


def _rows(path: Path) -> tuple[list[Any], list[tuple[int, list[Any]]]]:
    """Header and (line number, cells) of a CSV or .xlsx file."""
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        from openpyxl import load_workbook

        sheet = load_workbook(path, read_only=True, data_only=True).active
        if sheet is None:
            raise ImportFileError(f"{path}: tệp Excel không có trang tính nào")
        rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    elif suffix == ".csv":
        raw = path.read_bytes()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = raw.decode("cp1258", errors="replace")  # old Windows Vietnamese exports
        try:
            dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(
                text[:4096], delimiters=",;\t"
            )
        except csv.Error:
            dialect = csv.excel  # one column, or nothing to sniff: plain commas
        rows = list(csv.reader(io.StringIO(text), dialect))
    else:
        raise ImportFileError(f"{path}: chỉ nhận tệp .csv hoặc .xlsx")
    if not rows:
        raise ImportFileError(f"{path}: tệp trống")
    return rows[0], [(i + 2, row) for i, row in enumerate(rows[1:])]


def _date(value: Any) -> date | None:
    if value is None or str(value).strip() == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"ngày '{text}' không đúng dạng ngày/tháng/năm")


def import_file(session: Session, path: Path) -> ImportReport:
    header, rows = _rows(path)
    columns = {i: name for i, h in enumerate(header) if (name := _field_for(h))}
    missing = [name for name in REQUIRED if name not in columns.values()]
    if missing:
        raise ImportFileError(
            f"{path}: thiếu cột {', '.join(missing)}; tiêu đề đọc được: {header}. "
            "Xem bảng tên cột trong README (phần Tra cứu hồ sơ)."
        )
    report = ImportReport()
    for line, cells in rows:
        if not any(str(c or "").strip() for c in cells):
            continue  # blank line
        values = {name: cells[i] if i < len(cells) else None for i, name in columns.items()}
        savepoint = session.begin_nested()  # a bad row rolls back alone
        try:
            _upsert(session, values, report)
            savepoint.commit()
        except ValueError as exc:
            savepoint.rollback()
            report.errors.append((line, str(exc)))
    return report


def _upsert(session: Session, values: dict[str, Any], report: ImportReport) -> None:
    raw_code = str(values.get("code") or "").strip()
    code = find_code(raw_code)
    if code is None:
        raise ValueError(f"mã hồ sơ '{raw_code}' không hợp lệ")
    for name, limit in (("procedure", 300), ("status", 120), ("office", 300)):
        text = str(values.get(name) or "").strip()
        if not text and name != "office":
            raise ValueError(f"thiếu {name}")
        if len(text) > limit:
            raise ValueError(f"{name} dài quá {limit} ký tự")
    received = _date(values.get("received_at"))
    if received is None:
        raise ValueError("thiếu ngày tiếp nhận")
    fields = {
        "code": code.code,
        "procedure": str(values["procedure"]).strip(),
        "status": str(values["status"]).strip(),
        "received_at": received,
        "due_at": _date(values.get("due_at")),
        "office": str(values.get("office") or "").strip(),
        "note": str(values.get("note") or "").strip(),
    }
    existing = session.scalar(select(Application).where(Application.lookup_key == code.lookup_key))
    if existing is None:
        application = Application(lookup_key=code.lookup_key, **fields)
        session.add(application)
        session.flush()
        session.add(StatusChange(application_id=application.id, new_status=fields["status"]))
        report.inserted += 1
        return
    changed = {k: v for k, v in fields.items() if getattr(existing, k) != v}
    if not changed:
        report.unchanged += 1
        return
    if "status" in changed:
        session.add(
            StatusChange(
                application_id=existing.id, old_status=existing.status, new_status=fields["status"]
            )
        )
        report.status_changes += 1
    for key, value in changed.items():
        setattr(existing, key, value)
    existing.updated_at = utcnow()
    report.updated += 1
