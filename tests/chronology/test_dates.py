"""The date reader: every supported spelling reads back to itself; nothing crashes it."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chronology.dates import DateError, Precision, Qualifier, TimeError, parse_date, parse_time

MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December"]

# Each spelling an agency might type for one day (UK day first; two-digit years inside Excel's
# 1930-2029 window so they can be read back).
DAY_SPELLINGS = {
    "dd/mm/yyyy": lambda d: f"{d:%d/%m/%Y}",
    "d/m/yyyy": lambda d: f"{d.day}/{d.month}/{d.year}",
    "d.m.yy": lambda d: f"{d.day}.{d.month}.{d:%y}",
    "dd-mm-yy": lambda d: f"{d:%d-%m-%y}",
    "yyyy-mm-dd": lambda d: d.isoformat(),
    "d Mon yyyy": lambda d: f"{d.day} {d:%b} {d.year}",
    "dth Month yyyy": lambda d: f"{d.day}th {MONTHS[d.month - 1]} {d.year}",
    "Month d, yyyy": lambda d: f"{MONTHS[d.month - 1]} {d.day}, {d.year}",
    "dd-Mon-yy": lambda d: f"{d:%d}-{d:%b}-{d:%y}",
}
days = st.dates(min_value=date(1930, 1, 1), max_value=date(2029, 12, 31))


@pytest.mark.parametrize("spelling", DAY_SPELLINGS)
@given(day=days)
def test_every_day_spelling_reads_back(spelling, day):
    written = DAY_SPELLINGS[spelling](day)
    parsed = parse_date(written)
    assert (parsed.start, parsed.end) == (day, day)
    assert parsed.precision is Precision.DAY and parsed.qualifier is Qualifier.ON
    assert parsed.text == written


@given(day=days, mark=st.sampled_from(["?", "c. ", "circa ", "about ", "approx. "]))
def test_uncertain_days_keep_their_day(day, mark):
    parsed = parse_date(f"{mark}{day:%d/%m/%Y}")
    assert parsed.start == day and parsed.qualifier is Qualifier.ABOUT


@given(day=days)
def test_trailing_question_mark_is_uncertain(day):
    assert parse_date(f"{day:%d/%m/%Y}?").qualifier is Qualifier.ABOUT


@given(year=st.integers(1930, 2029), month=st.integers(1, 12),
       spelling=st.sampled_from(["{m:02d}/{y}", "{y}-{m:02d}", "{name} {y}", "{abbr}-{yy}"]))
def test_month_spellings(year, month, spelling):
    written = spelling.format(m=month, y=year, name=MONTHS[month - 1],
                              abbr=MONTHS[month - 1][:3], yy=f"{year % 100:02d}")
    parsed = parse_date(written)
    assert parsed.precision is Precision.MONTH
    assert (parsed.start.year, parsed.start.month, parsed.start.day) == (year, month, 1)
    assert parsed.end.month == month and (parsed.end.replace(day=28) > parsed.start)


@given(year=st.integers(1930, 2029), month=st.integers(1, 12),
       part=st.sampled_from([("early", 1, 10), ("mid", 11, 20), ("late", 21, None)]))
def test_part_of_month(year, month, part):
    word, first, last = part
    parsed = parse_date(f"{word} {MONTHS[month - 1]} {year}")
    assert parsed.precision is Precision.PART_MONTH
    assert parsed.start == date(year, month, first)
    assert parsed.end.day == (last or parsed.end.day) and parsed.end.month == month


@given(text=st.text(max_size=40))
def test_garbage_never_crashes(text):
    try:
        parsed = parse_date(text)
    except DateError as exc:
        assert exc.reason and exc.hint
    else:
        assert parsed.start <= parsed.end


@given(text=st.text(alphabet="0123456789/.-: ?apmAPM", max_size=16))
def test_garbage_times_never_crash(text):
    try:
        parse_time(text)
    except TimeError as exc:
        assert exc.reason


@pytest.mark.parametrize(("written", "start", "end", "precision", "qualifier"), [
    ("2015", date(2015, 1, 1), date(2015, 12, 31), Precision.YEAR, Qualifier.ON),
    ("c. 2015", date(2015, 1, 1), date(2015, 12, 31), Precision.YEAR, Qualifier.ABOUT),
    ("before 5 May 2015", date(2015, 5, 5), date(2015, 5, 5), Precision.DAY, Qualifier.BEFORE),
    ("after 03/2015", date(2015, 3, 1), date(2015, 3, 31), Precision.MONTH, Qualifier.AFTER),
    ("between 03/2015 and 05/2015", date(2015, 3, 1), date(2015, 5, 31), Precision.MONTH,
     Qualifier.BETWEEN),
    ("01/03/2015 - 04/03/2015", date(2015, 3, 1), date(2015, 3, 4), Precision.DAY,
     Qualifier.BETWEEN),
    ("29/02/2016", date(2016, 2, 29), date(2016, 2, 29), Precision.DAY, Qualifier.ON),
    ("05/01/29", date(2029, 1, 5), date(2029, 1, 5), Precision.DAY, Qualifier.ON),
    ("05/01/30", date(1930, 1, 5), date(1930, 1, 5), Precision.DAY, Qualifier.ON),
])
def test_documented_examples(written, start, end, precision, qualifier):
    parsed = parse_date(written)
    assert (parsed.start, parsed.end, parsed.precision, parsed.qualifier) == (
        start, end, precision, qualifier)


@pytest.mark.parametrize(("written", "expected"), [
    ("14:30", "14:30"), ("14.30", "14:30"), ("1430", "14:30"), ("2.30pm", "14:30"),
    ("2pm", "14:00"), ("12am", "00:00"), ("9:05 am", "09:05"),
])
def test_times(written, expected):
    assert parse_time(written).strftime("%H:%M") == expected


@pytest.mark.parametrize("written", ["25:00", "14:75", "13pm", "noon", "9"])
def test_bad_times(written):
    with pytest.raises(TimeError):
        parse_time(written)


@given(texts=st.lists(st.one_of(
    st.builds(lambda mark, d, spelling: mark + DAY_SPELLINGS[spelling](d),
              st.sampled_from(["", "?"]), days, st.sampled_from(sorted(DAY_SPELLINGS))),
    st.from_regex(r"\A[0-9]{1,4}[/.\-][0-9]{1,2}[/.\-][0-9]{1,4}\Z"),
    st.text(alphabet="0123456789/.-? ", max_size=12)), max_size=30))
def test_reading_many_dates_at_once_agrees_with_reading_each(texts):
    assert_batch_agrees(texts)


def assert_batch_agrees(texts: list[str]) -> None:
    from chronology.dates import clear_caches, read_dates

    clear_caches()
    read = read_dates(texts)
    for i, text in enumerate(texts):
        try:
            one = parse_date(text)
        except DateError as exc:
            assert not read.ok[i] and str(read.errors[i]) == str(exc)
            continue
        assert read.ok[i], text
        assert (read.start[i], read.end[i]) == (one.start, one.end)
        assert (read.start_day[i], read.end_day[i]) == (one.start.toordinal(),
                                                        one.end.toordinal())
        assert (read.precision[i], read.qualifier[i]) == (int(one.precision), one.qualifier.value)
        assert type(read.start[i]) is date


EDGE_DAYS = ["30/01/30", "29/01/29", "1.1.00", "31.12.99", "29/02/2016", "29/02/2015",
             "29/02/1900", "29/02/2000", "31/04/2015", "30/04/2015", "31/12/2015", "32/01/2015",
             "00/01/2015", "01/00/2015", "01/13/2015", "13/12/2015", "01/01/1899", "01/01/1900",
             "31/12/2100", "01/01/2101", "2015-02-29", "2016-02-29", "2015-13-01", "2015-1-5",
             "5/1/15", "05-01-2015", "05.01/2015", "1/1/2015", "0099-01-01", "?05/01/2015",
             "?2015-01-05", "?5 Jan 2015", "5 Jnu 2015", "5 Sept 2015", "5 sept 2015",
             "5 JANUARY 2015", "31 Feb 2015", "29 Feb 2016", "5 Janu 2015", "??05/01/2015",
             "05/01/2015?", "? 05/01/2015", "5 Jan 15", "05 May 1899"]


def test_reading_edge_days_at_once_agrees_with_reading_each():
    """Days at the edges of months, leap years, the two-digit-year window and the year range,
    where the batch reader's arithmetic could differ from the one-at-a-time reader."""
    assert_batch_agrees(EDGE_DAYS)


def test_reading_dates_refuses_a_missing_cell_rather_than_misplacing_it():
    import numpy as np

    from chronology.dates import clear_caches, read_dates

    clear_caches()
    with pytest.raises(TypeError, match="date cells must be text"):
        read_dates(np.array(["05/01/2015", None], dtype=object))
