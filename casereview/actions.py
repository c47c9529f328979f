"""Action plans: each recommendation's actions, tracked until they are evidenced complete.

Each review keeps its plan in ``actions.csv``, one row per action, which a business unit can open
and edit in Excel. ``casereview actions update`` changes it safely (whole file rewritten to a
temporary name, then renamed) and records every change with who, when, the old and the new value
in ``actions-history.jsonl``. An action cannot be marked complete, or Green, without evidence.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from chronology.atomic import atomic_write
from chronology.dates import DateError, Precision, parse_date
from chronology.problems import CaseReviewError, Problem, Severity, display_path
from chronology.reading import read_table

from .model import DEFAULT_MARKING, Review
from .typesetting import (
    clear_unfinished,
    make_pdfs,
    require_tex,
    run_sphinx,
    staging_folder,
    swap_outputs,
    tex_installed,
)

PLAN_FILE = "actions.csv"
HISTORY_FILE = "actions-history.jsonl"
STATUSES = ("Not started", "In progress", "Complete")
RAGS = {"Red": "unacceptable progress", "Amber": "acceptable progress", "Green": "achieved"}
SOURCES = ("agency review", "overview report")

#: field: (heading written, required, other headings recognised)
FIELDS: dict[str, tuple[str, bool, tuple[str, ...]]] = {
    "recommendation_id": ("Recommendation ID", True, ("rec id", "recommendation no",
                                                     "recommendation number", "rec no")),
    "recommendation": ("Recommendation", False, ("recommendation text",)),
    "action_id": ("Action ID", True, ("action no", "action number", "action ref")),
    "action": ("Action", True, ("action to be taken", "actions", "what action")),
    "owner": ("Owner", True, ("lead", "lead officer", "responsible", "by whom", "action owner")),
    "agency": ("Agency", False, ("organisation", "service")),
    "target_date": ("Target date", True, ("by when", "deadline", "due date", "target")),
    "outcome": ("Intended outcome", False, ("outcome", "expected outcome", "intended outcomes")),
    "measure": ("How reviewed", False, ("how will achievement be reviewed", "measure",
                                        "how measured", "monitoring", "how achievement is reviewed")),
    "status": ("Status", True, ("progress",)),
    "rag": ("RAG", False, ("rag rating", "rag status")),
    "evidence": ("Evidence", False, ("evidence of completion", "evidence of impact")),
    "last_updated": ("Last updated", False, ("updated", "date updated", "date of last update")),
    "immediate": ("Immediate", False, ("immediate response", "needs immediate response")),
    "source": ("Source", False, ("from", "origin", "arising from")),
}
_VAGUE = re.compile(r"\b(consider|explore|raise awareness|look into|think about|promote|"
                    r"encourage|reflect on|be mindful)\b", re.IGNORECASE)
_MEASURE = re.compile(r"\d|%|\b(all|every|each|no longer|none|within|by|per|audit|number|"
                      r"proportion|rate)\b", re.IGNORECASE)


def _fold(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text.lower()).split())


_HEADINGS = {_fold(h): name for name, (h, _, others) in FIELDS.items() for h in (h, *others)}


def field_for(heading: str) -> str | None:
    return _HEADINGS.get(_fold(heading))


class ActionError(CaseReviewError):
    """An action plan is invalid, or an update was refused; nothing was changed."""


@dataclass
class Action:
    review: Review
    row: int
    values: dict[str, str]
    target: date | None = None

    def __getattr__(self, name: str) -> str:
        try:
            return self.__dict__["values"][name]
        except KeyError:
            raise AttributeError(name) from None

    @property
    def complete(self) -> bool:
        return self.values.get("status", "").lower() == "complete"

    def overdue(self, today: date) -> bool:
        return not self.complete and self.target is not None and self.target < today


@dataclass
class Plan:
    review: Review
    path: Path
    headings: list[str] = field(default_factory=list)
    rows: list[dict[str, str]] = field(default_factory=list)  # every column, as written
    actions: list[Action] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.is_error]

    def recommendations(self) -> dict[str, str]:
        found: dict[str, str] = {}
        for action in self.actions:
            text = action.values.get("recommendation", "")
            if text and action.recommendation_id not in found:
                found[action.recommendation_id] = text
        return found


def load_plan(review: Review) -> Plan | None:
    """The review's action plan, checked; None when the review has none yet."""
    path = review.root / PLAN_FILE
    if not path.is_file():
        return None
    table = read_table(path, vocabulary=field_for)
    plan = Plan(review, path, headings=table.headings, problems=list(table.problems))
    if table.cells.empty and not table.headings:
        return plan
    names = {i: field_for(h) for i, h in enumerate(table.headings)}
    present = set(names.values())
    for name, (heading, required, _) in FIELDS.items():
        if required and name not in present:
            plan.problems.append(Problem("action-column-missing", f'no column gives the '
                                         f'"{heading}".', plan_name(plan), table.heading_row,
                                         hint=f'Add a column headed "{heading}".'))
    if plan.errors:
        return plan
    for number, cells in zip(table.cells.index, table.cells.to_numpy().tolist(), strict=True):
        as_written = {table.headings[i]: c for i, c in enumerate(cells)}
        values = {name: cells[i].strip() for i, name in names.items() if name}
        plan.rows.append(as_written)
        plan.actions.append(Action(review, int(number), values))
    _validate(plan)
    return plan


