"""The blank chronology an agency fills in for a review: a workbook or a Word table.

It carries the review's columns under the headings casereview reads, what to write in each, and
the terms-of-reference period, so what comes back reads without a single heading to map. The
workbook checks as the agency types: dates (a warning only, since "mid-January 2016" or
"?22/05/2016" are good dates too), and the kind and significance from their lists.
"""

from __future__ import annotations

from pathlib import Path

from chronology.atomic import atomic_write
from chronology.fields import BY_NAME, KINDS, SIGNIFICANCE_LEVELS
from chronology.problems import InputError, Problem

from .model import Review, uk_date

#: The columns an agency fills in, in order, with what to write in each (source 002,
#: Appendix 2: the date, the source of the information, the event, what was done).
COLUMNS = (
    ("ref", "Your own reference for the entry (kept in the event's ID, so it stays the same)."),
    ("date", "DD/MM/YYYY. A month is MM/YYYY; mark an uncertain date with ?, as in ?22/05/2016, "
             "or write early, mid or late March 2016."),
    ("time", "HH:MM, if known."),
    ("source", "Where the information comes from: the record and who wrote it."),
    ("event", "What happened, as the record says. Name people by their role where you can."),
    ("action", "What was decided or done."),
    ("significance", "High, Medium or Low."),
    ("kind", "Fact, observation, allegation or opinion."),
    ("comment", "Your comment, kept apart from what the record says."),
)
#: Rows made ready for entries, with their checks.
ROWS = 1000
_HEADING_ROW = 4


def _title(review: Review, agency: str) -> str:
    return f"Chronology of {agency} for {review.title}"


def _period(review: Review) -> str:
    return (f"Period under review: {uk_date(review.period_start)} to "
            f"{uk_date(review.period_end)}. One row for each contact or event; add events "
            "before or after the period only where they explain it.")


def write_template(review: Review, agency: str, path: Path | str) -> Path:
    """Write the blank chronology as .xlsx or .docx, whole or not at all."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        return atomic_write(path, lambda target: _workbook(review, agency, target),
                            suffix=".xlsx")
    if suffix == ".docx":
        return atomic_write(path, lambda target: _document(review, agency, target),
                            suffix=".docx")
    written = suffix or path.name
    raise InputError([Problem("template-format", f'cannot write a template as "{written}".',
                              path.name, hint="Give a file name ending .xlsx or .docx.")])


def _workbook(review: Review, agency: str, target: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    book = Workbook()
    sheet = book.active
    sheet.title = "Chronology"
    sheet["A1"] = _title(review, agency)
    sheet["A1"].font = Font(bold=True, size=13)
    sheet["A2"] = _period(review)
    sheet["A3"] = f"Protective marking: {review.marking}"
    letters = {}
    for position, (name, guidance) in enumerate(COLUMNS, start=1):
        cell = sheet.cell(_HEADING_ROW, position, BY_NAME[name].label)
        cell.font = Font(bold=True)
        cell.comment = Comment(guidance, "casereview")
        letters[name] = get_column_letter(position)
        sheet.column_dimensions[letters[name]].width = {"event": 60, "action": 40,
                                                       "source": 28, "comment": 30}.get(name, 14)
    first, last = _HEADING_ROW + 1, _HEADING_ROW + ROWS
    for row in sheet.iter_rows(min_row=first, max_row=last, max_col=len(COLUMNS)):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    for row in range(first, last + 1):
        sheet[f"{letters['date']}{row}"].number_format = "DD/MM/YYYY"
    checks = [
        (DataValidation(type="date", operator="between", formula1="DATE(1900,1,1)",
                        formula2="DATE(2100,12,31)", errorStyle="warning", allow_blank=True,
                        error="Not a date Excel knows. Keep it if it is a partial or uncertain "
                        "date, such as mid-January 2016 or ?22/05/2016.",
                        errorTitle="Date"), "date"),
        (DataValidation(type="list", formula1='"' + ",".join(k.title() for k in KINDS) + '"',
                        allow_blank=True, error="Choose fact, observation, allegation or "
                        "opinion.", errorTitle="Kind"), "kind"),
        (DataValidation(type="list", formula1='"' + ",".join(
            s.title() for s in SIGNIFICANCE_LEVELS) + '"', allow_blank=True,
            error="Choose High, Medium or Low.", errorTitle="Significance"), "significance"),
    ]
    for check, name in checks:
        check.showErrorMessage = True
        check.add(f"{letters[name]}{first}:{letters[name]}{last}")
        sheet.add_data_validation(check)
    sheet.freeze_panes = f"A{first}"
    guidance = book.create_sheet("Guidance")
    guidance.append(["Column", "What to write"])
    for cell in guidance[1]:
        cell.font = Font(bold=True)
    for name, text in COLUMNS:
        guidance.append([BY_NAME[name].label, text])
    guidance.column_dimensions["A"].width = 24
    guidance.column_dimensions["B"].width = 90
    book.save(target)


def _document(review: Review, agency: str, target: Path) -> None:
    import docx
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Pt

    document = docx.Document()
    document.add_heading(_title(review, agency), level=1)
    document.add_paragraph(_period(review))
    document.add_paragraph(f"Protective marking: {review.marking}")
    for section in document.sections:
        section.header.paragraphs[0].text = review.marking
        section.footer.paragraphs[0].text = review.marking
    table = document.add_table(rows=2, cols=len(COLUMNS))
    table.style = "Table Grid"
    heading = table.rows[0]
    # The heading row repeats at the top of every page of a long chronology.
    properties = heading._tr.get_or_add_trPr()
    repeat = OxmlElement("w:tblHeader")
    repeat.set(qn("w:val"), "true")
    properties.append(repeat)
    for cell, (name, _) in zip(heading.cells, COLUMNS, strict=True):
        cell.text = BY_NAME[name].label
        cell.paragraphs[0].runs[0].bold = True
    document.add_heading("What to write in each column", level=2)
    for name, text in COLUMNS:
        paragraph = document.add_paragraph(style="List Bullet")
        paragraph.add_run(f"{BY_NAME[name].label}: ").bold = True
        paragraph.add_run(text)
    for paragraph in document.paragraphs:
        for run in paragraph.runs:
            run.font.size = Pt(10)
    document.save(str(target))
