"""Sphinx extension: a review folder becomes a Sphinx project with marking, title page and PDFs.

The folder's review.toml is the single source of the review's details; this module only carries
them into Sphinx's configuration and provides directives that call the same library functions as
the command line.
"""

from __future__ import annotations

import os
import re
from datetime import date
from pathlib import Path

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective, SphinxRole

from chronology.merging import Filter
from chronology.problems import CaseReviewError
from chronology.render import (
    PRINT_HEADING,
    PRINT_LEGEND,
    is_high,
    latex_escape,
    print_rows,
    to_html,
    to_latex,
)

from . import __version__, paragraphs, word
from .actions import PLAN_FILE, RAGS, load_plan
from .chronologies import draw, drawing_key, review_chronology
from .model import (
    CASE_FILE,
    CHRONOLOGY_ONLY,
    REVIEW_FILE,
    Review,
    load_review,
    published_documents,
    settings_reference,
    uk_date,
)
from .publish import public_ids
from .receiving import agency_statuses
from .records import secured_on
from .reviewtype import load_type, reference_spec
from .settings import TYPE_NAMES

logger = logging.getLogger(__name__)
THEME_DIR = Path(__file__).parent / "theme"


# The review of the Sphinx run in progress: review.toml is read once per run, not once for every
# directive and role that needs it. Keyed on the run's config object, so a new run reloads.
_current: tuple[Config, Review, dict] | None = None


def current_review(config: Config) -> Review | None:
    global _current
    if not config.casereview_review:
        return None
    if _current is None or _current[0] is not config:
        _current = (config, load_review(config.casereview_review), {})
    return _current[1]


def current_plan(config: Config):
    """The review's action plan, read and checked once per run (None if it has none)."""
    review = current_review(config)
    if review is None:
        return None
    cache = _current[2]
    if "plan" not in cache:
        cache["plan"] = load_plan(review)
    return cache["plan"]


def title_block(review: Review) -> list[tuple[str, str]]:
    """The title block of an agency's review, in the order LSCB templates give it; for the
    panel's documents, the case's own: the board, the panel and the agencies it asked."""
    author = f"{review.reviewer.name}, {review.reviewer.role}"
    if review.level == "case":
        case = review.case
        members = "; ".join(f"{m.name}, {m.role}" for m in case.members) or "Not yet given"
        asked = "; ".join(a.name + (" (chronology only)" if a.kind == CHRONOLOGY_ONLY else "")
                          for a in case.agencies) or "None yet"
        return [
            ("Board", case.board),
            ("Panel", case.panel),
            ("Child", case.child),
            ("Date commissioned", uk_date(case.commissioned)),
            ("Panel chair", author),
            ("Panel members", members),
            ("Agencies", asked),
            ("Terms of reference", case.terms_of_reference or "Not yet given"),
            ("Time span of the review",
             f"{uk_date(case.period_start)} to {uk_date(case.period_end)}"),
            ("Version", case.version),
        ]
    return [
        *([("Case", review.case.title)] if review.case else []),
        ("Agency", review.agency),
        ("Child", review.child),
        ("To", review.panel),
        ("Date of request", uk_date(review.requested)),
        ("Author", author),
        ("Statement of independence", review.independence or "Not yet given"),
        ("Date records secured", uk_date(review.records_secured or secured_on(review.root))),
        ("Terms of reference", review.terms_of_reference or "Not yet given"),
        ("Time span of the review",
         f"{uk_date(review.period_start)} to {uk_date(review.period_end)}"),
        ("Version", review.version),
    ]