def plan_name(plan: Plan) -> str:
    return display_path(plan.path)


def _validate(plan: Plan) -> None:
    name = plan_name(plan)
    heading = {n: h for n, (h, _, _) in FIELDS.items()}
    for h in plan.headings:
        if field_for(h):
            heading[field_for(h)] = h

    def add(code, action, column, message, hint="", severity=Severity.ERROR):
        plan.problems.append(Problem(code, message, name, action.row, heading[column], hint,
                                     severity))

    seen: dict[str, int] = {}
    recommendations = plan.recommendations()
    for action in plan.actions:
        v = action.values
        if not v.get("action_id"):
            add("action-id-missing", action, "action_id", "the action has no ID.",
                "Give it an ID such as 1.1 (recommendation 1, action 1).")
        elif v["action_id"] in seen:
            add("action-duplicate", action, "action_id", f'the action ID "{v["action_id"]}" is '
                f"also used on row {seen[v['action_id']]}.", "Give each action its own ID.")
        else:
            seen[v["action_id"]] = action.row
        if not v.get("owner"):
            add("action-owner-missing", action, "owner", "the action has no owner.",
                "Name the person who leads it (a role is fine).")
        target = v.get("target_date", "")
        if not target:
            add("action-target-missing", action, "target_date", "the action has no target date.",
                "Give the date it should be done by, as DD/MM/YYYY.")
        else:
            try:
                parsed = parse_date(target)
            except DateError as exc:
                add("action-date-invalid", action, "target_date", str(exc), exc.hint)
            else:
                if parsed.precision is not Precision.DAY:
                    add("action-date-invalid", action, "target_date", f'"{target}" is not a '
                        "single day.", "Give the exact day, as DD/MM/YYYY.")
                action.target = parsed.end
                if parsed.end < plan.review.requested:
                    add("action-target-early", action, "target_date", f'the target date '
                        f'"{target}" is before the review was requested '
                        f"({plan.review.requested:%d/%m/%Y}).", "Check the date.")
        status = v.get("status", "")
        if status.lower() not in [s.lower() for s in STATUSES]:
            add("action-status-unknown", action, "status", f'"{status}" is not a status.',
                "Use one of: " + ", ".join(STATUSES) + ".")
        rag = v.get("rag", "")
        if rag and rag.capitalize() not in RAGS:
            add("action-rag-unknown", action, "rag", f'"{rag}" is not a RAG rating.',
                "Use Red (unacceptable progress), Amber (acceptable progress) or Green "
                "(achieved).")
        if (status.lower() == "complete" or rag.capitalize() == "Green") and not v.get("evidence"):
            add("action-no-evidence", action, "evidence", "the action is marked complete or "
                "Green but gives no evidence of completion.", "Say what shows it was done "
                "(an audit, a report, a record), or change its status.")
        if v.get("recommendation_id") and v["recommendation_id"] not in recommendations:
            add("action-recommendation-unknown", action, "recommendation_id", "recommendation "
                f'"{v["recommendation_id"]}" is not given anywhere in the plan.',
                "Put the recommendation's text in the Recommendation column of one of its "
                "actions.")
        if v.get("immediate", "").lower() not in ("", "yes", "no", "y", "n"):
            add("action-value-unknown", action, "immediate", f'"{v["immediate"]}" is not yes or '
                "no.", "Write yes or no.")
        if v.get("source", "") and v["source"].lower() not in SOURCES:
            add("action-value-unknown", action, "source", f'"{v["source"]}" is not a source '
                "of recommendations.", "Write agency review or overview report.")
        if (found := _VAGUE.search(v.get("action", ""))) and not _MEASURE.search(
                v.get("outcome", "")):
            add("smart-vague", action, "action", f'"{found[0]}" is vague and the outcome gives '
                "no measure.", "Say what will be done and how it will be measured (SMART).",
                severity=Severity.WARNING)
        elif v.get("outcome") and not _MEASURE.search(v["outcome"]):
            add("smart-unmeasured", action, "outcome", "the intended outcome has no measure.",
                "Say how much, how many or by when, so achievement can be checked.",
                severity=Severity.WARNING)
    plan.problems.sort(key=lambda p: -1 if p.row is None else p.row)


