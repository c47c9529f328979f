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

import numpy as np
import pandas as pd

from .fields import field_for_heading
from .problems import Problem, Severity, display_path

_HEADING_SEARCH_ROWS = 10
#: Bounds on what a chronology can be, so that a damaged or odd file is refused with a message
#: rather than filling the machine's memory: an agency's chronology has thousands of rows and a
#: dozen columns, and Excel itself holds at most 32,767 characters in a cell.
MAX_ROWS = 100_000
MAX_COLUMNS = 100
MAX_CELL_CHARACTERS = 32_767
#: Every file starting so is an OLE compound file: an encrypted workbook, or an old .xls.
_COMPOUND_FILE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


@dataclass
class RawTable:
    """A file's cells as text, one array per heading, for the rows below the heading row."""

    path: Path
    name: str
    headings: list[str] = field(default_factory=list)
    #: Each data row's number as a spreadsheet shows it (blank rows are left out).
    rows: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    #: The cells as written, one array per heading.
    columns: list[np.ndarray] = field(default_factory=list)
    #: The same cells with spaces trimmed at each end.
    stripped: list[np.ndarray] = field(default_factory=list)
    encoding: str | None = None
    heading_row: int = 1
    problems: list[Problem] = field(default_factory=list)
    #: Problems of single workbook cells, (row, column position, code, message, hint), reported
    #: under the column's heading once the heading row is known.
    cell_notes: list[tuple[int, int, str, str, str]] = field(default_factory=list)

    @property
    def cells(self) -> pd.DataFrame:
        """The cells as written, one column per heading (numbered from 0), indexed by row."""
        return pd.DataFrame({i: pd.Series(c, index=self.rows, dtype=object, copy=False)
                             for i, c in enumerate(self.columns)},
                            index=pd.Index(self.rows, dtype=np.int64), columns=range(len(
                                self.columns)))

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
        read = _read_csv(path, table, encoding)
    elif suffix in (".xlsx", ".xlsm"):
        read = _read_xlsx(path, table, sheet)
    elif suffix == ".docx":
        read = _read_docx(path, table, vocabulary)
    elif suffix == ".xls":
        table.problem("format-unsupported", "old-style Excel workbooks (.xls) cannot be read.",
                      'Open it in Excel and save it as "Excel Workbook (.xlsx)" or as CSV.')
        return table
    elif suffix == ".doc":
        table.problem("format-unsupported", "old-style Word documents (.doc) cannot be read.",
                      'Open it in Word and save it as "Word Document (.docx)".')
        return table
    else:
        table.problem("format-unsupported", f'files of type "{suffix or "(none)"}" cannot be read.',
                      "Send the chronology as .xlsx, .csv or a table in a Word document (.docx).")
        return table
    if read is None:
        return table
    _split_headings(*read, table, vocabulary)
    return table


def detect_encoding(data: bytes) -> str:
    """The encoding a file saved on Windows or exported by a case system is most likely in:
    by its byte-order mark; UTF-16 by its zero bytes; UTF-8 if it reads as that; else
    Windows-1252, which Excel and Notepad write as "ANSI"."""
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    if without_mark := _utf16_without_mark(data):
        return without_mark
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return "cp1252"
    return "utf-8"


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
    table.encoding = detect_encoding(data)
    try:
        return data.decode(table.encoding).removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        table.problem("encoding", f"the file is neither UTF-8 nor Windows-1252 text "
                      f"(a character on line {line} cannot be read: byte 0x{data[exc.start]:02X}).",
                      'Save it from Excel as "CSV UTF-8 (Comma delimited)", or set its encoding '
                      "in review.toml.")
        return None


def _read_csv(path: Path, table: RawTable,
              encoding: str | None) -> tuple[pd.DataFrame, np.ndarray | None] | None:
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
    if b"\x00" in data and not (encoding or detect_encoding(data)).startswith("utf-16"):
        table.problem("format-mismatch", "this is not a text file (it contains binary data).",
                      "Save the chronology from Excel as CSV or .xlsx.")
        return None
    text = _decode(data, table, encoding)
    if text is None:
        return None
    first_line = text.partition("\n")[0]
    delimiter = max(",;\t", key=first_line.count)
    try:
        # dtype=object keeps every cell as the plain text the agency wrote.
        cells = pd.read_csv(io.StringIO(text), sep=delimiter, header=None, dtype=object,
                            na_filter=False, skip_blank_lines=False, engine="c")
        return cells, None
    except (pd.errors.ParserError, ValueError):
        pass  # pandas stops at the first ragged row; the csv module reads them all, to report
    rows = _csv_rows(text, delimiter, table)
    if rows is None:
        return None
    # Each row's own length is kept: a row longer than the heading row has been shifted.
    width = max(map(len, rows), default=0)
    lengths = np.array([len(row) for row in rows])
    return pd.DataFrame([row + [""] * (width - len(row)) for row in rows], dtype=object), lengths