def _latex_preamble(marking: str, version: str | None) -> str:
    marking = latex_escape(marking)
    version = "" if version is None else r"\ \textbar\ Version " + latex_escape(version)
    style = (r"\fancyhf{}"
             r"\fancyhead[C]{\small\textbf{" + marking + "}}"
             r"\fancyfoot[C]{\small\textbf{" + marking + r"}\\[1pt]\footnotesize\@title"
             + version + r"\ \textbar\ Page \thepage\ of \pageref*{LastPage}}"
             r"\renewcommand{\headrulewidth}{0.4pt}\renewcommand{\footrulewidth}{0.4pt}")
    # Sphinx's classes switch between the "normal", "plain" and "empty" page styles; all three
    # carry the marking so that no page, title page included, is ever without it.
    return "\n".join([
        # Real space characters and Unicode mappings in the PDF, so text copies and reads aloud
        # correctly (and tests can read it as a person would).
        r"\ifdefined\pdfinterwordspaceon\pdfinterwordspaceon\fi",
        r"\ifdefined\pdfgentounicode\input{glyphtounicode}\pdfgentounicode=1\fi",
        r"\makeatletter",
        r"\setlength{\headheight}{14pt}",
        # Only sections are numbered, so "3.4" always means a paragraph, never a sub-heading.
        r"\setcounter{secnumdepth}{1}",
        r"\setlength{\footskip}{36pt}",
        # Headings and the contents are never hyphenated: a question the framework asks is read
        # and searched for whole.
        r"\g@addto@macro\py@HeaderFamily{\hyphenpenalty=10000\exhyphenpenalty=10000\relax}",
        r"\renewcommand{\sphinxtableofcontentshook}{\hyphenpenalty=10000"
        r"\exhyphenpenalty=10000\relax}",
        *(rf"\fancypagestyle{{{name}}}{{{style}}}" for name in ("normal", "plain", "empty")),
        r"\pagestyle{normal}",
        r"\makeatother",
    ])


def _pdf_metadata(review: Review, marking: str) -> str:
    """The PDF's own title, author, subject and marking, which a reader's PDF viewer, a records
    system and a screen reader show before the first page."""
    fields = {"pdfauthor": review.reviewer.name, "pdfsubject": review.title,
              "pdfkeywords": marking, "pdfcreator": f"casereview {__version__}"}
    pairs = ",".join(f"{k}={{{latex_escape(v)}}}" for k, v in fields.items())
    # Each document's own title is known only once LaTeX reads it.
    return (r"\makeatletter\AtBeginDocument{\hypersetup{pdftitle={\@title}," + pairs +
            r"}}\makeatother")


def _latex_title(review: Review) -> str:
    rows = "\n".join(rf"\textbf{{{latex_escape(k)}}} & {latex_escape(v)} \\[4pt]"
                     for k, v in title_block(review))
    return "\n".join([
        r"\begingroup\makeatletter",
        r"\thispagestyle{plain}",
        r"\begin{center}",
        r"{\sffamily\Huge\bfseries \@title\par}\vspace{1ex}",
        r"{\sffamily\Large " + latex_escape(review.title) + r"\par}",
        r"\end{center}\vspace{3ex}",
        # Labels are never hyphenated: "Statement of independence" reads as one label.
        r"\noindent\begin{tabular}{@{}>{\raggedright\arraybackslash\hyphenpenalty=10000}"
        r"p{0.3\linewidth}p{0.66\linewidth}@{}}",
        rows,
        r"\end{tabular}",
        r"\makeatother\endgroup",
        r"\clearpage",
    ])


#: Under LuaLaTeX (the workspace's conf.py chooses it), every script a family's names may be
#: written in prints as itself: Noto Serif for Latin with any diacritics, Greek, Cyrillic and
#: Vietnamese; Noto Naskh Arabic, shaped by HarfBuzz and set right to left, for Arabic and Urdu.
#: Babel changes font at each character of another script, so writers mark nothing. A board's
#: conf.py that sets "babel" or "fontpkg" itself keeps its own.
UNICODE_FONTS = {
    "babel": r"\usepackage[bidi=basic, british]{babel}",
    "fontpkg": "\n".join([
        # Greek and Cyrillic are in Noto Serif itself: only Arabic script needs its own font
        # (and each language babel is asked to watch for costs every run a second or more).
        r"\babelprovide[import, onchar=ids fonts]{arabic}",
        r"\babelfont{rm}{Noto Serif}",
        r"\babelfont{sf}{Noto Sans}",
        r"\babelfont{tt}{DejaVu Sans Mono}",
        r"\babelfont[arabic]{rm}[Renderer=HarfBuzz]{Noto Naskh Arabic}",
        r"\babelfont[arabic]{sf}[Renderer=HarfBuzz]{Noto Sans Arabic}",
    ]),
}


#: pdfTeX writes a real space between words into the PDF (\pdfinterwordspaceon); LuaTeX does
#: not, and a reader's copy, a search or a text extraction of tightly set lines runs the words
#: together. This small Lua filter gives LuaTeX's PDFs the same real spaces.
SPACES_LUA = THEME_DIR / "latex" / "casereview-spaces.lua"


