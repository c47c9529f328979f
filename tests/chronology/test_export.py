"""Exports: what a panel opens in Excel must show the text and never run a formula."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import openpyxl
import pytest

from chronology.export import export, neutralise
from chronology.merging import merge
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


def test_json_export(events, tmp_path):
    data = json.loads(export(events, tmp_path / "merged.json").read_text())
    assert [d["ID"] for d in data] == ["POL-001", "POL-002", "POL-003", "POL-004"]


def test_unknown_format(events, tmp_path):
    with pytest.raises(InputError) as caught:
        export(events, tmp_path / "merged.docx")
    assert str(caught.value) == ('merged.docx: error [export-format] cannot write ".docx" files. '
                                 "Give a file name ending .csv, .xlsx or .json.")
    assert not list(Path(tmp_path).glob("*merged*"))
