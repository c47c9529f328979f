"""Start a review: a new folder under reviews/ made from the workspace's templates.

A board customises a template by putting its own copy, with the same name, in the workspace's
``templates/`` folder; the copies shipped with casereview fill in whatever it does not replace.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path

from chronology.atomic import atomic_write
from chronology.problems import CaseReviewError, Problem, display_path

from .framework import SECTIONS
from .model import DEFAULT_MARKING

TEMPLATES = ("review.toml.j2", "index.md.j2", "management-review.md.j2")

#: Documents a review can gain later: (title, published?, paragraphs numbered?)
EXTRA_DOCUMENTS = {
    "overview-report": ("Overview report", False, True),
    "executive-summary": ("Executive summary", True, False),
    "briefing": ("Seven-minute briefing", True, False),
}


class ScaffoldError(CaseReviewError):
    """The new review could not be made; nothing was written."""


#: Template text still to be replaced: "[[Write the introduction.]]".
PLACEHOLDER = re.compile(r"\[\[([^\]]*\s[^\]]*)\]\]")


def placeholders(path: Path, name: str) -> list[Problem]:
    """Template text a writer has not yet replaced, "[[Write the introduction.]]", line by line."""
    problems = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if path.suffix == ".toml" and line.lstrip().startswith("#"):
            continue
        for found in PLACEHOLDER.finditer(line):
            problems.append(Problem("placeholder-left", f'template text is still here: '
                                    f'"{found[0]}"', name, number,
                                    hint="Replace it with your own text."))
    return problems


@dataclass(frozen=True)
class NewReview:
    """What a new review needs to know; every field is asked for by casereview new."""

    slug: str
    title: str
    agency: str
    child: str
    panel: str
    requested: date
    period_start: date
    period_end: date
    reviewer: str
    reviewer_role: str
    chief_officer: str
    chief_officer_role: str
    marking: str = DEFAULT_MARKING


def builtin_templates() -> Path:
    """The templates shipped with casereview: inside the wheel, or the source tree's folder."""
    packaged = Path(__file__).parent / "_templates"
    return packaged if packaged.is_dir() else Path(__file__).resolve().parents[1] / "templates"


def environment(workspace: Path):
    import jinja2

    return jinja2.Environment(
        loader=jinja2.ChoiceLoader([jinja2.FileSystemLoader(Path(workspace) / "templates"),
                                    jinja2.FileSystemLoader(builtin_templates())]),
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,  # a board's template with a misspelt variable fails
        autoescape=False,
    )


def slug_for(child: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", child.lower()).strip("-") or "review"


def variables(details: NewReview) -> dict:
    """Everything the templates receive (documented in docs/templates.md)."""
    values = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in asdict(details).items()}
    values.update(
        requested_long=f"{details.requested.day} {details.requested:%B %Y}",
        today=date.today().isoformat(),
        framework=SECTIONS,
    )
    return values


def create(workspace: Path | str, details: NewReview) -> Path:
    """Make reviews/<slug>/ from the templates. Refuses to touch an existing folder."""
    workspace = Path(workspace)
    problems = []
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", details.slug):
        problems.append(Problem("slug-invalid", f'"{details.slug}" cannot be a folder name.',
                                hint="Use lower-case letters, digits and hyphens, as in child-p."))
    if details.period_end < details.period_start:
        problems.append(Problem("period-reversed", "the period ends before it starts.",
                                hint="Check the start and end of the period under review."))
    for name, value in asdict(details).items():
        if isinstance(value, str) and not value.strip():
            problems.append(Problem("value-missing", f'"{name.replace("_", " ")}" is empty.',
                                    hint="Give a value for it."))
    target = workspace / "reviews" / details.slug
    if target.exists():
        problems.append(Problem("review-exists", "a review folder of that name already exists; "
                                "nothing was changed.", display_path(target),
                                hint="Choose another name with --slug."))
    if problems:
        raise ScaffoldError(problems)
    env = environment(workspace)
    values = variables(details)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{details.slug}.", dir=target.parent))
    try:
        for name in TEMPLATES:
            text = env.get_template(name).render(**values)
            (staging / name.removesuffix(".j2")).write_text(text, encoding="utf-8")
        (staging / "records").mkdir()
        staging.chmod(0o755)
        staging.rename(target)
    finally:
        if staging.exists():
            shutil.rmtree(staging)
    return target


def add_document(review_dir: Path | str, kind: str, workspace: Path | str = ".") -> Path:
    """Add an overview report, executive summary or briefing to a review, from its template."""
    from .model import REVIEW_FILE, load_review

    review = load_review(review_dir)
    if kind not in EXTRA_DOCUMENTS:
        raise ScaffoldError([Problem("document-kind", f'there is no "{kind}" template.',
                                    hint="Choose " + ", ".join(EXTRA_DOCUMENTS) + ".")])
    target = review.root / f"{kind}.md"
    if target.exists() or any(d.stem == kind for d in review.documents):
        raise ScaffoldError([Problem("document-exists", "the review already has this document; "
                                    "nothing was changed.", display_path(target))])
    title, public, numbered = EXTRA_DOCUMENTS[kind]
    values = {"title": review.title, "agency": review.agency, "child": review.child,
              "panel": review.panel, "requested": review.requested.isoformat(),
              "requested_long": f"{review.requested.day} {review.requested:%B %Y}",
              "marking": review.marking, "framework": SECTIONS, "today": date.today().isoformat()}
    text = environment(workspace).get_template(f"{kind}.md.j2").render(**values)
    entry = (f'\n[[documents]]\nsource = "{kind}.md"\ntitle = "{title}"\n' +
             ("public = true\n" if public else "") + ("numbered = true\n" if numbered else ""))
    toml = review.root / REVIEW_FILE
    original = toml.read_text(encoding="utf-8")
    target.write_text(text, encoding="utf-8")
    try:
        # An array-of-tables entry may follow any table, so it can be added at the end.
        atomic_write(toml, original.rstrip("\n") + "\n" + entry)
        load_review(review.root)
    except BaseException:
        atomic_write(toml, original)
        target.unlink(missing_ok=True)
        raise
    return target
