"""Review types: the serious case review and the reviews that came after it, as data.

A type is a TOML file: its name and the guidance it follows, the documents each party writes
with their sections and questions, who signs what, the clocks ``status`` shows, and any quality
checklist. casereview ships its types in ``casereview/types/``; a board adds or adapts one by
putting a file in its workspace's ``types/`` folder, which wins over a shipped file of the same
name. A file may start from another with ``based_on``: its own keys replace the other's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chronology.problems import Problem, display_path

from .settings import Checker, ConfigError, Spec, array, read_settings

DEFAULT_TYPE = "scr"
TYPES_FOLDER = "types"

#: Whose status shows a clock: the panel's case, an agency's review in a case, or an agency's
#: review kept in its own workspace.
AUDIENCES = ("case", "agency", "own")
#: Where a clock's due date comes from when it is not a length of time from an event.
DUE_RULES = {
    "deadline": "the panel's deadline (for an agency, its due date in case.toml)",
    "completion": "the months allowed to complete the review, from the request",
    "deadline or completion": "the panel's deadline, or else the completion date",
    "agencies": "the latest date an agency's review is due",
}
#: What a section may show besides its writing.
INSERTS = {
    "chronology": "the review's chronology",
    "significant-events": "the chronology's events of high significance, without gaps",
    "agency-reviews": "a table of the agencies' reviews, and a heading for each",
}
#: The events a clock can run from, besides another clock.
EVENTS = ("incident", "requested")

_TOP: Spec = {
    "title": (str, True, "the type's name in words", 'title = "Domestic homicide review"'),
    "guidance": (str, True, "the guidance the type follows",
                 'guidance = "Multi-agency statutory guidance for the conduct of domestic '
                 'homicide reviews"'),
    "sources": (list, True, "the published documents the file is drawn from",
                'sources = ["Home Office, statutory guidance (2016)"]'),
    "months": (int, False, "the months allowed to complete a review, from its request",
               "months = 6"),
    "based_on": (str, False, "the type this file starts from; its own keys replace that "
                 "type's", 'based_on = "scr"'),
    "converts_from": (list, False, "the types a case of this type can be made from, keeping "
                      "its agencies and chronology", 'converts_from = ["rapid-review"]'),
}
_ROLES: Spec = {
    "subject": (str, False, "the people register's role for the person the review is about",
                'subject = "child"'),
    "agency_document": (str, False, "what an agency's document is called in sentences",
                        'agency_document = "management review"'),
    "agency_signer": (str, False, "who signs an agency's document off",
                      'agency_signer = "chief officer"'),
    "panel_signer": (str, False, "who signs the panel's documents off",
                     'panel_signer = "panel chair"'),
}
_DOCUMENT: Spec = {
    "source": (str, True, "the MyST file the document is written in",
               'source = "overview-report.md"'),
    "title": (str, True, "the document's title", 'title = "Overview report"'),
    "numbered": (bool, False, "whether its paragraphs are numbered", "numbered = true"),
    "public": (bool, False, "whether it is published", "public = true"),
    "guidance": (str, False, "guidance shown at the top of the document",
                 'guidance = "This summary is published."'),
    "title_block": (bool, False, "whether it opens with the review's title block",
                    "title_block = false"),
    "sections": (list, False, "its sections, in order", 'sections = [{ heading = "Findings" }]'),
}
_SECTION: Spec = {
    "heading": (str, True, "the section's heading", 'heading = "Findings"'),
    "level": (int, False, "2 for a section, 3 for a part of the one before", "level = 3"),
    "guidance": (str, False, "what to write, shown to the writer", 'guidance = "One finding '
                 'per paragraph."'),
    "placeholder": (str, False, "the text left for the writer to replace",
                    'placeholder = "Write the findings."'),
    "required": (bool, False, "whether check insists on the section and its text",
                 "required = false"),
    "insert": (str, False, "what the section shows besides its writing: "
               + ", ".join(f'"{k}"' for k in INSERTS), 'insert = "chronology"'),
    "caption": (str, False, "the chronology's caption; {agency} and {child} are filled in",
                'caption = "Events recorded by the agencies"'),
    "questions": (list, False, "questions the section answers, each a ### heading",
                  'questions = [{ heading = "Was the child seen?" }]'),
}
_QUESTION: Spec = {
    "heading": (str, True, "the question", 'heading = "Was the child seen?"'),
    "guidance": (str, False, "how to answer it", 'guidance = "Say who saw the child, when."'),
}
_CLOCK: Spec = {
    "key": (str, True, "the milestone's name, under which its date is recorded",
            'key = "notified"'),
    "label": (str, True, "what status calls it", 'label = "Serious incident notified"'),
    "for": (list, True, 'whose status shows it: "case", "agency", "own"',
            'for = ["case"]'),
    "from": (str, False, 'the event it runs from: "incident", "requested" or an earlier '
             "clock's key", 'from = "incident"'),
    "working_days": (int, False, "working days from the event (weekends and England's bank "
                     "holidays left out)", "working_days = 5"),
    "days": (int, False, "calendar days from the event", "days = 28"),
    "months": (int, False, "months from the event", "months = 6"),
    "due": (str, False, "a due date from the case instead of a length of time: "
            + ", ".join(f'"{k}"' for k in DUE_RULES), 'due = "deadline"'),
    "optional": (bool, False, "whether it is left out while its event's date is unknown",
                 "optional = true"),
}
_CHECKLIST: Spec = {
    "key": (str, True, "the item's name, under which the panel records its date",
            'key = "referral"'),
    "label": (str, True, "the item in words", 'label = "Referral"'),
}
_TABLE_SPECS = {"roles": _ROLES, "agency_document": _DOCUMENT}
_KNOWN = {*_TOP, "roles", "agency_document", "panel_documents", "clocks", "checklist"}
_LENGTHS = ("working_days", "days", "months")


@dataclass(frozen=True)
class Question:
    heading: str
    guidance: str = ""


@dataclass(frozen=True)
class Section:
    heading: str
    guidance: str = ""
    level: int = 2
    placeholder: str = "Write this section."  # empty: the section has nothing to replace
    required: bool = True
    insert: str = ""
    caption: str = ""
    questions: tuple[Question, ...] = ()


@dataclass(frozen=True)
class DocumentType:
    source: str
    title: str
    numbered: bool = False
    public: bool = False
    guidance: str = ""
    title_block: bool = True
    sections: tuple[Section, ...] = ()

    @property
    def stem(self) -> str:
        return Path(self.source).stem


@dataclass(frozen=True)
class Clock:
    key: str
    label: str
    audiences: tuple[str, ...]
    start: str = ""  # an event or an earlier clock's key
    length: tuple[str, int] | None = None  # ("working_days", 5)
    due: str = ""  # one of DUE_RULES
    optional: bool = False


    @property
    def when(self) -> str:
        """When the milestone is due, in words: "5 working days from incident"."""
        if self.length:
            unit, amount = self.length
            unit = unit.replace("_", " ").removesuffix("s" if amount == 1 else "")
            return f"{amount} {unit} from {self.start}"
        if self.key == "requested":
            return "the day the review starts"
        return DUE_RULES.get(self.due, "no due date: the panel records when it is done")


@dataclass(frozen=True)
class ChecklistItem:
    key: str
    label: str


@dataclass(frozen=True)
class Roles:
    subject: str = "child"
    agency_document: str = "management review"
    agency_signer: str = "chief officer"
    panel_signer: str = "panel chair"


@dataclass(frozen=True)
class ReviewType:
    name: str
    title: str
    guidance: str
    sources: tuple[str, ...]
    agency_document: DocumentType
    panel_documents: tuple[DocumentType, ...]
    clocks: tuple[Clock, ...]
    roles: Roles = field(default_factory=Roles)
    checklist: tuple[ChecklistItem, ...] = ()
    months: int = 6
    converts_from: tuple[str, ...] = ()
    path: Path | None = None

    def clocks_for(self, audience: str) -> list[Clock]:
        return [c for c in self.clocks if audience in c.audiences]

    def document(self, source: str) -> DocumentType | None:
        """The type's declaration of a document, by the file it is written in."""
        return next((d for d in (self.agency_document, *self.panel_documents)
                     if d.source == source), None)

    @property
    def milestone_keys(self) -> dict[str, str]:
        """The milestones a case or review may record a date for, with their labels."""
        derived = {"requested", "records_secured", "agency_reviews"}  # known from elsewhere
        return {c.key: c.label for c in self.clocks if c.key not in derived}