def _configure(app: Sphinx, config: Config) -> None:
    if config.latex_engine == "lualatex":
        config.latex_elements = {**UNICODE_FONTS, **config.latex_elements}
        config.latex_additional_files = [*config.latex_additional_files, str(SPACES_LUA)]
        config.latex_elements["preamble"] = (config.latex_elements.get("preamble", "") +
                                             "\n" + rf'\directlua{{dofile("{SPACES_LUA.name}")}}')
    config.templates_path = [*config.templates_path, str(THEME_DIR / "templates")]
    config.html_static_path = [*config.html_static_path, str(THEME_DIR / "static")]
    srcdir = Path(app.srcdir)
    if not (srcdir / REVIEW_FILE).is_file() and not (srcdir / CASE_FILE).is_file():
        # a plain Sphinx project, such as docs/ or the action register
        if config.casereview_marking:
            _mark(config, config.casereview_marking, None)
        return
    config.casereview_review = str(Path(app.srcdir))
    review = current_review(config)
    public = config.casereview_edition == "public"
    documents = published_documents(review, config.casereview_edition)
    # The public edition holds only documents marked public; the rest are not even read.
    config.exclude_patterns = [*config.exclude_patterns,
                               *(d.source for d in review.documents if d not in documents)]
    marking = review.public_marking if public else review.marking
    config.project = review.title
    config.version = config.release = review.version
    config.author = review.reviewer.name
    config.root_doc = "index"
    config.exclude_patterns = [*config.exclude_patterns, "records", "records/**", "secured",
                               "secured/**", "_build", "signoff/**", "agencies/**", "received/**"]
    config.casereview_numbered_documents = [d.docname for d in documents if d.numbered]
    config.latex_documents = [(d.docname, f"{d.stem}.tex", d.title, review.reviewer.name, "howto")
                              for d in documents]
    _mark(config, marking, review.version)
    config.latex_elements = {**config.latex_elements, "maketitle": _latex_title(review),
                             "preamble": config.latex_elements.get("preamble", "") + "\n" +
                             _pdf_metadata(review, marking)}
    config.html_title = review.title
    # Who the DRAFT banner waits for: the panel chair signs off a case's panel documents.
    config.html_context = {**config.html_context,
                           "casereview_signer": f"the {review.signer_title[0]}"}


def _mark(config: Config, marking: str, version: str | None) -> None:
    """The protective marking at the top and foot of every page, in HTML and PDF."""
    elements = dict(config.latex_elements)
    elements.update({
        "extrapackages": elements.get("extrapackages", "") + "\n\\usepackage{lastpage}",
        "preamble": _latex_preamble(marking, version) + "\n" + elements.get("preamble", ""),
    })
    config.latex_elements = elements
    context = dict(config.html_context)
    context.update(casereview_marking=marking, casereview_version=version or "")
    config.html_context = context


def _add_document_list(app: Sphinx, docname: str, source: list[str]) -> None:
    """List the review's documents on its index page, so review.toml is the only place to add one."""
    if docname != app.config.root_doc or not app.config.casereview_review:
        return
    review = current_review(app.config)
    entries = "\n".join(d.docname for d in published_documents(review,
                                                                 app.config.casereview_edition))
    source[0] += f"\n\n```{{toctree}}\n:maxdepth: 1\n:caption: Documents\n\n{entries}\n```\n"


def _csv(argument: str | None) -> tuple[str, ...]:
    return tuple(a.strip() for a in (argument or "").split(",") if a.strip())


def _iso(argument: str | None) -> date:
    try:
        return date.fromisoformat((argument or "").strip())
    except ValueError:
        raise ValueError(f'"{argument}" is not a date; write it as YYYY-MM-DD') from None


class ReviewDirective(SphinxDirective):
    def review_with_records(self) -> Review | None:
        """The review, with its record files noted so editing one rebuilds this page."""
        review = self.review()
        if review is not None:
            for path in {s.path for s in review.sources}:
                self.env.note_dependency(str(path))
        return review

    def review(self) -> Review | None:
        root = self.config.casereview_review
        if not root:
            logger.warning(f"the {self.name} directive needs a review folder with a {REVIEW_FILE}",
                           location=self.get_location(), type="casereview", subtype="no-review")
            return None
        return current_review(self.config)