# --- changing a plan ---------------------------------------------------------------------------

def find_action(reviews: list[Review], action_id: str) -> tuple[Plan, Action]:
    matches = []
    for review in reviews:
        plan = load_plan(review)
        if plan is None:
            continue
        matches += [(plan, a) for a in plan.actions if a.values.get("action_id") == action_id]
    if not matches:
        raise ActionError([Problem("action-unknown", f'no review has an action "{action_id}".',
                                   hint="Check the ID with casereview actions list.")])
    if len(matches) > 1:
        names = ", ".join(display_path(p.review.root) for p, _ in matches)
        raise ActionError([Problem("action-ambiguous", f'action "{action_id}" is in more than '
                                   f"one review ({names}).", hint="Name the review with "
                                   "--review.")])
    return matches[0]


def update(reviews: list[Review], action_id: str, *, by: str, status: str | None = None,
           rag: str | None = None, evidence: str | None = None,
           today: date | None = None) -> Action:
    """Change an action's status, RAG or evidence; record who changed what, and when."""
    if not by.strip():
        raise ActionError([Problem("action-by-missing", "say who is making the change.",
                                   hint="Give --by with your name.")])
    plan, action = find_action(reviews, action_id)
    if plan.errors:
        raise ActionError([Problem("action-plan-invalid", "the action plan has errors; fix them "
                                   "before updating it.", plan_name(plan)), *plan.errors])
    today = today or date.today()
    changes: dict[str, str] = {}
    if status is not None:
        chosen = next((s for s in STATUSES if s.lower() == status.lower()), None)
        if chosen is None:
            raise ActionError([Problem("action-status-unknown", f'"{status}" is not a status.',
                                       hint="Use one of: " + ", ".join(STATUSES) + ".")])
        changes["status"] = chosen
    if rag is not None:
        if rag.capitalize() not in RAGS:
            raise ActionError([Problem("action-rag-unknown", f'"{rag}" is not a RAG rating.',
                                       hint="Use Red, Amber or Green.")])
        changes["rag"] = rag.capitalize()
    if evidence is not None:
        changes["evidence"] = evidence.strip()
    after = {**action.values, **changes}
    if (after.get("status") == "Complete" or after.get("rag") == "Green") and \
            not after.get("evidence"):
        raise ActionError([Problem("action-no-evidence", f'action "{action_id}" cannot be marked '
                                   "complete or Green without evidence of completion.",
                                   plan_name(plan), action.row,
                                   hint='Give --evidence "what shows it was done".')])
    changes["last_updated"] = f"{today:%d/%m/%Y}"
    headings = list(plan.headings)
    column = {field_for(h): h for h in headings if field_for(h)}
    for name in changes:
        if name not in column:  # a plan without the column gains it
            column[name] = FIELDS[name][0]
            headings.append(column[name])
    index = plan.actions.index(action)
    row = plan.rows[index]
    history = []
    when = datetime.now(UTC).replace(microsecond=0).isoformat()
    for name, new in changes.items():
        old = row.get(column[name], "")
        if old != new:
            history.append({"at": when, "by": by, "review": display_path(plan.review.root),
                            "action": action_id, "field": FIELDS[name][0], "old": old,
                            "new": new})
        row[column[name]] = new
    _write_plan(plan.path, headings, plan.rows)
    history_path = plan.review.root / HISTORY_FILE
    with history_path.open("a", encoding="utf-8") as out:
        for entry in history:
            out.write(json.dumps(entry, ensure_ascii=False) + "\n")
    action.values.update(changes)
    return action


def _write_plan(path: Path, headings: list[str], rows: list[dict[str, str]]) -> None:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(headings)
    for row in rows:
        writer.writerow([row.get(h, "") for h in headings])
    atomic_write(path, buffer.getvalue().encode("utf-8-sig"))  # Excel reads accents with a BOM


def history(review: Review) -> list[dict]:
    path = review.root / HISTORY_FILE
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


# --- listing and the register ------------------------------------------------------------------

