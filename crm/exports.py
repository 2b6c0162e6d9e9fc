"""A list exported exactly as shown: its filters, its sort, its columns, to CSV or XLSX.

Both stream. A CSV is written row by row as the response goes out, so a hundred thousand rows
never sit in memory; an XLSX is written by XlsxWriter in constant-memory mode (each row goes to
a temporary file as it is written) and then sent from that file. Rows are read from the
database in chunks.

Values are real values: numbers and dates are number and date cells in a workbook, and plain
ISO text in a CSV (no thousands separators, no currency), so a spreadsheet can sum and sort
them. Text that a spreadsheet would run as a formula is written so that it cannot be.
"""

from __future__ import annotations

import csv
import datetime
import re
import tempfile
from collections.abc import Iterable, Iterator
from decimal import Decimal

import xlsxwriter
from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone, translation
from django.utils.http import content_disposition_header

from .columns import DATE, DATETIME, MONEY, NUMBER, PERCENT, Column

CHUNK = 2000
BOM = "\ufeff"
# A cell starting with one of these is a formula to Excel, LibreOffice and Google Sheets.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# ... except a phone number or a plain number, which people type with a leading + or -.
HARMLESS = re.compile(r"^[+-]?[\d\s().\-/]+$")
CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS = ("csv", "xlsx")


def safe_text(text: str) -> str:
    """``text`` as a spreadsheet shows it and never runs it (OWASP's CSV injection advice)."""
    if text.startswith(FORMULA_START) and not HARMLESS.match(text):
        return "'" + text
    return text


def exported(columns: Iterable[Column]) -> list[Column]:
    return [column for column in columns if column.exported]


def local(value: datetime.datetime) -> datetime.datetime:
    """A stored moment in the site's time zone, without the zone (spreadsheets have none)."""
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return value.replace(tzinfo=None)


def csv_value(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return local(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int | float | Decimal):
        return str(value)
    return safe_text(str(value))


def rows_of(queryset) -> Iterator:
    return queryset.iterator(chunk_size=CHUNK)


class Echo:
    """A file-like object that hands back what the csv writer writes to it."""

    def write(self, value: str) -> str:
        return value


def csv_lines(queryset, columns: list[Column], language: str) -> Iterator[str]:
    with translation.override(language):
        writer = csv.writer(Echo())
        # The byte order mark tells Excel the file is UTF-8, so Arabic reads as Arabic.
        yield BOM + writer.writerow([str(column.label) for column in columns])
        for row in rows_of(queryset):
            yield writer.writerow([csv_value(column.value(row)) for column in columns])


def filename(name: str, extension: str) -> str:
    return f"{name}-{timezone.localdate().isoformat()}.{extension}"


def csv_response(queryset, columns, *, name: str) -> StreamingHttpResponse:
    columns = exported(columns)
    response = StreamingHttpResponse(
        csv_lines(queryset, columns, translation.get_language()), content_type=CSV_TYPE
    )
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=filename(name, "csv")
    )
    return response


def xlsx_response(queryset, columns, *, name: str, title: str) -> FileResponse:
    """The workbook: one sheet, its header row frozen, right to left for Arabic users."""
    columns = exported(columns)
    # Closed by the response once sent.
    file = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115
    options = {"constant_memory": True, "strings_to_formulas": False}
    workbook = xlsxwriter.Workbook(file, options)
    sheet = workbook.add_worksheet(title[:31])
    if translation.get_language_bidi():
        sheet.right_to_left()
    header = workbook.add_format({"bold": True, "bg_color": "#E9ECEF", "bottom": 1})
    formats = {
        NUMBER: workbook.add_format({"num_format": "#,##0"}),
        MONEY: workbook.add_format({"num_format": "#,##0.00"}),
        PERCENT: workbook.add_format({"num_format": "0.00%"}),
        DATE: workbook.add_format({"num_format": "yyyy-mm-dd"}),
        DATETIME: workbook.add_format({"num_format": "yyyy-mm-dd hh:mm"}),
    }
    for index, column in enumerate(columns):
        width = 18 if column.kind in (DATE, DATETIME) else 14 if column.numeric else 24
        sheet.set_column(index, index, width)
        sheet.write_string(0, index, str(column.label), header)
    sheet.freeze_panes(1, 0)
    for number, row in enumerate(rows_of(queryset), start=1):
        for index, column in enumerate(columns):
            write_cell(sheet, number, index, column, column.value(row), formats)
    workbook.close()
    file.seek(0)
    return FileResponse(
        file, as_attachment=True, filename=filename(name, "xlsx"), content_type=XLSX_TYPE
    )


def write_cell(sheet, row: int, col: int, column: Column, value, formats) -> None:
    if value is None or value == "":
        return
    if isinstance(value, datetime.datetime):
        sheet.write_datetime(row, col, local(value), formats[DATETIME])
    elif isinstance(value, datetime.date):
        midnight = datetime.datetime.combine(value, datetime.time())
        sheet.write_datetime(row, col, midnight, formats[DATE])
    elif isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        number = float(value)
        if column.kind == PERCENT:
            number /= 100
        sheet.write_number(row, col, number, formats.get(column.kind, formats[NUMBER]))
    else:
        # Always a string cell: never a formula, whatever the text starts with.
        sheet.write_string(row, col, str(value))


def respond(kind: str, queryset, columns, *, name: str, title: str):
    if kind == "xlsx":
        return xlsx_response(queryset, columns, name=name, title=title)
    return csv_response(queryset, columns, name=name)
