"""Review types as data: each shipped type through a fictional case, a board's own type, a
broken type file, and a rapid review made into a practice review."""

from __future__ import annotations

import hashlib
import html
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from casereview.cli import cli
from casereview.model import load_case, load_review
from casereview.records import secure
from casereview.reviewtype import available_types, load_type
from chronology.problems import CaseReviewError

# Every clock of a fictional case opened just before Christmas 2019, so that the working-day
# clocks cross England's bank holidays (25 and 26 December, 1 January): the incident on Friday
# 20 December, the review commissioned on Tuesday 24 December, judged on 6 January 2020.
INCIDENT, COMMISSIONED, ON = "20/12/2019", "24/12/2019", "2020-01-06"
SIX_MONTHS = "2020-06-24"
CASE_DUES = {
    "scr": {"notified": "2019-12-31", "rapid_review": "2020-01-15", "requested": None,
            "agency_reviews": None, "overview_report": SIX_MONTHS, "signed_off": SIX_MONTHS,
            "published": SIX_MONTHS},
    "rapid-review": {"notified": "2019-12-31", "requested": None, "agency_reviews": "2020-01-08",
                     "panel_meeting": "2020-01-10", "signed_off": "2020-01-15",
                     "rapid_review": "2020-01-15"},
    "lcspr": {"requested": None, "agency_reviews": None, "overview_report": SIX_MONTHS,
              "signed_off": SIX_MONTHS, "national_panel": SIX_MONTHS, "published": SIX_MONTHS},
    "dhr": {"decision": "2020-01-20", "requested": None, "agency_reviews": None,
            "overview_report": SIX_MONTHS, "signed_off": SIX_MONTHS, "home_office": SIX_MONTHS,
            "published": None},
    "sar": {"requested": None, "agency_reviews": None, "overview_report": SIX_MONTHS,
            "signed_off": SIX_MONTHS, "published": SIX_MONTHS},
    "cpr-wales-concise": {"requested": None, "agency_reviews": None, "learning_event": None,
                          "overview_report": SIX_MONTHS, "signed_off": SIX_MONTHS,
                          "published": SIX_MONTHS},
    "cpr-wales-extended": {"requested": None, "agency_reviews": None, "learning_event": None,
                           "overview_report": SIX_MONTHS, "signed_off": SIX_MONTHS,
                           "published": SIX_MONTHS},
}
# The agency's clocks: its records secured by the next working day after the request (27
# December, after the two bank holidays); in a rapid review its summary by day 10 (8 January,
# after New Year's Day).
AGENCY_DUES = {name: {"requested": None, "records_secured": "2019-12-27"} for name in CASE_DUES}
AGENCY_DUES["rapid-review"].update(signed_off="2020-01-08", sent_to_panel="2020-01-08")
# Who the DRAFT banner of the panel's documents waits for, in the type's words.
PANEL_SIGNERS = {"scr": "panel chair", "rapid-review": "safeguarding partners",
                 "lcspr": "safeguarding partners",
                 "dhr": "chair of the community safety partnership",
                 "sar": "chair of the safeguarding adults board",
                 "cpr-wales-concise": "chair of the regional safeguarding children board",
                 "cpr-wales-extended": "chair of the regional safeguarding children board"}

CASE_OPTIONS = ["--child", "Child T", "--board", "Westshire Safeguarding Partnership",
                "--panel", "Review Panel", "--commissioned", COMMISSIONED,
                "--period-start", "01/01/2019", "--period-end", "19/12/2019",
                "--chair", "Ruth Adeyemi", "--chair-role", "Independent chair",
                "--incident", INCIDENT, "--slug", "child-t"]
REVIEW_OPTIONS = ["--case", "reviews/child-t", "--agency", "Westshire Police", "--code", "POL",
                  "--reviewer", "Alex Morgan", "--reviewer-role", "Detective Inspector",
                  "--chief-officer", "Sam Okafor", "--chief-officer-role", "Chief Constable"]
PLACEHOLDER = re.compile(r"\[\[[^\]]*\s[^\]]*\]\]")


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def write_everything(folder: Path) -> None:
    """Do what the writers do: replace every piece of template text."""
    for path in [*folder.glob("*.md"), *folder.glob("*.toml")]:
        path.write_text(PLACEHOLDER.sub("Written by the author.", path.read_text()))


