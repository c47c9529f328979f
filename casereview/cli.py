"""The casereview command line: parses arguments, calls the library, reports problems.

Every command turns the library's CaseReviewError into a clear message and a non-zero exit
code; no traceback reaches a user.
"""

from __future__ import annotations

import getpass
import json
import logging
import os
import sys
import textwrap
from collections.abc import Callable
from datetime import date
from functools import wraps
from pathlib import Path

import click

from chronology.dates import DateError, parse_date
from chronology.fields import FIELD_NAMES
from chronology.problems import CaseReviewError, Problem, display_path

from . import __version__
from .actions import Selection, register, update, write_register
from .build import build as run_build
from .check import check_review
from .chronologies import check_files, draw, export_merged
from .conversion import convert_case, details_from
from .model import (
    CASE_FILE,
    MANAGEMENT_REVIEW,
    REVIEW_FILE,
    describe,
    every_review,
    find_case,
    find_workspace,
    load_case,
    load_review,
)
from .preview import HOST
from .preview import preview as serve
from .receiving import agency_statuses
from .receiving import receive as receive_package
from .record_template import write_template
from .records import WORKING, read_log, secure, verify_and_record
from .reviewtype import DEFAULT_TYPE, available_types, load_type, type_folders
from .scaffold import (
    NewCase,
    NewReview,
    add_document,
    create,
    create_agency_review,
    create_case,
    ensure_workspace,
    slug_for,
)
from .signing import PASSPHRASE_VARIABLE, sign_off
from .signing import submit as package
from .signoff import verify_signoff
from .status import State, checklist, milestones


def _echo_problems(problems: list[Problem]) -> None:
    for problem in problems:
        click.echo(str(problem), err=True)


def reports_problems(command: Callable) -> Callable:
    """Turn the library's errors into messages on stderr and exit code 1."""

    @wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except CaseReviewError as exc:
            _echo_problems(exc.problems)
            errors = sum(p.is_error for p in exc.problems)
            noun = "problem" if errors == 1 else "problems"
            click.secho(f"Stopped: {errors} {noun} to fix.", fg="red", err=True)
            sys.exit(exc.exit_code)

    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="casereview")
def cli() -> None:
    """Write, check and publish child-safeguarding case reviews.

    Each review lives in a folder with a review.toml, the agencies' record files and the
    documents written in Markdown (MyST).
    """
    # The signing library logs what it checks, with tracebacks, to the terminal when nothing
    # else takes its log; a chief officer reads those as failures. Its findings reach the user
    # as casereview's own messages instead.
    for name in ("pyhanko", "pyhanko_certvalidator"):
        logging.getLogger(name).addHandler(logging.NullHandler())
        logging.getLogger(name).propagate = False


@cli.command()
@click.argument("review_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("-o", "--outdir", type=click.Path(file_okay=False, path_type=Path),
              help="Where to put the html/ and pdf/ folders [default: _build/<review folder> at the "
              "workspace's root].")
@click.option("--no-pdf", is_flag=True, help="Build the HTML only (quicker while drafting).")
@click.option("--docx", is_flag=True, help="Also write each document as a Word file, to "
              "docx/ beside html/ and pdf/.")
@click.option("--final", is_flag=True, help="Leave out the guidance for writers shown in drafts.")
@click.option("--edition", type=click.Choice(["restricted", "public"]), default="restricted",
              show_default=True, help="restricted: every document, for the panel. public: only "
              "documents marked public, pseudonymised and checked for names and identifiers.")
@reports_problems
def build(review_dir: Path, outdir: Path | None, no_pdf: bool, final: bool, edition: str,
          docx: bool) -> None:
    """Build a review's documents to HTML and one PDF per document (and, with --docx, one Word
    file per document)."""
    def progress(message: str) -> None:
        click.echo(f"  {message}…")

    click.echo(f"Building {display_path(review_dir)}")
    result = run_build(review_dir, outdir, pdf=not no_pdf, final=final, edition=edition,
                       docx=docx, progress=progress)
    for note in result.notes:
        click.echo(str(note), err=True)
    click.echo(f"HTML: {display_path(result.html / 'index.html')}")
    for pdf in result.pdfs:
        click.echo(f"PDF:  {display_path(pdf)}")
    for word in result.docx:
        click.echo(f"Word: {display_path(word)}")


@cli.command()
@click.argument("review_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535),
              help="The port to serve the pages on (0 picks a free one).")
@reports_problems
def preview(review_dir: Path, port: int) -> None:
    """Show a review's pages in the browser while writing, rebuilt on every change.

    Open the address it prints; each time a document, review.toml or a record file is saved,
    the pages are rebuilt and the browser reloads. Served on this computer only (127.0.0.1).
    Stop it with Ctrl+C.
    """
    click.echo(f"Previewing {display_path(review_dir)} at http://{HOST}:{port}/ "
               "(this computer only); Ctrl+C stops it.")
    serve(review_dir, port=port)


