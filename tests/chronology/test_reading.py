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
