"""A review as declared in its folder's ``review.toml``: who, what, when, and which records.

Loading checks every key and reports every problem at once, each with the line it is on, so a
reviewer editing the file by hand can fix it in one pass.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any

from chronology.problems import CaseReviewError, Problem, Severity, display_path
from chronology.records import Source, agency_code

from .publish import Register, register_from_toml
from .reviewtype import DEFAULT_TYPE, ReviewType, load_type, unknown_type
from .settings import (
    TYPE_NAMES,
    Checker,
    ConfigError,
    array,
    checked_tables,
    read_settings,
)

REVIEW_FILE = "review.toml"
CASE_FILE = "case.toml"
#: Inside a case folder: the agencies' management reviews written in the board's own workspace,
#: and the signed packages received from agencies that work in their own.
AGENCIES_FOLDER = "agencies"
RECEIVED_FOLDER = "received"
DEFAULT_MARKING = "OFFICIAL-SENSITIVE"
#: The paragraph numbers of a build's numbered documents, written beside its HTML: a sign-off
#: records them so the panel can cite a signed review's paragraphs.
PARAGRAPHS_FILE = "_paragraphs.json"
MANAGEMENT_REVIEW = "management review"
CHRONOLOGY_ONLY = "chronology only"
#: What an agency review takes from its case rather than stating again (source 002, 8.5: the
#: panel sets the child, the period and the terms for every agency alike).
INHERITED = ("type", "child", "panel", "period", "people", "timescales", "publication")


@dataclass(frozen=True)
class Person:
    name: str
    role: str


@dataclass(frozen=True)
class Document:
    """One document of the review, built to its own PDF."""

    source: str
    title: str
    numbered: bool = False  # paragraphs numbered 1.1, 1.2 … so recommendations can cite them
    public: bool = False  # in the public edition (always pseudonymised, leak-guarded)

    @property
    def docname(self) -> str:
        return Path(self.source).with_suffix("").as_posix()

    @property
    def stem(self) -> str:
        return Path(self.source).stem


@dataclass
class Review:
    root: Path
    title: str
    agency: str
    child: str
    panel: str
    requested: date
    period_start: date
    period_end: date
    reviewer: Person
    chief_officer: Person
    terms_of_reference: str = ""
    independence: str = ""
    version: str = "0.1"
    marking: str = DEFAULT_MARKING
    records_secured: date | None = None
    documents: list[Document] = field(default_factory=list)
    sources: list[Source] = field(default_factory=list)
    gap_days: int = 60
    case_practitioners: list[str] = field(default_factory=list)
    months: int = 6
    panel_deadline: date | None = None
    incident: date | None = None
    milestones: dict[str, date] = field(default_factory=dict)
    people: list[dict] = field(default_factory=list)
    public_marking: str = ""
    restricted_names: str = "pseudonyms"
    unkeyed_signoff: bool = False
    warnings: list[Problem] = field(default_factory=list)
    #: "agency" for an agency's management review; "case" for the panel's documents of a case.
    level: str = "agency"
    #: The case this review belongs to (None for an agency working in its own workspace).
    case: Case | None = None
    #: What this review took from case.toml, fingerprinted at sign-off in place of the file, so
    #: the panel editing its own part of case.toml never voids an agency's sign-off.
    inherited: dict = field(default_factory=dict)
    #: The kind of review (serious case review, LCSPR, DHR ...): its sections, roles and clocks.
    review_type: ReviewType = field(default_factory=lambda: load_type(DEFAULT_TYPE))

    @cached_property
    def register(self) -> Register:
        return register_from_toml(self.people)

    @property
    def slug(self) -> str:
        return self.root.name

    @property
    def signer_title(self) -> tuple[str, str]:
        """Who signs this review off, in words, and the table of its settings naming them."""
        if self.level != "case":
            return self.review_type.roles.agency_signer, "chief_officer"
        if self.case.signer is not None:
            return "signer of the panel's documents", "panel_signoff"
        return self.review_type.roles.panel_signer, "panel_chair"

    @property
    def settings_file(self) -> Path:
        """The file this review is declared in: its review.toml, or the case's case.toml."""
        return self.root / (CASE_FILE if self.level == "case" else REVIEW_FILE)

    @property
    def period(self) -> tuple[date, date]:
        return self.period_start, self.period_end


def same_name_key(name: str) -> str:
    """A name as compared: "David  Okonjo" and "david okonjo" are the same person or agency."""
    return " ".join(name.casefold().split())


@dataclass(frozen=True)
class PanelMember:
    name: str
    role: str
    independence: str = ""


@dataclass(frozen=True)
class RequestedAgency:
    """An agency the panel asked for a management review, or for its chronology only."""

    name: str
    code: str
    kind: str = MANAGEMENT_REVIEW
    due: date | None = None
    folder: str = ""


