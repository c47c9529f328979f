"""Many agencies' events as one chronology: ordered, filtered, joint events linked, gaps shown."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd

from .records import EVENT_COLUMNS, AgencyRecords, empty_events

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


def merge(records: Iterable[AgencyRecords] | Iterable[pd.DataFrame], *,
          agency_order: Sequence[str] = (), link_joint: bool = True,
          joint_window_days: int = 2) -> pd.DataFrame:
    """All agencies' events in one frame, in a deterministic order.

    Order: start date, then precision (a dated event before "May 2015"), time, agency (as listed
    in ``agency_order``, else alphabetical), then the row in the agency's file.
    """
    frames = [r.events if isinstance(r, AgencyRecords) else r for r in records]
    frames = [f for f in frames if len(f)]
    if not frames:
        events = empty_events()
        events["joint"] = pd.Series(dtype=object)
        return events
    events = pd.concat(frames, ignore_index=True)
    rank = {name: i for i, name in enumerate(agency_order)}
    agency_rank = events["agency"].map(lambda a: rank.get(a, len(rank)))
    events = events.assign(_agency_rank=agency_rank)
    events = events.sort_values(
        ["date_start", "precision", "time", "_agency_rank", "agency", "file", "row"],
        kind="stable",
    ).drop(columns="_agency_rank").reset_index(drop=True)
    events["joint"] = [()] * len(events)
    if link_joint:
        _link_joint_events(events, joint_window_days)
    return events


def _words(text: str) -> frozenset[str]:
    return frozenset(w for w in _WORD.findall(text.lower()) if w not in _STOP)


def _link_joint_events(events: pd.DataFrame, window_days: int) -> None:
    """Mark events that two or more agencies recorded of the same meeting or visit.

    Only events that name a multi-agency meeting are compared, and only within a few days of each
    other, so the cost stays near-linear on large chronologies.
    """
    candidates = events.index[events["event"].str.contains(JOINT_WORDS, regex=True)]
    if len(candidates) < 2:
        return
    window = timedelta(days=window_days)
    rows = [(i, events.at[i, "date_start"], events.at[i, "agency"],
             _words(events.at[i, "event"]), JOINT_WORDS.search(events.at[i, "event"])[0].lower())
            for i in candidates]
    links: dict[int, set[int]] = {}
    for position, (i, when, agency, words, meeting) in enumerate(rows):
        for j, other_when, other_agency, other_words, other_meeting in rows[position + 1:]:
            if other_when - when > window:
                break
            if other_agency == agency or meeting != other_meeting:
                continue
            overlap = len(words & other_words) / max(1, min(len(words), len(other_words)))
            if overlap >= 0.3:
                links.setdefault(i, set()).add(j)
                links.setdefault(j, set()).add(i)
    ids = events["id"]
    for i, others in links.items():
        events.at[i, "joint"] = tuple(ids[j] for j in sorted(others))


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
