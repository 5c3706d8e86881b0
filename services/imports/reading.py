"""An uploaded .xlsx or .csv file to one DataFrame of text per sheet (``read_sheet``).

Every cell is read as text, as typed: nothing is evaluated (openpyxl reads the stored values,
``data_only``; a CSV cell "=1+1" is the text "=1+1"), a date typed into an Excel date cell becomes
dd/mm/yyyy, a whole number stays a whole number ("12", not "12.0"). The DataFrame's index is the
row number as the spreadsheet shows it (the header is row 1), so every error names the row the
person sees. A file that cannot be read at all is one ``UnreadableFile`` with one Vietnamese
sentence; nothing is created from it.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time

import pandas as pd

from services.infra.errors import InvalidInput
from services.infra.text import fold

MAX_BYTES = 20 * 1024 * 1024  # an upload larger than this is refused before it is read
ROW_COLUMN = "_row"  # not a column of the file: the spreadsheet's row number, kept for messages


class UnreadableFile(InvalidInput):
    """The file is not a readable .xlsx/.csv of the expected shape (one message, nothing created)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, field="file")


@dataclass(frozen=True)
class Sheet:
    """One sheet's rows: ``frame`` has the template's headers as columns (text, "" when empty) and
    the spreadsheet row numbers as its index; ``name`` is the sheet named in the messages."""

    name: str
    frame: pd.DataFrame


def header_key(text: str) -> str:
    """How a header is matched: case, accents, spaces and the template's "*" ignored."""
    return "".join(fold(text.replace("*", "")).split())


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        if value.time() == time(0, 0):
            return value.strftime("%d/%m/") + f"{value.year:04d}"
        return value.strftime("%d/%m/") + f"{value.year:04d}" + value.strftime(" %H:%M")
    if isinstance(value, date):
        return value.strftime("%d/%m/") + f"{value.year:04d}"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _xlsx_rows(data: bytes, sheet_name: str) -> tuple[str, list[list[str]]]:
    from openpyxl import load_workbook  # type: ignore[import-untyped]

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError):
        raise UnreadableFile("Không đọc được tệp Excel: tệp không phải .xlsx hoặc đã hỏng.") from None
    try:
        names = book.sheetnames
        wanted = {header_key(n): n for n in names}
        chosen = wanted.get(header_key(sheet_name))
        if chosen is None:
            if len(names) != 1:
                listed = ", ".join(f"“{n}”" for n in names)
                raise UnreadableFile(f"Tệp không có trang tính “{sheet_name}” (có: {listed}).")
            chosen = names[0]
        rows = [[_cell_text(v) for v in row] for row in book[chosen].iter_rows(values_only=True)]
        return chosen, rows
    finally:
        book.close()


def _csv_rows(data: bytes) -> list[list[str]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UnreadableFile(
            "Tệp CSV không phải mã UTF-8: trong Excel chọn Lưu thành “CSV UTF-8 (phân tách bằng dấu phẩy)”."
        ) from None
    if "\x00" in text:
        raise UnreadableFile("Tệp CSV không đọc được: có ký tự nhị phân (có thể là tệp Excel đổi đuôi).")
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    try:
        return [
            [cell.strip() for cell in row] for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        ]
    except csv.Error as exc:
        raise UnreadableFile(f"Tệp CSV không đọc được: {exc}.") from None


def read_sheet(data: bytes, *, file_name: str, sheet: str, columns: Sequence[str]) -> Sheet:
    """The rows of ``sheet`` (an .xlsx's sheet of that name, or the only one; a CSV's rows) with
    exactly ``columns`` (the template's headers; more columns are ignored, a missing one is an
    error). Rows with every cell empty are skipped; the index is the spreadsheet's row number."""
    if not data:
        raise UnreadableFile("Tệp rỗng: chọn tệp theo mẫu (.xlsx hoặc .csv).")
    if len(data) > MAX_BYTES:
        raise UnreadableFile(f"Tệp lớn quá {MAX_BYTES // (1024 * 1024)} MB.")
    lower = file_name.lower()
    if lower.endswith(".xlsx"):
        shown, rows = _xlsx_rows(data, sheet)
    elif lower.endswith(".csv"):
        shown, rows = sheet, _csv_rows(data)
    else:
        raise UnreadableFile("Chỉ nhận tệp Excel (.xlsx) hoặc CSV (.csv) theo mẫu.")
    if not rows or not any(cell for cell in rows[0]):
        raise UnreadableFile(f"Trang tính “{shown}” rỗng: dòng 1 phải là tiêu đề cột theo mẫu.")
    header = [header_key(cell) for cell in rows[0]]
    positions: dict[str, int] = {}
    for column in columns:
        key = header_key(column)
        if key in header:
            positions[column] = header.index(key)
    missing = [c for c in columns if c not in positions]
    if missing:
        named = ", ".join(f"“{c}”" for c in missing)
        raise UnreadableFile(f"Trang tính “{shown}” thiếu cột {named} (dòng 1 phải là tiêu đề cột theo mẫu).")
    records: list[list[str]] = []
    numbers: list[int] = []
    for number, row in enumerate(rows[1:], start=2):
        values = [row[positions[c]] if positions[c] < len(row) else "" for c in columns]
        if any(values):
            records.append(values)
            numbers.append(number)
    if not records:
        raise UnreadableFile(f"Trang tính “{shown}” không có dòng dữ liệu nào dưới dòng tiêu đề.")
    frame = pd.DataFrame(records, columns=list(columns), index=pd.Index(numbers, name=ROW_COLUMN), dtype=object)
    return Sheet(name=shown, frame=frame)