@dataclass
class Case:
    """The serious case review itself, as the board commissions it and the panel owns it."""

    root: Path
    title: str
    child: str
    board: str
    panel: str
    commissioned: date
    period_start: date
    period_end: date
    chair: Person
    #: Who signs the panel's documents off: the panel chair unless the board names another.
    signer: Person | None = None
    members: list[PanelMember] = field(default_factory=list)
    agencies: list[RequestedAgency] = field(default_factory=list)
    terms_of_reference: str = ""
    version: str = "0.1"
    marking: str = DEFAULT_MARKING
    months: int = 6
    panel_deadline: date | None = None
    incident: date | None = None
    milestones: dict[str, date] = field(default_factory=dict)
    people: list[dict] = field(default_factory=list)
    public_marking: str = ""
    restricted_names: str = "pseudonyms"
    documents: list[Document] = field(default_factory=list)
    sources: list[Source] = field(default_factory=list)
    gap_days: int = 60
    unkeyed_signoff: bool = False
    trust_roots: list[Path] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    review_type: ReviewType = field(default_factory=lambda: load_type(DEFAULT_TYPE))
    #: The type's checklist items the panel has confirmed, with the date of each.
    checklist: dict[str, date] = field(default_factory=dict)

    def agency(self, name: str) -> RequestedAgency | None:
        return next((a for a in self.agencies if same_name_key(a.name) == same_name_key(name)),
                    None)

    def review_folder(self, agency: RequestedAgency) -> Path:
        """Where the agency's review is kept when it is written in the board's workspace."""
        return self.root / AGENCIES_FOLDER / agency.folder

    def received_folder(self, agency: RequestedAgency) -> Path:
        return self.root / RECEIVED_FOLDER / agency.folder

    def given_to(self, agency_name: str) -> dict[str, Any]:
        """What an agency's review takes from the case: the same child, period, people register,
        publication rules and timescales for every agency, and its own deadline."""
        entry = self.agency(agency_name)
        return {
            "type": self.review_type,
            "child": self.child,
            "panel": f"{self.board}, {self.panel}",
            "requested": self.commissioned,
            "period": {"start": self.period_start, "end": self.period_end},
            "timescales": {"months": self.months, "incident": self.incident,
                           **({"panel_deadline": entry.due} if entry and entry.due else {})},
            "publication": {"public_marking": self.public_marking,
                            "restricted_names": self.restricted_names},
            "people": self.people,
        }


# Each key: (kind, required, what it is, example line). The descriptions go into messages.
_TYPE_KEY = (str, False, "the kind of review, such as scr (the default), lcspr or dhr; "
             "casereview types lists them", 'type = "scr"')
_TOP_KEYS: dict[str, tuple[type, bool, str, str]] = {
    "title": (str, True, "the review's title", 'title = "Management review: Child P"'),
    "type": _TYPE_KEY,
    "agency": (str, True, "the agency writing this review",
               'agency = "Northshire Probation Service"'),
    "child": (str, True, "the child's pseudonym (never the real name)", 'child = "Child P"'),
    "panel": (str, True, "the review panel the review goes to",
              'panel = "Northshire Safeguarding Children Board"'),
    "requested": (date, True, "the date the review was requested", "requested = 2016-09-12"),
    "terms_of_reference": (str, False, "the terms of reference", 'terms_of_reference = "..."'),
    "version": (str, False, "the version of the draft", 'version = "0.3"'),
    "marking": (str, False, "the protective marking", 'marking = "OFFICIAL-SENSITIVE"'),
    "records_secured": (date, False, "the date the agency's records were secured",
                        "records_secured = 2016-09-13"),
    "case_practitioners": (list, False, "the practitioners and managers who worked on the case",
                           'case_practitioners = ["Jo Bell", "Sam Reid"]'),
}
_TABLES: dict[str, dict[str, tuple[type, bool, str, str]]] = {
    "period": {
        "start": (date, True, "the first day the review covers", "start = 2014-06-01"),
        "end": (date, True, "the last day the review covers", "end = 2016-08-31"),
    },
    "reviewer": {
        "name": (str, True, "the nominated reviewer's name", 'name = "Alex Morgan"'),
        "role": (str, True, "the nominated reviewer's role", 'role = "Head of Public Protection"'),
        "independence": (str, False, "the statement of the reviewer's independence",
                         'independence = "I had no involvement in this case."'),
    },
    "chief_officer": {
        "name": (str, True, "the chief officer's name", 'name = "Sam Okafor"'),
        "role": (str, True, "the chief officer's role", 'role = "Chief Executive"'),
    },
    "publication": {
        "public_marking": (str, False, "the marking on public documents (empty for none)",
                           'public_marking = ""'),
        "restricted_names": (str, False, 'whether restricted documents show "names" or '
                             '"pseudonyms"', 'restricted_names = "pseudonyms"'),
    },
    "chronology": {
        "gap_days": (int, False, "the days without contact shown as a gap", "gap_days = 60"),
    },
    "signoff": {
        "unkeyed_signoff": (bool, False, "whether the board accepts a sign-off without the "
                            "chief officer's signing key", "unkeyed_signoff = true"),
    },
    "timescales": {
        "months": (int, False, "the months allowed to complete the review", "months = 6"),
        "panel_deadline": (date, False, "the panel's deadline for this review",
                           "panel_deadline = 2016-10-31"),
        "incident": (date, False, "the date of the serious incident", "incident = 2016-06-21"),
    },
    # [milestones] and [checklist] hold the keys of the review's type: see _typed_tables.
}
_DOCUMENT_KEYS = {
    "source": (str, True, "the MyST file of the document", 'source = "management-review.md"'),
    "title": (str, True, "the document's title", 'title = "Management review"'),
    "numbered": (bool, False, "whether paragraphs are numbered", "numbered = true"),
    "public": (bool, False, "whether the document is published", "public = true"),
}
_PEOPLE_KEYS = {
    "role": (str, True, "the word writers use for this person", 'role = "mother"'),
    "publish_as": (str, True, "what public documents call this person",
                   'publish_as = "Mother"'),
    "names": (list, False, "the person's names and aliases",
              'names = ["Kerry Ashdown", "Kerry", "Ms Ashdown"]'),
    "identifiers": (list, False, "dates of birth, addresses, schools, reference numbers",
                    'identifiers = [1990-05-14, "14 Alder Row"]'),
}
_RECORD_KEYS = {
    "agency": (str, True, "the agency the records come from", 'agency = "Northshire Police"'),
    "file": (str, True, "the records file, relative to the review folder",
             'file = "records/police.csv"'),
    "code": (str, False, "the agency's three-letter code for event IDs", 'code = "POL"'),
    "encoding": (str, False, "the file's text encoding", 'encoding = "cp1252"'),
    "sheet": (str, False, "the sheet of a workbook", 'sheet = "Chronology"'),
    "source": (str, False, "the source of information when the file has no such column",
               'source = "Police records"'),
    "columns": (dict, False, "headings mapped to fields", 'columns = { "Seen" = "date" }'),
}
_KNOWN_TABLES = {*_TABLES, "milestones", "documents", "records", "people"}