class ChronologyDirective(ReviewDirective):
    """The review's merged chronology as a table; options narrow it down."""

    option_spec = {
        "agencies": directives.unchanged,
        "from": _iso,
        "to": _iso,
        "significance": directives.unchanged,
        "kind": directives.unchanged,
        "outside-period": directives.flag,
        "no-gaps": directives.flag,
        "caption": directives.unchanged,
    }

    def run(self) -> list[nodes.Node]:
        review = self.review_with_records()
        if review is None:
            return []
        result = review_chronology(review)
        for problem in result.errors:
            logger.warning(str(problem), location=self.get_location(), type="casereview",
                           subtype=problem.code)
        chosen = Filter(
            agencies=_csv(self.options.get("agencies")),
            start=self.options.get("from"),
            end=self.options.get("to"),
            significance=_csv(self.options.get("significance")),
            kinds=_csv(self.options.get("kind")),
            include_outside_period="outside-period" in self.options,
        )
        for agency in chosen.unmatched_agencies(result.events):
            agencies = result.events[["agency", "code"]].drop_duplicates()
            named = ", ".join(f'"{a}" ({c})' for a, c in agencies.itertuples(index=False))
            logger.warning(f'the chronology\'s :agencies: names "{agency}", which no record '
                           f"comes from; the agencies are {named}. Write an agency's name or "
                           "code as review.toml gives it.", location=self.get_location(),
                           type="casereview", subtype="chronology-filter")
        events = chosen.apply(result.events)
        if "no-gaps" not in self.options:
            events = result.with_gaps(review.gap_days, review.period).pipe(chosen.apply)
        if self.config.casereview_edition == "public" or review.restricted_names == "pseudonyms":
            register = review.register
            events = events.assign(**{c: events[c].map(register.pseudonymise)
                                      for c in ("event", "action", "comment", "source")})
        if self.config.casereview_edition == "public":
            events = public_ids(events, review.register)
        caption = self.options.get("caption", "")
        return [_markup(to_html(events, caption=caption), "html"),
                _markup(to_latex(events, caption=caption), "latex"),
                word.rows_node(list(PRINT_HEADING), print_rows(events), caption, PRINT_LEGEND,
                               bold=[is_high(s) for s in events["significance"]])]


class TimelineDirective(ReviewDirective):
    """The review's chronology drawn as a figure: a timeline, or contacts per month."""

    option_spec = {"kind": lambda a: directives.choice(a, ("timeline", "monthly")),
                   "caption": directives.unchanged}

    def run(self) -> list[nodes.Node]:
        review = self.review_with_records()
        if review is None:
            return []

        kind = self.options.get("kind", "timeline")
        try:
            # Drawn beside the doctrees, never into the review folder, which holds only
            # sources; named by what it shows, so it is drawn again only when that changes.
            png = Path(self.env.doctreedir) / "casereview-figures" / \
                f"{kind}-{drawing_key(review, kind)}.png"
            if not png.is_file():
                draw(review, png, kind=kind)
        except CaseReviewError as exc:
            for problem in exc.problems:
                logger.warning(str(problem), location=self.get_location(), type="casereview",
                               subtype=problem.code)
            return []
        doc_dir = Path(self.env.srcdir) / Path(self.env.docname).parent
        figure = nodes.figure()
        figure += nodes.image(uri=os.path.relpath(png, doc_dir), width="100%",
                              alt=self.options.get("caption", f"Chronology {kind}"))
        if caption := self.options.get("caption"):
            figure += nodes.caption(caption, caption)
        return [figure]


def _action_anchor(action_id: str) -> str:
    # Not docutils' make_id: it drops leading digits, and action IDs start with them ("1.1").
    return "action-" + "-".join(re.findall(r"[A-Za-z0-9]+", action_id))


def _rag_html(rag: str) -> str:
    from html import escape

    rag = rag.capitalize()
    if rag not in RAGS:
        return "Not rated"
    return f'<span class="rag rag-{rag.lower()}">{escape(rag)}</span> ({RAGS[rag]})'


