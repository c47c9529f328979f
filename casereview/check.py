"""Is the review complete and consistent? Every finding with a code, a file and a line.

What a chief officer needs to know before signing: every framework question answered, no
template text left, the title block filled in, a chronology, the reviewer independent of the
case, the records secured and unaltered, every citation pointing at a paragraph, and deadlines.
"""

from __future__ import annotations

import re
import tempfile
from datetime import date
from pathlib import Path

from chronology.problems import Problem, Severity, display_path

from .build import BuildError, run_review_sphinx
from .chronologies import review_chronology
from .model import (
    MANAGEMENT_REVIEW,
    REVIEW_FILE,
    Review,
    find_workspace,
    load_review,
    receipts,
    uk_date,
)
from .receiving import agency_statuses
from .records import Verification, records_not_secured, secured_sets, verify
from .reviewtype import DocumentType, ReviewType
from .scaffold import PLACEHOLDER, placeholders
from .status import State, milestones

# Template text is a sentence in double brackets; TOML's [[records]] headers have no spaces.
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_FENCE = re.compile(r"^(`{3,}|:{3,})\s*(\{(\w[\w-]*)\})?")


def _fold(text: str) -> str:
    """Headings compare without case, punctuation or the odd spacing difference."""
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text.lower().replace("’", "'")).split())


def _blocks(lines: list[str]) -> list[tuple[int, int, str, list[str]]]:
    """(line number, heading level, heading, body lines without guidance) for each heading."""
    sections: list[tuple[int, int, str, list[str]]] = []
    fence: str | None = None
    guidance = False
    for number, line in enumerate(lines, start=1):
        if fence:
            if line.strip().startswith(fence):
                fence, guidance = None, False
            elif not guidance and sections:
                sections[-1][3].append(line)
            continue
        if opened := _FENCE.match(line.strip()):
            fence = opened[1]
            guidance = opened[3] == "guidance"
            if not guidance and sections:
                sections[-1][3].append(line)
            continue
        if heading := _HEADING.match(line):
            sections.append((number, len(heading[1]), heading[2], []))
        elif sections:
            sections[-1][3].append(line)
    return sections


def _has_text(body: list[str]) -> bool:
    """Some writing, not just a directive, a label or a placeholder."""
    for line in body:
        text = PLACEHOLDER.sub("", line).strip()
        if text and not text.startswith(("```", ":::", "(")) and not text.startswith(":"):
            return True
    return False


def _section_findings(path: Path, name: str, document: DocumentType,
                      review_type: ReviewType) -> list[Problem]:
    """The sections and questions the review's type asks of the document, each present and
    written; and the chronology where a section shows it."""
    problems = []
    blocks = _blocks(path.read_text(encoding="utf-8").splitlines())
    found = {(_fold(heading), level): (line, body) for line, level, heading, body in blocks}
    required = [s for s in document.sections if s.required]
    for section in required:
        key = (_fold(section.heading), section.level)
        if key not in found:
            problems.append(Problem("section-missing", f'the section "{section.heading}" is '
                                    "missing.", name, hint=f"Add it as a {'#' * section.level} "
                                    f"heading; the {review_type.title.lower()}'s "
                                    f"{document.title.lower()} asks for "
                                    f"{_count(len(required))} sections."))
            continue
        line, body = found[key]
        if not _has_text(body):
            problems.append(Problem("question-unanswered", f'"{section.heading}" has no text '
                                    "yet.", name, line, hint="Write this section below its "
                                    "heading."))
        for question in section.questions:
            qkey = (_fold(question.heading), 3)
            if qkey not in found:
                problems.append(Problem("question-missing", f'the question "{question.heading}" '
                                        "is missing.", name, line, hint="Add it as a ### heading "
                                        f'under "{section.heading}".'))
            elif not _has_text(found[qkey][1]):
                problems.append(Problem("question-unanswered", "this question has no answer "
                                        f'yet: "{question.heading}"', name, found[qkey][0],
                                        hint="Write the answer below the question."))
    shown = next((s for s in required if s.insert == "chronology"), None)
    if shown and not any("```{chronology}" in line for _, _, _, body in blocks for line in body):
        problems.append(Problem("chronology-missing", f"the {document.title.lower()} does not "
                                "show the chronology.", name, hint="Add a ```{chronology}``` "
                                f'block under "{shown.heading}".'))
    return problems