# What new asks, in order: each question is the setting's own description in model.py.
_NEW_FIELDS = tuple((name, describe(REVIEW_FILE, table, key)) for name, (table, key) in (
    ("agency", ("", "agency")), ("child", ("", "child")), ("panel", ("", "panel")),
    ("requested", ("", "requested")), ("period_start", ("period", "start")),
    ("period_end", ("period", "end")), ("reviewer", ("reviewer", "name")),
    ("reviewer_role", ("reviewer", "role")), ("chief_officer", ("chief_officer", "name")),
    ("chief_officer_role", ("chief_officer", "role"))))
_DAYS = ("requested", "period_start", "period_end", "commissioned", "incident")
#: What a review written inside a case takes from it, so is not asked.
_FROM_CASE = ("child", "panel", "requested", "period_start", "period_end")
_CASE_FIELDS = tuple((name, describe(CASE_FILE, table, key)) for name, (table, key) in (
    ("child", ("", "child")), ("board", ("", "board")), ("panel", ("", "panel")),
    ("commissioned", ("", "commissioned")), ("period_start", ("period", "start")),
    ("period_end", ("period", "end")), ("chair", ("panel_chair", "name")),
    ("chair_role", ("panel_chair", "role"))))


def _interactive() -> bool:
    return sys.stdin.isatty()


class Day(click.ParamType):
    """A day as people type it: 15/01/2016, as in the UK, or 2016-01-15."""

    name = "DD/MM/YYYY"

    def convert(self, value, param, ctx) -> date:
        if isinstance(value, date):
            return value
        try:
            found = parse_date(str(value).strip())
        except DateError as exc:
            self.fail(f'"{value}" is not a day: {exc.reason}. Write it as DD/MM/YYYY or '
                      "YYYY-MM-DD, for example 15/01/2016.", param, ctx)
        if not found.is_exact:
            self.fail(f'"{value}" is not one day. Write the day as DD/MM/YYYY or YYYY-MM-DD, '
                      "for example 15/01/2016.", param, ctx)
        return found.start


DAY = Day()


@cli.group()
def new() -> None:
    """Start a case (the panel's) or an agency's management review, from the templates.

    Values not given as options are asked for, one at a time, and a bad answer is asked again;
    answers can also be piped in, one a line. Nothing existing is ever overwritten. In a folder
    outside any workspace, the first one makes the workspace too (its conf.py), so check, build
    and status work at once.
    """


def _ask(values: dict, fields: tuple[tuple[str, str], ...]) -> None:
    for name, question in fields:
        if values.get(name):
            continue
        try:
            # A bad answer is asked again; answers may also come piped, one a line.
            values[name] = click.prompt(question, type=DAY if name in _DAYS else str)
        except click.Abort:
            missing = [n for n, _ in fields if not values.get(n)]
            options = ", ".join("--" + n.replace("_", "-") for n in missing)
            raise click.UsageError(f"these values are needed: {options}") from None


def _workspace(folder: Path) -> Path:
    workspace, made = ensure_workspace(folder)
    if made:
        click.echo(f"Made a workspace in {display_path(workspace)} (conf.py)")
    return workspace


_TYPE_OPTION = click.option(
    "--type", "type_name", default=DEFAULT_TYPE, show_default=True,
    help="The kind of review: its documents, sections, roles and clocks (casereview types lists "
    "them, with a board's own in the workspace's types/ folder).")


@new.command("case")
@_TYPE_OPTION
@click.option("--from", "from_case", type=click.Path(file_okay=False, exists=True,
                                                       path_type=Path),
              help="Make the case from an earlier one that leads to it (an LCSPR from its rapid "
              "review), keeping its child, panel, period, people register, agencies and "
              "chronology; only --commissioned is then asked.")
@click.option("--incident", type=DAY, help="Date of the serious incident, where the type's clocks "
              "run from it (a rapid review's do).")
@click.option("--title", help="The case review's title [default: the type's name: <child>].")
@click.option("--child", help="The child's pseudonym, such as \"Child P\" (never the real name).")
@click.option("--board", help="The safeguarding children board that commissions the review.")
@click.option("--panel", help="The review panel.")
@click.option("--commissioned", type=DAY, help="Date the board commissioned the review.")
@click.option("--period-start", type=DAY, help="First day of the period under review.")
@click.option("--period-end", type=DAY, help="Last day of the period under review.")
@click.option("--chair", help="The panel chair's name.")
@click.option("--chair-role", help="The panel chair's role.")
@click.option("--slug", help="Folder name under reviews/ [default: made from the child's "
              "pseudonym].")