class ActionPlanDirective(ReviewDirective):
    """The review's action plan as a table; RAG given in words as well as colour."""

    def run(self) -> list[nodes.Node]:
        from html import escape


        review = self.review()
        if review is None:
            return []
        self.env.note_dependency(str(review.root / PLAN_FILE))
        plan = current_plan(self.config)
        if plan is None:
            logger.warning(f"the review has no {PLAN_FILE} yet", location=self.get_location(),
                           type="casereview", subtype="no-action-plan")
            return []
        for problem in plan.errors:
            logger.warning(str(problem), location=self.get_location(), type="casereview",
                           subtype=problem.code)
        recommendations = plan.recommendations()
        columns = ("Action", "Owner", "Target date", "Intended outcome", "How reviewed",
                   "Status", "RAG", "Evidence")
        html = ['<table class="action-plan docutils align-default"><thead><tr>'
                + "".join(f"<th>{c}</th>" for c in ("ID", *columns)) + "</tr></thead><tbody>"]
        latex = [r"\begingroup\footnotesize\begin{longtable}{"
                 r">{\raggedright\arraybackslash}p{0.06\linewidth}"
                 r">{\raggedright\arraybackslash}p{0.30\linewidth}"
                 r">{\raggedright\arraybackslash}p{0.14\linewidth}"
                 r">{\raggedright\arraybackslash}p{0.10\linewidth}"
                 r">{\raggedright\arraybackslash}p{0.12\linewidth}"
                 r">{\raggedright\arraybackslash}p{0.16\linewidth}}",
                 r"\hline \textbf{ID} & \textbf{Action} & \textbf{Owner} & \textbf{Target} & "
                 r"\textbf{Status} & \textbf{RAG}\\ \hline \endhead"]
        colours = {"Red": "red!70!black", "Amber": "orange!80!black", "Green": "green!50!black"}
        current = None
        for action in plan.actions:
            v = action.values
            if v.get("recommendation_id") != current:
                current = v.get("recommendation_id")
                text = f"Recommendation {current}: {recommendations.get(current, '')}"
                html.append(f'<tr class="recommendation"><td colspan="9"><strong>'
                            f"{escape(text)}</strong></td></tr>")
                latex.append(r"\multicolumn{6}{p{0.95\linewidth}}{\textbf{" +
                             latex_escape(text) + r"}}\\ \hline")
            cells = [escape(v.get(k, "")) for k in ("action", "owner", "target_date", "outcome",
                                                   "measure", "status")]
            html.append(f'<tr id="{_action_anchor(v.get("action_id", ""))}"><td>'
                        f'{escape(v.get("action_id", ""))}</td>'
                        + "".join(f"<td>{c}</td>" for c in cells)
                        + f"<td>{_rag_html(v.get('rag', ''))}</td>"
                        + f"<td>{escape(v.get('evidence', ''))}</td></tr>")
            rag = v.get("rag", "").capitalize()
            rag_tex = (r"\textcolor{" + colours[rag] + r"}{\textbf{" + rag + "}} (" + RAGS[rag] +
                       ")") if rag in RAGS else "Not rated"
            latex.append(" & ".join(latex_escape(v.get(k, "")) for k in
                                    ("action_id", "action", "owner", "target_date", "status"))
                         + " & " + rag_tex + r"\\ \hline")
        html.append("</tbody></table>")
        latex += [r"\end{longtable}\endgroup"]
        return [_markup("\n".join(html), "html"), _markup("\n".join(latex), "latex")]


class ActionsRole(SphinxRole):
    """``{actions}`1``` -> "actions 1.1, 1.2", linked to their rows in the action plan."""

    def run(self):
        plan = current_plan(self.config)
        wanted = self.text.strip()
        found = [a.values["action_id"] for a in (plan.actions if plan else [])
                 if a.values.get("recommendation_id") == wanted]
        if not found:
            logger.warning(f'the action plan has no actions for recommendation "{wanted}"',
                           location=self.get_location(), type="casereview",
                           subtype="actions-missing")
            return [nodes.Text(f"[actions for {wanted}]")], []
        result: list[nodes.Node] = [nodes.Text("action " if len(found) == 1 else "actions ")]
        for number, action_id in enumerate(found):
            if number:
                result.append(nodes.Text(", "))
            result.append(nodes.reference(action_id, action_id, internal=True,
                                          refid=_action_anchor(action_id)))
        return result, []


class PersonRole(SphinxRole):
    """``{person}`mother``` -> the pseudonym (always in public), or the name where allowed."""

    def run(self):
        review = current_review(self.config)
        person = review.register.person(self.text.strip()) if review else None
        if person is None:
            roles = ", ".join(p.role for p in review.register.people) if review else ""
            logger.warning(f'no one in the people register has the role "{self.text.strip()}"'
                           + (f" (roles: {roles})" if roles else ""), location=self.get_location(),
                           type="casereview", subtype="person-unknown")
            return [nodes.Text(f"[{self.text.strip()}]")], []
        public = self.config.casereview_edition == "public"
        shown = person.real_name if not public and review.restricted_names == "names" else \
            person.publish_as
        return [nodes.Text(shown)], []