def add_police_records(review: Path) -> None:
    (review / "records" / "police.csv").write_text(
        "Ref,Date,Source of information,Event,Outcome\n"
        "1,05/01/2019,Command and control log,Call to the family home about shouting.,"
        "Officers attended; advice given.\n"
        "2,12/03/2019,Crime record,Report of a threat to the mother.,Referral to children's "
        "services.\n")
    with (review / "review.toml").open("a") as toml:
        toml.write('\n[[records]]\nagency = "Westshire Police"\ncode = "POL"\n'
                   'file = "records/police.csv"\n')
    secure(review, [review / "records" / "police.csv"], by="Sam Okafor")


def as_read(page: str) -> str:
    """A page's text as a reader sees it, typographic apostrophes as typed."""
    return html.unescape(re.sub(r"<[^>]+>", " ", page)).replace("\u2019", "'")


def dues(status: dict) -> dict:
    return {m["key"]: m["due"] for m in status["milestones"]}


def test_every_shipped_type_reads_and_names_its_sources():
    names = set(available_types())
    assert {"scr", "rapid-review", "lcspr", "dhr", "sar", "cpr-wales-concise",
            "cpr-wales-extended"} <= names
    for name in names:
        review_type = load_type(name)
        assert review_type.sources and review_type.guidance, name
        shown = [s for s in review_type.agency_document.sections if s.insert == "chronology"]
        assert shown, f"{name}: the agency's document never shows its chronology"
        assert review_type.clocks_for("case") and review_type.clocks_for("agency"), name
        assert any(d.public for d in review_type.panel_documents), name


def test_the_serious_case_review_type_keeps_the_framework():
    scr = load_type("scr")
    required = [s.heading for s in scr.agency_document.sections if s.required]
    assert required == ["What was our involvement with this child and family?",
                        "Analysis of involvement", "What do we learn from this case?",
                        "Recommendations for action"]
    assert len(scr.agency_document.sections[4].questions) == 9
    assert len(scr.checklist) == 18  # SCIE's quality markers
    assert (scr.roles.agency_signer, scr.roles.panel_signer) == ("chief officer", "panel chair")