def _count(number: int) -> str:
    words = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")
    return words[number] if number < len(words) else str(number)


def _independence(review: Review) -> list[Problem]:
    problems = []
    toml = display_path(review.settings_file)
    reviewer = _fold(review.reviewer.name)
    if reviewer in {_fold(p) for p in review.case_practitioners}:
        problems.append(Problem("reviewer-involved", f"the nominated reviewer, "
                                f"{review.reviewer.name}, is listed among the case's practitioners "
                                "and managers.", toml, column="case_practitioners",
                                hint="The reviewer must have had no involvement in the case and "
                                "no line management of those involved; the chief officer should "
                                "nominate someone else."))
    events = review_chronology(review).events
    for source, file, row in zip(events["source"], events["file"], events["row"], strict=True):
        if reviewer and reviewer in _fold(source):
            problems.append(Problem("reviewer-involved", f"the nominated reviewer, "
                                    f"{review.reviewer.name}, is named as a source of information "
                                    "on the case.", file, int(row), "Source of information",
                                    hint="The reviewer must have had no involvement in the case; "
                                    "the chief officer should nominate someone else."))
    return problems


def _title_block(review: Review) -> list[Problem]:
    toml = display_path(review.settings_file)
    problems = []
    for value, label, key in ((review.independence, "statement of independence",
                               "reviewer.independence"),
                              (review.terms_of_reference, "terms of reference",
                               "terms_of_reference")):
        if not value.strip():
            problems.append(Problem("title-block-missing", f"the {label} is not given.", toml,
                                    column=key, hint=f'Add {key.split(".")[-1]} = "..." to '
                                    "review.toml."))
    return problems


def _panel(review: Review) -> list[Problem]:
    """The panel's side: its terms of reference, each member's independence, and every agency's
    review in hand before the overview report is signed off (source 002, 8.9)."""
    toml = display_path(review.settings_file)
    problems = []
    if not review.terms_of_reference.strip():
        problems.append(Problem("title-block-missing", "the terms of reference is not given.",
                                toml, column="terms_of_reference",
                                hint='Add terms_of_reference = "..." to case.toml.'))
    for member in review.case.members:
        if not member.independence.strip():
            problems.append(Problem("member-independence-missing", f"the panel member "
                                    f"{member.name} has no statement of independence.", toml,
                                    column="panel_members.independence", severity=Severity.WARNING,
                                    hint="Say how the member stands apart from the line "
                                    "management of anyone involved in the case."))
    roles = review.review_type.roles
    for entry in review.case.sources:
        # A case made from a rapid review carries its chronology as the panel's own records;
        # once the agency sends its own, the same events would be counted twice.
        asked = review.case.agency(entry.agency)
        if asked is not None and asked.kind == MANAGEMENT_REVIEW and (
                (review.case.review_folder(asked) / REVIEW_FILE).is_file()
                or receipts(review.case.received_folder(asked))):
            problems.append(Problem("chronology-twice", f"{asked.name}'s events come both from "
                                    f'"{display_path(entry.path, review.root)}", under the case\'s '
                                    f"[[records]], and from its own {roles.agency_document}.",
                                    toml, column="records", severity=Severity.WARNING,
                                    hint="Remove the [[records]] entry once the agency's own "
                                    "chronology covers those events, or they are shown twice."))
    for status in agency_statuses(review.case):
        if status.agency.kind == MANAGEMENT_REVIEW and not status.signed:
            problems.append(Problem("agency-review-missing", f"the panel does not yet hold "
                                    f"{status.agency.name}'s signed-off {roles.agency_document}.",
                                    toml, column="agencies", hint="Receive the agency's package "
                                    "with casereview receive, or have its review in agencies/ "
                                    f"signed off by its {roles.agency_signer}."))
        elif status.agency.kind != MANAGEMENT_REVIEW and not status.held:
            problems.append(Problem("agency-chronology-missing", f"the panel does not yet hold "
                                    f"{status.agency.name}'s chronology.", toml,
                                    column="records", hint="List its file under [[records]] in "
                                    "case.toml once it arrives."))
    return problems