def type_folders(workspace: Path | None) -> list[Path]:
    """Where types are found, the board's own first."""
    shipped = Path(__file__).parent / TYPES_FOLDER
    return [workspace / TYPES_FOLDER, shipped] if workspace is not None else [shipped]


def available_types(workspace: Path | None = None) -> dict[str, Path]:
    """Every type by name, the board's file in place of a shipped one of the same name."""
    found: dict[str, Path] = {}
    for folder in reversed(type_folders(workspace)):
        for path in sorted(folder.glob("*.toml")):
            found[path.stem] = path
    return dict(sorted(found.items()))


def unknown_type(name: str, workspace: Path | None) -> str:
    """The hint for a type that does not exist."""
    names = ", ".join(available_types(workspace))
    return (f"Choose one of {names} (casereview types lists them), or put {name}.toml in the "
            f"workspace's {TYPES_FOLDER}/ folder.")


def load_type(name: str, workspace: Path | None = None) -> ReviewType:
    """Read and check a type. Raises :class:`ConfigError` with every problem of its file."""
    path = available_types(workspace).get(name)
    if path is None:
        raise ConfigError([Problem("type-unknown", f'there is no review type "{name}".',
                                   hint=unknown_type(name, workspace))])
    data, checker = _merged(path, workspace, base=workspace, seen=())
    review_type = _read(name, path, data, checker)
    if any(p.is_error for p in checker.problems):
        # In the order of the file, so a board fixes it from the top down.
        raise ConfigError(sorted(checker.problems, key=lambda p: (p.path or "", p.row or 0)))
    return review_type