# case.toml: the serious case review as the board commissions it and the panel owns it.
_CASE_TOP_KEYS: dict[str, tuple[type, bool, str, str]] = {
    "title": (str, True, "the case review's title", 'title = "Serious case review: Child P"'),
    "type": _TYPE_KEY,
    "child": _TOP_KEYS["child"],
    "board": (str, True, "the safeguarding children board that commissions the review",
              'board = "Northshire Safeguarding Children Board"'),
    "panel": (str, True, "the review panel", 'panel = "Serious Case Review Panel"'),
    "commissioned": (date, True, "the date the board commissioned the review",
                     "commissioned = 2016-07-15"),
    "terms_of_reference": _TOP_KEYS["terms_of_reference"],
    "version": (str, False, "the version of the panel's drafts", 'version = "0.2"'),
    "marking": _TOP_KEYS["marking"],
}
_CASE_TABLES: dict[str, dict[str, tuple[type, bool, str, str]]] = {
    "period": _TABLES["period"],
    "panel_chair": {
        "name": (str, True, "the panel chair's name", 'name = "Ruth Adeyemi"'),
        "role": (str, True, "the panel chair's role", 'role = "Independent chair"'),
    },
    # A board whose procedures have someone else sign the panel's documents off names them here.
    "panel_signoff": {
        "name": (str, False, "who signs the panel's documents off, if not the panel chair",
                 'name = "Alan Kerr"'),
        "role": (str, False, "their role", 'role = "Chair, Northshire Safeguarding Children '
                 'Board"'),
    },
    "publication": _TABLES["publication"],
    "chronology": _TABLES["chronology"],
    "signoff": {
        **_TABLES["signoff"],
        "trust_roots": (list, False, "the certificates the panel trusts for agencies' "
                        "signatures, relative to the case folder",
                        'trust_roots = ["trust/probation.pem"]'),
    },
    "timescales": {
        "months": _TABLES["timescales"]["months"],
        "panel_deadline": (date, False, "the panel's deadline for the overview report",
                           "panel_deadline = 2016-12-16"),
        "incident": _TABLES["timescales"]["incident"],
    },
}
_PANEL_MEMBER_KEYS = {
    "name": (str, True, "the member's name", 'name = "Priya Natarajan"'),
    "role": (str, True, "the member's role and agency", 'role = "Designated nurse, CCG"'),
    "independence": (str, False, "how the member stands apart from the line management of "
                     "anyone involved", 'independence = "No line management of staff involved."'),
}
_AGENCY_KEYS = {
    "name": (str, True, "the agency's name, as its review gives it",
             'name = "Northshire Police"'),
    "code": (str, True, "the agency's code for event IDs", 'code = "POL"'),
    "kind": (str, False, f'"{MANAGEMENT_REVIEW}" or "{CHRONOLOGY_ONLY}"',
             f'kind = "{MANAGEMENT_REVIEW}"'),
    "due": (date, False, "the date the panel needs the agency's review or chronology by",
            "due = 2016-09-30"),
    "folder": (str, False, "the folder of its review under agencies/ and received/",
               'folder = "police"'),
}
_CASE_KNOWN_TABLES = {*_CASE_TABLES, "milestones", "checklist", "documents", "records", "people",
                      "panel_members",
                      "agencies"}


