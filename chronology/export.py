"""A merged chronology written out for people who work in Excel, or for other tools.

Cells that Excel would read as a formula (starting = + - @) are neutralised: in CSV by a leading
apostrophe, as OWASP advises; in XLSX by storing every text cell as text, which Excel never runs.
A workbook keeps the earliest and latest dates as dates and the row as a number, so they sort and
filter as such; the date as the agency wrote it stays text beside them.
Files are written to a temporary name and renamed, so a reader never sees half a file.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pandas as pd

from .atomic import atomic_write
from .problems import InputError, Problem

#: (heading, frame column) in the order agencies and panels expect to read them.
EXPORT_COLUMNS = (
    ("ID", "id"), ("Date", "date_text"), ("Time", "time"), ("Earliest date", "date_start"),
    ("Latest date", "date_end"), ("Date precision", "precision"), ("Date qualifier", "qualifier"),
    ("Agency", "agency"), ("Source of information", "source"), ("Event", "event"),
    ("Action/outcome", "action"), ("Significance", "significance"), ("Kind", "kind"),
    ("Comment", "comment"), ("Joint event with", "joint"), ("File", "file"), ("Row", "row"),
)
_PRECISION = {0: "day", 1: "part of month", 2: "month", 3: "year"}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
FORMATS = (".csv", ".xlsx", ".json")


def neutralise(text: str) -> str:
    """Make a CSV cell safe to open in Excel: a formula-like start becomes plain text."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def table(events: pd.DataFrame) -> pd.DataFrame:
    """The events as the plain, flat table that every export writes."""
    out = pd.DataFrame({heading: events[column] for heading, column in EXPORT_COLUMNS})
    out["Earliest date"] = out["Earliest date"].map(lambda d: d.isoformat())
    out["Latest date"] = out["Latest date"].map(lambda d: d.isoformat())
    out["Date precision"] = out["Date precision"].map(_PRECISION)
    out["Joint event with"] = out["Joint event with"].map(", ".join)
    extras = sorted({k for row in events["extras"] for k in row})
    for key in extras:
        out[key] = [row.get(key, "") for row in events["extras"]]
    return out


def export(events: pd.DataFrame, path: Path | str) -> Path:
    """Write the chronology as .csv (UTF-8 with BOM, so Excel shows accents), .xlsx or .json."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise InputError([Problem("export-format", f'cannot write "{suffix or path.name}" files.',
                                  path.name, hint="Give a file name ending .csv, .xlsx or .json.")])
    flat = table(events)
    if suffix == ".csv":
        safe = flat.astype(str).map(neutralise)
        atomic_write(path, lambda t: safe.to_csv(t, index=False, encoding="utf-8-sig"))
    elif suffix == ".xlsx":
        atomic_write(path, lambda t: _write_xlsx(flat, t))
    else:
        records = flat.to_dict(orient="records")
        atomic_write(path, lambda t: t.write_text(json.dumps(records, ensure_ascii=False,
                                                              indent=1, default=str)))
    return path


#: Columns Excel should hold as what they are, so they sort and filter as dates and numbers.
_DATE_COLUMNS = ("Earliest date", "Latest date")
_NUMBER_COLUMNS = ("Row",)


def _write_xlsx(flat: pd.DataFrame, path: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    book = Workbook()
    sheet = book.active
    sheet.title = "Chronology"
    sheet.append(list(flat.columns))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    typed = {flat.columns.get_loc(c): date.fromisoformat for c in _DATE_COLUMNS}
    typed |= {flat.columns.get_loc(c): int for c in _NUMBER_COLUMNS}
    for values in flat.itertuples(index=False):
        sheet.append([typed[i](v) if i in typed and v != "" else str(v)
                      for i, v in enumerate(values)])
    for row in sheet.iter_rows(min_row=2):
        for position, cell in enumerate(row):
            if position in typed:
                if isinstance(cell.value, date):
                    cell.number_format = "DD/MM/YYYY"
            else:
                # openpyxl treats any text starting "=" as a formula; force text so nothing runs.
                cell.data_type = "s"
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions
    widths = {"Event": 60, "Action/outcome": 40, "Source of information": 28, "Comment": 30,
              "Date": 16, "Earliest date": 12, "Latest date": 12, "Row": 7}
    for index, heading in enumerate(flat.columns, start=1):
        sheet.column_dimensions[sheet.cell(1, index).column_letter].width = widths.get(heading, 14)
    # Printed, the sheet is as wide as a landscape page and as long as it needs, with the
    # headings on every page: a panel member annotating a print-out can tell the columns apart.
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
    sheet.print_title_rows = "1:1"
    book.save(path)
