"""Makes the malformed corpus's files that cannot be typed: workbooks and odd encodings.

    python tests/chronology/make_corpus.py

Each file is made exactly as an agency's system or a person in Excel would leave it; its
.expected file, beside it, was read and agreed by a person and is not made here.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from openpyxl import Workbook

CORPUS = Path(__file__).parent / "malformed"
HEADINGS = ["Ref", "Date", "Time", "Source of information", "Event"]


def workbook(name: str, rows: list[list], *, before=None) -> None:
    book = Workbook()
    sheet = book.active
    sheet.title = "Chronology"
    if before is not None:
        before(book, sheet)
    for row in rows:
        sheet.append(row)
    book.save(CORPUS / name)


def word(name: str, first: list | None, second: list | None) -> None:
    """A Word document holding a title-block table (``first``, may be empty) and then the
    chronology table (``second``); None for a document with no table at all."""
    import docx

    document = docx.Document()
    document.add_heading("Chronology", level=1)
    for rows in (first, second):
        if rows:
            grid = document.add_table(rows=len(rows), cols=len(rows[0]))
            for cells, values in zip(grid.rows, rows, strict=True):
                for cell, value in zip(cells.cells, values, strict=True):
                    cell.text = value
    document.save(CORPUS / name)


def hidden_first_sheet(book, sheet) -> None:
    notes = book.create_sheet("Lookup", 0)
    notes.append(["Code", "Meaning"])
    notes.append(["HV", "Home visit"])
    notes.sheet_state = "hidden"


def main() -> None:
    workbook("sheet-hidden-first.xlsx", [HEADINGS, [1, dt.datetime(2015, 1, 5), None,
                                                   "Case notes", "Home visit."]],
             before=hidden_first_sheet)

    def far_cell(book, sheet) -> None:
        sheet["XFD1048576"] = "x"
    workbook("sheet-far-cell.xlsx", [HEADINGS, [1, dt.datetime(2015, 1, 5), None, "Case notes",
                                                "Home visit."]], before=far_cell)

    def far_column(book, sheet) -> None:
        sheet["DA2"] = "stray"
    workbook("sheet-far-column.xlsx", [HEADINGS, [1, dt.datetime(2015, 1, 5), None,
                                                  "Case notes", "Home visit."]],
             before=far_column)
    workbook("cell-datetime.xlsx", [HEADINGS,
                                    [1, dt.datetime(2015, 1, 6, 14, 30), None, "Log", "Call."],
                                    [2, dt.datetime(2015, 1, 7, 9, 0), dt.time(9, 15), "Log",
                                     "Visit."]])

    def day_zero(book, sheet) -> None:
        sheet.append(HEADINGS)
        sheet.append([1, 0, None, "Log", "Call."])
        sheet["B2"].number_format = "dd/mm/yyyy"
    workbook("cell-day-zero.xlsx", [], before=day_zero)

    def uncached(book, sheet) -> None:
        sheet.append(HEADINGS)
        sheet.append([1, "=DATE(2015,1,5)", None, "Log", "Call."])
        sheet.append([2, dt.datetime(2015, 1, 6), None, "Log", '="Visit" & " to home"'])
    workbook("formula-uncached.xlsx", [], before=uncached)

    def error_cell(book, sheet) -> None:
        sheet.append(HEADINGS)
        sheet.append([1, dt.datetime(2015, 1, 5), None, "Log", "Call."])
        sheet["E2"].value = "#N/A"
        sheet["E2"].data_type = "e"
    workbook("cell-error.xlsx", [], before=error_cell)
    workbook("cell-numbers.xlsx", [HEADINGS, [1.0, dt.date(2015, 1, 5), 0.5, "Log", 3.25],
                                   [2.5, dt.datetime(2015, 1, 6), None, True, "Visit."]])

    word("word-table.docx", [], [HEADINGS, ["1", "05/01/2015", "", "Case notes", "Home visit."],
                                 ["2", "31/02/2015", "", "Case notes", "Letter sent."]])
    word("word-title-then-table.docx", [["Agency", "Police"], ["Child", "Child T"]],
         [["Police chronology", "", "", "", ""], HEADINGS,
          ["1", "05/01/2015", "25:00", "Log", "Call."]])
    word("word-no-table.docx", None, None)
    (CORPUS / "word-not-a-document.docx").write_text("Ref,Date,Event\n1,05/01/2015,Call\n")

    # An encrypted workbook is an OLE compound file holding an "EncryptedPackage" stream.
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)
    (CORPUS / "workbook-encrypted.xlsx").write_bytes(header + "EncryptedPackage".encode(
        "utf-16-le") + bytes(512))
    (CORPUS / "workbook-old-named-xlsx.xlsx").write_bytes(header + "Workbook".encode(
        "utf-16-le") + bytes(512))
    text = "Ref,Date,Source of information,Event\r\n1,05/01/2015,Log,Call.\r\n"
    (CORPUS / "utf16-no-mark.csv").write_bytes(text.encode("utf-16-le"))
    (CORPUS / "utf16-big-endian-no-mark.csv").write_bytes(text.encode("utf-16-be"))


if __name__ == "__main__":
    main()