def _merged(path: Path, workspace: Path | None, base: Path | None,
            seen: tuple[str, ...]) -> tuple[dict[str, Any], Checker]:
    """The file's settings over those of the type it is based on."""
    checker, data = read_settings(path, base, _KNOWN, strict=True)
    parent = data.get("based_on")
    if not isinstance(parent, str):
        return data, checker
    if parent in (*seen, path.stem):
        checker.add("type-cycle", "based_on", f'"{path.stem}" is based on "{parent}", which is '
                    f"based on \"{path.stem}\" in turn, so neither can be read.",
                    "Base one of them on a shipped type, such as based_on = \"scr\".")
        return data, checker
    parent_path = available_types(workspace).get(parent)
    if parent_path is None or parent_path == path:
        # A board's scr.toml may be based on the shipped scr.toml it replaces.
        shipped = type_folders(None)[0] / f"{parent}.toml"
        if not shipped.is_file() or shipped == path:
            checker.add("type-unknown", "based_on", f'there is no review type "{parent}" to '
                        "base this one on.", unknown_type(parent, workspace))
            return data, checker
        parent_path = shipped
    try:
        inherited, parent_checker = _merged(parent_path, workspace, base, (*seen, path.stem))
    except ConfigError as exc:  # the file it is based on cannot be read at all
        checker.problems += exc.problems
        return data, checker
    checker.problems += parent_checker.problems
    return {**inherited, **data}, checker