@dataclass(frozen=True)
class Selection:
    overdue: bool = False
    due_within: int | None = None
    owner: str | None = None
    agency: str | None = None

    def keeps(self, action: Action, today: date) -> bool:
        if self.overdue and not action.overdue(today):
            return False
        # "Due within" means coming up; what is already late is what --overdue shows.
        if self.due_within is not None and (action.complete or action.target is None or
                                            not 0 <= (action.target - today).days
                                            <= self.due_within):
            return False
        if self.owner and self.owner.casefold() not in action.values.get("owner", "").casefold():
            return False
        return not (self.agency and self.agency.casefold() not in
                    action.values.get("agency", "").casefold())


def completed_on(action: Action, entries: list[dict]) -> date | None:
    """When the action was completed: from its review's history ``entries``, else its last
    update."""
    for entry in reversed(entries):
        if entry["action"] == action.values.get("action_id") and entry["field"] == "Status" \
                and entry["new"] == "Complete":
            return date.fromisoformat(entry["at"][:10])
    if action.complete:
        try:
            return parse_date(action.values.get("last_updated", "")).start
        except DateError:
            return None
    return None


@dataclass
class Register:
    """Figures across every review's plan, as the board's quarterly report gives them."""

    today: date
    actions: list[Action]
    problems: list[Problem]

    def by_rag_and_status(self) -> dict[str, dict[str, int]]:
        table = {s: {r: 0 for r in (*RAGS, "Not rated")} for s in STATUSES}
        for a in self.actions:
            status = next((s for s in STATUSES if s.lower() == a.values.get("status", "").lower()),
                          None)
            if status:
                rag = a.values.get("rag", "").capitalize() or "Not rated"
                table[status][rag if rag in RAGS else "Not rated"] += 1
        return table

    def overdue(self) -> list[Action]:
        return sorted((a for a in self.actions if a.overdue(self.today)),
                      key=lambda a: (a.target, a.values.get("action_id", "")))

    def grouped(self, key: str) -> dict[str, dict[str, int]]:
        groups: dict[str, dict[str, int]] = {}
        for a in self.actions:
            name = a.values.get(key, "") or "(none given)"
            row = groups.setdefault(name, {"Actions": 0, "Complete": 0, "Open": 0, "Overdue": 0})
            row["Actions"] += 1
            row["Complete" if a.complete else "Open"] += 1
            row["Overdue"] += a.overdue(self.today)
        return dict(sorted(groups.items()))

    def open_over_time(self) -> list[tuple[date, int]]:
        """Open actions at the end of each month, from the earliest request to today."""
        if not self.actions:
            return []
        histories: dict[Path, list[dict]] = {}  # each review's history read once, not per action
        for a in self.actions:
            if a.review.root not in histories:
                histories[a.review.root] = history(a.review)
        spans = [(a.review.requested, completed_on(a, histories[a.review.root]))
                 for a in self.actions]
        month = min(s for s, _ in spans).replace(day=1)
        points = []
        while month <= self.today:
            following = date(month.year + month.month // 12, month.month % 12 + 1, 1)
            end = min(following.replace(day=1), self.today)
            points.append((month, sum(1 for opened, closed in spans
                                      if opened < end and (closed is None or closed >= end))))
            month = following
        return points


def register(reviews: list[Review], today: date | None = None) -> Register:
    actions, problems = [], []
    for review in reviews:
        plan = load_plan(review)
        if plan is not None:
            actions += plan.actions
            problems += plan.problems
    return Register(today or date.today(), actions, problems)


# --- the central register report ---------------------------------------------------------------

def _md_table(headings: list[str], rows: list[list[object]]) -> str:
    def cell(value: object) -> str:
        return str(value).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(headings) + " |", "|" + "---|" * len(headings)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def _chart(points: list[tuple[date, int]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    figure, axes = pyplot.subplots(figsize=(9, 3.2))
    axes.bar([f"{m:%b %Y}" for m, _ in points], [n for _, n in points], color="#1f4e79")
    axes.set_ylabel("Open actions")
    # Month names at a slant, ending under their bar, read without turning the page.
    axes.tick_params(axis="x", labelrotation=45)
    for label in axes.get_xticklabels():
        label.set_horizontalalignment("right")
    axes.yaxis.get_major_locator().set_params(integer=True)  # whole actions, never 2.5
    figure.tight_layout()
    figure.savefig(path, dpi=150, metadata={"Software": "casereview"})
    pyplot.close(figure)


def register_markdown(figures: Register, chart: str | None) -> str:
    """The register as a MyST page: the figures a board asks for each quarter."""
    total = len(figures.actions)
    complete = sum(a.complete for a in figures.actions)
    reviews = len({a.review.root for a in figures.actions})
    matrix = figures.by_rag_and_status()
    rag_columns = [*RAGS, "Not rated"]
    parts = [
        "# Action plan register", "",
        f"As at {figures.today.day} {figures.today:%B %Y}: {total} actions from {reviews} "
        f"{'review' if reviews == 1 else 'reviews'}; {complete} complete, {total - complete} open, "
        f"{len(figures.overdue())} overdue.", "",
        "## By status and RAG rating", "",
        "RAG: Green, achieved; Amber, acceptable progress; Red, unacceptable progress.", "",
        _md_table(["Status", *rag_columns, "Total"],
                  [[status, *(matrix[status][r] for r in rag_columns),
                    sum(matrix[status].values())] for status in STATUSES]), "",
        "## Overdue actions", "",
    ]
    overdue = figures.overdue()
    if overdue:
        # Column shares for the PDF, so a target date is never cut to "31/03" by a squeezed
        # column; the HTML sizes its own.
        parts += ["```{tabularcolumns} " + "".join(rf"|\X{{{share}}}{{24}}" for share in
                                                   (4, 2, 6, 4, 3, 3, 2)) + "|", "```", ""]
    parts.append(_md_table(["Review", "Action", "What", "Owner", "Agency", "Target", "Status"],
                           [[a.review.title, a.values.get("action_id", ""), a.values.get("action", ""),
                             a.values.get("owner", ""), a.values.get("agency", ""),
                             f"{a.target:%d/%m/%Y}", a.values.get("status", "")] for a in overdue])
                 if overdue else "No action is overdue.")
    for title, key in (("By agency", "agency"), ("By owner", "owner")):
        groups = figures.grouped(key)
        parts += ["", f"## {title}", "",
                  _md_table([key.capitalize(), "Actions", "Complete", "Open", "Overdue"],
                            [[name, *row.values()] for name, row in groups.items()])]
    if chart:
        parts += ["", "## Open actions over time", "",
                  f"```{{figure}} {chart}", ":width: 100%", "",
                  "Actions open at the end of each month.", "```"]
    return "\n".join(parts) + "\n"


#: UK government security classifications, least protective first.
_CLASSIFICATIONS = ("OFFICIAL", "OFFICIAL-SENSITIVE", "SECRET", "TOP SECRET")


def register_marking(reviews: list[Review]) -> str:
    """The register's protective marking: the reviews' own when they agree, else the most
    protective of them; every marking, side by side, if one is not a known classification."""
    markings = list(dict.fromkeys(r.marking.strip() for r in reviews if r.marking.strip()))
    if not markings:
        return DEFAULT_MARKING
    if len(markings) == 1:
        return markings[0]
    ranks = [_CLASSIFICATIONS.index(m.upper()) if m.upper() in _CLASSIFICATIONS else None
             for m in markings]
    if None in ranks:
        return " / ".join(markings)
    return markings[ranks.index(max(ranks))]


def write_register(reviews: list[Review], workspace: Path, outdir: Path, *,
                   today: date | None = None, pdf: bool = True,
                   progress=lambda message: None,
                   notes: list[Problem] | None = None) -> tuple[Path, list[Path]]:
    """Build the register across every review to ``outdir/html`` and ``outdir/pdf``; warnings
    about the PDF, such as characters it cannot print, go to ``notes``."""
    figures = register(reviews, today)
    outdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        source = Path(scratch) / "register"
        source.mkdir()
        points = figures.open_over_time()
        if points:
            _chart(points, source / "open-actions.png")
        (source / "index.md").write_text(register_markdown(
            figures, "open-actions.png" if points else None), encoding="utf-8")
        overrides = {"project": "Action plan register", "root_doc": "index",
                     "casereview_marking": register_marking(reviews),
                     "today": f"{figures.today.day} {figures.today:%B %Y}",
                     "html_title": "Action plan register",
                     "latex_documents": [("index", "action-register.tex", "Action plan register",
                                          "Board business unit", "howto")]}
        clear_unfinished(outdir)
        staging = staging_folder(outdir, ".stage-")
        pdfs: list[Path] = []
        typeset = pdf and tex_installed()
        try:
            progress("Building HTML")
            run_sphinx(source, workspace, "html", staging / "html", Path(scratch) / "doctrees",
                       fresh=True, overrides=overrides)
            if typeset:
                progress("Building LaTeX")
                latex = Path(scratch) / "latex"
                run_sphinx(source, workspace, "latex", latex, Path(scratch) / "doctrees",
                           fresh=False, overrides=overrides)

                class _Register:
                    stem = "action-register"

                pdfs = [outdir / "pdf" / p.name for p in make_pdfs(
                    [_Register()], latex, staging / "pdf", progress, notes=notes)]
            swap_outputs(staging, outdir)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        if pdf and not typeset:
            require_tex(outdir / "html")
    return outdir / "html" / "index.html", pdfs