@click.option("--workspace", type=click.Path(file_okay=False, path_type=Path), default=".",
              show_default=True, help="The workspace holding reviews/ and templates/.")
@reports_problems
def new_case(workspace: Path, type_name: str, from_case: Path | None, incident: date | None,
             title: str | None, slug: str | None, **values) -> None:
    """Start a case: case.toml, and the panel's documents of the case's type (for a serious
    case review: the overview report, executive summary and briefing)."""
    workspace = _workspace(workspace)
    review_type = load_type(type_name, workspace)
    if from_case is not None:
        earlier = load_case(from_case)
        _ask(values, tuple(f for f in _CASE_FIELDS if f[0] == "commissioned"))
        details = details_from(
            earlier, type=review_type.name, commissioned=values["commissioned"],
            slug=slug or f"{earlier.root.name}-{review_type.name}",
            title=title or f"{review_type.title}: {earlier.child}", incident=incident)
        target = convert_case(workspace, earlier.root, details)
    else:
        _ask(values, _CASE_FIELDS)
        needs_incident = any(c.start == "incident" and not c.optional
                             for c in review_type.clocks)
        if needs_incident and incident is None:
            values_incident = {"incident": None}
            _ask(values_incident, (("incident", "The date of the serious incident (DD/MM/YYYY)"),))
            incident = values_incident["incident"]
        details = NewCase(slug=slug or slug_for(values["child"]), type=review_type.name,
                          title=title or f"{review_type.title}: {values['child']}",
                          incident=incident, **values)
        target = create_case(workspace, details)
    click.echo(f"Created {display_path(target)}")
    click.echo(f"Next: add each agency's review with casereview new review --case "
               f"{display_path(target)}, then run casereview status {display_path(target)}")


@new.command("review")
@click.option("--type", "type_name", default=None, help="The kind of review, for a review outside "
              f"a case [default: {DEFAULT_TYPE}]; in a case, the case's type.")
@click.option("--agency", help="The agency writing the review.")
@click.option("--case", "case_dir", type=click.Path(file_okay=False, exists=True, path_type=Path),
              help="The case the review is for [default: the case of the current folder, if "
              "any; otherwise the review stands in the agency's own workspace].")
@click.option("--child", help="The child's pseudonym (a review outside a case).")
@click.option("--panel", help="The review panel the review goes to (a review outside a case).")
@click.option("--requested", type=DAY, help="Date the review was requested (a review outside a "
              "case).")
@click.option("--period-start", type=DAY, help="First day of the period under review (a review "
              "outside a case).")
@click.option("--period-end", type=DAY, help="Last day of the period under review (a review "
              "outside a case).")
@click.option("--reviewer", help="The nominated reviewer's name.")
@click.option("--reviewer-role", help="The nominated reviewer's role.")
@click.option("--chief-officer", help="The chief officer's name.")
@click.option("--chief-officer-role", help="The chief officer's role.")
@click.option("--code", help="The agency's code for event IDs, as in POL-007 [default: made "
              "from its name].")
@click.option("--title", help="The review's title [default: Management review: <agency> in a "
              "case, Management review: <child> outside one].")
@click.option("--slug", help="Folder name [default: made from the agency's name in a case, the "
              "child's pseudonym outside one].")
@click.option("--workspace", type=click.Path(file_okay=False, path_type=Path), default=".",
              show_default=True, help="The workspace holding reviews/ and templates/.")
@reports_problems
def new_review(workspace: Path, type_name: str | None, case_dir: Path | None, code: str | None,
               title: str | None, slug: str | None, **values) -> None:
    """Start an agency's management review: in a case's agencies/ folder, or on its own in the
    agency's own workspace (whose package the panel receives)."""
    case_dir = case_dir or find_case(Path.cwd())
    if case_dir is None:
        _ask(values, _NEW_FIELDS)
        workspace = _workspace(workspace)
        document = load_type(type_name or DEFAULT_TYPE, workspace).agency_document
        details = NewReview(slug=slug or slug_for(values["child"]),
                            title=title or f"{document.title}: {values['child']}",
                            type=type_name or DEFAULT_TYPE, **values)
        target = create(workspace, details)
    else:
        case = load_case(case_dir)
        if type_name is not None and type_name != case.review_type.name:
            raise click.UsageError(f"--type {type_name} does not match the case, a "
                                   f"{case.review_type.name}; an agency's review in a case has "
                                   "the case's type, so leave --type out.")
        document = case.review_type.agency_document
        _ask(values, tuple(f for f in _NEW_FIELDS if f[0] not in _FROM_CASE))
        given = case.given_to(values["agency"])
        details = NewReview(
            slug=slug or slug_for(values["agency"]),
            title=title or f"{document.title}: {values['agency']}",
            **{**values, "child": case.child, "panel": given["panel"],
               "requested": case.commissioned, "period_start": case.period_start,
               "period_end": case.period_end})
        target = create_agency_review(case.root, details, code or "")
    click.echo(f"Created {display_path(target)}")
    click.echo(f"Next: fill in the [[...]] in {display_path(target / 'review.toml')} and "
               f"{display_path(target / document.source)}, then run "
               f"casereview check {display_path(target)}")


