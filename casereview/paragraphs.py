"""Numbered paragraphs (1.1, 1.2 … per section) and the ``{para}`` role that cites them.

Panels number the paragraphs of a review so recommendations can cite findings. A writer labels a
paragraph with a MyST target on the line before it, ``(missed-check)=``, and cites it with
``{para}`missed-check``` which reads "paragraph 3.4" and links to it. A citation of a label that
does not exist is a build warning, so the build fails rather than print a dangling reference.
"""

from __future__ import annotations

import json
from pathlib import Path

from docutils import nodes
from sphinx.transforms import SphinxTransform
from sphinx.util import logging
from sphinx.util.docutils import SphinxRole

from .model import PARAGRAPHS_FILE

logger = logging.getLogger(__name__)


class para_reference(nodes.Inline, nodes.TextElement):
    """A citation waiting for the paragraph numbers of every document to be known."""


def numbered_documents(config) -> set[str]:
    return set(config.casereview_numbered_documents or ())


class NumberParagraphs(SphinxTransform):
    """Give every paragraph directly under a section a number: section.paragraph."""

    default_priority = 800  # after targets have moved onto the paragraphs they precede

    def apply(self, **kwargs) -> None:
        docname = self.env.docname
        if docname not in numbered_documents(self.config):
            return
        numbers = self.env.casereview_paragraphs.setdefault(docname, {})
        numbers.clear()
        top = next(iter(self.document.findall(nodes.section)), None)
        if top is None:
            return
        chapters = [child for child in top.children if isinstance(child, nodes.section)]
        for chapter_number, chapter in enumerate(chapters, start=1):
            count = 0
            for paragraph in chapter.findall(nodes.paragraph):
                if not isinstance(paragraph.parent, nodes.section):
                    continue  # lists, tables and boxes keep their own structure
                if "guidance" in paragraph.get("classes", []):
                    continue
                count += 1
                label = f"{chapter_number}.{count}"
                anchor = f"para-{chapter_number}-{count}"
                paragraph["ids"].append(anchor)
                paragraph.insert(0, nodes.inline(label + " ", label + " ",
                                                 classes=["para-number"]))
                for name in paragraph["ids"]:
                    numbers[name] = (label, anchor)
                numbers[label] = (label, anchor)


class ParaRole(SphinxRole):
    """``{para}`label``` -> "paragraph 3.4", linked to the paragraph."""

    def run(self):
        node = para_reference(self.rawtext, "", target=self.text.strip(), docname=self.env.docname)
        node.source, node.line = self.get_source_info()
        return [node], []


def _agency_citation(app, node) -> bool:
    """``{para}`probation:key-points``` in the panel's documents -> "Northshire Probation Service
    management review, paragraph 3.4", from the paragraph numbers the agency's signed-off review
    carries. Returns False when the target names no agency."""
    folder, _, label = node["target"].partition(":")
    agencies = app.config.casereview_agency_paragraphs or {}
    if not label or folder not in agencies:
        if label:
            known = ", ".join(sorted(agencies)) or "none is signed off or received yet"
            logger.warning(f'the citation "{node["target"]}" names no agency review the panel '
                           f'holds signed off (agencies: {known})', location=node,
                           type="casereview", subtype="para-agency-unknown")
            node.replace_self(nodes.Text(f"paragraph [{node['target']}]"))
            return True
        return False
    agency = agencies[folder]
    number = next((numbers[key] for numbers in agency["paragraphs"].values()
                   for key in (label, nodes.make_id(label)) if key in numbers), None)
    if number is None:
        logger.warning(f'the signed-off review of {agency["agency"]} has no paragraph labelled '
                       f'"{label}"', location=node, type="casereview", subtype="para-missing")
        number = f"[{label}]"
    node.replace_self(nodes.Text(f"{agency['agency']} management review, paragraph {number}"))
    return True


def resolve_citations(app, doctree, docname) -> None:
    for node in list(doctree.findall(para_reference)):
        target = node["target"]
        if ":" in target and _agency_citation(app, node):
            continue
        found = None
        for document, numbers in app.env.casereview_paragraphs.items():
            key = nodes.make_id(target) if target not in numbers else target
            if key in numbers:
                found = (document, *numbers[key])
                break
        if found is None:
            logger.warning(f'the citation of paragraph "{target}" has no matching labelled '
                           f'paragraph; label one with ({target})= on the line before it',
                           location=node, type="casereview", subtype="para-missing")
            node.replace_self(nodes.Text(f"paragraph [{target}]"))
            continue
        document, label, anchor = found
        reference = nodes.reference("", "", internal=True)
        try:
            reference["refuri"] = app.builder.get_relative_uri(docname, document) + "#" + anchor
        except Exception:  # builders without pages (such as LaTeX's single file) use the anchor
            reference["refid"] = anchor
        if app.builder.format == "latex":
            reference = nodes.inline()
        reference += nodes.Text(f"paragraph {label}")
        node.replace_self(reference)


def write_numbers(app, exception) -> None:
    """Keep the paragraph numbers beside the HTML: a sign-off records them, so the panel can cite
    the signed review's paragraphs without its sources."""
    if exception is None and app.builder.format == "html" and app.config.casereview_review:
        numbers = {document: {name: label for name, (label, _) in found.items()}
                   for document, found in app.env.casereview_paragraphs.items()}
        (Path(app.outdir) / PARAGRAPHS_FILE).write_text(json.dumps(numbers, indent=1,
                                                                  sort_keys=True))


def init_store(app, env, *args) -> None:
    if not hasattr(env, "casereview_paragraphs"):
        env.casereview_paragraphs = {}


def purge(app, env, docname) -> None:
    getattr(env, "casereview_paragraphs", {}).pop(docname, None)


def merge(app, env, docnames, other) -> None:
    env.casereview_paragraphs.update(
        {d: n for d, n in getattr(other, "casereview_paragraphs", {}).items() if d in docnames})
