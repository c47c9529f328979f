"""Start a review: a new folder under reviews/ made from the workspace's templates.

A board customises a template by putting its own copy, with the same name, in the workspace's
``templates/`` folder; the copies shipped with casereview fill in whatever it does not replace.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path

from chronology.atomic import atomic_write
from chronology.problems import CaseReviewError, Problem, display_path
from chronology.records import agency_code

from .model import (
    AGENCIES_FOLDER,
    CASE_FILE,
    DEFAULT_MARKING,
    find_workspace,
    load_case,
    load_review,
)
from .reviewtype import DEFAULT_TYPE, DocumentType, ReviewType, load_type


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
    type: str = DEFAULT_TYPE


def builtin_templates() -> Path:
    """The templates shipped with casereview: inside the wheel, or the source tree's folder."""
    packaged = Path(__file__).parent / "_templates"
    return packaged if packaged.is_dir() else Path(__file__).resolve().parents[1] / "templates"


def toml_value(value) -> str:
    """A value written into a settings file: text quoted and escaped (a JSON string is a TOML
    basic string), dates bare, lists in brackets."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return json.dumps(str(value), ensure_ascii=False)


def environment(workspace: Path):
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader([jinja2.FileSystemLoader(Path(workspace) / "templates"),
                                    jinja2.FileSystemLoader(builtin_templates())]),
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,  # a board's template with a misspelt variable fails
        autoescape=False,
    )
    env.filters["toml"] = toml_value
    return env


def slug_for(child: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", child.lower()).strip("-") or "review"


def variables(details: NewReview | NewCase, review_type: ReviewType) -> dict:
    """Everything the templates receive (documented in docs/templates.md)."""
    values = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in asdict(details).items()}
    values.update(
        today=date.today().isoformat(),
        **_type_variables(review_type),
        agencies=[],
        in_case=False,
        # What a case made from another carries over (see conversion.py); empty otherwise.
        panel_members=[], records=[], people=[], trust_roots=[], terms_of_reference="",
        carried_from="",
    )
    for key in ("requested", "commissioned"):
        if isinstance(given := getattr(details, key, None), date):
            values[f"{key}_long"] = f"{given.day} {given:%B %Y}"
    return values


def _type_variables(review_type: ReviewType) -> dict:
    """What every template knows of the review's type."""
    return {"review_type": review_type, "type": review_type.name, "roles": review_type.roles,
            # The sections check insists on, as the framework was given before types were data.
            "framework": [s for s in review_type.agency_document.sections if s.required]}


def render_document(env, document: DocumentType, values: dict) -> str:
    """A document's first text: the board's own template named after its file if there is
    one (overview-report.md.j2), or else its sections as the review's type declares them."""
    import jinja2

    try:
        template = env.get_template(f"{document.stem}.md.j2")
    except jinja2.TemplateNotFound:
        template = env.get_template("document.md.j2")
    return template.render(**values, document=document)


def _problems(details, slug: str, target: Path) -> list[Problem]:
    problems = []
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", slug):
        problems.append(Problem("slug-invalid", f'"{slug}" cannot be a folder name.',
                                hint="Use lower-case letters, digits and hyphens, as in child-p."))
    if details.period_end < details.period_start:
        problems.append(Problem("period-reversed", "the period ends before it starts.",
                                hint="Check the start and end of the period under review."))
    for name, value in asdict(details).items():
        if isinstance(value, str) and not value.strip():
            problems.append(Problem("value-missing", f'"{name.replace("_", " ")}" is empty.',
                                    hint="Give a value for it."))
    if target.exists():
        problems.append(Problem("review-exists", "a review folder of that name already exists; "
                                "nothing was changed.", display_path(target),
                                hint="Choose another name with --slug."))
    return problems


