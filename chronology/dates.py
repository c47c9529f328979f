"""Dates as agencies write them: UK day-first, partial, vague or uncertain.

A chronology date keeps three things: the text as written, the span of days it can mean, and how
precise and how certain it is. Nothing is guessed: a date that cannot be read raises
:class:`DateError` saying why, and the caller turns that into a located problem.

Two-digit years follow Excel's rule, so a date reads the same here as in the spreadsheet it came
from: 00-29 mean 2000-2029 and 30-99 mean 1930-1999.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, time
from enum import Enum, StrEnum
from functools import lru_cache

import numpy as np
import pandas as pd

__all__ = [
    "DateError",
    "FuzzyDate",
    "Precision",
    "Qualifier",
    "parse_date",
    "parse_time",
    "read_dates",
    "clear_caches",
    "TWO_DIGIT_YEAR_PIVOT",
]

#: Two-digit years below this are 20xx, the rest 19xx (Excel's rule).
TWO_DIGIT_YEAR_PIVOT = 30

FORMAT_HINT = (
    'Write it as DD/MM/YYYY (for example 05/01/2015), a month as MM/YYYY, '
    'or mark an uncertain date with "?" (for example ?22/05/2016).'
)


class Precision(int, Enum):
    """How much of the date is known; smaller sorts first among events on the same start day."""

    DAY = 0
    PART_MONTH = 1
    MONTH = 2
    YEAR = 3


class Qualifier(StrEnum):
    ON = "on"
    ABOUT = "about"
    BEFORE = "before"
    AFTER = "after"
    BETWEEN = "between"


class DateError(ValueError):
    """A date cell that cannot be read; ``reason`` says why and ``hint`` how to fix it."""

    def __init__(self, text: str, reason: str, hint: str = FORMAT_HINT):
        self.text = text
        self.reason = reason
        self.hint = hint
        super().__init__(f'"{text}" is not a date: {reason}.')


@dataclass(frozen=True)
class FuzzyDate:
    """A date as written, with the span of days it can mean."""

    text: str
    start: date
    end: date
    precision: Precision = Precision.DAY
    qualifier: Qualifier = Qualifier.ON

    @property
    def is_exact(self) -> bool:
        return self.precision is Precision.DAY and self.qualifier is Qualifier.ON

    def describe(self) -> str:
        """Plain-English reading of the date, shown beside the text as written."""
        if self.precision is Precision.DAY:
            core = f"{self.start.day} {self.start:%B %Y}"
        elif self.precision is Precision.PART_MONTH:
            part = {1: "early", 11: "mid", 21: "late"}[self.start.day]
            core = f"{part} {self.start:%B %Y}"
        elif self.precision is Precision.MONTH:
            core = f"{self.start:%B %Y}"
        else:
            core = str(self.start.year)
        if self.qualifier is Qualifier.BETWEEN:
            return f"between {self.start.day} {self.start:%B %Y} and {self.end.day} {self.end:%B %Y}"
        if self.qualifier is Qualifier.ON:
            return f"in {core}" if self.precision in (Precision.MONTH, Precision.YEAR) else core
        return f"{self.qualifier.value} {core}"


_MONTHS = {
    name.lower(): number
    for number in range(1, 13)
    for name in (calendar.month_name[number], calendar.month_abbr[number])
}
_MONTHS["sept"] = 9

# Longest spellings first: a bare "c" must not swallow the start of "circa".
_ABOUT = (r"(?:\?|circa|ca\.|c\.|c(?=\s)|about|approximately|approx\.?|around|roughly|abt\.?)")
_RELATIVE = {"yesterday", "today", "tomorrow", "last week", "next week", "recently", "unknown",
             "n/a", "tbc", "not known"}
_PARTS = {"early": 1, "beginning of": 1, "start of": 1, "mid": 11, "middle of": 11, "late": 21,
          "end of": 21}

_ISO_DAY = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ t]00:00(?::00)?)?")
_ISO_MONTH = re.compile(r"(\d{4})-(\d{1,2})")
_YEAR = re.compile(r"(\d{4})")
_NUMERIC_DAY = re.compile(r"(\d{1,2})([/.\-])(\d{1,2})\2(\d{2}|\d{4})")
_NUMERIC_MONTH = re.compile(r"(\d{1,2})[/.\-](\d{4})")
_NUMERIC_NO_YEAR = re.compile(r"\d{1,2}[/.\-]\d{1,2}")
_DAY_MONTHNAME = re.compile(
    r"(\d{1,2})(?:st|nd|rd|th)?[\s\-/.]+(?:of\s+)?([a-z]+)\.?,?[\s\-/.]+(\d{4}|\d{2})")
_MONTHNAME_DAY = re.compile(r"([a-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})")
_MONTHNAME_YEAR = re.compile(r"([a-z]+)\.?[\s\-/]+(\d{4}|\d{2})")
_PART_MONTH = re.compile(r"(early|beginning of|start of|mid|middle of|late|end of)[\s\-]+(.+)")
_RANGE = re.compile(r"(.+?)\s+(?:-|–|—|to|and)\s+(.+)")
_QUALIFIED_ABOUT = re.compile(_ABOUT + r"\s*(.+)")
_BEFORE_AFTER = re.compile(r"(before|prior to|after)\s+(.+)")
_BETWEEN = re.compile(r"between\s+(.+?)\s+and\s+(.+)")
_TIME = re.compile(r"(\d{1,2})(?:[:.](\d{2}))?(?::(\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)?")
_TIME_4DIGIT = re.compile(r"(\d{2})(\d{2})(?:hrs|h)?")


def _year(text: str) -> int:
    value = int(text)
    if len(text) == 2:
        return 2000 + value if value < TWO_DIGIT_YEAR_PIVOT else 1900 + value
    return value


def _month_number(text: str, written: str) -> int:
    try:
        return _MONTHS[text.lower().rstrip(".")]
    except KeyError:
        raise DateError(written, f'"{text}" is not the name of a month') from None


def _check_year(year: int, written: str) -> None:
    if not 1900 <= year <= 2100:
        raise DateError(written, f"the year {year} is out of range (1900 to 2100)")


def _day(year: int, month: int, day: int, written: str) -> date:
    _check_year(year, written)
    if not 1 <= month <= 12:
        hint = FORMAT_HINT
        if 1 <= day <= 12 and 1 <= month <= 31:
            hint = (f"Dates are read day first (UK): if you meant {month} "
                    f"{calendar.month_name[day]}, write {month:02d}/{day:02d}/{year}.")
        raise DateError(written, f"there is no month {month}", hint)
    last = calendar.monthrange(year, month)[1]
    if (year, month, day) == (1900, 1, 0):
        raise DateError(written, "it is Excel's day 0, which a date cell shows when it holds 0 "
                        "or a formula gave nothing", "Type the date the record gives, or clear "
                        "the cell if the record has none.")
    if not 1 <= day <= last:
        reason = f"day {day} does not exist in {calendar.month_name[month]}"
        if month == 2 and day == 29:
            reason += f" {year} ({year} is not a leap year)"
        raise DateError(written, reason)
    return date(year, month, day)


def _month_span(year: int, month: int, written: str) -> tuple[date, date]:
    _check_year(year, written)
    if not 1 <= month <= 12:
        raise DateError(written, f"there is no month {month}")
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def _core(text: str, written: str) -> FuzzyDate:
    """Read a date with no qualifier; ``text`` is lower-case with single spaces."""
    if m := _ISO_DAY.fullmatch(text):
        day = _day(int(m[1]), int(m[2]), int(m[3]), written)
        return FuzzyDate(written, day, day)
    if m := _NUMERIC_DAY.fullmatch(text):
        day = _day(_year(m[4]), int(m[3]), int(m[1]), written)
        return FuzzyDate(written, day, day)
    if m := _ISO_MONTH.fullmatch(text):
        start, end = _month_span(int(m[1]), int(m[2]), written)
        return FuzzyDate(written, start, end, Precision.MONTH)
    if m := _NUMERIC_MONTH.fullmatch(text):
        start, end = _month_span(int(m[2]), int(m[1]), written)
        return FuzzyDate(written, start, end, Precision.MONTH)
    if m := _YEAR.fullmatch(text):
        year = int(m[1])
        _check_year(year, written)
        return FuzzyDate(written, date(year, 1, 1), date(year, 12, 31), Precision.YEAR)
    if m := _DAY_MONTHNAME.fullmatch(text):
        day = _day(_year(m[3]), _month_number(m[2], written), int(m[1]), written)
        return FuzzyDate(written, day, day)
    if m := _MONTHNAME_DAY.fullmatch(text):
        day = _day(int(m[3]), _month_number(m[1], written), int(m[2]), written)
        return FuzzyDate(written, day, day)
    if m := _PART_MONTH.fullmatch(text):
        inner = _core(m[2], written)
        if inner.precision is not Precision.MONTH:
            raise DateError(written, f'"{m[1]}" needs a month and year after it, as in "{m[1]} May 2015"')
        first = _PARTS[m[1]]
        last = inner.end.day if first == 21 else first + 9
        return FuzzyDate(written, inner.start.replace(day=first), inner.start.replace(day=last),
                         Precision.PART_MONTH)
    if m := _MONTHNAME_YEAR.fullmatch(text):
        start, end = _month_span(_year(m[2]), _month_number(m[1], written), written)
        return FuzzyDate(written, start, end, Precision.MONTH)
    if _NUMERIC_NO_YEAR.fullmatch(text):
        raise DateError(written, "it has no year")
    raise DateError(written, "it is not a date in a form this tool reads")


@lru_cache(maxsize=65536)
def parse_date(written: str) -> FuzzyDate:
    """Read one date cell. Raises :class:`DateError` for anything that is not a clear date."""
    text = " ".join(written.strip().lower().split())
    if not text:
        raise DateError(written, "the cell is empty", "Every event needs a date; give the month "
                        'or year if that is all that is known, and mark it uncertain with "?".')
    if text in _RELATIVE:
        raise DateError(written, "it does not say which day it means",
                        "Write the actual date the record gives, or the nearest month or year "
                        'marked uncertain with "?".')

    qualifier = Qualifier.ON
    if text.endswith("?"):
        qualifier, text = Qualifier.ABOUT, text[:-1].strip()
    if m := _QUALIFIED_ABOUT.fullmatch(text):
        qualifier, text = Qualifier.ABOUT, m[1].strip()
    elif m := _BEFORE_AFTER.fullmatch(text):
        qualifier = Qualifier.AFTER if m[1] == "after" else Qualifier.BEFORE
        text = m[2]
    elif m := _BETWEEN.fullmatch(text) or _range(text):
        return _between(_core(m[1], written), _core(m[2], written), written)

    found = _core(text, written)
    if qualifier is Qualifier.ON:
        return found
    return FuzzyDate(written, found.start, found.end, found.precision, qualifier)


def _range(text: str) -> re.Match | None:
    """A range written with a dash or "to", unless the whole text is already one date."""
    match = _RANGE.fullmatch(text)
    return match if match and not _is_single(text) else None


def _is_single(text: str) -> bool:
    try:
        _core(text, text)
    except DateError:
        return False
    return True


def _between(first: FuzzyDate, last: FuzzyDate, written: str) -> FuzzyDate:
    if last.end < first.start:
        raise DateError(written, "the range ends before it starts",
                        "Write the earlier date first, as in \"between 03/2015 and 05/2015\".")
    return FuzzyDate(written, first.start, last.end, first.precision, Qualifier.BETWEEN)


class TimeError(ValueError):
    def __init__(self, text: str, reason: str):
        self.text = text
        self.reason = reason
        self.hint = "Write times on the 24-hour clock as HH:MM, for example 14:30."
        super().__init__(f'"{text}" is not a time: {reason}.')


@lru_cache(maxsize=4096)
def parse_time(written: str) -> time:
    """Read a time cell: 14:30, 14.30, 1430, 2.30pm, 2pm."""
    text = written.strip().lower().replace(" ", "")
    m = _TIME_4DIGIT.fullmatch(text) or _TIME.fullmatch(text)
    if not m:
        raise TimeError(written, "it is not a time in a form this tool reads")
    hour, minute = int(m[1]), int(m[2] or 0)
    second = int(m[3] or 0) if m.re is _TIME else 0
    meridiem = m[4] if m.re is _TIME else None
    if meridiem:
        if not 1 <= hour <= 12:
            raise TimeError(written, f"there is no hour {hour} on the 12-hour clock")
        hour = hour % 12 + (12 if meridiem.startswith("p") else 0)
    elif m.re is _TIME and m[2] is None:
        raise TimeError(written, "it gives an hour with no minutes or am/pm")
    if hour > 23:
        raise TimeError(written, f"there is no hour {hour}")
    if minute > 59 or second > 59:
        raise TimeError(written, f"there is no minute {minute}")
    return time(hour, minute, second)


@dataclass(frozen=True)
class DateColumns:
    """Many date cells read at once, as numpy arrays in the order the cells were given."""

    ok: np.ndarray          # bool: the cell is a date
    start: np.ndarray       # datetime.date, or None where not ok
    end: np.ndarray
    start_day: np.ndarray   # day numbers (date.toordinal), 0 where not ok
    end_day: np.ndarray
    precision: np.ndarray   # int, Precision values
    qualifier: np.ndarray   # str, Qualifier values; "" where not ok
    errors: dict[int, DateError]  # position of each cell that is not a date -> why


def read_dates(cells: Sequence[str]) -> DateColumns:
    """Read a column of date cells. Each distinct spelling is read once, since an export repeats
    the same few hundred days; cells that are not dates are listed in ``errors``, not raised."""
    codes, spellings = pd.factorize(np.asarray(cells, dtype=object))
    if len(codes) and codes.min() < 0:
        raise TypeError("date cells must be text; a cell is missing")
    readings = [_reading(spelling) for spelling in spellings]
    dates = [r if isinstance(r, FuzzyDate) else None for r in readings]

    def column(values: list, dtype=object) -> np.ndarray:
        return np.array(values, dtype=dtype)[codes]

    ok = column([d is not None for d in dates], bool)
    return DateColumns(
        ok=ok,
        start=column([d and d.start for d in dates]),
        end=column([d and d.end for d in dates]),
        start_day=column([d.start.toordinal() if d else 0 for d in dates], np.int64),
        end_day=column([d.end.toordinal() if d else 0 for d in dates], np.int64),
        precision=column([int(d.precision) if d else 0 for d in dates], np.int64),
        qualifier=column([d.qualifier.value if d else "" for d in dates]),
        errors={int(i): readings[codes[i]] for i in np.flatnonzero(~ok)},
    )


def _reading(written: str) -> FuzzyDate | DateError:
    try:
        return parse_date(written)
    except DateError as error:
        return error


def clear_caches() -> None:
    """Forget every date and time read so far (benchmarks use this to time reading afresh)."""
    parse_date.cache_clear()
    parse_time.cache_clear()
