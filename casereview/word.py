"""Word out: each document of a review as a .docx, for boards that require a Word copy and panel
members who comment in Word.

Written with python-docx from the same resolved doctree the HTML and PDF come from, so the
Word copy says what they say: the protective marking in every page's header and footer, the
title block, headings, the numbered paragraphs as numbered, the chronology as a real Word table
whose heading row repeats on every page, and DRAFT until the review is signed off. (A Sphinx
docx builder from PyPI and pandoc were weighed: neither knows the chronology or the title
block, which are casereview's own, and each is one more thing to install and keep up.)
"""

from __future__ import annotations

import json
from pathlib import Path

from docutils import nodes
from sphinx.builders import Builder

from chronology.render import column_widths

#: A table with this many columns or more (a chronology) is set on landscape pages.
WIDE_TABLE_COLUMNS = 6
#: The page margins, left and right, as the PDF's (conf.py's hmargin).
MARGIN_CM = 2

#: The raw format under which directives hand their tables to this builder as JSON rows: a
#: heading row, then the body rows. HTML and LaTeX ignore raw content of another format.
ROWS_FORMAT = "casereview-rows"


def rows_node(heading: list[str], rows: list[list[str]], caption: str = "", note: str = "",
              bold: list[bool] | None = None) -> nodes.raw:
    """bold: which rows' first cell begins in bold (a chronology's events of high
    significance, as in print). A table with no heading row has its first column bold."""
    text = json.dumps({"heading": heading, "rows": rows, "caption": caption, "note": note,
                       "bold": bold or [not heading] * len(rows)})
    return nodes.raw("", text, format=ROWS_FORMAT, casereview=True)


class WordBuilder(Builder):
    """``-b casereview-docx``: one .docx per document of the review, in the output folder."""

    name = "casereview-docx"
    format = "docx"
    epilog = "The Word files are in %(outdir)s."
    # Sphinx asks a builder for its translator; the Word document is written by _Document.
    default_translator_class = nodes.GenericNodeVisitor

    def get_outdated_docs(self):
        return self.env.found_docs

    def get_target_uri(self, docname: str, typ: str | None = None) -> str:
        return docname

    def prepare_writing(self, docnames) -> None:
        pass

    def write_doc(self, docname: str, doctree: nodes.document) -> None:
        pass  # each document is written whole in finish(), with its references resolved

    def finish(self) -> None:
        context = self.config.html_context
        for docname, _target, title, _author, _class in self.config.latex_documents:
            doctree = self.env.get_and_resolve_doctree(docname, self, tags=self.tags)
            writer = _Document(title, context.get("casereview_marking", ""),
                               context.get("casereview_version", ""),
                               context.get("casereview_signer", "")
                               if context.get("casereview_draft") else "",
                               Path(self.srcdir))
            writer.walk(doctree)
            Path(self.outdir).mkdir(parents=True, exist_ok=True)
            writer.save(Path(self.outdir) / f"{Path(docname).name}.docx")