def _typed_tables(review_type: ReviewType, *, case: bool) -> dict[str, dict]:
    """The tables whose keys the review's type declares: a date for each milestone the type's
    clocks name, and (for a case) for each item of its quality checklist."""
    tables = {"milestones": {key: (date, False, f'the date of "{label}"', f"{key} = 2016-10-01")
                             for key, label in review_type.milestone_keys.items()}}
    if case:
        tables["checklist"] = {item.key: (date, False, f'the date the panel confirmed '
                                          f'"{item.label}"', f"{item.key} = 2016-11-04")
                               for item in review_type.checklist}
    return tables


def _workspace_of(root: Path) -> Path | None:
    try:
        return find_workspace(root)
    except CaseReviewError:
        return None  # a folder outside any workspace knows only the shipped types


def _review_type(data: dict[str, Any], root: Path, checker: Checker) -> ReviewType:
    """The type the file names (the serious case review when it names none). A type that does
    not exist, or whose file is broken, is reported; the rest of the file is still checked,
    against the default type."""
    name = data.get("type", DEFAULT_TYPE)
    if not isinstance(name, str):
        return load_type(DEFAULT_TYPE)
    workspace = _workspace_of(root)
    try:
        return load_type(name, workspace)
    except ConfigError as exc:
        for problem in exc.problems:
            if problem.code == "type-unknown" and problem.path is None:
                checker.add("type-unknown", "type", problem.message,
                            unknown_type(name, workspace))
            else:
                checker.problems.append(problem)
        return load_type(DEFAULT_TYPE)


def describe(file: str, table: str, key: str) -> str:
    """What a setting is, as its declaration says, for new's questions and options' help:
    "The nominated reviewer's name"; a date asks for the form people type."""
    top, tables = (_CASE_TOP_KEYS, _CASE_TABLES) if file == CASE_FILE else (_TOP_KEYS, _TABLES)
    kind, _, what, _ = (tables[table] if table else top)[key]
    return what[0].upper() + what[1:] + (" (DD/MM/YYYY)" if kind is date else "")


def settings_reference(file: str) -> list[tuple[str, list[tuple[str, str, bool, str, str]]]]:
    """Every setting of review.toml or case.toml, by table: (key, kind, required, what it is,
    example), from the declarations loading checks against, for the reference page."""
    typed = _typed_tables(load_type(DEFAULT_TYPE), case=file == CASE_FILE)
    if file == CASE_FILE:
        parts = [("", _CASE_TOP_KEYS), *((f"[{n}]", spec) for n, spec in _CASE_TABLES.items()),
                 *((f"[{n}]", spec) for n, spec in typed.items()),
                 ("[[panel_members]]", _PANEL_MEMBER_KEYS), ("[[agencies]]", _AGENCY_KEYS),
                 ("[[documents]]", _DOCUMENT_KEYS), ("[[records]]", _RECORD_KEYS),
                 ("[[people]]", _PEOPLE_KEYS)]
    else:
        parts = [("", _TOP_KEYS), *((f"[{n}]", spec) for n, spec in _TABLES.items()),
                 *((f"[{n}]", spec) for n, spec in typed.items()),
                 ("[[documents]]", _DOCUMENT_KEYS), ("[[records]]", _RECORD_KEYS),
                 ("[[people]]", _PEOPLE_KEYS)]
    return [(table, [(key, TYPE_NAMES[kind], required, what, example)
                     for key, (kind, required, what, example) in spec.items()])
            for table, spec in parts]


def uk_date(value: date | None) -> str:
    """A date as the review's documents write it: 19 July 2016."""
    return f"{value.day} {value:%B %Y}" if value else "Not yet recorded"


def published_documents(review: Review, edition: str) -> list[Document]:
    """The documents of an edition: the public one holds only those marked public."""
    return [d for d in review.documents if d.public] if edition == "public" else review.documents


def find_workspace(start: Path) -> Path:
    """The nearest folder at or above ``start`` holding the workspace's conf.py."""
    for folder in (start.resolve(), *start.resolve().parents):
        if (folder / "conf.py").is_file():
            return folder
    raise CaseReviewError([Problem(
        "workspace-missing", "no conf.py was found in this folder or any folder above it.",
        display_path(start), hint="Reviews live in a casereview workspace (a copy of this "
        "project); keep the review under its reviews/ folder.")])