def _read(name: str, path: Path, data: dict[str, Any], checker: Checker) -> ReviewType:
    top = checker.values(data, _TOP)
    tables = {}
    for table, spec in _TABLE_SPECS.items():
        value = data.get(table, {})
        if not isinstance(value, dict):
            checker.add("key-type", table, f'"{table}" should be a table ([{table}]).')
            value = {}
        if table == "agency_document" and not value:
            checker.add("key-missing", table, "the [agency_document] table is missing: the "
                        "document each agency writes.", 'Add [agency_document] with source = '
                        '"management-review.md" and title = "Management review".')
        tables[table] = (value, checker.values(value, spec, table=table))
    for key in ("sources", "converts_from"):
        if not all(isinstance(v, str) for v in top.get(key, [])):
            checker.add("key-type", key, f'"{key}" should be a list of text in double quotes.',
                        f"For example: {_TOP[key][3]}")
    months = top.get("months", 6)
    if not 1 <= months <= 24:
        checker.add("key-range", "months", f"{months} months is not a period a review can have.",
                    "Use a number from 1 to 24, such as months = 6.")
    agency_raw, agency_values = tables["agency_document"]
    agency_document = _document(agency_raw, agency_values, checker, "agency_document", 0)
    panel = []
    for nth, entry in enumerate(array(data, "panel_documents", checker,
                                      '[[panel_documents]] on a line of its own, then source = '
                                      '"overview-report.md" and title = "Overview report"')):
        values = checker.values(entry, _DOCUMENT, table="panel_documents", nth=nth,
                                label=f"panel_documents, entry {nth + 1}")
        panel.append(_document(entry, values, checker, "panel_documents", nth))
    clocks = _clocks(data, checker)
    checklist = []
    for nth, entry in enumerate(array(data, "checklist", checker, '[[checklist]] on a line of '
                                      'its own, then key = "referral" and label = "Referral"')):
        values = checker.values(entry, _CHECKLIST, table="checklist", nth=nth,
                                label=f"checklist, entry {nth + 1}")
        if {"key", "label"} <= values.keys():
            checklist.append(ChecklistItem(values["key"], values["label"]))
    return ReviewType(
        name=name, title=top.get("title", name), guidance=top.get("guidance", ""),
        sources=tuple(top.get("sources", ())), agency_document=agency_document,
        panel_documents=tuple(panel), clocks=clocks,
        roles=Roles(**tables["roles"][1]), checklist=tuple(checklist), months=months,
        converts_from=tuple(top.get("converts_from", ())), path=path)


def _document(raw: dict[str, Any], values: dict[str, Any], checker: Checker, table: str,
              nth: int) -> DocumentType:
    sections = []
    for number, entry in enumerate(values.get("sections", []), start=1):
        where = f"{table}, entry {nth + 1}, section {number}" if table == "panel_documents" \
            else f"{table}, section {number}"
        if not isinstance(entry, dict):
            checker.add("key-type", "sections", f"section {number} should be a table with a "
                        "heading.", 'Write it as { heading = "Findings" }.', table=table, nth=nth)
            continue
        found = checker.values(entry, _SECTION, table=table, nth=nth, label=where)
        if found.get("insert", "") and found["insert"] not in INSERTS:
            checker.add("key-range", "insert", f'"{found["insert"]}" is not something a section '
                        "can show.", "Write one of " + ", ".join(f'insert = "{k}"' for k in INSERTS)
                        + ".", table=table, nth=nth)
        if found.get("level", 2) not in (2, 3):
            checker.add("key-range", "level", f"level {found['level']} is not a section level.",
                        "Write level = 2 for a section or level = 3 for a part of one.",
                        table=table, nth=nth)
        questions = []
        for entry_q in found.pop("questions", []):
            if isinstance(entry_q, dict):
                q = checker.values(entry_q, _QUESTION, table=table, nth=nth,
                                   label=f"{where}, its questions")
                if "heading" in q:
                    questions.append(Question(**q))
        if "heading" in found:
            sections.append(Section(**found, questions=tuple(questions)))
    values = {k: v for k, v in values.items() if k != "sections"}
    if not {"source", "title"} <= values.keys():
        values = {"source": values.get("source", ""), "title": values.get("title", ""), **values}
    return DocumentType(**values, sections=tuple(sections))


