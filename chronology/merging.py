"""Many agencies' events as one chronology: ordered, filtered, joint events linked, gaps shown."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from .distinct import bulk, constant
from .records import EVENT_COLUMNS, AgencyRecords, empty_events, frame

#: Words that mark a meeting or visit several agencies attend, where one event is recorded by each.
JOINT_WORDS = re.compile(
    r"strategy (?:meeting|discussion)|case conference|child protection conference|core group|"
    r"review conference|marac|mappa|joint (?:home )?visit|multi-agency|professionals meeting|"
    r"section 47|s47|planning meeting",
    re.IGNORECASE,
)
_WORD = re.compile(r"[a-z0-9]+")
#: Up to this many (class, agency) groups, joint events are found a group at a time by binary
#: search (the usual case: systems record meetings by type, so few distinct texts); beyond it,
#: by looking at every pair of candidates within the window. Both give the same links.
CLASS_SEARCH_LIMIT = 256
#: The share of words (of the shorter text) two entries must have in common to be one event.
MIN_SHARED_WORDS = 0.3
_NONE = np.iinfo(np.int64).max  # no match
_FAR = np.iinfo(np.int32).max  # further apart than any window
_NOT_CONSTANT = object()  # a column that holds different values in a part
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
    with bulk():
        kept = [r for r in records if len(r)]
        return _merge([r.columns for r in kept], [r.constants for r in kept], agency_order,
                      link_joint, joint_window_days)


def _merge(parts: list[dict[str, np.ndarray]], constants: list[dict[str, object]],
           agency_order: Sequence[str], link_joint: bool, joint_window_days: int) -> pd.DataFrame:
    if not parts:
        events = empty_events()
        events["joint"] = pd.Series(dtype=object)
        return events

    sizes = [len(p["id"]) for p in parts]

    def joined(name: str) -> np.ndarray:
        return np.concatenate([p[name] for p in parts])

    def column_of(i: int, name: str) -> np.ndarray:
        """Part ``i``'s column ``name``, made from its constant if it holds one."""
        return parts[i][name] if name in parts[i] else constant(constants[i][name], sizes[i])

    # Two whole-number keys hold the whole order; each part is worked out once per distinct
    # value, far faster than sorting dates and strings.
    when = (joined("_day") * 4 + joined("precision")) * 2048 + joined("_minute") + 1
    agency_codes, agencies = _agency_codes(
        [c.get("agency") for c in constants], column_of, sizes)
    rank = {name: i for i, name in enumerate(agency_order)}
    listed = np.array([rank.get(a, len(rank)) for a in agencies], dtype=np.int64)
    # Parts in order of file name, then as given: every event's key is then its own.
    names = np.array([c["file"] if "file" in c else p["file"][0]
                      for p, c in zip(parts, constants, strict=True)], dtype=object)
    files = np.empty(len(parts), dtype=np.int64)
    files[np.lexsort((np.arange(len(parts)), _sorted_codes(names)))] = np.arange(len(parts))
    rows = joined("row")
    who = ((listed[agency_codes] * len(agencies) + _sorted_codes(agencies)[agency_codes])
           * len(parts) + np.repeat(files, sizes)) * (int(rows.max()) + 1) + rows
    when -= when.min()
    if (int(when.max()) + 1) * (int(who.max()) + 1) < 2**62:
        order = _radix_order(when * (int(who.max()) + 1) + who)  # one key, each event's own
    else:
        order = np.lexsort((who, when))
    # Each part's rows are written straight to their sorted places: reading each part in order
    # is several times faster than gathering from a joined column in sorted order.
    place = np.empty(len(order), dtype=np.intp)
    place[order] = np.arange(len(order))
    bounds = np.cumsum([0, *sizes])
    part_of = None  # each sorted event's part, found only if needed
    columns = {}
    for name in (*EVENT_COLUMNS, "_day"):  # "_minute" was wanted only for the order
        values = [c.get(name, _NOT_CONSTANT) for c in constants]
        if all(v is not _NOT_CONSTANT for v in values):
            if all(v is values[0] for v in values):  # one object throughout, such as ""
                columns[name] = constant(values[0], len(order))
                continue
            if part_of is None:  # one object a part, such as the agency's code
                part_of = np.repeat(np.arange(len(parts)), sizes)[order]
            columns[name] = np.fromiter(values, object, len(values))[part_of]
            continue
        column = np.empty(len(order), dtype=next(p[name].dtype for p in parts if name in p))
        for i, (start, end) in enumerate(zip(bounds[:-1], bounds[1:], strict=True)):
            column[place[start:end]] = column_of(i, name)
        columns[name] = column
    joint = np.empty(len(order), dtype=object)
    joint.fill(())
    if link_joint:
        _link_joint_events(columns, columns["_day"], agency_codes[order], joint,
                           joint_window_days)
    columns["joint"] = joint
    return frame(columns)