def find_review_file(root: Path) -> Path:
    path = Path(root) / REVIEW_FILE
    if not path.is_file():
        raise ConfigError([Problem("review-missing", f"there is no {REVIEW_FILE} in this folder.",
                                   display_path(root), hint="Give the folder of a review, such as "
                                   "reviews/example, or create one with casereview new.")])
    return path


def _documents(data: dict[str, Any], root: Path, base: Path | None, checker: Checker,
               review_type: ReviewType) -> list[Document]:
    """The documents listed; whether each is numbered or published defaults to what the
    review's type says of a document of that file name."""
    documents = []
    for nth, entry in enumerate(_entries(data, "documents", checker)):
        values = checker.values(entry, _DOCUMENT_KEYS, table="documents", nth=nth,
                                label=f"documents, entry {nth + 1}")
        if "source" in values:
            if not (root / values["source"]).is_file():
                checker.add("file-missing", "source", f'document "{values["source"]}" does not '
                            f"exist in {display_path(root, base)}.",
                            "Check the file name, or remove the entry.", table="documents", nth=nth)
            elif "title" in values:
                declared = review_type.document(values["source"])
                documents.append(Document(
                    values["source"], values["title"],
                    values.get("numbered", declared is not None and declared.numbered),
                    values.get("public", declared is not None and declared.public)))
    if "documents" not in data:
        example = review_type.agency_document.source if "agency" in data else \
            next((d.source for d in review_type.panel_documents), "overview-report.md")
        checker.add("key-missing", "documents", "no [[documents]] are listed.",
                    f'Add [[documents]] with source = "{example}" and a title.')
    return documents


def _sources(data: dict[str, Any], root: Path, base: Path | None, checker: Checker,
             coded: dict[str, tuple[str, int]]) -> list[Source]:
    sources = []
    for nth, entry in enumerate(_entries(data, "records", checker)):
        values = checker.values(entry, _RECORD_KEYS, table="records", nth=nth,
                                label=f"records, entry {nth + 1}")
        code = _checked_code(values, coded, checker, nth) if "agency" in values else None
        if "file" in values and not (root / values["file"]).is_file():
            checker.add("file-missing", "file", f'records file "{values["file"]}" does not exist '
                        f"in {display_path(root, base)}.", "Check the file name, or remove the "
                        "entry.", table="records", nth=nth)
            continue
        if "file" in values and "agency" in values:
            sources.append(Source(path=root / values["file"], agency=values["agency"],
                                  code=code,
                                  encoding=values.get("encoding"), sheet=values.get("sheet"),
                                  columns=values.get("columns", {}), source=values.get("source")))
    return sources


def _people(data: dict[str, Any], checker: Checker) -> list[dict]:
    people = []
    roles: set[str] = set()
    for nth, entry in enumerate(_entries(data, "people", checker)):
        values = checker.values(entry, _PEOPLE_KEYS, table="people", nth=nth,
                                label=f"people, entry {nth + 1}")
        if values.get("role") in roles:
            checker.add("role-duplicate", "role", f'the role "{values["role"]}" is given to two '
                        "people.", "Give each person their own role.", table="people", nth=nth)
        roles.add(values.get("role"))
        for key in ("names", "identifiers"):
            if any(isinstance(v, str) and not v.strip() for v in values.get(key, [])):
                checker.add("key-empty", key, f'"{key}" has an empty entry.',
                            "Remove it, or fill it in.", table="people", nth=nth)
        people.append(values)
    return people


def _ranges(tables: dict[str, dict[str, Any]], checker: Checker) -> None:
    """Values of the right type that still cannot be meant."""
    restricted = tables["publication"].get("restricted_names", "pseudonyms")
    if restricted not in ("names", "pseudonyms"):
        checker.add("key-range", "restricted_names", f'"{restricted}" is not "names" or '
                    '"pseudonyms".', 'Write restricted_names = "pseudonyms" or "names".',
                    table="publication")
    period = tables.get("period", {})
    if "start" in period and "end" in period and period["end"] < period["start"]:
        checker.add("period-reversed", "end", "the period ends before it starts.",
                    "Check [period] start and end.", table="period")
    gap_days = tables["chronology"].get("gap_days", 60)
    if gap_days < 1:
        checker.add("key-range", "gap_days", f"{gap_days} days is not a gap: it must be at least "
                    "1.", "Use the number of days without contact worth showing, such as "
                    "gap_days = 60.", table="chronology")
    months = tables["timescales"].get("months", 6)
    if not 1 <= months <= 24:
        checker.add("key-range", "months", f"{months} months is not a period a review can have.",
                    "Use 6 (national guidance) or 4 (older local procedures).",
                    table="timescales")


def _unknowntables(data: dict[str, Any], known: set[str], checker: Checker) -> None:
    for key, value in data.items():
        if key not in known and isinstance(value, dict | list):
            checker.add("key-unknown", key, f'"{key}" is not a setting casereview knows.',
                        "Check the spelling, or remove it.", severity=Severity.WARNING)