def _utf16_without_mark(data: bytes) -> str | None:
    """"utf-16-le" or "utf-16-be" for text saved as UTF-16 with no byte-order mark (some
    systems' exports), found by the zero bytes every ASCII character then carries."""
    if len(data) < 4 or data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None
    sample = data[:4000]
    odd, even = sample[1::2].count(0), sample[0::2].count(0)
    if odd > 0.9 * len(sample) // 2 and even == 0:
        return "utf-16-le"
    if even > 0.9 * len(sample) // 2 and odd == 0:
        return "utf-16-be"
    return None


def _csv_rows(text: str, delimiter: str, table: RawTable) -> list[list[str]] | None:
    """Every row of a CSV text, read by the csv module; a quote that is opened and never closed
    is an error naming its row, since every line after it would be read into one cell."""
    rows: list[list[str]] = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        for row in reader:
            rows.append(row)
    except csv.Error as exc:
        if "unexpected end of data" not in str(exc):
            # Other strict complaints (text after a closing quote) are read as Excel reads them.
            return _lenient_rows(text, delimiter, table)
        line = _line_of_record(text, delimiter, len(rows))
        lost = len(text.splitlines()) - line
        table.problem("csv-quote", f"a double quote opens a cell on line {line} and is never "
                      f"closed, so the {lost} lines after it would be read as one cell and their "
                      "events lost.", "Add the closing quote at the end of that cell, or remove "
                      "the opening one; then save the file again.", row=len(rows) + 1)
    return rows


def _lenient_rows(text: str, delimiter: str, table: RawTable) -> list[list[str]] | None:
    try:
        return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        table.problem("csv-malformed", f"the file is not well-formed CSV ({exc}).",
                      "Open it in Excel and save it again as CSV.")
        return None


