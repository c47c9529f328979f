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
from chronology.render import to_html, to_latex

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