def case_of(root: Path) -> Path | None:
    """The case folder an agency review in ``root`` belongs to: reviews kept in the board's
    workspace live in the case's agencies/ folder."""
    root = Path(root).resolve()
    if root.parent.name == AGENCIES_FOLDER and (root.parent.parent / CASE_FILE).is_file():
        return root.parent.parent
    return None


def every_review(workspace: Path) -> list[Path]:
    """Every case and review under the workspace's reviews/ folder: each case first, then the
    agency reviews written in it."""
    found = []
    for folder in sorted(p for p in (workspace / "reviews").glob("*") if p.is_dir()):
        if (folder / CASE_FILE).is_file():
            found.append(folder)
            found += sorted(p.parent for p in folder.glob(f"{AGENCIES_FOLDER}/*/{REVIEW_FILE}"))
        elif (folder / REVIEW_FILE).is_file():
            found.append(folder)
    return found


def find_case(start: Path) -> Path | None:
    """The case folder at or above ``start`` (one holding a case.toml), if any."""
    for folder in (start.resolve(), *start.resolve().parents):
        if (folder / CASE_FILE).is_file():
            return folder
        if (folder / "conf.py").is_file():  # the workspace's root: no case above it
            return None
    return None


def load_review(root: Path | str, *, base: Path | None = None) -> Review:
    """Read and check a review folder's review.toml (an agency's management review), or a case
    folder's case.toml (the panel's documents of the case). Raises :class:`ConfigError` on any
    error."""
    root = Path(root)
    if not (root / REVIEW_FILE).is_file() and (root / CASE_FILE).is_file():
        return _case_review(load_case(root, base=base), base)
    case_root = case_of(root)
    return _agency_review(root, base, load_case(case_root, base=base) if case_root else None)


def load_agency_review(case: Case, agency: RequestedAgency, *,
                       base: Path | None = None) -> Review:
    """The review of an agency kept in the case's agencies/ folder, read against the case
    already loaded rather than reading case.toml again."""
    return _agency_review(case.review_folder(agency), base, case)


def _agency_review(root: Path, base: Path | None, case: Case | None) -> Review:
    """An agency's review.toml, taking what the case gives when it is inside one."""
    checker, data = read_settings(find_review_file(root), base, _KNOWN_TABLES)
    review_type = case.review_type if case is not None else _review_type(data, root, checker)
    given: dict[str, dict] = {}
    inherited: dict[str, Any] = {}
    if case is not None:
        for key in INHERITED:
            if key in data:
                checker.add("key-inherited", key, f'"{key}" is set by the case ({CASE_FILE}), '
                            "which every agency's review of it shares; the value here is not "
                            "used.", f"Remove it from {REVIEW_FILE}; the panel changes it in "
                            f"{CASE_FILE}.", severity=Severity.WARNING)
        inherited = case.given_to(data.get("agency", ""))
        given = {"period": inherited["period"], "timescales": inherited["timescales"],
                 "publication": inherited["publication"]}
        data = {key: value for key, value in data.items() if key != "type"}
        data = {**data, "child": inherited["child"], "panel": inherited["panel"],
                "people": inherited["people"]}
        data.setdefault("requested", inherited["requested"])
        data.setdefault("marking", case.marking)
        if "agency" in data and case.agency(data["agency"]) is None:
            asked = ", ".join(f'"{a.name}"' for a in case.agencies
                              if a.kind == MANAGEMENT_REVIEW) or "none"
            checker.add("agency-not-requested", "agency", f'the case does not ask "{data["agency"]}"'
                        f" for a management review; it asks {asked}.", "Write the agency's name "
                        f"as the case's [[agencies]] gives it, or ask the panel to add it to "
                        f"{CASE_FILE}.")

    top = checker.values(data, _TOP_KEYS)
    tables = checked_tables(data, {**_TABLES, **_typed_tables(review_type, case=False)}, checker,
                            given)
    _unknowntables(data, set(_TOP_KEYS) | _KNOWN_TABLES, checker)
    documents = _documents(data, root, base, checker, review_type)
    coded: dict[str, tuple[str, int]] = {}  # each code in use: its agency and entry
    sources = _sources(data, root, base, checker, coded)
    people = case.people if case is not None else _people(data, checker)
    _ranges(tables, checker)
    practitioners = top.get("case_practitioners", [])
    if not all(isinstance(p, str) for p in practitioners):
        checker.add("key-type", "case_practitioners", '"case_practitioners" should be a list of '
                    "names in double quotes.", 'For example: case_practitioners = ["Jo Bell"]')
    if any(p.is_error for p in checker.problems):
        raise ConfigError(checker.problems)

    reviewer = tables["reviewer"]
    chief = tables["chief_officer"]
    period = tables["period"]
    terms = top.get("terms_of_reference", "") or (case.terms_of_reference if case else "")
    return Review(
        root=root,
        title=top["title"],
        agency=top["agency"],
        child=top["child"],
        panel=top["panel"],
        requested=top["requested"],
        period_start=period["start"],
        period_end=period["end"],
        reviewer=Person(reviewer["name"], reviewer["role"]),
        chief_officer=Person(chief["name"], chief["role"]),
        terms_of_reference=terms,
        independence=reviewer.get("independence", ""),
        version=top.get("version", "0.1"),
        marking=top.get("marking", DEFAULT_MARKING),
        records_secured=top.get("records_secured"),
        documents=documents,
        sources=sources,
        gap_days=tables["chronology"].get("gap_days", 60),
        case_practitioners=list(practitioners),
        months=tables["timescales"].get("months", review_type.months),
        panel_deadline=tables["timescales"].get("panel_deadline"),
        incident=tables["timescales"].get("incident"),
        milestones=dict(tables["milestones"]),
        people=people,
        public_marking=tables["publication"].get("public_marking", ""),
        restricted_names=tables["publication"].get("restricted_names", "pseudonyms"),
        unkeyed_signoff=tables["signoff"].get("unkeyed_signoff", False),
        warnings=checker.problems,
        case=case,
        inherited=inherited,
        review_type=review_type,
    )


