"""Exports: what a panel opens in Excel must show the text and never run a formula."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import openpyxl
import pytest

from chronology.export import export, neutralise
from chronology.merging import merge
from chronology.plot import lane_order, month_counts
from chronology.problems import InputError
from chronology.records import Source, load

DANGEROUS = ['=HYPERLINK("http://example.invalid","x")', "+1+1", "-2+3", "@SUM(A1)"]


@pytest.fixture
def events(tmp_path):
    path = tmp_path / "police.csv"
    rows = "\n".join(f'{i},0{i}/05/2015,,Log,"{t.replace(chr(34), chr(34) * 2)}",Caf\u00e9'
                     for i, t in enumerate(DANGEROUS, start=1))
    path.write_text("Ref,Date,Time,Source,Event,Outcome\n" + rows + "\n")
    return merge([load(Source(path, agency="Police"))])


def test_neutralise():
    assert [neutralise(t)[0] for t in DANGEROUS] == ["'"] * 4
    assert neutralise("Home visit") == "Home visit"


def test_csv_export_is_safe_and_complete(events, tmp_path):
    out = export(events, tmp_path / "merged.csv")
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(out.read_text(encoding="utf-8-sig").splitlines()))
    assert [r["Event"] for r in rows] == ["'" + t for t in DANGEROUS]
    assert rows[0]["Action/outcome"] == "Caf\u00e9"
    assert rows[0]["ID"] == "POL-001" and rows[0]["Earliest date"] == "2015-05-01"


def test_xlsx_export_stores_text_not_formulas(events, tmp_path):
    out = export(events, tmp_path / "merged.xlsx")
    sheet = openpyxl.load_workbook(out).active
    cells = [row[9] for row in sheet.iter_rows(min_row=2)]  # the Event column
    assert [c.value for c in cells] == DANGEROUS
    assert {c.data_type for c in cells} == {"s"}


def test_xlsx_export_has_real_dates_numbers_a_filter_and_a_frozen_header(events, tmp_path):
    sheet = openpyxl.load_workbook(export(events, tmp_path / "merged.xlsx")).active
    headings = [c.value for c in sheet[1]]
    first = dict(zip(headings, sheet[2], strict=True))
    assert first["Earliest date"].value == dt.datetime(2015, 5, 1)
    assert first["Earliest date"].is_date and first["Earliest date"].number_format == "DD/MM/YYYY"
    assert first["Row"].value == 2 and first["Row"].data_type == "n"
    assert first["Date"].value == "01/05/2015" and first["Date"].data_type == "s"  # as written
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:{sheet.cell(1, len(headings)).column_letter}5"


def test_the_merged_workbook_prints_across_landscape_pages_with_its_headings(events, tmp_path):
    # Printed, every column is on the page's width and the heading row is on every page.
    sheet = openpyxl.load_workbook(export(events, tmp_path / "merged.xlsx")).active
    assert sheet.page_setup.orientation == "landscape"
    assert str(sheet.page_setup.paperSize) == sheet.PAPERSIZE_A4
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    assert (sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight) == (1, 0)
    assert sheet.print_title_rows == "$1:$1"


def test_json_export(events, tmp_path):
    data = json.loads(export(events, tmp_path / "merged.json").read_text())
    assert [d["ID"] for d in data] == ["POL-001", "POL-002", "POL-003", "POL-004"]


def test_unknown_format(events, tmp_path):
    with pytest.raises(InputError) as caught:
        export(events, tmp_path / "merged.docx")
    assert str(caught.value) == ('merged.docx: error [export-format] cannot write ".docx" files. '
                                 "Give a file name ending .csv, .xlsx or .json.")
    assert not list(Path(tmp_path).glob("*merged*"))


def test_the_monthly_chart_has_a_bar_for_every_month_of_the_period(events):
    """Months without contact are findings too, before the first event and after the last."""
    counts = month_counts(events, (dt.date(2015, 3, 1), dt.date(2015, 8, 31)))
    assert [f"{m:%m/%Y}" for m in counts.index] == [
        "03/2015", "04/2015", "05/2015", "06/2015", "07/2015", "08/2015"]
    assert counts.loc[dt.date(2015, 5, 1), "Police"] == 4
    assert counts.drop(dt.date(2015, 5, 1)).to_numpy().sum() == 0


def test_the_timeline_has_a_lane_for_each_agency_with_events_only(events):
    assert lane_order(events, ["Northshire Police", "Probation"]) == ["Police"]
    assert lane_order(events) == ["Police"]