def _clocks(data: dict[str, Any], checker: Checker) -> tuple[Clock, ...]:
    clocks: list[Clock] = []
    for nth, entry in enumerate(array(data, "clocks", checker, '[[clocks]] on a line of its '
                                      'own, then key = "notified", label = "Serious incident '
                                      'notified" and for = ["case"]')):
        values = checker.values(entry, _CLOCK, table="clocks", nth=nth,
                                label=f"clocks, entry {nth + 1}")
        audiences = values.get("for", [])
        wrong = [a for a in audiences if a not in AUDIENCES]
        if wrong or not audiences:
            checker.add("key-range", "for", f"{wrong[0] if wrong else 'an empty list'!r} is not "
                        "whose status a clock shows.", 'Write a list of "case", "agency" and '
                        '"own", as in for = ["case"].', table="clocks", nth=nth)
        lengths = [k for k in _LENGTHS if k in values]
        start, due = values.get("from", ""), values.get("due", "")
        earlier = {c.key for c in clocks}
        label = values.get("label", values.get("key", ""))
        if due and due not in DUE_RULES:
            checker.add("key-range", "due", f'"{due}" is not a due date casereview can work out.',
                        "Write one of " + ", ".join(f'due = "{k}"' for k in DUE_RULES) + ", or "
                        "give from and a length such as working_days = 5.", table="clocks",
                        nth=nth)
        if len(lengths) > 1 or (lengths and due):
            given = [*lengths, *(["due"] if due else [])]
            checker.add("clock-ambiguous", given[1], f'the clock "{label}" is given both '
                        f"{given[0]} and {given[1]}, so its due date is not clear.",
                        "Keep one of them.", table="clocks", nth=nth)
        if lengths and not start:
            checker.add("clock-start-missing", lengths[0], f'the clock "{label}" has a length '
                        "but nothing to run from.", 'Add from = "incident", from = "requested" '
                        "or the key of an earlier clock.", table="clocks", nth=nth)
        if start and start not in EVENTS and start not in earlier:
            checker.add("clock-start-unknown", "from", f'the clock "{label}" runs from "{start}", '
                        "which is neither an event nor an earlier clock.", 'Write from = '
                        '"incident", from = "requested", or the key of a clock above this one.',
                        table="clocks", nth=nth)
        if start and not lengths:
            checker.add("clock-length-missing", "from", f'the clock "{label}" runs from "{start}" '
                        "but not for how long.", "Add working_days, days or months, as in "
                        "working_days = 15.", table="clocks", nth=nth)
        if {"key", "label"} <= values.keys():
            clocks.append(Clock(values["key"], values["label"], tuple(audiences), start,
                                (lengths[0], values[lengths[0]]) if lengths else None, due,
                                values.get("optional", False)))
    return tuple(clocks)


def type_reference(review_type: ReviewType, base: Path | None = None) -> dict[str, Any]:
    """A type as its reference page and ``casereview types --show`` set it out."""
    return {"name": review_type.name, "title": review_type.title,
            "guidance": review_type.guidance, "sources": list(review_type.sources),
            "file": display_path(review_type.path, base) if review_type.path else ""}


def reference_spec() -> list[tuple[str, Spec]]:
    """Every key of a type file, by table, for the page on writing one."""
    return [("", _TOP), ("[roles]", _ROLES), ("[agency_document] and [[panel_documents]]",
                                              _DOCUMENT),
            ("sections", _SECTION), ("questions", _QUESTION), ("[[clocks]]", _CLOCK),
            ("[[checklist]]", _CHECKLIST)]
