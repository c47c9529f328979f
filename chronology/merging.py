"""Many agencies' events as one chronology: ordered, filtered, joint events linked, gaps shown."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from .records import EVENT_COLUMNS, AgencyRecords, empty_events, frame

#: Words that mark a meeting or visit several agencies attend, where one event is recorded by each.
JOINT_WORDS = re.compile(
    r"strategy (?:meeting|discussion)|case conference|child protection conference|core group|"
    r"review conference|marac|mappa|joint (?:home )?visit|multi-agency|professionals meeting|"
    r"section 47|s47|planning meeting",
    re.IGNORECASE,
)
_WORD = re.compile(r"[a-z0-9]+")
_STOP = frozenset("a an and the of to in on at for with by was were is from as".split())


@dataclass(frozen=True)
class Filter:
    """Which events a reader wants to see; every field is optional."""

    agencies: tuple[str, ...] = ()
    start: date | None = None
    end: date | None = None
    significance: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    include_outside_period: bool = False

    def apply(self, events: pd.DataFrame) -> pd.DataFrame:
        keep = pd.Series(True, index=events.index)
        if not self.include_outside_period:
            keep &= events["in_period"].astype(bool)
        if self.agencies:
            wanted = {a.casefold() for a in self.agencies}
            keep &= events["agency"].str.casefold().isin(wanted) | events["code"].str.casefold(
            ).isin(wanted)
        if self.start is not None:
            keep &= events["date_end"].map(lambda d: d >= self.start)
        if self.end is not None:
            keep &= events["date_start"].map(lambda d: d <= self.end)
        if self.significance:
            wanted = {s.casefold() for s in self.significance}
            keep &= events["significance"].str.casefold().isin(wanted)
        if self.kinds:
            keep &= events["kind"].isin({k.casefold() for k in self.kinds})
        return events[keep]


def merge(records: Iterable[AgencyRecords], *, agency_order: Sequence[str] = (),
          link_joint: bool = True, joint_window_days: int = 2) -> pd.DataFrame:
    """All agencies' events in one frame, in a deterministic order.

    Order: start date, then precision (a dated event before "May 2015"), time, agency (as listed
    in ``agency_order``, else alphabetical), then the row in the agency's file.
    """
    parts = [r.columns for r in records if len(r)]
    if not parts:
        events = empty_events()
        events["joint"] = pd.Series(dtype=object)
        return events
    columns = {name: np.concatenate([p[name] for p in parts]) for name in EVENT_COLUMNS}
    # Sort on whole numbers, each worked out once per distinct value: far faster than sorting
    # dates and strings.
    days = _ordinals(columns["date_start"])
    agency_codes, agencies = pd.factorize(columns["agency"])
    rank = {name: i for i, name in enumerate(agency_order)}
    listed = np.array([rank.get(a, len(rank)) for a in agencies], dtype=np.int64)
    order = np.lexsort((
        columns["row"],
        _sorted_codes(columns["file"]),
        _alphabetical(agencies)[agency_codes],
        listed[agency_codes],
        _sorted_codes(columns["time"]),
        columns["precision"],
        days,
    ))
    columns = {name: values[order] for name, values in columns.items()}
    joint = np.empty(len(order), dtype=object)
    joint.fill(())
    if link_joint:
        _link_joint_events(columns, days[order], agency_codes[order], joint, joint_window_days)
    columns["joint"] = joint
    return frame(columns)


def _ordinals(dates: np.ndarray) -> np.ndarray:
    """Each date as a day number."""
    codes, uniques = pd.factorize(dates)
    return np.fromiter((d.toordinal() for d in uniques), np.int64, len(uniques))[codes]


def _sorted_codes(values: np.ndarray) -> np.ndarray:
    """Whole numbers that sort as the text does."""
    return pd.factorize(values, sort=True)[0]


def _alphabetical(names: np.ndarray) -> np.ndarray:
    """Each name's place in alphabetical order."""
    places = np.empty(len(names), dtype=np.int64)
    places[np.argsort(names, kind="stable")] = np.arange(len(names))
    return places


def _words(text: str) -> frozenset[str]:
    return frozenset(w for w in _WORD.findall(text.lower()) if w not in _STOP)


