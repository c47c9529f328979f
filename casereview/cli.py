"""The casereview command line: parses arguments, calls the library, reports problems.

Every command turns the library's CaseReviewError into a clear message and a non-zero exit
code; no traceback reaches a user.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path

import click

from chronology.problems import CaseReviewError, Problem, display_path

from . import __version__


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


@cli.command()
@click.argument("review_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("-o", "--outdir", type=click.Path(file_okay=False, path_type=Path),
              help="Where to put the html/ and pdf/ folders [default: _build/<review folder>].")
@click.option("--no-pdf", is_flag=True, help="Build the HTML only (quicker while drafting).")
@reports_problems
def build(review_dir: Path, outdir: Path | None, no_pdf: bool) -> None:
    """Build a review's documents to HTML and one PDF per document."""
    from .build import build as run_build

    def progress(message: str) -> None:
        click.echo(f"  {message}…")

    click.echo(f"Building {display_path(review_dir)}")
    result = run_build(review_dir, outdir, pdf=not no_pdf, progress=progress)
    for note in result.notes:
        click.echo(str(note), err=True)
    click.echo(f"HTML: {display_path(result.html / 'index.html')}")
    for pdf in result.pdfs:
        click.echo(f"PDF:  {display_path(pdf)}")


@cli.group()
def chronology() -> None:
    """Check, merge and draw the agencies' chronologies."""


@chronology.command("check")
@click.argument("paths", nargs=-1, required=True,
                type=click.Path(exists=True, path_type=Path))
@click.option("--encoding", help="Text encoding of CSV files given directly (e.g. cp1252); "
              "detected when not given.")
@click.option("--strict", is_flag=True, help="Fail on warnings too.")
@reports_problems
def chronology_check(paths: tuple[Path, ...], encoding: str | None, strict: bool) -> None:
    """Check record files, or every file of a review folder, and list all problems."""
    from .chronologies import check_files

    loaded = check_files(list(paths), encoding=encoding)
    failed = False
    for result in loaded:
        _echo_problems(result.problems)
    for result in loaded:
        errors = len(result.errors)
        warnings = len(result.problems) - errors
        failed |= bool(errors) or (strict and bool(warnings))
        click.echo(f"{display_path(result.source.path)}: {len(result.events)} events, "
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
@reports_problems
def chronology_merge(review_dir: Path, output: Path, outside_period: bool) -> None:
    """Merge a review's chronologies into one file, in date order."""
    from chronology.export import export

    from .chronologies import merged_events
    from .model import load_review

    events = merged_events(load_review(review_dir), include_outside_period=outside_period)
    export(events, output)
    click.echo(f"{len(events)} events written to {display_path(output)}")


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
    from .chronologies import draw
    from .model import load_review

    draw(load_review(review_dir), output, kind=kind)
    click.echo(f"Picture written to {display_path(output)}")


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
    from .model import load_review
    from .records import WORKING, secure

    title = load_review(review_dir).title if (review_dir / "review.toml").is_file() else ""
    secured = secure(review_dir, list(sources), by=by, requested_by=requested_by, note=note,
                     review_title=title)
    click.echo(f"Secured {len(secured.files)} files as {display_path(secured.path)}")
    click.echo(f"Working duplicate: {display_path(review_dir / WORKING / secured.name)}")


@records.command("verify")
@click.argument("review_dir", type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.option("--by", help="Name recorded in the custody log for this check "
              "[default: your login name].")
@reports_problems
def records_verify(review_dir: Path, by: str | None) -> None:
    """Check every secured set and the custody log; list every change found."""
    import getpass

    from .records import append_log, verify

    result = verify(review_dir)
    _echo_problems(result.problems)
    if result.errors:
        click.secho(f"Interference found: {len(result.errors)} "
                    f"{'problem' if len(result.errors) == 1 else 'problems'}.", fg="red", err=True)
        sys.exit(1)
    append_log(review_dir, "verified", by or getpass.getuser(),
               sets=[s.name for s in result.sets])
    files = sum(len(s.files) for s in result.sets)
    click.echo(f"{len(result.sets)} secured {'set' if len(result.sets) == 1 else 'sets'}, "
               f"{files} files: every file matches what was secured.")


@records.command("log")
@click.argument("review_dir", type=click.Path(file_okay=False, exists=True, path_type=Path))
@reports_problems
def records_log(review_dir: Path) -> None:
    """Show the custody log and whether its chain of entries is intact."""
    from .records import read_log

    entries, problems = read_log(review_dir)
    for entry in entries:
        details = entry.get("details", {})
        what = details.get("set") or ", ".join(details.get("sets", [])) or \
            details.get("file", "")
        click.echo(f"{entry.get('seq', '?'):>3}  {entry.get('at', '')}  "
                   f"{entry.get('action', ''):<9} {entry.get('who', '')}  {what}")
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
