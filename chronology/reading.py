"""Read an agency's file into headings and rows of text, as the agency wrote them.

Agencies send what their systems export: CSV saved from Excel on Windows (Windows-1252), CSV in
UTF-8 with or without a byte-order mark, semicolon-separated CSV from some locales, and .xlsx
workbooks. Everything is kept as text here; meaning is given in :mod:`chronology.records`.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .fields import field_for_heading
from .problems import Problem, Severity, display_path

ENCODINGS = ("utf-8", "utf-8-sig", "utf-16", "cp1252")
_HEADING_SEARCH_ROWS = 10


@dataclass
class RawTable:
    """A file's cells as text; ``row_numbers`` are the row numbers a spreadsheet would show."""

    path: Path
    name: str
    headings: list[str] = field(default_factory=list)
    #: One column per heading (numbered from 0), every cell text; index = spreadsheet row number.
    cells: pd.DataFrame = field(default_factory=pd.DataFrame)
    encoding: str | None = None
    heading_row: int = 1
    problems: list[Problem] = field(default_factory=list)

    def problem(self, code: str, message: str, hint: str = "", *, row: int | None = None,
                column: str | None = None, severity: Severity = Severity.ERROR) -> None:
        self.problems.append(Problem(code, message, self.name, row, column, hint, severity))


def read_table(path: Path, *, encoding: str | None = None, sheet: str | None = None,
               overrides: dict[str, str] | None = None, base: Path | None = None,
               vocabulary: Callable[[str], str | None] | None = None) -> RawTable:
    """Read a CSV or XLSX file. Problems are collected on the returned table, never raised.

    ``vocabulary`` says which field a heading means; it finds the heading row. The default is
    the chronology's fields (with ``overrides``); other tables, such as action plans, bring
    their own.
    """
    if vocabulary is None:
        def vocabulary(heading: str) -> str | None:
            return field_for_heading(heading, overrides)
    path = Path(path)
    table = RawTable(path=path, name=display_path(path, base))
    suffix = path.suffix.lower()
    if not path.is_file():
        table.problem("file-missing", "the file does not exist.",
                      "Check the file name and folder.")
        return table
    if suffix in (".csv", ".txt", ".tsv"):
        cells = _read_csv(path, table, encoding)
    elif suffix in (".xlsx", ".xlsm"):
        cells = _read_xlsx(path, table, sheet)
    elif suffix == ".xls":
        table.problem("format-unsupported", "old-style Excel workbooks (.xls) cannot be read.",
                      'Open it in Excel and save it as "Excel Workbook (.xlsx)" or as CSV.')
        return table
    else:
        table.problem("format-unsupported", f'files of type "{suffix or "(none)"}" cannot be read.',
                      "Send the chronology as .xlsx or .csv; a Word table can be pasted into Excel "
                      "and saved as .xlsx.")
        return table
    if cells is None:
        return table
    _split_headings(cells, table, vocabulary)
    return table


def _decode(data: bytes, table: RawTable, encoding: str | None) -> str | None:
    if encoding:
        try:
            text = data.decode(encoding)
        except (UnicodeDecodeError, LookupError) as exc:
            table.problem("encoding", f'the file cannot be read as "{encoding}" ({exc.reason}).',
                          "Check the encoding set for this file in review.toml.")
            return None
        table.encoding = encoding
        return text.removeprefix("\ufeff")
    if data.startswith(b"\xef\xbb\xbf"):
        table.encoding = "utf-8-sig"
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        table.encoding = "utf-16"
    else:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            table.encoding = "cp1252"
        else:
            table.encoding = "utf-8"
            return text
    try:
        return data.decode(table.encoding).removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        table.problem("encoding", f"the file is neither UTF-8 nor Windows-1252 text "
                      f"(a character on line {line} cannot be read: byte 0x{data[exc.start]:02X}).",
                      'Save it from Excel as "CSV UTF-8 (Comma delimited)", or set its encoding '
                      "in review.toml.")
        return None


def _read_csv(path: Path, table: RawTable, encoding: str | None) -> pd.DataFrame | None:
    data = path.read_bytes()
    if not data.strip():
        table.problem("file-empty", "the file is empty.",
                      "Export the chronology again; it should have a heading row and one row "
                      "per event.")
        return None
    if data.startswith(b"PK\x03\x04"):
        table.problem("format-mismatch", "this is an Excel workbook with a .csv name.",
                      "Rename it to .xlsx, or save it from Excel as CSV.")
        return None
    if b"\x00" in data and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        table.problem("format-mismatch", "this is not a text file (it contains binary data).",
                      "Save the chronology from Excel as CSV or .xlsx.")
        return None
    text = _decode(data, table, encoding)
    if text is None:
        return None
    first_line = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first_line.count)
    try:
        # pandas' C parser is many times faster than the csv module on large exports ...
        # dtype=object keeps plain Python strings: pandas 3's string dtype is slow per element.
        return pd.read_csv(io.StringIO(text), sep=delimiter, header=None, dtype=object,
                           na_filter=False, skip_blank_lines=False, engine="c")
    except (pd.errors.ParserError, ValueError):
        pass  # ... but stops at the first ragged row; the csv module reads them all, to report
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        table.problem("csv-malformed", f"the file is not well-formed CSV ({exc}).",
                      "Open it in Excel and save it again as CSV.")
        return None
    # Short rows are padded with None (not ""), so each row's own length can still be told.
    width = max(map(len, rows), default=0)
    return pd.DataFrame([row + [None] * (width - len(row)) for row in rows], dtype=object)