def _radix_order(keys: np.ndarray) -> np.ndarray:
    """The order that sorts ``keys``, whole numbers from 0, 16 bits at a time.

    numpy sorts 16-bit numbers by radix, in one pass each: three or four such passes take about
    half the time of one comparison sort of the whole 64-bit keys.
    """
    order = np.argsort((keys & 0xFFFF).astype(np.uint16), kind="stable")
    shift, top = 16, int(keys.max()) if len(keys) else 0
    while top >> shift:
        digits = ((keys[order] >> shift) & 0xFFFF).astype(np.uint16)
        order = order[np.argsort(digits, kind="stable")]
        shift += 16
    return order


def _agency_codes(named: list[str | None], column_of, sizes: list[int]
                  ) -> tuple[np.ndarray, np.ndarray]:
    """A number for each event's agency, and the agencies by number. ``named`` holds each
    part's one agency, or None for a part whose rows name their own."""
    if None not in named:  # usual: one agency a file
        codes, agencies = pd.factorize(np.array(named, dtype=object))
        return np.repeat(codes, sizes), agencies
    return pd.factorize(np.concatenate([column_of(i, "agency") for i in range(len(sizes))]))


def _sorted_codes(values: np.ndarray) -> np.ndarray:
    """Whole numbers that sort as the text does."""
    return pd.factorize(values, sort=True)[0]


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
    size = len(candidates)
    # Texts with the same words match every other text alike, so they form one class.
    used = np.unique(text_codes[candidates])
    class_ids: dict[frozenset[str], int] = {}
    class_of_text = np.zeros(int(used.max()) + 1, dtype=np.int64)
    class_of_text[used] = [class_ids.setdefault(_words(texts[t]), len(class_ids))
                           for t in used.tolist()]
    classes = class_of_text[text_codes[candidates]]
    sets = list(class_ids)
    # The best match per (candidate, other agency), as one number that is smallest for the most
    # words in common, then fewest days apart, then first in the chronology.
    if len(sets) * agencies <= CLASS_SEARCH_LIMIT:
        overlap = np.array([[_overlap(x, y) for y in sets] for x in sets])
        unlike = np.unique(-overlap, return_inverse=True)[1].reshape(overlap.shape)
        best = _nearest_by_class(keys, agency, classes, overlap, unlike.astype(np.int64),
                                 window_days, agencies)
    else:
        best = np.full(size * agencies, _NONE, dtype=np.int64)
        _all_pairs(keys, agency, classes, sets, window_days, best)
    if (best == _NONE).all():
        return
    # One row per candidate, its matches in chronology order, unmatched slots last.
    chosen = np.sort(np.where(best == _NONE, _NONE, best % size).reshape(size, agencies), axis=1)
    found = (chosen != _NONE).sum(axis=1)
    ids = events["id"][candidates[chosen[chosen != _NONE]]].tolist()
    linked = found > 0
    ends = np.cumsum(found[linked])
    tuples = map(tuple, map(ids.__getitem__, map(slice, (ends - found[linked]).tolist(),
                                                     ends.tolist())))
    joint[candidates[linked]] = np.fromiter(tuples, dtype=object, count=len(ends))


def _overlap(x: frozenset[str], y: frozenset[str]) -> float:
    """Share of words two texts have in common, of the shorter text."""
    return len(x & y) / max(1, min(len(x), len(y)))


