"""Reading agency files into cells: trimming, judged once per file where it can be."""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chronology.reading import _cells_trimmed, read_table


@pytest.mark.parametrize("text, trimmed", [
    ("Date,Event\n05/01/2015,Home visit; child seen.\n", True),
    ("Date,Event\r\n05/01/2015,Home visit\r\n", True),
    ("Date,Event\n05/01/2015, Home visit\n", False),
    ("Date,Event\n05/01/2015 ,Home visit\n", False),
    ("Date,Event\n05/01/2015,Home visit \n", False),
    ("Date,Event\n05/01/2015,Home visit\r\n \r\n", False),
    ("Date,Event\n05/01/2015,Home visit ", False),
    (" Date,Event\n", False),
    ('Date,Event\n05/01/2015,"Visit, with police"\n', False),  # quoted: trimmed cell by cell
    ("Date,Event\n05/01/2015,Visit\twith police\n", False),
    ("Date,Event\n05/01/2015,Visit\u00a0\n", False),  # not ASCII: trimmed cell by cell
    ("Date;Event\n05/01/2015; Visit\n", False),
    ("Date\tEvent\n05/01/2015\tVisit\n", True),
    ("Date\tEvent\n05/01/2015\t Visit\n", False),
])
def test_files_with_nothing_to_trim_are_recognised(text, trimmed):
    delimiter = max(",;\t", key=text.split("\n", 1)[0].count)
    assert _cells_trimmed(text, delimiter) is trimmed


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