def _line_of_record(text: str, delimiter: str, record: int) -> int:
    """The line of the text on which record number ``record`` (from 0) begins."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    line = 1
    for _ in range(record):
        next(reader)
        line = reader.line_num + 1
    return line


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


def _read_xlsx(path: Path, table: RawTable,
               sheet: str | None) -> tuple[pd.DataFrame, None] | None:
    import openpyxl  # imported here: most reviews are CSV only and openpyxl is slow to import

    data = path.read_bytes()
    if data.startswith(_COMPOUND_FILE):
        if "EncryptedPackage".encode("utf-16-le") in data:
            table.problem("xlsx-encrypted", "the workbook is protected with a password, so it "
                          "cannot be read.", "Open it in Excel, remove the password (File > "
                          "Info > Protect Workbook > Encrypt with Password, then clear it) and "
                          "save it again; send the password-free copy by a secure route.")
        else:
            table.problem("format-mismatch", "this is an old-style Excel workbook (.xls) with "
                          "a .xlsx name.", 'Open it in Excel and save it as "Excel Workbook '
                          '(.xlsx)".')
        return None
    try:
        # Read twice: for the values Excel last worked out, and for the formulas, so that a
        # formula with no value is reported instead of read as an empty cell.
        values = openpyxl.load_workbook(path, read_only=True, data_only=True)
        formulas = openpyxl.load_workbook(path, read_only=True, data_only=False)
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
        worksheet = _chosen_sheet(values, sheet, table)
        if worksheet is None:
            return None
        rows = _sheet_rows(worksheet, formulas[worksheet.title], table)
    finally:
        values.close()
        formulas.close()
    if rows is None:
        return None
    if not any(any(c.strip() for c in row) for row in rows):
        table.problem("file-empty", "the sheet is empty.",
                      "Check the chronology is on the first sheet, or name its sheet in "
                      "review.toml.")
        return None
    width = max(map(len, rows))
    cells = pd.DataFrame([row + [""] * (width - len(row)) for row in rows], dtype=object)
    return cells, None


def _chosen_sheet(book, sheet: str | None, table: RawTable):
    """The sheet named in review.toml, else the first sheet a person opening the workbook sees:
    hidden sheets before it are named in a warning, since the chronology may be on one."""
    if sheet is not None:
        if sheet not in book.sheetnames:
            names = ", ".join(f'"{n}"' for n in book.sheetnames)
            table.problem("sheet-missing", f'there is no sheet called "{sheet}"; the sheets are '
                          f"{names}.", "Correct the sheet name in review.toml.")
            return None
        return book[sheet]
    visible = [w for w in book.worksheets if w.sheet_state == "visible"]
    if not visible:
        table.problem("sheet-missing", "every sheet of the workbook is hidden.",
                      "Unhide the chronology's sheet in Excel (right-click a sheet tab > "
                      "Unhide), or name it in review.toml.")
        return None
    hidden = [w.title for w in book.worksheets[:book.worksheets.index(visible[0])]]
    if hidden:
        names = ", ".join(f'"{n}"' for n in hidden)
        table.problem("sheet-hidden", f'the chronology was read from the sheet "{visible[0].title}"'
                      f", the first one shown; hidden sheets before it ({names}) were not read.",
                      "If the chronology is on a hidden sheet, unhide it or name it in "
                      "review.toml.", severity=Severity.WARNING)
    return visible[0]


def _sheet_rows(worksheet, formulas, table: RawTable) -> list[list[str]] | None:
    """The sheet's cells as text, row by row, as far as its last filled cell.

    A sheet's recorded size can reach Excel's last cell (XFD1048576) because of one stray value
    or format; only rows that hold something are kept, and content past the bounds is refused.
    """
    worksheet.reset_dimensions()  # read each row as far as its last cell, not the sheet's size
    formulas.reset_dimensions()
    rows: list[list[str]] = []
    last_filled = 0
    formula_rows = formulas.iter_rows()
    for number, cells in enumerate(worksheet.iter_rows(), start=1):
        written = next(formula_rows, ())
        if not cells:
            rows.append([])
            continue
        filled = [i for i, cell in enumerate(cells) if cell.value is not None]
        if not filled:
            rows.append([])
            continue
        if number > MAX_ROWS + 1:
            table.problem("sheet-too-long", f"the sheet holds something in row {number}, but a "
                          f"chronology can have at most {MAX_ROWS:,} rows.", "Delete the rows "
                          "below the chronology in Excel (select them, right-click > Delete), "
                          "then save.", row=number)
            return None
        if filled[-1] >= MAX_COLUMNS:
            place = f"{_column_letter(filled[-1])}{number}"
            table.problem("sheet-too-wide", f"the sheet holds something in cell {place}, but a "
                          f"chronology can have at most {MAX_COLUMNS} columns.", "Delete the "
                          "columns to the right of the chronology in Excel (select them, "
                          "right-click > Delete), then save.", row=number)
            return None
        last_filled = number
        rows.append([_workbook_cell(cell, formula, number, position, table) for position, (cell,
                     formula) in enumerate(zip(cells, _padded(written, len(cells)), strict=True))])
    return rows[:last_filled]


def _padded(cells: tuple, width: int) -> list:
    return [*cells[:width], *([None] * (width - len(cells)))]


def _column_letter(position: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(position + 1)


def _workbook_cell(cell, formula, row: int, position: int, table: RawTable) -> str:
    """A workbook cell as text, as the reviewer sees it in Excel; cells whose value cannot be
    trusted are noted for reporting under their column."""
    value = cell.value
    if cell.data_type == "e":
        table.cell_notes.append((row, position, "cell-error", f'the cell shows the Excel error '
                                 f'"{value}" instead of a value.', "Correct the formula or type "
                                 "the value in Excel, then save."))
    elif value is None and formula is not None and formula.data_type == "f":
        table.cell_notes.append((row, position, "formula-uncached", f'the cell holds the formula '
                                 f'"{formula.value}" but no value, so it reads as empty: the '
                                 "workbook was last saved by a program that does not work "
                                 "formulas out.", "Open it in Excel and save it again, or replace "
                                 "the formulas by their values (Copy, then Paste Special > "
                                 "Values)."))
    elif isinstance(value, dt.time) and cell.is_date and any(c in cell.number_format.lower()
                                                             for c in "dy"):
        return "00/01/1900"  # Excel's day 0, which a date cell holding 0 shows
    return _cell_text(value)


def _read_docx(path: Path, table: RawTable,
               vocabulary: Callable[[str], str | None]) -> tuple[pd.DataFrame, None] | None:
    """The chronology table of a Word document, the form many agencies keep it in: the first
    table with a heading row (a title-block table often comes before it). Problems name the
    table, as in "police.docx table 2:5:Date", with its rows numbered as Word shows them."""
    import docx  # imported here, as openpyxl is: only reviews with Word files need it
    from docx.opc.exceptions import PackageNotFoundError

    try:
        tables = docx.Document(str(path)).tables
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError):
        table.problem("docx-unreadable", "this is not a Word document, though its name ends "
                      ".docx.", 'Open it in Word and save it as "Word Document (.docx)".')
        return None
    found = [[[cell.text for cell in row.cells] for row in t.rows] for t in tables]
    for number, rows in enumerate(found, start=1):
        if any(len({vocabulary(c) for c in row if c.strip()} - {None}) >= 2
               for row in rows[:_HEADING_SEARCH_ROWS]):
            if len(found) > 1:
                table.name = f"{table.name} table {number}"
            width = max(map(len, rows))
            return pd.DataFrame([r + [""] * (width - len(r)) for r in rows], dtype=object), None
    if not found:
        table.problem("docx-no-table", "the document has no table.", "Put the chronology in a "
                      "Word table, one row per event under a heading row, or send it as .xlsx.")
    else:
        table.problem("headings-missing", f"none of the document's {len(found)} tables has a "
                      "heading row.", 'The table\'s first row should name the columns, such as '
                      '"Date", "Source of information" and "Event".')
    return None


def _split_headings(cells: pd.DataFrame, lengths: np.ndarray | None,
                    table: RawTable, vocabulary: Callable[[str], str | None]) -> None:
    """Find the heading row (agencies often put a title above it) and the data rows below.

    ``lengths`` are the rows' own lengths when the reader saw ragged rows, else None.
    """
    columns = [cells[c].to_numpy(dtype=object) for c in cells.columns]
    count = len(cells)
    heading = None
    for position in range(min(_HEADING_SEARCH_ROWS, count)):
        known = {vocabulary(c) for c in (col[position] for col in columns) if c.strip()} - {None}
        if len(known) >= 2:
            heading = position
            break
    if heading is None:
        table.problem("headings-missing",
                      f"none of the first {_HEADING_SEARCH_ROWS} rows looks like a heading row.",
                      'The first row should name the columns, such as "Date", "Source of '
                      'information" and "Event"; other headings can be mapped in review.toml.',
                      row=1)
        return
    headings = [col[heading].strip() for col in columns]
    while headings and not headings[-1]:
        headings.pop()
    table.headings = headings
    table.heading_row = heading + 1  # rows are numbered from 1, as a spreadsheet shows them
    width = len(headings)
    below = [_stripped(col[heading + 1:]) for col in columns]
    nonblank = _filled(below)
    # Excel writes every row as wide as the heading row, blank headings included; a row wider
    # than that has been shifted, usually by an unquoted comma, even if its last cells are blank.
    ragged = _filled(below[width:]) if len(below) > width else np.zeros_like(nonblank)
    if lengths is not None:
        ragged |= lengths[heading + 1:] > lengths[heading]
    for position in np.flatnonzero(ragged & nonblank):
        own = lengths[heading + 1 + position] if lengths is not None else len(columns)
        table.problem("row-ragged", f"the row has {own} cells but there are only "
                      f"{width} headings, so its cells do not line up with the headings.",
                      "Give the extra column a heading, or move the text into the right "
                      "cell (a comma inside a cell needs the cell in double quotes).",
                      row=int(heading + 2 + position))
    for position, column in enumerate(below[:width]):
        if len(column) and max(map(len, column)) > MAX_CELL_CHARACTERS:
            for i in np.flatnonzero([len(cell) > MAX_CELL_CHARACTERS for cell in column]):
                table.problem("cell-too-long", f"the cell holds {len(column[i]):,} characters; a "
                              f"cell can hold at most {MAX_CELL_CHARACTERS:,}.", "Shorten the "
                              "entry, or split it into several events.", row=int(heading + 2 + i),
                              column=headings[position] or _column_letter(position))
    for row, position, code, message, hint in table.cell_notes:
        column = headings[position] if position < width and headings[position] else \
            _column_letter(position)
        table.problem(code, message, hint, row=row, column=column)
    kept = np.flatnonzero(nonblank)
    table.rows = (kept + heading + 2).astype(np.int64)
    table.columns = [column[heading + 1:][kept] for column in columns[:width]]
    table.stripped = [column[kept] for column in below[:width]]
    if not len(kept):
        table.problem("rows-missing", "the file has headings but no events.",
                      "Add one row per event below the heading row.", row=table.heading_row,
                      severity=Severity.WARNING)


def _filled(columns: list[np.ndarray]) -> np.ndarray:
    """Rows with any cell filled in."""
    if not columns:
        return np.zeros(0, dtype=bool)
    return np.logical_or.reduce([column != "" for column in columns])


def _stripped(cells: np.ndarray) -> np.ndarray:
    """The cells with spaces trimmed at each end, as a reader sees them."""
    return np.fromiter(map(str.strip, cells.tolist()), dtype=object, count=len(cells))