def _all_pairs(keys: np.ndarray, agency: np.ndarray, classes: np.ndarray,
               sets: list[frozenset[str]], window_days: int, best: np.ndarray) -> None:
    """Fill ``best`` by looking at every pair of candidates within the window."""
    lo = np.searchsorted(keys, keys - window_days, side="left")
    hi = np.searchsorted(keys, keys + window_days, side="right")
    counts = hi - lo
    first = np.repeat(np.arange(len(keys)), counts)
    second = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts - lo, counts)
    keep = agency[first] != agency[second]
    first, second = first[keep], second[keep]
    # Word overlap once per distinct pair of classes, not once per pair of events.
    pair_codes, pairs = pd.factorize(classes[first] * len(sets) + classes[second])
    values = np.fromiter((_overlap(sets[p // len(sets)], sets[p % len(sets)])
                          for p in pairs.tolist()), float, len(pairs))
    unlike = np.unique(-values, return_inverse=True)[1].ravel().astype(np.int64)
    close = values[pair_codes] >= MIN_SHARED_WORDS
    first, second, pair_codes = first[close], second[close], pair_codes[close]
    distance = np.abs(keys[second] - keys[first])
    preference = (unlike[pair_codes] * (window_days + 1) + distance) * len(keys) + second
    np.minimum.at(best, first * (len(best) // len(keys)) + agency[second], preference)


def _nearest_by_class(keys: np.ndarray, agency: np.ndarray, classes: np.ndarray,
                      overlap: np.ndarray, unlike: np.ndarray, window_days: int,
                      agencies: int) -> np.ndarray:
    """The best match per (candidate, agency), found one (class, agency) group at a time.

    Every member of a group matches a given candidate equally well, so only the nearest member
    either side of it can be the best: two binary searches instead of every pair. Candidates
    on the same day with the same words get the same answers, so each such bucket asks once.
    """
    size = len(keys)
    _, first, bucket_of = np.unique(keys * (int(classes.max()) + 1) + classes,
                                    return_index=True, return_inverse=True)
    bucket_keys, bucket_classes = keys[first], classes[first]  # in key order, as keys are
    best = np.full(len(first) * agencies, _NONE, dtype=np.int64)
    # Each group's members in key order: sorted by class, then agency, then key (stable).
    grouped = np.lexsort((keys, agency, classes))
    group_of = classes[grouped] * agencies + agency[grouped]
    bounds = np.flatnonzero(np.diff(group_of)) + 1
    for members in np.split(grouped, bounds):
        group_class, group_agency = int(classes[members[0]]), int(agency[members[0]])
        near = keys[members]
        run_start = np.searchsorted(near, near, side="left")  # first member on the same day
        # Only buckets within the window of the group's first and last member can match.
        lo = np.searchsorted(bucket_keys, near[0] - window_days, side="left")
        hi = np.searchsorted(bucket_keys, near[-1] + window_days, side="right")
        alike = overlap[:, group_class] >= MIN_SHARED_WORDS
        asking = lo + np.flatnonzero(alike[bucket_classes[lo:hi]])
        wanted = bucket_keys[asking]
        at = np.searchsorted(near, wanted, side="left")  # first member on or after the day
        after = np.minimum(at, len(near) - 1)
        gap_after = np.where(at < len(near), near[after] - wanted, _FAR)
        # Of several members on the day before, the first in the chronology.
        before = run_start[np.maximum(at - 1, 0)]
        gap_before = np.where(at > 0, wanted - near[before], _FAR)
        take_before = gap_before <= gap_after
        distance = np.where(take_before, gap_before, gap_after)
        chosen = members[np.where(take_before, before, after)]
        close = distance <= window_days
        asking, distance, chosen = asking[close], distance[close], chosen[close]
        preference = (unlike[bucket_classes[asking], group_class] * (window_days + 1)
                      + distance) * size + chosen
        slots = asking * agencies + group_agency  # each slot once: no need for np.minimum.at
        best[slots] = np.minimum(best[slots], preference)
    best = best.reshape(len(first), agencies)[bucket_of]
    best[np.arange(size), agency] = _NONE  # never linked to an entry of its own agency
    return best.ravel()


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