@cli.command()
@click.argument("review_dir", type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.argument("kind")
@click.option("--workspace", type=click.Path(file_okay=False, path_type=Path), default=".",
              show_default=True, help="The workspace whose templates/ to use.")
@reports_problems
def add(review_dir: Path, kind: str, workspace: Path) -> None:
    """Add one of the panel's documents of the review's type, from its template: for a serious
    case review, overview-report, executive-summary (public) or briefing (the 7-minute
    briefing)."""
    target = add_document(review_dir, kind, workspace)
    click.echo(f"Created {display_path(target)} and listed it in review.toml")


@cli.command("types")
@click.argument("name", required=False)
@click.option("--workspace", type=click.Path(file_okay=False, path_type=Path), default=".",
              show_default=True, help="The workspace whose types/ folder to read too.")
@reports_problems
def types_command(name: str | None, workspace: Path) -> None:
    """List the kinds of review casereview knows, and the sources each follows; with a NAME,
    show that type's documents, sections, roles, clocks and checklist.

    A board adds or adapts a type by putting NAME.toml in its workspace's types/ folder; the
    file is checked as it is listed, and every problem in it reported.
    """
    try:
        found = find_workspace(workspace)
    except CaseReviewError:
        found = None  # outside any workspace: the shipped types only
    if name is None:
        shipped = type_folders(None)[0]
        for type_name, path in available_types(found).items():
            review_type = load_type(type_name, found)
            where = "" if path.parent == shipped else f"  [{display_path(path)}]"
            click.secho(f"{type_name:<20}{review_type.title}{where}", bold=True)
            for line in (f"Follows: {review_type.guidance}",
                         *(f"Source: {source}" for source in review_type.sources)):
                click.echo(textwrap.fill(line, 96, initial_indent="  ", subsequent_indent="    ",
                                         break_on_hyphens=False))
        return
    review_type = load_type(name, found)
    roles = review_type.roles
    click.secho(f"{review_type.title} ({review_type.name})", bold=True)
    click.echo(f"  Follows: {review_type.guidance}")
    click.echo(f"  Each agency writes its {roles.agency_document}, signed off by its "
               f"{roles.agency_signer}; the panel's documents are signed off by the "
               f"{roles.panel_signer}. Completion within {review_type.months} "
               f"month{'' if review_type.months == 1 else 's'}.")
    for document in (review_type.agency_document, *review_type.panel_documents):
        click.secho(f"  {document.title} ({document.source})"
                    + (", published" if document.public else ""), bold=True)
        for section in document.sections:
            indent = "    " * (section.level - 1)
            click.echo(f"{indent}{section.heading}" + ("" if section.required else
                                                       " (optional)"))
            for question in section.questions:
                click.echo(textwrap.fill(question.heading, 96, initial_indent=indent + "  - ",
                                         subsequent_indent=indent + "    "))
    click.secho("  Clocks", bold=True)
    for clock in review_type.clocks:
        click.echo(f"    {clock.label} ({', '.join(clock.audiences)}): {clock.when}")
    if review_type.checklist:
        click.secho("  Checklist", bold=True)
        click.echo(textwrap.fill(", ".join(i.label for i in review_type.checklist), 96,
                                 initial_indent="    ", subsequent_indent="    "))


@cli.command()
@click.argument("review_dir", type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.option("--strict", is_flag=True, help="Fail on warnings too (such as a passed deadline).")
@click.option("--on", "on", type=DAY, help="Judge deadlines as on this date [default: today].")
@reports_problems
def check(review_dir: Path, strict: bool, on: date | None) -> None:
    """Check a review is complete and consistent before it is signed off."""
    problems = check_review(review_dir, today=on)
    _echo_problems(problems)
    errors = sum(p.is_error for p in problems)
    warnings = len(problems) - errors
    summary = (f"{errors} {'error' if errors == 1 else 'errors'}, "
               f"{warnings} {'warning' if warnings == 1 else 'warnings'}")
    if errors or (strict and warnings):
        click.secho(f"Not ready: {summary}.", fg="red", err=True)
        sys.exit(1)
    click.echo(f"Ready for sign-off: {summary}.")


@cli.command()
@click.argument("review_dirs", nargs=-1, type=click.Path(file_okay=False, exists=True,
                                                         path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the milestones as JSON.")
@click.option("--on", "on", type=DAY, help="Work out due dates as on this date "
              "[default: today].")
@reports_problems
def status(review_dirs: tuple[Path, ...], as_json: bool, on: date | None) -> None:
    """Show each review's milestones, due dates, and what is overdue or due soon.

    With no folders given, every review under reviews/ is shown.
    """
    today = on or date.today()
    folders = list(review_dirs) or every_review(find_workspace(Path.cwd()))
    report = []
    for folder in folders:
        review = load_review(folder)
        agencies = agency_statuses(review.case) if review.level == "case" else []
        report.append((review, milestones(review, today=today), agencies))
    if as_json:
        click.echo(json.dumps([{"review": display_path(r.root), "title": r.title,
                                "type": r.review_type.name,
                                "milestones": [m.as_dict() for m in ms],
                                **({"checklist": [{"item": item, "confirmed": day and
                                                   day.isoformat()}
                                                  for item, day in checklist(r)]}
                                   if checklist(r) else {}),
                                **({"agencies": [a.as_dict(today) for a in agencies]}
                                   if r.level == "case" else {})}
                               for r, ms, agencies in report], indent=1))
        return
    colours = {State.OVERDUE: "red", State.DUE_SOON: "yellow", State.LATE: "magenta"}
    for review, rows, agencies in report:
        click.secho(f"{review.title} ({display_path(review.root)})", bold=True)
        click.echo(f"  {review.review_type.title} ({review.review_type.name})")
        label_width = max([34, *(len(m.label) + 2 for m in rows)])
        for m in rows:
            due = f"due {m.due:%d/%m/%Y}" if m.due else ""
            done = f"done {m.done:%d/%m/%Y}" if isinstance(m.done, date) else ""
            flag = m.state.value.upper() if m.state in colours else m.state.value
            click.echo(f"  {m.label:<{label_width}}{due:<16}{done:<17}" +
                       click.style(flag, fg=colours.get(m.state), bold=m.state in colours))
        if agencies:
            click.echo("  Agencies:")
        width = max((len(a.agency.name) for a in agencies), default=0) + 2
        kind_width = max(19, len(review.review_type.roles.agency_document) + 2)
        for a in agencies:
            due = f"due {a.due:%d/%m/%Y}" if a.due else ""
            received = f"received {a.received:%d/%m/%Y}" if a.received else \
                ("chronology held" if a.held else "not received")
            signed = "signed" if a.signed else ("" if a.agency.kind != MANAGEMENT_REVIEW
                                                else "not signed")
            # What the agency was asked for, in the words of the case's type.
            kind = review.review_type.roles.agency_document if a.agency.kind == \
                MANAGEMENT_REVIEW else a.agency.kind
            click.echo(f"    {a.agency.name:<{width}}{kind:<{kind_width}}{due:<16}{received:<21}"
                       f"{signed:<12}" + click.style("OVERDUE" if a.overdue(today) else "",
                                                     fg="red", bold=True))
        if items := checklist(review):
            confirmed = sum(day is not None for _, day in items)
            line = f"Checklist: {confirmed} of {len(items)} confirmed" + (
                f"; still to confirm: {', '.join(i for i, d in items if d is None)}"
                if confirmed < len(items) else "")
            click.echo(textwrap.fill(line, 96, initial_indent="  ", subsequent_indent="    "))


def _passphrase(interactive_allowed: bool) -> bytes | None:
    """The key's passphrase: from the environment, or typed unseen; never an argument."""
    if PASSPHRASE_VARIABLE in os.environ:
        return os.environ[PASSPHRASE_VARIABLE].encode()
    if interactive_allowed and _interactive():
        typed = click.prompt("Passphrase for the signing key (leave empty if none)",
                             default="", hide_input=True, show_default=False)
        return typed.encode() or None
    return None


@cli.command()
@click.argument("review_dir", type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.option("--name", required=True, help="The chief officer's name, as signed.")
@click.option("--role", required=True, help="The chief officer's role, as signed.")
@click.option("--key", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="Private key (PEM) to sign the PDF with; goes with --cert.")
@click.option("--cert", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="The certificate (PEM) that goes with --key.")
@click.option("--pkcs12", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="Key and certificate in one .p12/.pfx file, instead of --key and --cert.")
@reports_problems
def signoff(review_dir: Path, name: str, role: str, key: Path | None, cert: Path | None,
            pkcs12: Path | None) -> None:
    """Sign the review off as chief officer: final PDF, sign-off record, custody log.

    Refused while casereview check fails or the secured records do not verify. A key's
    passphrase is read from CASEREVIEW_KEY_PASSPHRASE or asked for; never give it as an option.
    """
    if bool(key) != bool(cert):
        raise click.UsageError("--key and --cert go together")
    if pkcs12 and key:
        raise click.UsageError("give either --pkcs12 or --key with --cert, not both")
    passphrase = _passphrase(bool(key or pkcs12))
    done = sign_off(review_dir, name=name, role=role, key=key, cert=cert, pkcs12=pkcs12,
                    passphrase=passphrase, progress=lambda m: click.echo(f"  {m}…"))
    how = "digitally signed" if done.record["digitally_signed"] else "recorded (no digital key)"
    click.echo(f"Signed off by {name}, {role}: {how}.")
    for pdf in done.pdfs:
        click.echo(f"PDF: {display_path(pdf)}")
    click.echo(f"Record: {display_path(done.folder / 'signoff.json')}")


@cli.command()
@click.argument("review_dir", type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.argument("pdf", required=False, type=click.Path(dir_okay=False, exists=True,
                                                        path_type=Path))
@click.option("--trust-root", "trust_roots", multiple=True,
              type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="Certificate (PEM or DER) of the signer or their issuer, to check who signed.")
@reports_problems
def verify(review_dir: Path, pdf: Path | None, trust_roots: tuple[Path, ...]) -> None:
    """Check a signed-off review: the PDF is the one signed, and no source has changed."""
    latest, problems = verify_signoff(review_dir, pdf, trust_roots=list(trust_roots))
    _echo_problems(problems)
    errors = [p for p in problems if p.is_error]
    if errors:
        click.secho(f"Does not verify: {len(errors)} "
                    f"{'problem' if len(errors) == 1 else 'problems'}.", fg="red", err=True)
        sys.exit(1)
    click.echo(f"Verified: signed off by {latest.record['signed_by']}, {latest.record['role']}, "
               f"on {latest.when:%d/%m/%Y at %H:%M} UTC; the PDF and every source file are as "
               "signed.")


@cli.command()
@click.argument("review_dir", type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The .zip file to write.")
@click.option("--by", help="Name recorded in the custody log [default: your login name].")
@reports_problems
def submit(review_dir: Path, output: Path, by: str | None) -> None:
    """Package a signed-off review for the panel: signed PDF, chronology, record, manifest."""
    package(review_dir, output, by=by or getpass.getuser())
    click.echo(f"Ready to send to the panel: {display_path(output)}")


@cli.command()
@click.argument("case_dir", type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.argument("package", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--trust-root", "trust_roots", multiple=True,
              type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="A certificate to trust for the agency's signature, beside those in "
              "case.toml (repeatable).")
@click.option("--by", help="Name recorded in the custody log [default: your login name].")
@reports_problems
def receive(case_dir: Path, package: Path, trust_roots: tuple[Path, ...], by: str | None) -> None:
    """Receive an agency's signed package into the case, after checking its signature, its
    manifest and that it is this case's and an agency the case asked."""
    kept = receive_package(case_dir, package, by=by or getpass.getuser(),
                           trust_roots=list(trust_roots))
    click.echo(f"Received into {display_path(kept)} (read-only; logged in the case's custody "
               "log)")


@cli.group()
def actions() -> None:
    """Track each review's action plan until every action is evidenced complete."""


def _reviews(review_dirs: tuple[Path, ...]):
    """The reviews given, or every case and review of the workspace: the board's action plan
    holds the panel's recommendations and every agency's."""
    folders = list(review_dirs) or every_review(find_workspace(Path.cwd()))
    return [load_review(folder) for folder in folders]


@actions.command("list")
@click.argument("review_dirs", nargs=-1, type=click.Path(file_okay=False, exists=True,
                                                         path_type=Path))
@click.option("--overdue", is_flag=True, help="Only actions past their target date and not "
              "complete.")
@click.option("--due-within", type=click.IntRange(min=0), metavar="DAYS",
              help="Only open actions due within this many days.")
@click.option("--owner", help="Only actions whose owner contains this text.")
@click.option("--agency", help="Only actions whose agency contains this text.")
@click.option("--on", "on", type=DAY, help="Judge dates as on this day [default: today].")
@reports_problems
def actions_list(review_dirs, overdue, due_within, owner, agency, on) -> None:
    """List actions across reviews (every review under reviews/ unless named), with problems."""
    today = on or date.today()
    figures = register(_reviews(review_dirs), today)
    _echo_problems(figures.problems)
    chosen = Selection(overdue, due_within, owner, agency)
    shown = [a for a in figures.actions if chosen.keeps(a, today)]
    for a in shown:
        v = a.values
        flag = " OVERDUE" if a.overdue(today) else ""
        click.echo(f"{display_path(a.review.root)}  {v.get('action_id', ''):<6} "
                   f"{v.get('status', ''):<12} {(v.get('rag') or '-'):<6} "
                   f"{v.get('target_date', ''):<11} {v.get('owner', '')}{flag}")
        click.echo(f"    {v.get('action', '')}")
    click.echo(f"{len(shown)} of {len(figures.actions)} actions shown.")
    if any(p.is_error for p in figures.problems):
        sys.exit(1)


@actions.command("update")
@click.argument("action_id")
@click.option("--status", help="Not started, In progress or Complete.")
@click.option("--rag", help="Red (unacceptable progress), Amber (acceptable) or Green "
              "(achieved).")
@click.option("--evidence", help="What shows the action was done; needed to complete it.")
@click.option("--by", required=True, help="Your name, recorded with the change.")
@click.option("--review", "review_dirs", multiple=True,
              type=click.Path(file_okay=False, exists=True, path_type=Path),
              help="The review the action belongs to, if its ID is used in more than one.")
@reports_problems
def actions_update(action_id, status, rag, evidence, by, review_dirs) -> None:
    """Change an action's status, RAG or evidence; the change is recorded with who and when."""
    if status is None and rag is None and evidence is None:
        raise click.UsageError("give at least one of --status, --rag, --evidence")
    action = update(_reviews(tuple(review_dirs)), action_id, by=by, status=status, rag=rag,
                    evidence=evidence)
    v = action.values
    click.echo(f"Action {action_id}: {v.get('status')}, RAG {v.get('rag') or 'not rated'}; "
               f"updated by {by}.")


@actions.command("report")
@click.argument("review_dirs", nargs=-1, type=click.Path(file_okay=False, exists=True,
                                                         path_type=Path))
@click.option("-o", "--outdir", type=click.Path(file_okay=False, path_type=Path),
              help="Where to put html/ and pdf/ [default: _build/action-register at the "
              "workspace's root].")
@click.option("--on", "on", type=DAY, help="Report as on this day [default: today].")
@click.option("--no-pdf", is_flag=True, help="Build the HTML only.")
@reports_problems
def actions_report(review_dirs, outdir, on, no_pdf) -> None:
    """Build the central register of every review's actions, as HTML and PDF."""
    today = on or date.today()
    notes: list = []
    workspace = find_workspace(Path.cwd())
    outdir = outdir or workspace / "_build" / "action-register"
    html, pdfs = write_register(_reviews(review_dirs), workspace, outdir,
                                today=today, pdf=not no_pdf,
                                progress=lambda m: click.echo(f"  {m}…"), notes=notes)
    for note in notes:
        click.echo(str(note), err=True)
    click.echo(f"HTML: {display_path(html)}")
    for pdf in pdfs:
        click.echo(f"PDF:  {display_path(pdf)}")


@cli.group()
def chronology() -> None:
    """Check, merge and draw the agencies' chronologies."""


@chronology.command("check")
@click.argument("paths", nargs=-1, required=True,
                type=click.Path(exists=True, path_type=Path))
@click.option("--encoding", help="Text encoding of CSV files given directly (e.g. cp1252); "
              "detected when not given.")
@click.option("--sheet", help="The sheet of a workbook given directly [default: the first "
              "sheet shown].")
@click.option("--source", "constant_source", metavar="TEXT", help="The source of information "
              "of every row, for a file given directly that has no such column.")
@click.option("--column", "columns", multiple=True, metavar="HEADING=FIELD",
              help="Read the column headed HEADING as FIELD (one of: "
              f"{', '.join(FIELD_NAMES)}); may be given more than once.")
@click.option("--strict", is_flag=True, help="Fail on warnings too.")
@reports_problems
def chronology_check(paths: tuple[Path, ...], encoding: str | None, sheet: str | None,
                     constant_source: str | None, columns: tuple[str, ...],
                     strict: bool) -> None:
    """Check record files, or every file of a review folder, and list all problems.

    A file given directly is read with the settings given here, as review.toml would give them,
    so an agency can check its file before sending it.
    """
    mapping = {}
    for given in columns:
        heading, equals, name = given.rpartition("=")
        if not equals or not heading.strip() or not name.strip():
            raise click.BadParameter(f'"{given}" is not HEADING=FIELD, as in --column '
                                     '"Seen on=date".', param_hint="--column")
        mapping[heading.strip()] = name.strip()
    loaded = check_files(list(paths), encoding=encoding, sheet=sheet, source=constant_source,
                         columns=mapping)
    failed = False
    for result in loaded:
        _echo_problems(result.problems)
    for result in loaded:
        errors = len(result.errors)
        warnings = len(result.problems) - errors
        failed |= bool(errors) or (strict and bool(warnings))
        click.echo(f"{display_path(result.source.path)}: {len(result)} events, "
                   f"{errors} {'error' if errors == 1 else 'errors'}, "
                   f"{warnings} {'warning' if warnings == 1 else 'warnings'}")
    if failed:
        sys.exit(1)


@chronology.command("merge")
@click.argument("review_dir", type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The file to write: .csv, .xlsx or .json.")
@click.option("--outside-period", is_flag=True,
              help="Include events outside the terms-of-reference period.")
@click.option("--by", help="Name recorded in the custody log for this export, when the review "
              "keeps one [default: your login name].")
@reports_problems
def chronology_merge(review_dir: Path, output: Path, outside_period: bool,
                     by: str | None) -> None:
    """Merge a review's chronologies into one file, in date order."""
    count = export_merged(load_review(review_dir), output, by=by or getpass.getuser(),
                          include_outside_period=outside_period)
    click.echo(f"{count} events written to {display_path(output)}")


@chronology.command("plot")
@click.argument("review_dir", type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The PNG file to write.")
@click.option("--kind", type=click.Choice(["timeline", "monthly"]), default="timeline",
              show_default=True, help="A timeline with one lane per agency, or contacts per "
              "agency per month.")
@reports_problems
def chronology_plot(review_dir: Path, output: Path, kind: str) -> None:
    """Draw a review's chronology as a PNG picture."""
    draw(load_review(review_dir), output, kind=kind)
    click.echo(f"Picture written to {display_path(output)}")


@chronology.command("template")
@click.argument("review_dir", type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.option("--agency", required=True, help="The agency the blank chronology is for.")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The .xlsx workbook or .docx Word document to write.")
@reports_problems
def chronology_template(review_dir: Path, agency: str, output: Path) -> None:
    """Write the blank chronology an agency fills in: the review's columns and what to write
    in each, the period under review, and (in a workbook) checks on dates, kind and
    significance."""
    write_template(load_review(review_dir), agency, output)
    click.echo(f"Template for {agency} written to {display_path(output)}")


@cli.group()
def records() -> None:
    """Secure the case records, verify them, and show the custody log."""


@records.command("secure")
@click.argument("review_dir", type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.argument("sources", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--by", required=True, help="Name of the person securing the records.")
@click.option("--requested-by", help="Who asked for them to be secured (e.g. the LSCB chair).")
@click.option("--note", help="A note kept with the set, such as what it contains.")
@reports_problems
def records_secure(review_dir: Path, sources: tuple[Path, ...], by: str,
                   requested_by: str | None, note: str | None) -> None:
    """Secure copies of the case records as a new, dated, tamper-evident set."""
    title = load_review(review_dir).title if (review_dir / "review.toml").is_file() else ""
    secured = secure(review_dir, list(sources), by=by, requested_by=requested_by, note=note,
                     review_title=title)
    for name in secured.skipped:
        click.echo(f"Left out {name}: a lock or temporary file, not a record.", err=True)
    for folder in secured.cleared:
        click.echo(f"Removed {display_path(folder)}, an unfinished copy left by an interrupted "
                   "run of secure.", err=True)
    click.echo(f"Secured {len(secured.files)} files as {display_path(secured.path)}")
    click.echo(f"Working duplicate: {display_path(review_dir / WORKING / secured.name)}")


@records.command("verify")
@click.argument("review_dir", type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.option("--by", help="Name recorded in the custody log for this check "
              "[default: your login name].")
@reports_problems
def records_verify(review_dir: Path, by: str | None) -> None:
    """Check every secured set and the custody log; list every change found."""
    result = verify_and_record(review_dir, by or getpass.getuser())
    _echo_problems(result.problems)
    if result.errors:
        click.secho(f"Interference found: {len(result.errors)} "
                    f"{'problem' if len(result.errors) == 1 else 'problems'}.", fg="red", err=True)
        sys.exit(1)
    files = sum(len(s.files) for s in result.sets)
    click.echo(f"{len(result.sets)} secured {'set' if len(result.sets) == 1 else 'sets'}, "
               f"{files} files: every file matches what was secured.")


@records.command("log")
@click.argument("review_dir", type=click.Path(file_okay=False, exists=True, path_type=Path))
@reports_problems
def records_log(review_dir: Path) -> None:
    """Show the custody log and whether its chain of entries is intact."""
    entries, problems = read_log(review_dir)
    width = max((len(str(e.get("action", ""))) for e in entries), default=0)
    for entry in entries:
        details = entry.get("details", {})
        what = details.get("set") or ", ".join(details.get("sets", [])) or \
            details.get("file", "")
        click.echo(f"{entry.get('seq', '?'):>3}  {entry.get('at', '')}  "
                   f"{entry.get('action', ''):<{width}}  {entry.get('who', '')}  {what}")
    _echo_problems(problems)
    if problems:
        click.secho("The custody log has been altered.", fg="red", err=True)
        sys.exit(1)
    head = entries[-1]["hash"][:16] if entries else "none"
    click.echo(f"Chain intact: {len(entries)} entries; latest entry {head}.")


def main() -> None:
    cli(prog_name="casereview")


if __name__ == "__main__":
    main()
