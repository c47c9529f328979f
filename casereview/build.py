"""Build a review's documents, or a case's panel documents: one HTML site and one PDF each.

Sphinx runs with the workspace's root conf.py for every review and every warning fails the build.
The user sees one line per step and the problems, each with its file and line. A public edition
is checked for every name and identifier in the people register before it is kept.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

from chronology.problems import Problem, Severity, display_path

from .chronologies import checked_chronology
from .model import CASE_FILE, REVIEW_FILE, Review, case_of, find_workspace, load_review, published_documents
from .publish import LeakError
from .publish import guard as leak_guard
from .receiving import agency_paragraphs
from .scaffold import placeholders
from .signoff import state
from .typesetting import (
    BuildError,
    Progress,
    TexMissing,
    clear_unfinished,
    make_pdfs,
    require_tex,
    run_sphinx,
    staging_folder,
    swap_outputs,
    tex_installed,
)

__all__ = ["BuildError", "BuildResult", "TexMissing", "build", "default_outdir",
           "run_review_sphinx"]


@dataclass
class BuildResult:
    review: Review
    html: Path | None = None
    pdfs: list[Path] = field(default_factory=list)
    docx: list[Path] = field(default_factory=list)
    notes: list[Problem] = field(default_factory=list)
    draft: bool = True


EDITIONS = ("restricted", "public")


def default_outdir(review_dir: Path, edition: str = "restricted") -> Path:
    """``_build/`` at the workspace root, whichever folder the command is run from: the case's
    name for its panel documents, the case's and the agency's for an agency review in it."""
    review_dir = Path(review_dir).resolve()
    case = case_of(review_dir)
    name = f"{case.name}-{review_dir.name}" if case else review_dir.name
    outdir = find_workspace(review_dir) / "_build"
    return outdir / (name if edition == "restricted" else f"{name}-{edition}")


def run_review_sphinx(review: Review, workspace: Path, builder: str, outdir: Path,
                      doctrees: Path, *, fresh: bool, final: bool = False, draft: bool = True,
                      edition: str = "restricted", signoff: dict | None = None,
                      cited: dict | None = None) -> None:
    """Run Sphinx on a review. ``cited`` is the agency reviews' paragraph numbers the panel's
    documents cite; a build running Sphinx twice (HTML, then LaTeX) works them out once."""
    if cited is None:
        cited = agency_paragraphs(review.case) if review.level == "case" else {}
    run_sphinx(review.root, workspace, builder, outdir, doctrees, fresh=fresh,
               overrides={"casereview_final": final, "casereview_draft": draft,
                          "casereview_edition": edition, "casereview_signoff": signoff or {},
                          "casereview_agency_paragraphs": cited})


def build(review_dir: Path | str, outdir: Path | str | None = None, *, pdf: bool = True,
          final: bool = False, draft: bool | None = None, edition: str = "restricted",
          signoff: dict | None = None, docx: bool = False,
          progress: Progress = lambda message: None) -> BuildResult:
    """Build the review in ``review_dir`` to ``outdir/html`` and ``outdir/pdf`` (and, with
    ``docx``, a Word copy of each document in ``outdir/docx``).

    A ``final`` build leaves out the guidance for writers that drafts show. Every build is
    marked DRAFT unless the sources still match the latest sign-off (``draft`` overrides this;
    sign-off itself builds with ``draft=False``).

    Raises :class:`CaseReviewError` subclasses for every problem; :class:`TexMissing` after the
    HTML is built when LaTeX is not installed.
    """
    review_dir = Path(review_dir)
    if edition not in EDITIONS:
        raise BuildError([Problem("edition-unknown", f'there is no "{edition}" edition.',
                                  hint="Choose restricted or public.")])
    outdir = Path(outdir) if outdir else default_outdir(review_dir, edition)
    made_outdir = not outdir.exists()
    try:
        return _build(review_dir, outdir, pdf=pdf, final=final, draft=draft, edition=edition,
                      signoff=signoff, docx=docx, progress=progress)
    except (BuildError, LeakError):
        if made_outdir:  # a refused build leaves nothing behind, not even an empty folder
            shutil.rmtree(outdir, ignore_errors=True)
        raise


def _build(review_dir: Path, outdir: Path, *, pdf: bool, final: bool, draft: bool | None,
           edition: str, signoff: dict | None, docx: bool, progress: Progress) -> BuildResult:
    settings = CASE_FILE if (review_dir / CASE_FILE).is_file() and not (
        review_dir / REVIEW_FILE).is_file() else REVIEW_FILE
    progress(f"Reading {display_path(review_dir / settings)}")
    review = load_review(review_dir)
    result = BuildResult(review=review, notes=list(review.warnings))
    workspace = find_workspace(review_dir)
    if draft is None:
        signed = state(review).signed
        draft, final = not signed, final or signed
    result.draft = draft

    progress(f"Checking records ({len(review.sources)} files)")
    chronology = checked_chronology(review)
    result.notes += [p for p in chronology.problems if p.severity is Severity.WARNING]

    documents = published_documents(review, edition)
    if not documents:
        raise BuildError([Problem("edition-empty", f"no document is marked for the {edition} "
                                  "edition.", display_path(review_dir / "review.toml"),
                                  hint="Add public = true to the [[documents]] entries that are "
                                  "published.")])
    if edition == "public":
        # What is published is always final: no guidance for writers, no template text.
        final = True
        left = [p for d in documents
                for p in placeholders(review.root / d.source, display_path(review.root / d.source))]
        if left:
            raise BuildError(left)

        if not review.register.secrets():
            raise BuildError([Problem(
                "register-empty", "the people register has no names or identifiers, so the "
                "public edition cannot be checked; nothing was built.",
                display_path(review_dir / "review.toml"),
                hint="List the child's and family's names and identifiers under [[people]].")])

        def guard(folder: Path) -> None:
            progress("Checking the public edition for names and identifiers")
            kind = "pdf" if any(folder.glob("*.pdf")) else "html"
            leak_guard(folder, review.register, label=f"public {kind}")
    else:
        def guard(folder: Path) -> None:
            return None
    outdir.mkdir(parents=True, exist_ok=True)
    result.notes += [Problem("build-interrupted", f"removed {display_path(folder)}, left by a "
                             "build that was interrupted.", severity=Severity.WARNING)
                     for folder in clear_unfinished(outdir)]
    # Everything the build makes, the doctrees and LaTeX with the text in them included, is
    # made here and kept only if the build succeeds: a refused build leaves nothing behind.
    staging = staging_folder(outdir, ".stage-")
    typeset = pdf and tex_installed()
    cited = agency_paragraphs(review.case) if review.level == "case" else {}
    try:
        progress("Building HTML")
        # A fresh read every time: a cached environment would skip unchanged documents and so
        # hide their warnings, letting a broken review pass.
        run_review_sphinx(review, workspace, "html", staging / "html", staging / ".doctrees",
                          fresh=True, final=final, draft=draft, edition=edition, cited=cited)
        guard(staging / "html")
        if docx:
            progress("Writing Word copies")
            run_review_sphinx(review, workspace, "casereview-docx", staging / "docx",
                              staging / ".doctrees", fresh=False, final=final, draft=draft,
                              edition=edition, cited=cited)
            guard(staging / "docx")
            result.docx = [outdir / "docx" / f"{d.stem}.docx" for d in documents]
        if typeset:
            progress("Building LaTeX")
            run_review_sphinx(review, workspace, "latex", staging / ".latex",
                              staging / ".doctrees", fresh=False, final=final, draft=draft,
                              edition=edition, signoff=signoff, cited=cited)
            result.pdfs = [outdir / "pdf" / p.name for p in make_pdfs(
                documents, staging / ".latex", staging / "pdf", progress, notes=result.notes)]
            guard(staging / "pdf")
        swap_outputs(staging, outdir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    result.html = outdir / "html"
    if pdf and not typeset:
        require_tex(result.html)
    return result