class _Document:
    """One Word document, written as the doctree is walked."""

    def __init__(self, title: str, marking: str, version: str, waiting_for: str, srcdir: Path):
        # python-docx is loaded only when a Word copy is asked for: every other build of every
        # review imports this module, and would wait a tenth of a second for it.
        import docx
        from docx.shared import Cm, Pt

        self.document = docx.Document()
        self.document.styles["Normal"].font.name = "Arial"
        self.document.styles["Normal"].font.size = Pt(11)
        self.srcdir = srcdir
        section = self.document.sections[0]
        section.page_width, section.page_height = Cm(21), Cm(29.7)  # A4, not Word's US Letter
        section.left_margin = section.right_margin = Cm(MARGIN_CM)
        top = marking + (f" · DRAFT: not signed off by {waiting_for}" if waiting_for else "")
        section.header.paragraphs[0].text = top
        section.footer.paragraphs[0].text = marking + (f" · Version {version}" if version else "")
        for paragraph in (section.header.paragraphs[0], section.footer.paragraphs[0]):
            paragraph.alignment = 1  # centred, as in the PDF
        self.document.core_properties.title = title
        if waiting_for:
            banner = self.document.add_paragraph()
            run = banner.add_run(f"DRAFT: not signed off by {waiting_for}")
            run.bold = True
        self.depth = 0
        self.landscape = False

    def save(self, path: Path) -> None:
        self.document.save(path)

    # --- walking the doctree ---------------------------------------------------------------

    def walk(self, node: nodes.Node) -> None:
        if isinstance(node, nodes.section):
            self.depth += 1
            for child in node.children:
                self.walk(child)
            self.depth -= 1
        elif isinstance(node, nodes.title) and isinstance(node.parent, nodes.section):
            # The document's own title is Word's title; its sections are headings 1, 2, 3.
            level = self.depth - 1
            if level == 0:
                self._page().add_heading(node.astext(), level=0)
            else:
                self._page().add_heading(node.astext(), level=min(level, 9))
        elif isinstance(node, nodes.paragraph):
            self._paragraph(node)
        elif isinstance(node, nodes.bullet_list | nodes.enumerated_list):
            style = "List Bullet" if isinstance(node, nodes.bullet_list) else "List Number"
            for item in node.children:
                for child in item.children:
                    if isinstance(child, nodes.paragraph):
                        self._paragraph(child, style=style)
                    else:
                        self.walk(child)
        elif isinstance(node, nodes.raw) and node.get("format") == ROWS_FORMAT:
            self._rows(json.loads(node.astext()))
        elif isinstance(node, nodes.table):
            self._docutils_table(node)
        elif isinstance(node, nodes.image):
            self._image(node)
        elif isinstance(node, nodes.caption):
            self._paragraph(node, style="Caption")  # a figure's caption, under it as in print
        elif isinstance(node, nodes.literal_block):
            paragraph = self._page().add_paragraph()
            paragraph.add_run(node.astext()).font.name = "Courier New"
        elif isinstance(node, nodes.raw | nodes.comment | nodes.target | nodes.substitution_definition):
            return  # HTML or LaTeX of their own, or nothing to show
        elif isinstance(node, nodes.Element):
            for child in node.children:
                self.walk(child)

    def _paragraph(self, node: nodes.TextElement, style: str | None = None) -> None:
        guidance = any("guidance" in n.get("classes", []) for n in _ancestors(node))
        paragraph = self._page().add_paragraph(style=style)
        for run_node, bold, italic, mono in _runs(node):
            run = paragraph.add_run(run_node)
            run.bold = bold or None
            run.italic = (italic or guidance) or None
            if mono:
                run.font.name = "Courier New"

    def _page(self, wide: bool = False):
        """The document, its page turned for what comes next: a chronology's many columns
        go on landscape pages, as agencies' Word chronologies do; everything else is
        portrait. The header and footer, with the marking, carry on to every page."""
        if wide != self.landscape:
            from docx.enum.section import WD_ORIENT, WD_SECTION

            section = self.document.add_section(WD_SECTION.NEW_PAGE)
            section.orientation = WD_ORIENT.LANDSCAPE if wide else WD_ORIENT.PORTRAIT
            section.page_width, section.page_height = section.page_height, section.page_width
            self.landscape = wide
        return self.document

    def _rows(self, table: dict) -> None:
        wide = len(table["heading"]) >= WIDE_TABLE_COLUMNS
        if table["caption"]:
            caption = self._page(wide).add_paragraph(style="Caption")
            caption.add_run(table["caption"])
        if table["note"]:
            self._page(wide).add_paragraph().add_run(table["note"]).italic = True
        self._table(table["heading"], table["rows"], table["bold"])

    def _table(self, heading: list[str], rows: list[list[str]],
               bold: list[bool] | None = None) -> None:
        """A Word table; bold says which rows' first cell begins in bold."""
        from docx.oxml import OxmlElement
        from docx.oxml.ns import qn
        from docx.shared import Pt

        columns = len(heading) or max((len(r) for r in rows), default=1)
        wide = columns >= WIDE_TABLE_COLUMNS
        points = 9 if wide else 11  # a chronology's text as in print, smaller than the prose
        table = self._page(wide).add_table(rows=0, cols=columns)
        table.style = "Table Grid"
        table.autofit = False
        if heading:
            cells = table.add_row().cells
            for cell, text in zip(cells, heading, strict=True):
                run = cell.paragraphs[0].add_run(text)
                run.bold, run.font.size = True, Pt(points)
            # The heading row repeats at the top of every page the table runs onto.
            repeat = OxmlElement("w:tblHeader")
            repeat.set(qn("w:val"), "true")
            table.rows[0]._tr.get_or_add_trPr().append(repeat)
        for values, strong in zip(rows, bold or [False] * len(rows), strict=True):
            row = table.add_row()
            if wide:
                # An event is read whole: its row moves to the next page rather than split.
                row._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))
            cells = row.cells
            for number, (cell, text) in enumerate(zip(cells, values, strict=True)):
                for n, line in enumerate(str(text).split("\n")):
                    paragraph = cell.paragraphs[0] if n == 0 else cell.add_paragraph()
                    run = paragraph.add_run(line)
                    run.bold = (strong and number == 0 and n == 0) or None
                    run.font.size = Pt(points)
        page = self.document.sections[-1]
        text_width = page.page_width - page.left_margin - page.right_margin
        for column, width in zip(table.columns,
                                 _column_widths([heading, *rows], columns, text_width, points),
                                 strict=True):
            column.width = width  # Word reads the cells' widths, LibreOffice the column's
            for cell in column.cells:
                cell.width = width

    def _docutils_table(self, node: nodes.table) -> None:
        rows = [[entry.astext() for entry in row.findall(nodes.entry)]
                for row in node.findall(nodes.row)]
        if rows and all(len(r) == len(rows[0]) for r in rows):
            self._table(rows[0], rows[1:])

    def _image(self, node: nodes.image) -> None:
        from docx.shared import Cm

        path = self.srcdir / node["uri"]
        if path.is_file():
            self._page().add_picture(str(path), width=Cm(21 - 2 * MARGIN_CM))


def _column_widths(rows: list[list[str]], columns: int, text_width: int,
                   points: int) -> list[int]:
    """The columns' widths in Word's units (EMU), as text_width is: see
    :func:`chronology.render.column_widths`."""
    # A character of Arial is about half its size wide, more in bold; a cell adds padding.
    characters = text_width / (points * 12700 * 0.6)
    return [int(text_width * width / characters)
            for width in column_widths(rows, columns, characters)]


def _ancestors(node: nodes.Node):
    while node is not None:
        yield node
        node = node.parent


def _runs(node: nodes.Node, bold: bool = False, italic: bool = False, mono: bool = False):
    """The paragraph's text in runs of one style: (text, bold, italic, monospace)."""
    for child in node.children:
        if isinstance(child, nodes.Text):
            # A line break in the Markdown source is a space in the paragraph, as in HTML.
            yield child.astext().replace("\n", " "), bold, italic, mono
        elif isinstance(child, nodes.raw):
            continue
        else:
            yield from _runs(child,
                             bold or isinstance(child, nodes.strong) or
                             "para-number" in child.get("classes", []),
                             italic or isinstance(child, nodes.emphasis),
                             mono or isinstance(child, nodes.literal))
