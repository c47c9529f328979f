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

    @property
    def label(self) -> str:
        return self.name.lower().replace("_", " ")


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
    # The spellings most exports use need no tidying first.
    if _NUMERIC_DAY.fullmatch(written) or _ISO_DAY.fullmatch(written):
        return _core(written, written)
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
    """Many date cells read at once, as numpy arrays in the order the texts were given."""

    ok: np.ndarray          # bool: the text is a date
    start: np.ndarray       # datetime.date, or None where not ok
    end: np.ndarray
    start_day: np.ndarray   # day numbers (date.toordinal), 0 where not ok
    end_day: np.ndarray
    precision: np.ndarray   # int, Precision values
    qualifier: np.ndarray   # str, Qualifier values
    errors: dict[int, DateError]  # position of each text that is not a date -> why


class _DateBook:
    """Every spelling read so far, one row each, so a spelling is read once however many files
    and rows use it."""

    DTYPES = (bool, object, object, np.int64, np.int64, np.int64, object)

    def __init__(self) -> None:
        self.clear()

    def clear(self) -> None:
        self.spellings = np.zeros(0, dtype=object)  # the book's rows, by spelling
        self.errors: dict[int, DateError] = {}
        self.arrays = tuple(np.zeros(0, dtype) for dtype in self.DTYPES)

    def read(self, texts: Sequence[str]) -> DateColumns:
        # The book's spellings and the cells numbered together by pandas, in one pass in C: a
        # cell's number is then its row in the book, and numbers past the book are new spellings
        # in order. Far faster than a dict lookup per cell, or per distinct cell.
        known = len(self.spellings)
        cells = np.concatenate([self.spellings, np.asarray(texts, dtype=object)])
        # Cells are text, never missing ("" when empty), so pandas' default numbering, which
        # would give a missing cell -1, is safe; asked to number missing cells too, pandas
        # first looks at every cell for them.
        codes, spellings = pd.factorize(cells)
        if len(codes) and codes.min() < 0:
            raise TypeError("date cells must be text; a cell is missing")
        rows = codes[known:]
        if len(spellings) > known:
            self._add(spellings[known:].tolist())
            self.spellings = spellings
        columns = [array[rows] for array in self.arrays]
        errors = {}
        if self.errors:
            bad = np.flatnonzero(~columns[0])
            errors = {i: self.errors[r] for i, r in zip(bad.tolist(), rows[bad].tolist(),
                                                        strict=True)}
        return DateColumns(*columns, errors=errors)

    def _add(self, texts: list[str]) -> None:
        """Read spellings not seen before, which have just been given the next rows."""
        first_row = len(self.arrays[0])
        count = len(texts)
        ok, start, end = np.zeros(count, bool), np.full(count, None), np.full(count, None)
        start_day, end_day = np.zeros(count, np.int64), np.zeros(count, np.int64)
        precision = np.full(count, int(Precision.DAY))
        qualifier = np.full(count, "", dtype=object)
        plain, days, about = _plain_days(texts)
        ok[plain] = True
        start[plain] = end[plain] = days.astype(object)
        start_day[plain] = end_day[plain] = days.astype(np.int64) + _EPOCH_ORDINAL
        qualifier[plain] = np.where(about, Qualifier.ABOUT.value, Qualifier.ON.value)
        rest = np.ones(count, bool)
        rest[plain] = False
        for i in np.flatnonzero(rest).tolist():
            try:
                found = parse_date(texts[i])
            except DateError as exc:
                self.errors[first_row + i] = exc
                continue
            ok[i], start[i], end[i] = True, found.start, found.end
            start_day[i], end_day[i] = found.start.toordinal(), found.end.toordinal()
            precision[i], qualifier[i] = int(found.precision), found.qualifier.value
        self.arrays = tuple(np.concatenate([old, new]) for old, new in zip(
            self.arrays, (ok, start, end, start_day, end_day, precision, qualifier),
            strict=True))