def _cell_text(value: object) -> str:
    """A cell as the reviewer saw it in Excel; date cells in the UK form they are displayed in."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        if value.time() == dt.time():
            return f"{value:%d/%m/%Y}"
        return f"{value:%d/%m/%Y %H:%M}"
    if isinstance(value, dt.date):
        return f"{value:%d/%m/%Y}"
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _read_xlsx(path: Path, table: RawTable, sheet: str | None) -> pd.DataFrame | None:
    import openpyxl  # imported here: most reviews are CSV only and openpyxl is slow to import

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except zipfile.BadZipFile:
        table.problem("xlsx-unreadable", "this is not an Excel workbook, though its name ends "
                      ".xlsx (it may be a CSV or another kind of file).",
                      "Open it in Excel and save it as \"Excel Workbook (.xlsx)\", or rename a "
                      "CSV file to .csv.")
        return None
    except (KeyError, OSError, ValueError) as exc:
        table.problem("xlsx-unreadable", f"the workbook cannot be opened ({exc}).",
                      "Open it in Excel, check it is not password-protected, and save it again.")
        return None
    try:
        if sheet is not None and sheet not in book.sheetnames:
            names = ", ".join(f'"{n}"' for n in book.sheetnames)
            table.problem("sheet-missing", f'there is no sheet called "{sheet}"; the sheets are '
                          f"{names}.", "Correct the sheet name in review.toml.")
            return None
        worksheet = book[sheet] if sheet else book.worksheets[0]
        rows = [[_cell_text(v) for v in row] for row in worksheet.iter_rows(values_only=True)]
    finally:
        book.close()
    if not any(any(c.strip() for c in row) for row in rows):
        table.problem("file-empty", "the sheet is empty.",
                      "Check the chronology is on the first sheet, or name its sheet in "
                      "review.toml.")
        return None
    return pd.DataFrame(rows, dtype=object).fillna("")


def _split_headings(cells: pd.DataFrame, table: RawTable,
                    vocabulary: Callable[[str], str | None]) -> None:
    """Find the heading row (agencies often put a title above it) and the data rows below."""
    cells = cells.set_axis(range(1, len(cells) + 1), axis=0).set_axis(range(cells.shape[1]),
                                                                       axis=1)
    lengths = cells.notna().sum(axis=1)  # readers pad short rows with missing values
    cells = cells.fillna("")
    heading_row = None
    for number, row in cells.head(_HEADING_SEARCH_ROWS).iterrows():
        known = {vocabulary(c) for c in row if c.strip()} - {None}
        if len(known) >= 2:
            heading_row = number
            break
    if heading_row is None:
        table.problem("headings-missing",
                      f"none of the first {_HEADING_SEARCH_ROWS} rows looks like a heading row.",
                      'The first row should name the columns, such as "Date", "Source of '
                      'information" and "Event"; other headings can be mapped in review.toml.',
                      row=1)
        return
    headings = [c.strip() for c in cells.loc[heading_row]]
    while headings and not headings[-1]:
        headings.pop()
    table.headings = headings
    table.heading_row = heading_row
    width = len(headings)
    data = cells.loc[heading_row + 1:]
    data = data[["".join(row).strip() != "" for row in data.to_numpy().tolist()]]
    # Excel writes every row as wide as the heading row, blank headings included; a row wider
    # than that has been shifted, usually by an unquoted comma, even if its last cells are blank.
    shifted = lengths.loc[data.index] > lengths[heading_row]
    overflowing = False
    if data.shape[1] > width:
        overflowing = pd.Series(["".join(row).strip() != ""
                                 for row in data.iloc[:, width:].to_numpy().tolist()],
                                index=data.index)
    for number in data.index[shifted | overflowing]:
        table.problem("row-ragged", f"the row has {lengths[number]} cells but there are only "
                      f"{width} headings, so its cells do not line up with the headings.",
                      "Give the extra column a heading, or move the text into the right "
                      "cell (a comma inside a cell needs the cell in double quotes).",
                      row=int(number))
    data = data.iloc[:, :width]
    for column in range(data.shape[1], width):
        data = data.assign(**{str(column): ""}).rename(columns={str(column): column})
    table.cells = data
    if data.empty:
        table.problem("rows-missing", "the file has headings but no events.",
                      "Add one row per event below the heading row.", row=table.heading_row,
                      severity=Severity.WARNING)
