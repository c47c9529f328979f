"""Merging agencies' events: order, stable IDs, joint events, gaps and filters."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from chronology.merging import Filter, find_gaps, merge, with_gaps
from chronology.records import Source, load


def write(tmp_path: Path, name: str, rows: list[str],
          heading: str = "Ref,Date,Time,Source,Event,Significance") -> Source:
    path = tmp_path / name
    path.write_text(heading + "\n" + "\n".join(rows) + "\n")
    return Source(path, agency=Path(name).stem.title())


def test_order_is_date_then_precision_then_time_then_agency(tmp_path):
    police = write(tmp_path, "police.csv", ["1,05/2015,,Log,Month only.,",
                                            "2,05/05/2015,14:00,Log,Afternoon.,",
                                            "3,05/05/2015,09:00,Log,Morning.,"])
    health = write(tmp_path, "health.csv", ["1,05/05/2015,09:00,Record,Same time.,",
                                            "2,01/05/2015,,Record,First of May.,"])
    events = merge([load(police), load(health)], agency_order=["Police", "Health"])
    assert list(events["event"]) == ["First of May.", "Month only.", "Morning.", "Same time.",
                                     "Afternoon."]


def test_ids_survive_unrelated_edits(tmp_path):
    source = write(tmp_path, "nursery.csv", [",05/01/2015,,Register,Starts nursery.,",
                                             ",06/01/2015,,Register,Absent.,"],
                   heading="Ref,Date,Time,Source,Event,Significance")
    before = dict(zip(load(source).events["event"], load(source).events["id"], strict=True))
    source.path.write_text("Date,Source,Event,Extra\n01/01/2015,Register,New first row.,x\n"
                           "06/01/2015,Register,Absent.,\n05/01/2015,Register,Starts nursery.,\n")
    after = dict(zip(load(source).events["event"], load(source).events["id"], strict=True))
    assert after["Starts nursery."] == before["Starts nursery."]
    assert after["Absent."] == before["Absent."]


def test_agency_references_make_ids(tmp_path):
    events = load(write(tmp_path, "police.csv", ["7,05/05/2015,,Log,Call.,",
                                                 "P-12,06/05/2015,,Log,Visit.,"])).events
    assert list(events["id"]) == ["POL-007", "POL-P-12"]


@pytest.mark.parametrize("refs, ids", [
    (["7", "12", "1234"], ["POL-007", "POL-012", "POL-1234"]),
    (["7", "007", "07"], ["POL-007", "POL-007.2", "POL-007.3"]),  # one number written 3 ways
    (["7", "8", "7"], ["POL-007", "POL-008", "POL-007.2"]),
    (["0", "000"], ["POL-000", "POL-000.2"]),
    (["100", "5", "99", "1000", "42"], ["POL-100", "POL-005", "POL-099", "POL-1000", "POL-042"]),
    (['"1\n2"', "3"], ["POL-1-2", "POL-003"]),  # a line break in a reference is not a number
    (["\u0663", "4"], ["POL-00\u0663", "POL-004"]),  # digits of other scripts are numbers too
])
def test_numbered_references_make_distinct_ids(tmp_path, refs, ids):
    rows = [f"{ref},0{day}/05/2015,,Log,Call {day}.," for day, ref in enumerate(refs, 1)]
    records = load(write(tmp_path, "police.csv", rows))
    assert list(records.events["id"]) == ids


def test_joint_events_are_linked_with_each_account_kept(tmp_path):
    police = write(tmp_path, "police.csv", ["1,14/10/2015,10:00,Minutes,Strategy meeting about "
                                            "bruising to the child.,"])
    social = write(tmp_path, "social.csv", ["1,14/10/2015,10:30,Minutes,Strategy meeting held "
                                            "about bruising with police.,",
                                            "2,14/10/2015,,Notes,Phone call to school.,"])
    events = merge([load(police), load(social)])
    joint = dict(zip(events["id"], events["joint"], strict=True))
    assert joint == {"POL-001": ("SOC-001",), "SOC-001": ("POL-001",), "SOC-002": ()}
    assert list(events["time"]) == ["", "10:00", "10:30"]


def test_gaps_become_rows(tmp_path):
    events = merge([load(write(tmp_path, "a.csv", ["1,10/01/2015,,R,One.,",
                                                   "2,20/03/2015,,R,Two.,"]))])
    gaps = find_gaps(events, 30, (date(2015, 1, 1), date(2015, 4, 30)))
    assert [(g.start, g.end, g.days) for g in gaps] == [
        (date(2015, 1, 11), date(2015, 3, 19), 68),
        (date(2015, 3, 21), date(2015, 4, 30), 41),
    ]
    rows = with_gaps(events, gaps)
    assert list(rows["event"]) == ["One.", "No agency contact for 68 days.", "Two.",
                                   "No agency contact for 41 days."]


def test_month_only_dates_cover_their_month_when_finding_gaps(tmp_path):
    events = merge([load(write(tmp_path, "a.csv", ["1,03/2015,,R,Sometime in March.,"]))])
    gaps = find_gaps(events, 20, (date(2015, 3, 1), date(2015, 4, 30)))
    assert [(g.start, g.end) for g in gaps] == [(date(2015, 4, 1), date(2015, 4, 30))]


def test_filters(tmp_path):
    events = merge([load(write(tmp_path, "police.csv", ["1,05/05/2015,,Log,A.,High",
                                                        "2,06/06/2015,,Log,B.,Low"])),
                    load(write(tmp_path, "health.csv", ["1,07/07/2015,,Rec,C.,high"]))])
    assert list(Filter(agencies=("police",)).apply(events)["event"]) == ["A.", "B."]
    assert list(Filter(agencies=("HEA",)).apply(events)["event"]) == ["C."]
    assert list(Filter(significance=("High",)).apply(events)["event"]) == ["A.", "C."]
    assert list(Filter(start=date(2015, 6, 1), end=date(2015, 6, 30)).apply(events)["event"]) \
        == ["B."]


def test_events_outside_the_period_are_flagged_and_left_out(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    source = write(tmp_path, "a.csv", ["1,05/05/2014,,R,Before.,", "2,05/05/2015,,R,During.,"])
    loaded = load(source, period=(date(2015, 1, 1), date(2015, 12, 31)))
    assert [str(p) for p in loaded.problems] == [
        'a.csv:2:Date: warning [outside-period] "05/05/2014" is outside the terms-of-reference '
        "period (01/01/2015 to 31/12/2015); the event is kept but left out of the chronology. "
        "Check the date, or show it by asking for events outside the period."
    ]
    events = merge([loaded])
    assert list(Filter().apply(events)["event"]) == ["During."]
    assert list(Filter(include_outside_period=True).apply(events)["event"]) == ["Before.",
                                                                                 "During."]


def test_extra_columns_are_kept(tmp_path):
    source = write(tmp_path, "a.csv", ["1,05/05/2015,,R,Visit.,,Team B"],
                   heading="Ref,Date,Time,Source,Event,Significance,Team")
    assert load(source).events.at[0, "extras"] == {"Team": "Team B"}


def test_headings_can_be_mapped_per_agency(tmp_path):
    path = tmp_path / "odd.csv"
    path.write_text("Seen on,Who,What\n05/05/2015,Nurse,Visit.\n")
    source = Source(path, agency="Health", columns={"Seen on": "date", "Who": "source",
                                                    "What": "event"})
    assert list(load(source).events["event"]) == ["Visit."]


def test_constant_source_and_semicolons_and_title_rows(tmp_path):
    path = tmp_path / "gp.csv"
    path.write_text("GP chronology for Child T;;\n;;\nDate;Details;Outcome\n05/05/2015;Seen.;Ok\n")
    loaded = load(Source(path, agency="GP", source="GP record"))
    assert loaded.problems == []
    assert list(loaded.events["source"]) == ["GP record"]
    assert list(loaded.events["row"]) == [4]


MEETING_TEXTS = ["Strategy meeting about bruising.", "Strategy meeting held about bruising.",
                 "Strategy meeting about school attendance.", "Core group meeting.",
                 "Core group meeting held at school.", "Strategy discussion by phone.",
                 "Home visit; child seen.", "Core group meeting about attendance and bruising."]


def reference_links(events, window_days=2):
    """Joint links worked out the slow, obvious way: every pair of events looked at."""
    from chronology.merging import JOINT_WORDS, _overlap, _words

    rows = events.to_dict("records")
    links = {}
    for me in rows:
        mine = JOINT_WORDS.search(me["event"])
        if not mine:
            continue
        best = {}
        for j, other in enumerate(rows):
            theirs = JOINT_WORDS.search(other["event"])
            if not theirs or other["agency"] == me["agency"] or \
                    theirs[0].lower() != mine[0].lower():
                continue
            distance = abs((other["date_start"] - me["date_start"]).days)
            overlap = _overlap(_words(me["event"]), _words(other["event"]))
            if distance > window_days or overlap < 0.3:
                continue
            rank = (-overlap, distance, j)
            if other["agency"] not in best or rank < best[other["agency"]]:
                best[other["agency"]] = rank
        links[me["id"]] = tuple(rows[j]["id"] for j in sorted(r[2] for r in best.values()))
    return {k: v for k, v in links.items() if v}


@pytest.mark.parametrize("seed", range(12))
def test_joint_links_match_the_obvious_method(tmp_path, seed):
    import random

    rng = random.Random(seed)
    sources = []
    for agency in ["police", "health", "school", "social", "housing"]:
        rows = [f"{n},{rng.randrange(1, 15):02d}/03/2015,,Record,{rng.choice(MEETING_TEXTS)},"
                for n in range(1, rng.randrange(5, 40))]
        sources.append(write(tmp_path, f"{agency}.csv", rows))
    events = merge([load(s) for s in sources])
    found = {i: j for i, j in zip(events["id"], events["joint"], strict=True) if j}
    expected = reference_links(events)
    assert found == expected
    assert expected  # the data must give some links, or the test shows nothing


def test_frames_have_the_documented_columns_and_types(tmp_path):
    from chronology.records import EVENT_COLUMNS

    loaded = load(write(tmp_path, "police.csv", ["1,05/05/2015,09:30,Log,Call.,High"]))
    assert list(loaded.events.columns) == list(EVENT_COLUMNS)
    merged = merge([loaded])
    assert list(merged.columns) == [*EVENT_COLUMNS, "joint"]
    row = merged.iloc[0]
    assert (row["date_start"], row["time"], row["row"], row["joint"]) == (date(2015, 5, 5),
                                                                         "09:30", 2, ())
    # Text stays plain Python text: pandas must not turn the columns into its string type.
    assert merged["event"].dtype == object and type(row["event"]) is str


def test_joint_events_need_three_words_in_ten(tmp_path):
    police = write(tmp_path, "police.csv", ["1,14/10/2015,,Minutes,Strategy meeting alpha bravo "
                                            "charlie delta echo foxtrot golf hotel.,"])
    social = write(tmp_path, "social.csv", ["1,14/10/2015,,Minutes,Strategy meeting alpha xray "
                                            "yankee zulu kilo lima mike november.,"])
    health = write(tmp_path, "health.csv", ["1,14/10/2015,,Minutes,Strategy meeting xray yankee "
                                            "zulu kilo lima mike november oscar.,"])
    events = merge([load(police), load(social), load(health)])
    joint = dict(zip(events["id"], events["joint"], strict=True))
    # 3 of 10 words in common is enough; 2 of 10 is not.
    assert joint["POL-001"] == ("SOC-001",)
    assert joint["SOC-001"] == ("HEA-001", "POL-001")


def test_merged_rows_keep_every_column_of_their_own_file(tmp_path):
    # Columns that hold one value throughout a file (its code, an unmapped field, a constant
    # source) are filled rather than reordered: each row must still carry its own file's values.
    police = write(tmp_path, "police.csv", ["1,05/05/2015,,Log,Police one.,",
                                            "2,07/05/2015,,Log,Police two.,"])
    health = write(tmp_path, "health.csv", ["1,06/05/2015,,Health one.,x", "2,08/05/2015,,"
                                            "Health two.,"], heading="Ref,Date,Time,Event,Extra")
    health.source, health.code = "GP record", "GPR"
    school = write(tmp_path, "school.csv", ["1,04/05/2015,Register,School one.,Pupil,late",
                                            "2,09/05/2015,Register,School two.,Staff,"],
                   heading="Ref,Date,Source,Event,Agency,End date")
    loaded = [load(police), load(health), load(school)]
    merged = merge(loaded)
    assert list(merged["event"]) == ["School one.", "Police one.", "Health one.", "Police two.",
                                     "Health two.", "School two."]
    own = {row["event"]: row for records in loaded for row in records.events.to_dict("records")}
    for row in merged.drop(columns="joint").to_dict("records"):
        assert row == own[row["event"]]
    assert list(merged["code"]) == ["SCH", "POL", "GPR", "POL", "GPR", "SCH"]
    assert list(merged["agency"]) == ["Pupil", "Police", "Health", "Police", "Health", "Staff"]
    assert list(merged["source"]) == ["Register", "Log", "GP record", "Log", "GP record",
                                      "Register"]
    assert [bool(e) for e in merged["extras"]] == [False, False, True, False, False, False]


def test_changing_an_agency_frame_changes_no_other_column_and_not_the_merge(tmp_path):
    # Blank fields share one array in the loaded records: a panel's script that edits the frame
    # in place must not see the edit turn up in another column, or in the merged chronology.
    records = load(write(tmp_path, "police.csv", ["1,05/05/2015,,Log,Call.,"]))
    events = records.events
    events.loc[0, "kind"] = "fact"
    assert (events.at[0, "kind"], events.at[0, "comment"]) == ("fact", "")
    assert merge([records]).at[0, "kind"] == ""