def load_case(root: Path | str, *, base: Path | None = None) -> Case:
    """Read and check a case folder's case.toml. Raises :class:`ConfigError` on any error."""
    root = Path(root)
    path = root / CASE_FILE
    if not path.is_file():
        raise ConfigError([Problem("case-missing", f"there is no {CASE_FILE} in this folder.",
                                   display_path(root, base), hint="Give the folder of a case, "
                                   "such as reviews/example, or create one with casereview new "
                                   "case.")])
    checker, data = read_settings(path, base, _CASE_KNOWN_TABLES)
    review_type = _review_type(data, root, checker)
    top = checker.values(data, _CASE_TOP_KEYS)
    tables = checked_tables(data, {**_CASE_TABLES, **_typed_tables(review_type, case=True)},
                            checker)
    _unknowntables(data, set(_CASE_TOP_KEYS) | _CASE_KNOWN_TABLES, checker)
    documents = _documents(data, root, base, checker, review_type)
    members = [PanelMember(v["name"], v["role"], v.get("independence", ""))
               for nth, entry in enumerate(_entries(data, "panel_members", checker))
               if {"name", "role"} <= (v := checker.values(
                   entry, _PANEL_MEMBER_KEYS, table="panel_members", nth=nth,
                   label=f"panel_members, entry {nth + 1}")).keys()]
    agencies: list[RequestedAgency] = []
    coded: dict[str, tuple[str, int]] = {}
    for nth, entry in enumerate(_entries(data, "agencies", checker)):
        values = checker.values(entry, _AGENCY_KEYS, table="agencies", nth=nth,
                                label=f"agencies, entry {nth + 1}")
        kind = values.get("kind", MANAGEMENT_REVIEW)
        if kind not in (MANAGEMENT_REVIEW, CHRONOLOGY_ONLY):
            checker.add("key-range", "kind", f'"{kind}" is not a kind of request the panel '
                        "makes.", f'Write kind = "{MANAGEMENT_REVIEW}" or kind = '
                        f'"{CHRONOLOGY_ONLY}".', table="agencies", nth=nth)
        if {"name", "code"} <= values.keys():
            code = _checked_code({"agency": values["name"], "code": values["code"]}, coded,
                                 checker, nth, table="agencies")
            folder = values.get("folder") or re.sub(r"[^a-z0-9]+", "-",
                                                    values["name"].lower()).strip("-")
            agencies.append(RequestedAgency(values["name"], code, kind, values.get("due"),
                                            folder))
    # Records the panel holds itself: the chronologies of agencies asked for nothing more.
    sources = _sources(data, root, base, checker, {})
    people = _people(data, checker)
    _ranges(tables, checker)
    if len(tables["panel_signoff"]) == 1:
        checker.add("key-missing", "name" if "role" in tables["panel_signoff"] else "role",
                    "[panel_signoff] needs both the name and the role of who signs the panel's "
                    "documents off.", 'Give both, as in name = "Alan Kerr" and role = "Chair, '
                    'Northshire Safeguarding Children Board", or remove [panel_signoff] for the '
                    "panel chair.", table="panel_signoff")
    trust = tables["signoff"].get("trust_roots", [])
    for written in trust:
        if not isinstance(written, str) or not (root / written).is_file():
            checker.add("file-missing", "trust_roots", f'the trusted certificate "{written}" does '
                        f"not exist in {display_path(root, base)}.", "Check the file name, or "
                        "remove it from the list.", table="signoff")
    if any(p.is_error for p in checker.problems):
        raise ConfigError(checker.problems)
    period, chair, timescales = tables["period"], tables["panel_chair"], tables["timescales"]
    return Case(
        root=root, title=top["title"], child=top["child"], board=top["board"],
        panel=top["panel"], commissioned=top["commissioned"], period_start=period["start"],
        period_end=period["end"], chair=Person(chair["name"], chair["role"]),
        signer=Person(**tables["panel_signoff"]) if len(tables["panel_signoff"]) == 2 else None,
        members=members,
        agencies=agencies, terms_of_reference=top.get("terms_of_reference", ""),
        version=top.get("version", "0.1"), marking=top.get("marking", DEFAULT_MARKING),
        months=timescales.get("months", review_type.months),
        panel_deadline=timescales.get("panel_deadline"),
        incident=timescales.get("incident"), milestones=dict(tables["milestones"]),
        people=people, public_marking=tables["publication"].get("public_marking", ""),
        restricted_names=tables["publication"].get("restricted_names", "pseudonyms"),
        documents=documents, sources=sources,
        gap_days=tables["chronology"].get("gap_days", 60),
        unkeyed_signoff=tables["signoff"].get("unkeyed_signoff", False),
        trust_roots=[root / t for t in trust], warnings=checker.problems,
        review_type=review_type, checklist=dict(tables["checklist"]))