class TitleBlockDirective(ReviewDirective):
    """The review's title block as a table in HTML (the PDF has it on its title page)."""

    def run(self) -> list[nodes.Node]:
        review = self.review()
        if review is None:
            return []
        from html import escape

        rows = "".join(f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>"
                       for k, v in title_block(review))
        return [_markup(f'<table class="title-block">{rows}</table>', "html"),
                word.rows_node([], [[k, v] for k, v in title_block(review)])]


class AgencyReviewsDirective(ReviewDirective):
    """The agencies the case asked, and where each one's contribution stands."""

    def run(self) -> list[nodes.Node]:
        review = self.review()
        if review is None:
            return []
        if review.case is None or review.level != "case":
            logger.warning("the agency-reviews directive belongs in the panel's documents of a "
                           f"case (a folder with a {CASE_FILE})", location=self.get_location(),
                           type="casereview", subtype="no-case")
            return []
        today = date.today()
        rows = [["Agency", "Asked for", "Due", "Received", "Signed off by"]]
        rows += [[s.agency.name, s.agency.kind, uk_date(s.due) if s.due else "",
                  uk_date(s.received) if s.received else s.state(today),
                  f"{s.record['signed_by']}, {s.record['role']}" if s.record else ""]
                 for s in agency_statuses(review.case)]
        return [_table(rows, (30, 16, 14, 14, 26), "agency-reviews")]


class SettingsReferenceDirective(SphinxDirective):
    """Every setting of review.toml or case.toml as tables, made from the same declarations that
    loading checks against, so the reference cannot drift from what casereview accepts."""

    required_arguments = 1

    def run(self) -> list[nodes.Node]:
        result: list[nodes.Node] = []
        for table, keys in settings_reference(self.arguments[0]):
            heading = table or "At the top of the file"
            result.append(nodes.rubric(text=heading))
            rows = [["Setting", "Written as", "Needed", "What it is", "Example"]]
            # Settings and examples as code: typographic quotes would not be TOML.
            rows += [[nodes.literal(text=key), kind, "yes" if required else "", what,
                      nodes.literal(text=example)]
                     for key, kind, required, what, example in keys]
            result.append(_table(rows, (14, 16, 8, 34, 28), "settings-reference"))
        return result


class ReviewTypeDirective(SphinxDirective):
    """A shipped review type set out for its page in the guide, from its file: the guidance and
    sources it follows, who writes and signs what, each document's sections and questions, the
    clocks and the checklist. The page cannot drift from what casereview does."""

    required_arguments = 1

    def run(self) -> list[nodes.Node]:
        review_type = load_type(self.arguments[0])
        roles = review_type.roles
        result: list[nodes.Node] = [
            nodes.paragraph(text=f"Follows: {review_type.guidance}."),
            nodes.rubric(text="Sources"),
            nodes.bullet_list("", *(nodes.list_item("", nodes.paragraph(text=source))
                                    for source in review_type.sources)),
            nodes.rubric(text="Who writes and signs what"),
            _table([["Party", "Writes", "Signed off by"],
                    ["Each agency asked", f"its {roles.agency_document}",
                     f"its {roles.agency_signer}"],
                    ["The panel", ", ".join(d.title for d in review_type.panel_documents),
                     f"the {roles.panel_signer}"]], (20, 50, 30), "review-type"),
            nodes.paragraph(text=f"The people register's role for the person the review is "
                            f"about: {roles.subject}. Completion within {review_type.months} "
                            f"month{'' if review_type.months == 1 else 's'} of the request "
                            "unless case.toml says otherwise."),
        ]
        for document in (review_type.agency_document, *review_type.panel_documents):
            flags = [w for w, on in (("numbered paragraphs", document.numbered),
                                     ("published", document.public)) if on]
            result.append(nodes.rubric(text=f"{document.title} ({document.source}"
                                       + "".join(f", {f}" for f in flags) + ")"))
            rows = [["Section", "What to write", "check insists"]]
            for section in document.sections:
                rows.append([("\u2003" if section.level == 3 else "") + section.heading,
                             section.guidance, "yes" if section.required else ""])
                rows += [["\u2003\u2003" + q.heading, q.guidance, "yes"]
                         for q in section.questions]
            result.append(_table(rows, (40, 48, 12), "review-type"))
        rows = [["Milestone", "Shown for", "Due"]]
        for clock in review_type.clocks:
            shown = ", ".join({"case": "the panel", "agency": "an agency in the case",
                               "own": "an agency's own workspace"}[a] for a in clock.audiences)
            rows.append([clock.label, shown, clock.when])
        result += [nodes.rubric(text="Clocks"), _table(rows, (36, 34, 30), "review-type")]
        if review_type.checklist:
            result += [nodes.rubric(text="Checklist"),
                       nodes.paragraph(text=", ".join(i.label for i in review_type.checklist)
                                       + ".")]
        return result


