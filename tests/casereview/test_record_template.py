"""The blank chronology an agency fills in: it reads back with no heading to map, and the
workbook checks dates, kind and significance as the agency types."""

from __future__ import annotations

import datetime as dt

import docx
import openpyxl
import pytest
from click.testing import CliRunner

from casereview.cli import cli
from casereview.model import load_review
from casereview.record_template import write_template
from chronology.records import Source, load
from tests.conftest import copy_example


@pytest.fixture
def case(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return load_review(copy_example(tmp_path))


def test_the_workbook_states_the_period_checks_entries_and_reads_back(case, tmp_path):
    path = write_template(case, "Northshire Ambulance Service", tmp_path / "ambulance.xlsx")
    book = openpyxl.load_workbook(path)
    sheet = book["Chronology"]
    assert sheet["A1"].value == ("Chronology of Northshire Ambulance Service for Serious case "
                                 "review: Child P")
    assert sheet["A2"].value.startswith("Period under review: 1 January 2015 to 30 June 2016.")
    headings = [c.value for c in sheet[4]]
    assert headings == ["Ref", "Date", "Time", "Source of information", "Event",
                        "Action/outcome", "Significance", "Kind", "Comment"]
    checks = {str(v.sqref): v for v in sheet.data_validations.dataValidation}
    assert checks["B5:B1004"].type == "date" and checks["B5:B1004"].errorStyle == "warning"
    assert checks["H5:H1004"].formula1 == '"Fact,Observation,Allegation,Opinion"'
    assert checks["G5:G1004"].formula1 == '"High,Medium,Low"'
    assert sheet.freeze_panes == "A5"
    assert [r[0].value for r in book["Guidance"].iter_rows(min_row=2)] == headings
    # The agency fills it in: a date cell, a partial date, a kind from the list.
    sheet.append(["A1", dt.datetime(2015, 3, 2), "10:15", "Call log", "Call from a neighbour.",
                  "Crew sent.", "High", "Fact", ""])
    sheet.append(["A2", "mid-January 2016", "", "Crew notes", "Child seen with a bruise.",
                  "Referred to children's social care.", "Medium", "Observation", ""])
    book.save(path)
    read = load(Source(path, agency="Ambulance"))
    assert [p for p in read.problems if p.is_error] == []
    assert list(read.events["id"]) == ["AMB-A1", "AMB-A2"]
    assert list(read.events["date_text"]) == ["02/03/2015", "mid-January 2016"]
    assert list(read.events["kind"]) == ["fact", "observation"]


def test_the_word_table_repeats_its_heading_row_and_reads_back(case, tmp_path):
    path = write_template(case, "Northshire Ambulance Service", tmp_path / "ambulance.docx")
    document = docx.Document(str(path))
    assert document.sections[0].header.paragraphs[0].text == "OFFICIAL-SENSITIVE"
    (table,) = document.tables
    heading = table.rows[0]
    assert [c.text for c in heading.cells][:5] == ["Ref", "Date", "Time",
                                                   "Source of information", "Event"]
    assert heading._tr.trPr.xpath("./w:tblHeader")
    row = table.rows[1].cells
    for cell, text in zip(row, ["7", "14/10/2015", "", "Crew notes", "Bruising seen."],
                          strict=False):
        cell.text = text
    document.save(str(path))
    read = load(Source(path, agency="Ambulance"))
    assert [p for p in read.problems if p.is_error] == []
    assert list(read.events["id"]) == ["AMB-007"]


def test_cli_template_refuses_other_formats(case, tmp_path):
    result = CliRunner().invoke(cli, ["chronology", "template", "reviews/example", "--agency",
                                      "Ambulance", "-o", "blank.pdf"])
    assert result.exit_code == 1
    assert result.output == ('blank.pdf: error [template-format] cannot write a template as '
                             '".pdf". Give a file name ending .xlsx or .docx.\n'
                             "Stopped: 1 problem to fix.\n")
    assert not (tmp_path / "blank.pdf").exists()