def receipts(folder: Path) -> list[Path]:
    """The packages received from one agency, oldest first (each in its own numbered folder)."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))


RECEIVED_CHRONOLOGY = "chronology.xlsx"


def _case_review(case: Case, base: Path | None) -> Review:
    """The panel's documents of a case, built and signed off as a review of their own: its
    chronology is the composite of every agency's (source 002, 8.9)."""
    sources = []
    for agency in case.agencies:
        if agency.kind != MANAGEMENT_REVIEW:
            continue
        if (case.review_folder(agency) / REVIEW_FILE).is_file():
            sources += load_agency_review(case, agency, base=base).sources
        elif received := receipts(case.received_folder(agency)):
            # The agency's records stay with the agency: the panel has its merged chronology.
            sources.append(Source(path=received[-1] / RECEIVED_CHRONOLOGY, agency=agency.name,
                                  code=agency.code, sheet="Chronology"))
    sources += case.sources
    return Review(
        root=case.root, title=case.title, agency=case.panel, child=case.child,
        panel=case.board, requested=case.commissioned, period_start=case.period_start,
        period_end=case.period_end, reviewer=case.chair,
        chief_officer=case.signer or case.chair,
        terms_of_reference=case.terms_of_reference, version=case.version, marking=case.marking,
        documents=case.documents, sources=sources, gap_days=case.gap_days, months=case.months,
        panel_deadline=case.panel_deadline, incident=case.incident,
        milestones=case.milestones, people=case.people, public_marking=case.public_marking,
        restricted_names=case.restricted_names, unkeyed_signoff=case.unkeyed_signoff,
        warnings=case.warnings, level="case", case=case, review_type=case.review_type)


def _checked_code(values: dict[str, Any], coded: dict[str, tuple[str, int]], checker: Checker,
                  nth: int, table: str = "records") -> str:
    """The records file's code, given or made from the agency's name. It begins each of its
    event IDs (POL-007), so it must be plain letters and digits, and no two files may share one:
    their events would share IDs."""
    given = "code" in values
    code = values["code"] if given else agency_code(values["agency"])
    key = "code" if given else "agency"
    if given and not re.fullmatch(r"[A-Za-z0-9]+", code):
        checker.add("code-invalid", key, f'the code "{code}" can hold only letters and digits: it '
                    f"begins every event ID of {values['agency']}, as in {code}-007.",
                    'Write it as letters and digits only, such as code = "POL".',
                    table=table, nth=nth)
        return code
    first, first_nth = coded.setdefault(code.casefold(), (values["agency"], nth))
    if first_nth != nth:
        made = "" if given else " (made from the agency's name)"
        checker.add("code-duplicate", key, f'the code "{code}"{made} is also used for the records '
                    f"of {first} (entry {first_nth + 1}), so events in both files would share "
                    f"IDs such as {code}-001.",
                    'Give each [[records]] entry a code of its own, such as code = "POL" for '
                    'police and code = "PRB" for probation.', table=table, nth=nth)
    return code


_ENTRY_EXAMPLES = {
    "documents": '[[documents]] on a line of its own, then source = "management-review.md" and '
                 'title = "Management review" below it',
    "records": '[[records]] on a line of its own, then agency = "Northshire Police" and '
               'file = "records/police.csv" below it',
    "panel_members": '[[panel_members]] on a line of its own, then name = "Priya Natarajan" '
                     'and role = "Designated nurse" below it',
    "agencies": '[[agencies]] on a line of its own, then name = "Northshire Police" and '
                'code = "POL" below it',
    "people": '[[people]] on a line of its own, then role = "mother" and publish_as = "Mother" '
              "below it",
}




def _entries(data: dict[str, Any], key: str, checker: Checker) -> list[dict[str, Any]]:
    return array(data, key, checker, _ENTRY_EXAMPLES[key])