def _plain_days(texts: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The days most exports write (05/01/2015, 5.1.15, 2015-01-05, 5 Jan 2015, each maybe with
    a leading "?"), read and checked as arrays rather than one by one: their positions, days
    (numpy dates) and whether each is marked uncertain. Other texts, and days that do not exist,
    are left to :func:`parse_date`, which explains what is wrong."""
    fixed, fixed_fields = _fixed_width_days(texts)
    others = np.flatnonzero(~fixed).tolist()
    matches = [(i, m) for i in others if (m := _PLAIN_DAY.fullmatch(texts[i]))]
    positions = np.concatenate([np.flatnonzero(fixed), np.array([i for i, _ in matches],
                                                                dtype=np.intp)])
    if not len(positions):
        return np.zeros(0, np.intp), np.zeros(0, "datetime64[D]"), np.zeros(0, bool)
    fields = [_plain_day_fields(m.groups()) for _, m in matches]
    year, month, day, short, about = (
        np.concatenate([known, np.fromiter(column, known.dtype, len(fields))])
        for known, column in zip(fixed_fields, zip(*fields, strict=True) if fields else [()] * 5,
                                 strict=True))
    year = np.where(short, year + np.where(year < TWO_DIGIT_YEAR_PIVOT, 2000, 1900), year)
    ok = (year >= 1900) & (year <= 2100) & (month >= 1) & (month <= 12) & (day >= 1)
    # numpy's calendar: a day past the month's end rolls into the next month, so is caught.
    months = (year - 1970).astype("datetime64[Y]").astype("datetime64[M]") + \
        np.where(ok, month - 1, 0)
    days = months.astype("datetime64[D]") + np.where(ok, day - 1, 0)
    ok &= days.astype("datetime64[M]") == months
    return positions[ok], days[ok], about[ok]


def _fixed_width_days(texts: list[str]) -> tuple[np.ndarray, tuple[np.ndarray, ...]]:
    """Which texts are written DD/MM/YYYY (or with "." or "-") or YYYY-MM-DD, maybe after a
    "?", the forms the guidance asks for and most systems export, and their fields as for
    :func:`_plain_days`.

    Read a character place at a time with numpy, which spares a regular expression per text.
    Each text is cut to twelve characters here, so one longer than eleven cannot pass.
    """
    chars = np.array(texts, dtype="<U12").view(np.uint32).reshape(len(texts), 12)
    about = chars[:, 0] == ord("?")
    chars = np.where(about[:, None], chars[:, 1:], chars[:, :11])  # the date after any "?"
    values = chars.astype(np.int64) - ord("0")
    digit = (values >= 0) & (values <= 9)
    ten = chars[:, 10] == 0
    day_first = (ten & digit[:, [0, 1, 3, 4, 6, 7, 8, 9]].all(axis=1)
                 & (chars[:, 2] == chars[:, 5])
                 & ((chars[:, 2] == ord("/")) | (chars[:, 2] == ord(".")) | (chars[:, 2] == ord("-"))))
    iso = (ten & digit[:, [0, 1, 2, 3, 5, 6, 8, 9]].all(axis=1)
           & (chars[:, 4] == ord("-")) & (chars[:, 7] == ord("-")))
    fixed = day_first | iso
    v, first = values[fixed], day_first[fixed]

    def number(*places: int) -> np.ndarray:
        total = v[:, places[0]]
        for place in places[1:]:
            total = total * 10 + v[:, place]
        return total

    year = np.where(first, number(6, 7, 8, 9), number(0, 1, 2, 3))
    month = np.where(first, number(3, 4), number(5, 6))
    day = np.where(first, number(0, 1), number(8, 9))
    short = np.zeros(len(v), dtype=bool)  # two-digit years: none, every year here has four
    return fixed, (year, month, day, short, about[fixed])


_PLAIN_DAY = re.compile(
    r"(\?)?(?:(\d{1,2})([/.\-])(\d{1,2})\3(\d{2}|\d{4})|(\d{4})-(\d{1,2})-(\d{1,2})"
    r"|(\d{1,2}) ([A-Za-z]{3,9}) (\d{4}))")


def _plain_day_fields(groups: tuple) -> tuple[int, int, int, bool, bool]:
    """(year, month, day, two-digit year, uncertain) from a :data:`_PLAIN_DAY` match; month 0
    for a word that is not a month, which leaves the text to :func:`parse_date`."""
    about, day, _, month, year, iso_year, iso_month, iso_day, word_day, name, word_year = groups
    if day:
        return int(year), int(month), int(day), len(year) == 2, bool(about)
    if iso_year:
        return int(iso_year), int(iso_month), int(iso_day), False, bool(about)
    return (int(word_year), _MONTHS.get(name.lower(), 0), int(word_day), False,
            bool(about))


_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()  # numpy counts days from 1970-01-01


_BOOK = _DateBook()


def read_dates(texts: Sequence[str]) -> DateColumns:
    """Read many date cells, each distinct spelling once; cells that are not dates are listed in
    ``errors`` by position rather than raised."""
    return _BOOK.read(texts)


def clear_caches() -> None:
    """Forget every date and time read so far (benchmarks use this to time reading afresh)."""
    parse_date.cache_clear()
    parse_time.cache_clear()
    _BOOK.clear()