def _link_joint_events(events: dict[str, np.ndarray], days: np.ndarray, agency: np.ndarray,
                       joint: np.ndarray, window_days: int) -> None:
    """Link the entries that different agencies made of the same meeting or visit.

    Candidates name the same kind of multi-agency meeting, were recorded by different agencies
    within ``window_days`` of each other, and share enough words. Each entry is linked to at most
    one entry per other agency, the closest match, since one meeting is one event: most words in
    common, then fewest days apart, then first in the chronology. ``agency`` numbers each
    event's agency.
    """
    text_codes, texts = pd.factorize(events["event"])
    meetings = [(m[0].lower() if (m := JOINT_WORDS.search(t)) else "") for t in texts.tolist()]
    meeting_codes = pd.factorize(np.array(meetings, dtype=object))[0] if meetings else \
        np.zeros(0, dtype=np.intp)
    is_meeting = np.array([bool(m) for m in meetings], dtype=bool)
    candidates = np.flatnonzero(is_meeting[text_codes]) if len(texts) else np.zeros(0, np.intp)
    if len(candidates) < 2:
        return
    # Candidates in order of (meeting, day): the events a candidate may be linked to then lie in
    # one run around it, found by binary search. The sort is stable and the events are in date
    # order, so for one meeting this is also the order of the chronology.
    span = int(days.max() - days.min()) + 2 * window_days + 1
    keys = meeting_codes[text_codes[candidates]].astype(np.int64) * span + \
        (days[candidates] - days.min())
    by_key = np.argsort(keys, kind="stable")
    keys, candidates = keys[by_key], candidates[by_key]
    agency = agency[candidates]
    agencies = int(agency.max()) + 1
    text = text_codes[candidates]
    lo = np.searchsorted(keys, keys - window_days, side="left")
    hi = np.searchsorted(keys, keys + window_days, side="right")
    counts = hi - lo
    # Every (candidate, other) pair within the window, by position in ``candidates``.
    first = np.repeat(np.arange(len(keys)), counts)
    second = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts - lo, counts)
    keep = agency[first] != agency[second]
    first, second = first[keep], second[keep]
    overlap, unlike = _overlaps(texts, np.unique(text), text[first], text[second])
    close = overlap >= 0.3
    first, second, unlike = first[close], second[close], unlike[close]
    if not len(first):
        return
    # The best match per (candidate, other agency): one number that is smallest for the most
    # words in common, then fewest days apart, then first in the chronology.
    size = len(candidates)
    distance = np.abs(keys[second] - keys[first])
    preference = (unlike * (window_days + 1) + distance) * size + second
    none = np.iinfo(np.int64).max
    best = np.full(size * agencies, none, dtype=np.int64)
    np.minimum.at(best, first * agencies + agency[second], preference)
    # One row per candidate, its matches in chronology order, unmatched slots last.
    chosen = np.sort(np.where(best == none, none, best % size).reshape(size, agencies), axis=1)
    found = (chosen != none).sum(axis=1)
    ids = events["id"][candidates[chosen[chosen != none]]].tolist()
    ends = np.cumsum(found).tolist()
    for row, count, end in zip(candidates.tolist(), found.tolist(), ends, strict=True):
        if count:
            joint[row] = tuple(ids[end - count:end])


def _overlaps(texts: np.ndarray, used: np.ndarray, a: np.ndarray,
              b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each pair of texts ``(a[k], b[k])``: the share of words they have in common (of the
    shorter text), and its rank (0 for the most in common). Worked out once per distinct pair;
    ``used`` lists the texts that can occur."""
    words = {x: _words(texts[x]) for x in used.tolist()}

    def overlap(x: int, y: int) -> float:
        return len(words[x] & words[y]) / max(1, min(len(words[x]), len(words[y])))

    if len(used) <= 64:  # few distinct texts (usual in long chronologies): a small table
        place = np.zeros(int(used.max()) + 1, dtype=np.int64)
        place[used] = np.arange(len(used))
        table = np.array([[overlap(x, y) for y in used.tolist()] for x in used.tolist()])
        ranks = np.unique(-table, return_inverse=True)[1].reshape(table.shape)
        return table[place[a], place[b]], ranks[place[a], place[b]].astype(np.int64)
    pair_codes, pairs = pd.factorize(a.astype(np.int64) * len(texts) + b)
    values = np.fromiter((overlap(*divmod(int(p), len(texts))) for p in pairs.tolist()), float,
                         len(pairs))
    ranks = np.unique(-values, return_inverse=True)[1].ravel().astype(np.int64)
    return values[pair_codes], ranks[pair_codes]


@dataclass(frozen=True)
class Gap:
    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def find_gaps(events: pd.DataFrame, min_days: int,
              period: tuple[date, date] | None = None) -> list[Gap]:
    """Stretches of at least ``min_days`` days in which no agency recorded any contact."""
    spans = sorted(zip(events["date_start"], events["date_end"], strict=True))
    gaps: list[Gap] = []
    cursor = period[0] if period else (spans[0][0] if spans else None)
    if cursor is None:
        return gaps
    for start, end in spans:
        if start > cursor and (start - cursor).days >= min_days:
            gaps.append(Gap(cursor, start - timedelta(days=1)))
        cursor = max(cursor, end + timedelta(days=1))
    if period and period[1] >= cursor and (period[1] - cursor).days + 1 >= min_days:
        gaps.append(Gap(cursor, period[1]))
    return gaps


def with_gaps(events: pd.DataFrame, gaps: list[Gap]) -> pd.DataFrame:
    """The events with one "no agency contact" row per gap, each placed where the gap starts."""
    if not gaps:
        return events.assign(is_gap=False)
    rows = pd.DataFrame([{
        **{c: "" for c in EVENT_COLUMNS}, "id": "", "date_start": g.start, "date_end": g.end,
        "precision": 0, "row": 0, "date_text": f"{g.start:%d/%m/%Y} to {g.end:%d/%m/%Y}",
        "event": f"No agency contact for {g.days} days.", "extras": {}, "in_period": True,
        "joint": (), "is_gap": True,
    } for g in gaps])
    combined = pd.concat([events.assign(is_gap=False), rows], ignore_index=True)
    order = combined.sort_values(["date_start", "is_gap"], kind="stable").index
    return combined.loc[order].reset_index(drop=True)