@pytest.mark.parametrize("type_name", sorted(CASE_DUES))
def test_a_case_of_each_type_from_new_case_to_status(type_name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    made = run("new", "case", "--type", type_name, *CASE_OPTIONS)
    assert made.exit_code == 0, made.output
    review_type = load_type(type_name)
    case = load_case("reviews/child-t")
    assert case.review_type.name == type_name
    assert case.title == f"{review_type.title}: Child T"
    assert [d.source for d in case.documents] == [d.source for d in review_type.panel_documents]
    assert [d.public for d in case.documents] == [d.public for d in review_type.panel_documents]

    added = run("new", "review", *REVIEW_OPTIONS)
    assert added.exit_code == 0, added.output
    agency = Path("reviews/child-t/agencies/westshire-police")
    document = review_type.agency_document
    assert (agency / document.source).is_file()
    assert load_review(agency).review_type.name == type_name

    # A fresh document is not ready: its template text is reported, in the type's own file.
    unready = run("check", agency, "--on", ON)
    assert unready.exit_code == 1
    assert f"{agency}/{document.source}:" in unready.output
    assert "[placeholder-left]" in unready.output

    write_everything(agency)
    add_police_records(agency)
    ready = run("check", agency, "--on", ON)
    assert ready.exit_code == 0, ready.output

    # Leaving out a section the type asks for is reported with the type's words.
    text = (agency / document.source).read_text()
    asked = next(s for s in document.sections if s.required and not s.insert)
    (agency / document.source).write_text(text.replace(f"## {asked.heading}\n", ""))
    missing = run("check", agency, "--on", ON)
    assert f'[section-missing] the section "{asked.heading}" is missing.' in missing.output
    assert f"the {review_type.title.lower()}'s {document.title.lower()} asks for" in \
        missing.output
    (agency / document.source).write_text(text)

    write_everything(Path("reviews/child-t"))
    panel_check = run("check", "reviews/child-t", "--on", ON)
    assert (f"the panel does not yet hold Westshire Police's signed-off "
            f"{review_type.roles.agency_document}.") in panel_check.output
    for folder in (agency, "reviews/child-t"):
        built = run("build", "--no-pdf", folder)
        assert built.exit_code == 0, built.output
    html = tmp_path / "_build" / "child-t" / "html"
    first = as_read((html / f"{review_type.panel_documents[0].stem}.html").read_text())
    assert f"DRAFT: not signed off by the {PANEL_SIGNERS[type_name]}" in first
    for section in review_type.panel_documents[0].sections:
        assert section.heading in first, section.heading
    agency_page = (tmp_path / "_build" / "child-t-westshire-police" / "html" /
                   f"{document.stem}.html").read_text()
    assert f"DRAFT: not signed off by the {review_type.roles.agency_signer}" in agency_page
    assert "Call to the family home about shouting." in agency_page

    # The public edition holds the documents the type publishes, and no others.
    toml = Path("reviews/child-t/case.toml")
    toml.write_text(toml.read_text().replace("names = []", 'names = ["Tamsin Hale"]'))
    public = run("build", "--no-pdf", "--edition", "public", "reviews/child-t")
    assert public.exit_code == 0, public.output
    pages = {p.stem for p in (tmp_path / "_build" / "child-t-public" / "html").glob("*.html")}
    published = {d.stem for d in review_type.panel_documents if d.public}
    assert published <= pages
    assert not {d.stem for d in review_type.panel_documents if not d.public} & pages

    status = run("status", "reviews/child-t", agency, "--on", ON, "--json")
    assert status.exit_code == 0, status.output
    case_status, agency_status = json.loads(status.output)
    assert case_status["type"] == type_name
    assert dues(case_status) == CASE_DUES[type_name]
    expected = {c.key for c in review_type.clocks_for("agency")}
    assert {k: v for k, v in dues(agency_status).items() if k in AGENCY_DUES[type_name]} == \
        AGENCY_DUES[type_name]
    assert set(dues(agency_status)) == expected
    text_status = run("status", "reviews/child-t", "--on", ON)
    assert f"  {review_type.title} ({type_name})" in text_status.output.splitlines()


def test_an_agency_review_of_another_type_in_its_own_workspace(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    made = run("new", "review", "--type", "dhr", "--agency", "Westshire Police", "--child",
               "Adult D", "--panel", "Westshire Community Safety Partnership", "--requested",
               COMMISSIONED, "--period-start", "01/01/2019", "--period-end", "19/12/2019",
               "--reviewer", "Alex Morgan", "--reviewer-role", "Detective Inspector",
               "--chief-officer", "Sam Okafor", "--chief-officer-role", "Superintendent")
    assert made.exit_code == 0, made.output
    assert made.output.splitlines()[1] == "Created reviews/adult-d"
    review = load_review("reviews/adult-d")
    assert review.review_type.name == "dhr"
    assert review.title == "Individual management review: Adult D"
    assert [d.source for d in review.documents] == ["individual-management-review.md"]
    assert review.people[0]["role"] == "victim"
    status = json.loads(run("status", "reviews/adult-d", "--on", ON, "--json").output)
    assert [m["key"] for m in status[0]["milestones"]] == [
        "requested", "records_secured", "signed_off", "sent_to_panel"]
    # Inside a case, an agency's review has the case's type: another is refused.
    assert run("new", "case", "--type", "sar", *CASE_OPTIONS).exit_code == 0
    wrong = run("new", "review", "--type", "dhr", *REVIEW_OPTIONS)
    assert wrong.exit_code == 2
    assert "--type dhr does not match the case, a sar" in wrong.output


def test_a_rapid_review_without_the_incident_date_is_asked_for_it(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    options = [o for o in CASE_OPTIONS if o not in ("--incident", INCIDENT)]
    made = CliRunner().invoke(cli, ["new", "case", "--type", "rapid-review", *options],
                              input="20/12/2019\n")
    assert made.exit_code == 0, made.output
    assert "The date of the serious incident (DD/MM/YYYY):" in made.output
    assert load_case("reviews/child-t").incident.isoformat() == "2019-12-20"


def test_the_types_command_lists_each_type_with_its_sources(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    listed = run("types")
    assert listed.exit_code == 0, listed.output
    for name in CASE_DUES:
        assert re.search(rf"^{re.escape(name)} +{re.escape(load_type(name).title)}$",
                         listed.output, re.M), name
    assert "Source: Care Act 2014, section 44" in listed.output
    shown = run("types", "rapid-review")
    assert "Rapid review meeting (case): 12 working days from incident" in shown.output
    assert "Records secured (agency, own): 1 working day from requested" in shown.output


# --- a board's own type ---------------------------------------------------------------------------

BOARD_TYPE = '''# Westshire's serious case reviews: four months, as its own procedures say (8.5).
based_on = "scr"
title = "Serious case review (Westshire)"
guidance = "Westshire Safeguarding Children Board procedures, section 8"
sources = ["Westshire Safeguarding Children Board procedures (fictional), 2016"]
months = 4

[roles]
subject = "child"
agency_document = "management review"
agency_signer = "director"
panel_signer = "board chair"
'''


def test_a_board_adds_its_own_type_in_the_workspace(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert run("new", "case", *CASE_OPTIONS[:-2], "--slug", "first").exit_code == 0
    (tmp_path / "types").mkdir()
    (tmp_path / "types" / "westshire-scr.toml").write_text(BOARD_TYPE)
    listed = run("types")
    assert re.search(r"^westshire-scr +Serious case review \(Westshire\)  \[types/westshire-scr"
                     r"\.toml\]$", listed.output, re.M), listed.output
    made = run("new", "case", "--type", "westshire-scr", *CASE_OPTIONS)
    assert made.exit_code == 0, made.output
    case = load_case("reviews/child-t")
    assert case.review_type.roles.panel_signer == "board chair"
    assert case.months == 4 and len(case.review_type.checklist) == 18  # the rest from scr
    status = json.loads(run("status", "reviews/child-t", "--on", ON, "--json").output)
    assert dues(status[0])["published"] == "2020-04-24"
    assert run("new", "review", *REVIEW_OPTIONS).exit_code == 0
    built = run("build", "--no-pdf", "reviews/child-t/agencies/westshire-police")
    assert built.exit_code == 0, built.output
    page = (tmp_path / "_build/child-t-westshire-police/html/management-review.html").read_text()
    assert "DRAFT: not signed off by the director" in page


BROKEN_TYPE = '''title = "Broken review"
guidance = "None"
sources = ["None"]
months = 30

[agency_document]
source = "agency-report.md"
title = "Agency report"
sections = [{ heading = "Involvement", insert = "timeline" }]

[[clocks]]
key = "notified"
label = "Notified"
for = ["panel"]
from = "incident"
working_dys = 5

[[clocks]]
key = "report"
label = "Report"
for = ["case"]
from = "decision"
months = 6

[[clocks]]
key = "published"
label = "Published"
for = ["case"]
due = "soon"
'''


def test_a_broken_type_file_is_refused_with_every_problem_located(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert run("new", "case", *CASE_OPTIONS[:-2], "--slug", "first").exit_code == 0
    (tmp_path / "types").mkdir()
    (tmp_path / "types" / "broken.toml").write_text(BROKEN_TYPE)
    refused = run("new", "case", "--type", "broken", *CASE_OPTIONS)
    assert refused.exit_code == 1
    assert refused.output.splitlines()[:-1] == [
        "types/broken.toml:4:months: error [key-range] 30 months is not a period a review can "
        "have. Use a number from 1 to 24, such as months = 6.",
        "types/broken.toml:6:agency_document.insert: error [key-range] \"timeline\" is not "
        "something a section can show. Write one of insert = \"chronology\", insert = "
        "\"significant-events\", insert = \"agency-reviews\".",
        "types/broken.toml:14:clocks.for: error [key-range] 'panel' is not whose status a clock "
        "shows. Write a list of \"case\", \"agency\" and \"own\", as in for = [\"case\"].",
        "types/broken.toml:15:clocks.from: error [clock-length-missing] the clock \"Notified\" "
        "runs from \"incident\" but not for how long. Add working_days, days or months, as in "
        "working_days = 15.",
        "types/broken.toml:16:clocks.working_dys: error [key-unknown] \"working_dys\" is not a "
        "setting casereview knows under [clocks, entry 1]. Did you mean \"working_days\"? "
        "Correct the spelling, or remove the line.",
        "types/broken.toml:22:clocks.from: error [clock-start-unknown] the clock \"Report\" runs "
        "from \"decision\", which is neither an event nor an earlier clock. Write from = "
        "\"incident\", from = \"requested\", or the key of a clock above this one.",
        "types/broken.toml:29:clocks.due: error [key-range] \"soon\" is not a due date casereview "
        "can work out. Write one of due = \"deadline\", due = \"completion\", due = \"deadline or "
        "completion\", due = \"agencies\", or give from and a length such as working_days = 5.",
    ]
    assert not (tmp_path / "reviews" / "child-t").exists()  # nothing half-made
    # A case naming the broken type reports the same problems, and a type that is not there
    # by name, on the line that names it.
    toml = tmp_path / "reviews" / "first" / "case.toml"
    toml.write_text(toml.read_text().replace('type = "scr"', 'type = "lcpsr"'))
    checked = run("check", "reviews/first")
    assert checked.exit_code == 1
    line = next(n for n, text in enumerate(toml.read_text().splitlines(), 1)
                if text.startswith("type ="))
    assert checked.output.splitlines()[0].startswith(
        f'reviews/first/case.toml:{line}:type: error [type-unknown] there is no review type '
        '"lcpsr". Choose one of broken, cpr-wales-concise, cpr-wales-extended, dhr, lcspr, '
        "rapid-review, sar, scr (casereview types lists them), or put lcpsr.toml in the "
        "workspace's types/ folder.")


def test_a_type_based_on_itself_in_a_circle_is_refused(tmp_path):
    (tmp_path / "conf.py").write_text("")
    (tmp_path / "types").mkdir()
    (tmp_path / "types" / "a.toml").write_text('based_on = "b"\n')
    (tmp_path / "types" / "b.toml").write_text('based_on = "a"\n')
    with pytest.raises(CaseReviewError) as raised:
        load_type("a", tmp_path)
    assert [p.code for p in raised.value.problems if p.code.startswith("type")] == ["type-cycle"]


# --- a rapid review becomes a practice review -----------------------------------------------------

def tree_hash(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(path.relative_to(folder).as_posix().encode() + path.read_bytes())
    return digest.hexdigest()


def test_a_rapid_review_becomes_an_lcspr_keeping_its_agencies_and_chronology(tmp_path,
                                                                               monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert run("new", "case", "--type", "rapid-review", *CASE_OPTIONS).exit_code == 0
    assert run("new", "review", *REVIEW_OPTIONS).exit_code == 0
    rapid = Path("reviews/child-t")
    toml = rapid / "case.toml"
    toml.write_text(toml.read_text().replace("names = []", 'names = ["Tia Marsh", "Tia"]'))
    add_police_records(rapid / "agencies" / "westshire-police")
    before = tree_hash(rapid)

    wrong = run("new", "case", "--type", "dhr", "--from", rapid, "--commissioned", "10/02/2020")
    assert wrong.exit_code == 1
    assert wrong.output.splitlines()[0] == (
        "reviews/child-t/case.toml:type: error [type-conversion] a domestic homicide review "
        "cannot be made from reviews/child-t, a rapid review. A dhr case can be made from no "
        "other type; start this one with casereview new case --type dhr without --from.")

    made = run("new", "case", "--type", "lcspr", "--from", rapid, "--commissioned", "10/02/2020")
    assert made.exit_code == 0, made.output
    assert tree_hash(rapid) == before  # the rapid review, as sent, is untouched
    practice = load_case("reviews/child-t-lcspr")
    assert practice.review_type.name == "lcspr"
    assert practice.title == "Local child safeguarding practice review: Child T"
    assert practice.commissioned.isoformat() == "2020-02-10"
    assert (practice.child, practice.board, practice.period_start.isoformat()) == (
        "Child T", "Westshire Safeguarding Partnership", "2019-01-01")
    assert [(a.name, a.code) for a in practice.agencies] == [("Westshire Police", "POL")]
    assert practice.people[0]["names"] == ["Tia Marsh", "Tia"]
    events = run("chronology", "merge", "reviews/child-t-lcspr", "-o", "merged.csv")
    assert events.exit_code == 0, events.output
    merged = Path("merged.csv").read_text(encoding="utf-8-sig")
    assert "Call to the family home about shouting." in merged
    assert "Report of a threat to the mother." in merged

    # Once the agency writes its report for the practice review, check warns that the carried
    # chronology would count its events twice.
    assert run("new", "review", *REVIEW_OPTIONS[2:], "--case", "reviews/child-t-lcspr"
               ).exit_code == 0
    checked = run("check", "reviews/child-t-lcspr", "--on", "2020-02-11")
    assert ("warning [chronology-twice] Westshire Police's events come both from "
            '"records/carried/pol.xlsx", under the case\'s [[records]], and from its own agency '
            "report.") in checked.output
