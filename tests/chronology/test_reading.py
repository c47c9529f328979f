"""Reading agency files into cells."""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path

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
sys.argv = ["casereview", "chronology", "check", sys.argv[1]]
main()
"""


def test_a_sheet_whose_size_reaches_the_last_cell_is_refused_within_a_memory_limit():
    """One value in XFD1048576 once made the reader build every empty cell (24 GB)."""
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-c", LIMITED, "sheet-far-cell.xlsx"], cwd=CORPUS,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr and "MemoryError" not in result.stderr
    assert "error [sheet-too-long] the sheet holds something in row 1048576" in result.stderr
