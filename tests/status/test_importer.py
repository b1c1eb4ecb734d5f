"""Importing one-stop office exports: CSV and xlsx, Vietnamese headers, bad rows, re-import."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import delete, select

from bot.db import session_scope
from bot.settings import ROOT
from bot.status.importer import ImportFileError, import_file
from bot.status.models import Application, StatusChange

SAMPLE = ROOT / "bot" / "status" / "samples" / "applications-demo.csv"


@pytest.fixture
def empty_registry(migrated_db: None) -> None:
    with session_scope() as session:
        session.execute(delete(StatusChange))
        session.execute(delete(Application))


def run(path: Path):  # type: ignore[no-untyped-def]
    with session_scope() as session:
        return import_file(session, path)


def test_sample_import_is_idempotent(empty_registry: None) -> None:
    first = run(SAMPLE)
    assert (first.inserted, first.errors) == (40, [])
    again = run(SAMPLE)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 40)
    with session_scope() as session:
        assert len(session.scalars(select(StatusChange)).all()) == 40


def test_csv_with_unaccented_headers_semicolons_and_bad_rows(
    empty_registry: None, tmp_path: Path
) -> None:
    path = tmp_path / "export.csv"
    path.write_text(
        "Ma ho so;Ten thu tuc;Tinh trang;Ngay nhan;Han giai quyet;Don vi xu ly\n"
        "000.30.31.H26-240915-0012;Đăng ký tạm trú;Đang xử lý;15/09/2024;20/09/2024;CA phường\n"
        "khong-phai-ma;Đăng ký tạm trú;Đang xử lý;15/09/2024;;\n"
        "G22.123-241015-0013;Cấp đổi căn cước;Đã có kết quả;31/02/2024;;\n"
        "G22.123-241015-0014;;Đang xử lý;15/10/2024;;\n"
        f"G22.123-241015-0016;{'x' * 400};Đang xử lý;15/10/2024;;\n"
        "\n"
        "G22.123-241015-0015;Lý lịch tư pháp;Đang xử lý;2024-10-15;;\n",
        "utf-8",
    )
    report = run(path)
    assert report.inserted == 2
    assert [line for line, _ in report.errors] == [3, 4, 5, 6]
    assert "không hợp lệ" in report.errors[0][1] and "ngày" in report.errors[1][1]


def test_xlsx_and_status_change_recorded(empty_registry: None, tmp_path: Path) -> None:
    def workbook(status: str) -> Path:
        book = Workbook()
        sheet = book.active
        assert sheet is not None
        sheet.append(["Mã hồ sơ", "Thủ tục", "Trạng thái", "Ngày tiếp nhận", "Hẹn trả"])
        sheet.append(
            ["000.30.31.H26-240915-0012", "Đăng ký thường trú", status, "15/09/2024", "25/09/2024"]
        )
        path = tmp_path / f"{status}.xlsx"
        book.save(path)
        return path

    assert run(workbook("Đang xử lý")).inserted == 1
    changed = run(workbook("Đã có kết quả"))
    assert (changed.updated, changed.status_changes) == (1, 1)
    with session_scope() as session:
        changes = session.scalars(select(StatusChange).order_by(StatusChange.id)).all()
        assert [(c.old_status, c.new_status) for c in changes] == [
            ("", "Đang xử lý"),
            ("Đang xử lý", "Đã có kết quả"),
        ]


def test_missing_columns_are_named(empty_registry: None, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("Mã hồ sơ,Thủ tục\nG22.123-241015-0012,X\n", "utf-8")
    with pytest.raises(ImportFileError, match="thiếu cột status, received_at"):
        run(path)