class TypeFileReferenceDirective(SphinxDirective):
    """Every key of a review type's file, from the declarations its loading checks against."""

    def run(self) -> list[nodes.Node]:
        result: list[nodes.Node] = []
        for table, spec in reference_spec():
            result.append(nodes.rubric(text=table or "At the top of the file"))
            rows = [["Key", "Written as", "Needed", "What it is", "Example"]]
            rows += [[nodes.literal(text=key), TYPE_NAMES[kind], "yes" if required else "", what,
                      nodes.literal(text=example)]
                     for key, (kind, required, what, example) in spec.items()]
            result.append(_table(rows, (14, 16, 8, 34, 28), "settings-reference"))
        return result


def _table(rows: list[list[str | nodes.Node]], widths: tuple[int, ...],
           klass: str) -> nodes.table:
    """A docutils table: the first row is the heading row."""
    table = nodes.table(classes=[klass])
    group = nodes.tgroup(cols=len(widths))
    table += group
    group.extend(nodes.colspec(colwidth=w) for w in widths)
    for part, lines in ((nodes.thead(), rows[:1]), (nodes.tbody(), rows[1:])):
        for cells in lines:
            row = nodes.row()
            for cell in cells:
                content = nodes.paragraph(text=cell) if isinstance(cell, str) else \
                    nodes.paragraph("", "", cell)
                row += nodes.entry("", content)
            part += row
        group += part
    return table


class GuidanceDirective(SphinxDirective):
    """Advice for the writer: shown while drafting, never in a final build."""

    has_content = True

    def run(self) -> list[nodes.Node]:
        if self.config.casereview_final:
            return []
        box = nodes.container(classes=["guidance"])
        box += nodes.rubric("Guidance for the writer", "Guidance for the writer",
                            classes=["guidance-title"])
        self.state.nested_parse(self.content, self.content_offset, box)
        for paragraph in box.findall(nodes.paragraph):
            paragraph["classes"].append("guidance")
        return [box]


def _signoff_page(details: dict) -> str:
    """The last page of a signed-off PDF: the chief officer's confirmation, and the space the
    digital signature is placed in (so it never covers the document's own text)."""
    esc = latex_escape
    return "\n".join([
        r"\clearpage",
        *([r"\section*{Sign-off by the " + esc(details.get("signer", "panel chair")) + "}",
           "I confirm that the panel has considered every agency's review and chronology, and I "
           "endorse these documents for the board." + r"\par\bigskip"]
          if details.get("level") == "case" else
          [r"\section*{Sign-off by the chief officer}",
           "I confirm that the case records were secured on " + esc(details["secured"]) +
           ", and I endorse this review for the review panel." + r"\par\bigskip"]),
        r"\begin{tabular}{@{}ll@{}}",
        r"Name: & " + esc(details["name"]) + r"\\",
        r"Role: & " + esc(details["role"]) + r"\\",
        r"\end{tabular}\par\bigskip",
        (r"Digital signature (below):" if details.get("digital") else
         r"Recorded without a digital signature; the sign-off record holds this PDF's "
         r"fingerprint (SHA-256)."),
        r"\par",
    ])


def _guidance_draft_and_signoff(app: Sphinx, config: Config) -> None:
    """Guidance boxes are grey and bordered in the PDF, so they cannot be mistaken for text;
    a draft carries DRAFT across every page until the chief officer signs it off."""
    lines = [
        r"\usepackage{mdframed}",
        r"\newenvironment{sphinxclassguidance}{\begin{mdframed}[backgroundcolor=black!6,"
        r"linecolor=black!40,linewidth=1pt]\itshape\small}{\end{mdframed}}",
    ]
    if config.casereview_review and config.casereview_draft:
        lines += [r"\usepackage{draftwatermark}", r"\SetWatermarkText{DRAFT}",
                  r"\SetWatermarkScale{5}", r"\SetWatermarkLightness{0.88}"]
    elements = dict(config.latex_elements)
    elements["preamble"] = elements.get("preamble", "") + "\n" + "\n".join(lines)
    if config.casereview_signoff:
        elements["atendofbody"] = elements.get("atendofbody", "") + _signoff_page(
            config.casereview_signoff)
    config.latex_elements = elements
    context = dict(config.html_context)
    context["casereview_draft"] = bool(config.casereview_review and config.casereview_draft)
    config.html_context = context


