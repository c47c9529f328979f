"""Reading agency files into cells."""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chronology.reading import read_table


@given(rows=st.lists(st.lists(st.text(alphabet=" ab,;\t\n\r\"\x0b\x1f\u00a0=", max_size=5),
                              min_size=2, max_size=2), max_size=6),
       delimiter=st.sampled_from([",", ";", "\t"]),
       line_end=st.sampled_from(["\n", "\r\n"]))
def test_every_cell_read_is_trimmed(rows, delimiter, line_end):
    """Whether each cell was trimmed or the file was judged to need none, no cell read has
    spaces at either end."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator=line_end)
    writer.writerows([["Date", "Event"], *rows])
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "agency.csv"
        path.write_bytes(buffer.getvalue().encode("utf-8"))
        table = read_table(path)
    for column in table.stripped:
        for cell in column.tolist():
            assert cell == cell.strip(), (buffer.getvalue(), cell)


def test_a_line_break_in_a_file_name_keeps_the_message_on_one_line(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "police\nlog.csv"
    path.write_text("Ref,Date,Source,Event\n1,31/02/2015,Log,Call.\n")
    table = read_table(path)
    assert table.name == "police\\nlog.csv"
    from chronology.records import Source, load

    [problem] = load(Source(path, agency="Police")).problems
    assert str(problem).startswith('police\\nlog.csv:2:Date: error [date-invalid] "31/02/2015"')
    assert "\n" not in str(problem)


CORPUS = Path(__file__).parent / "malformed"
LIMITED = """
import resource, sys
resource.setrlimit(resource.RLIMIT_AS, (1_500_000_000, 1_500_000_000))
from casereview.cli import main
sys.argv = ["casereview", *sys.argv[1:]]
main()
"""


@pytest.mark.parametrize("command", [["chronology", "check", "reviews/case/records/far.xlsx"],
                                     ["chronology", "check", "reviews/case"],
                                     ["chronology", "merge", "reviews/case", "-o", "out.csv"],
                                     ["check", "reviews/case"],
                                     ["build", "reviews/case", "--no-pdf"]],
                         ids=lambda c: " ".join(c[:2]))
def test_a_sheet_whose_size_reaches_the_last_cell_is_refused_within_a_memory_limit(tmp_path,
                                                                                  command):
    """One value in XFD1048576 once made the reader build every empty cell (24 GB)."""
    import shutil
    import subprocess
    import sys

    from tests.conftest import make_workspace

    review = make_workspace(tmp_path)
    shutil.copy(CORPUS / "sheet-far-cell.xlsx", review / "records" / "far.xlsx")
    toml = review / "review.toml"
    toml.write_text(toml.read_text().replace('file = "records/probation.csv"',
                                             'file = "records/far.xlsx"'))
    result = subprocess.run([sys.executable, "-c", LIMITED, *command], cwd=tmp_path,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr and "MemoryError" not in result.stderr
    assert "error [sheet-too-long] the sheet holds something in row 1048576" in result.stderr