def _records(review: Review, verification: Verification | None) -> list[Problem]:
    problems = []
    if not review.sources:
        problems.append(Problem("chronology-missing", "no record files are listed, so there is "
                                "no chronology.", display_path(review.settings_file),
                                hint="Add a [[records]] entry for each agency's file."))
    chronology = review_chronology(review)
    problems += chronology.problems
    problems += records_not_secured(review.root, [s.path for s in review.sources])
    if review.sources and not chronology.errors and not len(chronology.events):
        problems.append(Problem("chronology-empty", "the record files hold no events, so the "
                                "review has no chronology of the agency's involvement.",
                                display_path(review.settings_file),
                                hint="Add the events to the records files, one row each."))
    if verification is not None:
        problems += verification.problems
    elif secured_sets(review.root):
        problems += verify(review.root).problems
    elif review.records_secured:
        problems.append(Problem(
            "records-unverifiable", f"the records were secured on {uk_date(review.records_secured)}"
            " outside casereview, so they cannot be verified here.", display_path(review.root),
            severity=Severity.WARNING, hint="Secure copies with casereview records secure if "
            "they should be verifiable."))
    else:
        problems += verify(review.root).problems  # reports that nothing has been secured
    return problems


def _sphinx(review: Review) -> list[Problem]:
    """Citations and markup problems, found by a build that writes nothing."""
    with tempfile.TemporaryDirectory() as scratch:
        try:
            run_review_sphinx(review, find_workspace(review.root), "dummy",
                              Path(scratch) / "out", Path(scratch) / "doctrees", fresh=True,
                              final=True)
        except BuildError as exc:
            return exc.problems
    return []


def _deadlines(review: Review, today: date) -> list[Problem]:
    return [Problem("deadline-passed", f"{m.label} was due on {uk_date(m.due)} and is not done.",
                    display_path(review.root), severity=Severity.WARNING,
                    hint="Agree a new date with the panel, or record the date it was done under "
                    "[milestones] in review.toml.")
            for m in milestones(review, today=today) if m.state is State.OVERDUE]


def check_review(review_dir: Path | str, *, today: date | None = None,
                 verification: Verification | None = None) -> list[Problem]:
    """Every finding for the review; raises only when review.toml itself cannot be read.

    ``verification`` is a check of the secured records already made (sign-off makes one), so
    the records are not hashed twice.
    """
    review = load_review(review_dir)
    problems = list(review.warnings)
    for document in review.documents:
        path = review.root / document.source
        name = display_path(path)
        problems += placeholders(path, name)
        if declared := review.review_type.document(document.source):
            problems += _section_findings(path, name, declared, review.review_type)
    problems += placeholders(review.settings_file, display_path(review.settings_file))
    if any(d.public for d in review.documents) and not review.register.secrets():
        problems.append(Problem("register-empty", "documents are marked public but the people "
                                "register has no names or identifiers, so the public build "
                                "cannot check for them.", display_path(review.settings_file),
                                hint="List the child's and family's names and identifiers under "
                                "[[people]]."))
    if review.level == "case":
        problems += _panel(review)
        problems += review_chronology(review).problems
    else:
        problems += _title_block(review)
        problems += _records(review, verification)
        problems += _independence(review)
    problems += _sphinx(review)
    problems += _deadlines(review, today or date.today())
    return problems