def _markup(text: str, output: str) -> nodes.raw:
    """Markup made by casereview itself from escaped text, which the document check lets by."""
    return nodes.raw("", text, format=output, casereview=True)


def _refuse_unsafe_content(app: Sphinx, doctree: nodes.document) -> None:
    """Refuse what a writer, or text pasted from anywhere, could slip into a document: raw HTML
    or LaTeX (a script, an image that runs code, \\input of a system file), and a file included
    from outside the workspace. A board that needs raw markup sets casereview_allow_raw.
    Only a review's documents are checked: the user guide is the project's own."""
    if not app.config.casereview_review:
        return
    if not app.config.casereview_allow_raw:
        for node in list(doctree.findall(nodes.raw)):
            if not node.get("casereview"):
                logger.warning(f"raw {node.get('format', '')} is not allowed in a review's "
                               "documents: write it in Markdown, or ask the board to set "
                               "casereview_allow_raw = True in conf.py.", location=node,
                               type="casereview", subtype="raw-refused")
                node.parent.remove(node)
    workspace = Path(app.confdir).resolve()
    made_here = [Path(app.doctreedir).resolve(), Path(app.outdir).resolve()]  # our figures
    # docutils records each file it includes relative to the working folder; Sphinx's own
    # directives (literalinclude) note theirs relative to the review's folder.
    included = {(Path.cwd() / d).resolve() for d in doctree.settings.record_dependencies.list}
    included |= {(Path(app.srcdir) / d).resolve()
                 for d in app.env.dependencies.get(app.env.docname, ())}
    for path in sorted(included):
        if not path.is_relative_to(workspace) and not any(path.is_relative_to(folder)
                                                          for folder in made_here):
            logger.warning(f'"{path}" is outside the workspace, so it cannot be included: '
                           "copy the file into the review's folder.",
                           location=app.env.docname, type="casereview",
                           subtype="include-outside")
            doctree.children = []  # nothing of it reaches any output


def setup(app: Sphinx) -> dict:
    app.add_config_value("casereview_review", "", "env", types=[str])
    app.add_config_value("casereview_final", False, "env", types=[bool])
    app.add_config_value("casereview_draft", True, "env", types=[bool])
    app.add_config_value("casereview_edition", "restricted", "env", types=[str])
    app.add_config_value("casereview_signoff", {}, "env", types=[dict])
    # For a project with no review.toml, such as the action register: its protective marking.
    app.add_config_value("casereview_marking", "", "env", types=[str])
    app.add_config_value("casereview_allow_raw", False, "env", types=[bool])
    app.connect("doctree-read", _refuse_unsafe_content)
    app.add_role("person", PersonRole())
    app.add_role("actions", ActionsRole())
    app.add_directive("action-plan", ActionPlanDirective)
    app.add_config_value("casereview_numbered_documents", [], "env", types=[list])
    app.connect("config-inited", _guidance_draft_and_signoff, priority=600)
    app.add_directive("guidance", GuidanceDirective)
    app.add_node(paragraphs.para_reference)
    app.add_role("para", paragraphs.ParaRole())
    app.add_transform(paragraphs.NumberParagraphs)
    app.connect("env-before-read-docs", paragraphs.init_store)
    app.connect("env-purge-doc", paragraphs.purge)
    app.connect("env-merge-info", paragraphs.merge)
    app.connect("doctree-resolved", paragraphs.resolve_citations)
    app.connect("build-finished", paragraphs.write_numbers)
    # For the panel's documents: each agency review's paragraph numbers, as signed off.
    app.add_config_value("casereview_agency_paragraphs", {}, "env", types=[dict])
    app.add_directive("agency-reviews", AgencyReviewsDirective)
    app.add_directive("settings-reference", SettingsReferenceDirective)
    app.add_directive("review-type", ReviewTypeDirective)
    app.add_directive("type-file-reference", TypeFileReferenceDirective)
    app.connect("config-inited", _configure)
    app.connect("source-read", _add_document_list)
    app.add_directive("chronology", ChronologyDirective)
    app.add_builder(word.WordBuilder)
    app.add_directive("title-block", TitleBlockDirective)
    app.add_directive("chronology-figure", TimelineDirective)
    app.add_css_file("casereview.css")
    app.add_js_file("chronology.js", loading_method="defer")
    return {"version": __version__, "parallel_read_safe": True, "parallel_write_safe": True}