def _make_folder(target: Path, files: dict[str, str | bytes]) -> Path:
    """Write the new folder whole, or not at all."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        for name, content in files.items():
            (staging / name).parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                (staging / name).write_bytes(content)
            else:
                (staging / name).write_text(content, encoding="utf-8")
        (staging / "records").mkdir(exist_ok=True)
        staging.chmod(0o755)
        staging.rename(target)
    finally:
        if staging.exists():
            shutil.rmtree(staging)
    return target


def ensure_workspace(folder: Path | str) -> tuple[Path, bool]:
    """The workspace holding ``folder``; in a folder outside any, a new one is made there (its
    conf.py, from the template), so every command works at once. Returns it, and whether it was
    made."""
    folder = Path(folder)
    try:
        return find_workspace(folder), False
    except CaseReviewError:
        folder.mkdir(parents=True, exist_ok=True)
        text = environment(folder).get_template("conf.py.j2").render(today=date.today())
        atomic_write(folder / "conf.py", text)
        return folder, True


def create(workspace: Path | str, details: NewReview) -> Path:
    """Make reviews/<slug>/, an agency's review in its own workspace, from the templates.
    Refuses to touch an existing folder."""
    workspace = Path(workspace)
    target = workspace / "reviews" / details.slug
    problems = _problems(details, details.slug, target)
    if problems:
        raise ScaffoldError(problems)
    review_type = load_type(details.type, workspace)
    env = environment(workspace)
    values = variables(details, review_type)
    files = {name.removesuffix(".j2"): env.get_template(name).render(**values)
             for name in ("review.toml.j2", "index.md.j2")}
    files[review_type.agency_document.source] = render_document(
        env, review_type.agency_document, values)
    return _make_folder(target, files)


@dataclass(frozen=True)
class NewCase:
    """What a new case needs to know; every field is asked for by casereview new case."""

    slug: str
    title: str
    child: str
    board: str
    panel: str
    commissioned: date
    period_start: date
    period_end: date
    chair: str
    chair_role: str
    marking: str = DEFAULT_MARKING
    type: str = DEFAULT_TYPE
    incident: date | None = None


def create_case(workspace: Path | str, details: NewCase, *, carried: dict | None = None,
                carried_files: dict[str, bytes] | None = None) -> Path:
    """Make reviews/<slug>/ for a case: case.toml and the panel's documents. ``carried`` holds
    what a case made from another takes from it (template variables), ``carried_files`` the
    files it copies (relative to the new folder)."""
    workspace = Path(workspace)
    target = workspace / "reviews" / details.slug
    problems = _problems(details, details.slug, target)
    if problems:
        raise ScaffoldError(problems)
    review_type = load_type(details.type, workspace)
    env = environment(workspace)
    values = {**variables(details, review_type), "in_case": True, **(carried or {})}
    files: dict[str, str | bytes] = {
        "case.toml": env.get_template("case.toml.j2").render(**values),
        "index.md": env.get_template("case-index.md.j2").render(**values),
        **(carried_files or {})}
    for document in review_type.panel_documents:
        files[document.source] = render_document(env, document, values)
    made = _make_folder(target, files)
    try:
        load_case(made)  # what was carried over must make a case that reads
    except BaseException:
        shutil.rmtree(made)
        raise
    return made


def create_agency_review(case_dir: Path | str, details: NewReview, code: str = "") -> Path:
    """Make agencies/<slug>/ in a case, for an agency's management review written in the
    board's workspace. An agency the case does not yet ask is added to its [[agencies]]."""
    case = load_case(case_dir)
    target = case.root / AGENCIES_FOLDER / details.slug
    problems = _problems(details, details.slug, target)
    code = code or agency_code(details.agency)
    asked = case.agency(details.agency)
    if asked is not None and asked.folder != details.slug:
        problems.append(Problem("review-exists", f"the case already keeps {asked.name}'s review "
                                f'in the folder "{asked.folder}".', display_path(target),
                                hint=f"Use --slug {asked.folder}."))
    if problems:
        raise ScaffoldError(problems)
    workspace = find_workspace(case.root)
    env = environment(workspace)
    document = case.review_type.agency_document
    values = {**variables(details, case.review_type), "code": code}
    files = {"review.toml": env.get_template("agency-review.toml.j2").render(**values),
             "index.md": env.get_template("index.md.j2").render(**values),
             document.source: render_document(env, document, values)}
    toml = case.root / CASE_FILE
    original = toml.read_text(encoding="utf-8")
    made = _make_folder(target, files)
    if asked is None:
        entry = (f'\n[[agencies]]\nname = "{details.agency}"\ncode = "{code}"\n'
                 f'folder = "{details.slug}"\n')
        try:
            # An array-of-tables entry may follow any table, so it can be added at the end.
            atomic_write(toml, original.rstrip("\n") + "\n" + entry)
            load_case(case.root)
        except BaseException:
            atomic_write(toml, original)
            shutil.rmtree(made)
            raise
    return made


def add_document(review_dir: Path | str, kind: str, workspace: Path | str = ".") -> Path:
    """Add one of the panel's documents of the review's type (for a serious case review: the
    overview report, executive summary or briefing) to a review, from its template."""
    review = load_review(review_dir)
    kinds = {d.stem: d for d in review.review_type.panel_documents}
    if kind not in kinds:
        raise ScaffoldError([Problem("document-kind", f'there is no "{kind}" document in a '
                                    f"{review.review_type.title.lower()}.",
                                    hint="Choose " + ", ".join(kinds) + ".")])
    document = kinds[kind]
    target = review.root / document.source
    if target.exists() or any(d.stem == kind for d in review.documents):
        raise ScaffoldError([Problem("document-exists", "the review already has this document; "
                                    "nothing was changed.", display_path(target))])
    values = {"title": review.title, "agency": review.agency, "child": review.child,
              "panel": review.panel, "requested": review.requested.isoformat(),
              "requested_long": f"{review.requested.day} {review.requested:%B %Y}",
              "marking": review.marking, "today": date.today().isoformat(),
              **_type_variables(review.review_type),
              "agencies": review.case.agencies if review.level == "case" else [],
              "in_case": review.level == "case"}
    text = render_document(environment(workspace), document, values)
    entry = (f'\n[[documents]]\nsource = "{document.source}"\ntitle = "{document.title}"\n' +
             ("public = true\n" if document.public else "") +
             ("numbered = true\n" if document.numbered else ""))
    toml = review.settings_file
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
