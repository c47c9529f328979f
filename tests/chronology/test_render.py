"""Rendered chronology tables compared with golden files agreed by a person.

To change a golden file on purpose: delete it, run the test once (it writes the new one and
fails), read the new file, and commit it.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from chronology.merging import find_gaps, merge, with_gaps
from chronology.records import Source, load
from chronology.render import breakable, latex_escape, print_date, to_html, to_latex

GOLDEN = Path(__file__).parent / "golden"
RECORDS = """Ref,Date,Time,Source,Event,Outcome,Significance,Comment
1,05/01/2015,09:30,Case notes & OASys,Visit to 14 <Alder> Row; 50% of rooms seen,Plan agreed,High,
2,?22/05/2015,,Case notes,Phone call,"Letter sent, with $5 travel",,Tone was_cold {sic}
3,late June 2015,,Case notes,Missed appointment,,,
"""


@pytest.fixture
def events(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("probation.csv").write_text(RECORDS)
    merged = merge([load(Source(Path("probation.csv"), agency="Probation", code="PRB"))])
    return with_gaps(merged, find_gaps(merged, 60, (date(2015, 1, 1), date(2015, 6, 30))))


@pytest.mark.parametrize(("name", "render"), [("table.html", to_html), ("table.tex", to_latex)])
def test_matches_golden(events, name, render):
    rendered = render(events, caption="Probation & partners") + "\n"
    golden = GOLDEN / name
    if not golden.exists():
        golden.write_text(rendered)
        pytest.fail(f"wrote {golden}; read it, then commit it")
    assert rendered == golden.read_text()


def test_long_unbroken_text_may_break_in_print_and_reads_the_same():
    address = "https://records.northshire.example/case/2015/000123456789/notes?view=full"
    cell = breakable(f"See {address} for the notes")
    assert r"\allowbreak{}" in cell
    assert cell.replace(r"\allowbreak{}", "") == "See " + latex_escape(address) + " for the notes"
    assert breakable("Home visit") == "Home visit"  # ordinary words are left alone


def test_the_printed_date_is_one_normalised_form_with_the_written_form_beside_it(events):
    rows = {row.id: print_date(row) for row in events.itertuples() if row.id}
    assert rows["PRB-001"] == ["05/01/2015"]
    assert rows["PRB-002"] == ["?22/05/2015", "(about 22 May 2015)"]
    assert rows["PRB-003"] == ["21/06/2015 to 30/06/2015", "written: late June 2015"]
