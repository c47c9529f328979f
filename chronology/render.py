"""A chronology as an HTML table or a LaTeX long table, ready to drop into a document.

Markup is written directly (not through docutils nodes): a 5,000-row docutils table costs
seconds of HTML build, a string costs milliseconds. Every piece of agency text is escaped.
"""

from __future__ import annotations

import html
import re

import pandas as pd

from .dates import DateError, parse_date
from .fields import KINDS, SIGNIFICANCE_LEVELS

COLUMNS = (("id", "ID"), ("date", "Date"), ("agency", "Agency"), ("source", "Source of information"),
           ("event", "Event"), ("action", "Action/outcome"), ("kind", "Kind"))


def date_label(text: str) -> tuple[str, str]:
    """The date as written, and a plain reading of it when it is not a single known day."""
    try:
        parsed = parse_date(text)
    except DateError:
        return text, ""
    reading = "" if parsed.is_exact else parsed.describe()
    return text, "" if reading.casefold() == text.strip().casefold() else reading


def _filters(events: pd.DataFrame) -> str:
    """The controls that filter the table in a browser. The form is hidden until the page's
    script shows it, so without JavaScript the full table reads as it always has. The names of
    the data attributes are a documented interface: boards style and script against them."""
    esc = html.escape
    real = events[~events["is_gap"]] if "is_gap" in events else events
    agencies = real[["code", "agency"]].drop_duplicates().itertuples(index=False)

    def choice(name: str, label: str, options: list[tuple[str, str]]) -> str:
        items = "".join(f'<option value="{esc(v)}">{esc(t)}</option>' for v, t in options)
        return (f'<label>{label} <select data-chronology-filter="{name}">'
                f'<option value="">All</option>{items}</select></label>')

    return "".join([
        '<form class="chronology-filters" data-chronology-filters hidden role="search" '
        'aria-label="Filter the chronology">',
        choice("agency", "Agency", [(c, a) for c, a in agencies]),
        '<label>From <input type="date" data-chronology-filter="from"></label>',
        '<label>To <input type="date" data-chronology-filter="to"></label>',
        choice("significance", "Significance", [(s, s.title()) for s in SIGNIFICANCE_LEVELS]),
        choice("kind", "Kind", [(k, k.title()) for k in KINDS]),
        '<label><input type="checkbox" data-chronology-filter="joint"> Joint events only</label>',
        '<label>Search <input type="search" data-chronology-filter="q"></label>',
        '<label>Sort by <select data-chronology-sort><option value="date">Date</option>'
        '<option value="agency">Agency</option></select></label>',
        '<button type="reset" data-chronology-reset>Show everything</button>',
        '<p class="chronology-count" data-chronology-count aria-live="polite"></p>',
        "</form>",
    ])


def _row_data(row) -> str:
    """A row's values as data attributes, for the browser's filters (and a board's scripts)."""
    values = {"agency": row.code, "date": row.date_start.isoformat(),
              "date-end": row.date_end.isoformat(), "kind": row.kind,
              "significance": str(row.significance).strip().lower(),
              "joint": "true" if getattr(row, "joint", ()) else "false"}
    return "".join(f' data-{k}="{html.escape(v)}"' for k, v in values.items())


def column_widths(rows: list[list[str]], columns: int, characters: float) -> list[float]:
    """The widths of a table's columns, in characters, for a table ``characters`` wide. Each
    column is at least as wide as its longest word (so an ID, a date or "observation" is never
    broken), and the width is shared by how much text each column holds: the event and its
    outcome get the room."""
    cells = [[str(row[n]) for row in rows if n < len(row)] for n in range(columns)]
    longest_word = [max((len(w) for text in column for w in text.split()), default=1)
                    for column in cells]
    # Capitals and bold letters run wider than the average; a cell adds padding.
    floor = [min(n * 1.1, characters / columns) + 2 for n in longest_word]
    text = [sum(len(t) for t in column) for column in cells]
    # A column whose share of the width is less than its floor keeps its floor, and the others
    # share what is left, until every share is enough.
    sharing = [n for n in range(columns) if text[n]]
    while sharing:
        room = characters - sum(floor[n] for n in range(columns) if n not in sharing)
        held = sum(text[n] for n in sharing)
        share = {n: room * text[n] / held for n in sharing}
        short = [n for n in sharing if share[n] < floor[n]]
        if not short:
            return [share.get(n, floor[n]) for n in range(columns)]
        sharing = [n for n in sharing if n not in short]
    return floor


#: The page's chronology is never narrower than this many characters (of its font's average
#: width, the ch unit), scrolling inside its box where the page is narrower.
HTML_CHARACTERS = 110


def _html_columns(events: pd.DataFrame) -> str:
    """The columns' widths as shares of the table, from the words in them. The page lays the
    table out by these fixed widths (so that filtering thousands of rows is quick, and the
    columns stay put as rows are hidden) rather than measuring every cell."""
    shown = ["id", "date_text", "agency", "source", "event", "action", "kind"]
    rows = [[label for _, label in COLUMNS], *events[shown].to_numpy().tolist()]
    widths = column_widths(rows, len(COLUMNS), HTML_CHARACTERS)
    total = sum(widths)
    return "<colgroup>" + "".join(f'<col style="width: {100 * w / total:.1f}%">'
                                  for w in widths) + "</colgroup>"


def to_html(events: pd.DataFrame, *, caption: str = "") -> str:
    out = ['<div class="chronology-box" data-chronology>', _filters(events),
           '<div class="chronology-scroll" tabindex="0" role="region" '
           f'aria-label="{html.escape(caption or "Chronology")}">',
           '<table class="chronology docutils align-default" '
           f'style="min-width: {HTML_CHARACTERS}ch">']
    if caption:
        out.append(f"<caption>{html.escape(caption)}</caption>")
    out.append(_html_columns(events))
    out.append("<thead><tr>" + "".join(f'<th class="col-{key}">{label}</th>'
                                      for key, label in COLUMNS) + "</tr></thead><tbody>")
    esc = html.escape
    is_gap = events["is_gap"] if "is_gap" in events else [False] * len(events)
    for row, gap in zip(events.itertuples(index=False), is_gap, strict=True):
        if gap:
            out.append(f'<tr class="gap" data-date="{row.date_start.isoformat()}" '
                       f'data-date-end="{row.date_end.isoformat()}"><td></td>'
                       f'<td>{esc(row.date_text)}</td>'
                       f'<td colspan="{len(COLUMNS) - 2}"><em>{esc(row.event)}</em></td></tr>')
            continue
        written, reading = date_label(row.date_text)
        date_cell = esc(written)
        if row.time:
            date_cell += f"<br>{esc(row.time)}"
        if reading:
            date_cell += f'<br><span class="date-reading">({esc(reading)})</span>'
        event_cell = esc(row.event)
        joint = getattr(row, "joint", ())
        if joint:
            event_cell += ('<br><span class="joint">Joint event; also recorded as '
                           + ", ".join(f'<a href="#{esc(j)}">{esc(j)}</a>' for j in joint)
                           + ".</span>")
        if row.comment:
            event_cell += f'<br><span class="comment">Comment: {esc(row.comment)}</span>'
        classes = "event"
        if row.significance.lower() == "high":
            classes += " significant"
        out.append(
            f'<tr class="{classes}" id="{esc(row.id)}"{_row_data(row)}><td>{esc(row.id)}</td>'
            f'<td>{date_cell}</td>'
            f"<td>{esc(row.agency)}</td><td>{esc(row.source)}</td><td>{event_cell}</td>"
            f"<td>{esc(row.action)}</td><td>{esc(row.kind)}</td></tr>"
        )
    out.append("</tbody></table></div></div>")
    return "\n".join(out)


_LATEX_SPECIAL = {
    "\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&", "#": r"\#",
    "^": r"\textasciicircum{}", "_": r"\_", "~": r"\textasciitilde{}", "%": r"\%",
    "<": r"\textless{}", ">": r"\textgreater{}", "|": r"\textbar{}",
}
_LATEX_RE = re.compile("|".join(re.escape(k) for k in _LATEX_SPECIAL))


def latex_escape(text: str) -> str:
    text = _LATEX_RE.sub(lambda m: _LATEX_SPECIAL[m.group()], text)
    return text.replace("\n", r"\newline ")


#: What the printed table's marks mean, under its caption: print has no filters to explain it.
PRINT_LEGEND = ("IDs in bold are events of high significance; each event's significance, as "
                "recorded, is under its ID. Dates are DD/MM/YYYY; ? marks an uncertain date, and "
                "the date as the agency wrote it is below where it differs.")
#: Where a long unbroken run of text (a web address, a case reference) may break in print.
_BREAK_AFTER = re.compile(r"(?<=[/._\-?&=:])|(?<=\w{12})(?=\w)")


def print_date(row) -> list[str]:
    """The date cell of the printed table, line by line: one normalised form (DD/MM/YYYY, or a
    range of them, with ? when uncertain), then the form written where it differs, then a plain
    reading of a date that is not one known day."""
    start, end = row.date_start, row.date_end
    normal = f"{start:%d/%m/%Y}" if start == end else f"{start:%d/%m/%Y} to {end:%d/%m/%Y}"
    if row.qualifier == "about":
        normal = "?" + normal
    lines = [normal]
    if row.date_text.strip() != normal:
        lines.append(f"written: {row.date_text.strip()}")
    _, reading = date_label(row.date_text)
    if reading:
        lines.append(f"({reading})")
    return lines


def breakable(text: str) -> str:
    """Escaped text whose long words may break inside their narrow column, rather than run out
    of it across the next."""
    return " ".join(r"\allowbreak{}".join(latex_escape(part) for part in _BREAK_AFTER.split(word))
                    if len(word) > 16 else latex_escape(word) for word in text.split(" "))


PRINT_HEADING = ("ID", "Date", "Agency", "Source", "Event", "Action/outcome", "Kind")


def is_high(significance: str) -> bool:
    """Whether an event is of high significance, whose ID print shows in bold."""
    return significance.lower() == "high"


def print_rows(events: pd.DataFrame) -> list[list[str]]:
    """The printed table's cells as plain text, lines separated by newlines, for a Word table:
    the same columns, dates and notes as the PDF's."""
    rows = []
    is_gap = events["is_gap"] if "is_gap" in events else [False] * len(events)
    for row, gap in zip(events.itertuples(index=False), is_gap, strict=True):
        if gap:
            rows.append(["", row.date_text, "", "", row.event, "", ""])
            continue
        date_cell = "\n".join(print_date(row) + ([row.time] if row.time else []))
        event_cell = row.event
        joint = getattr(row, "joint", ())
        if joint:
            event_cell += f"\nJoint event; also recorded as {', '.join(joint)}."
        if row.comment:
            event_cell += f"\nComment: {row.comment}"
        ident = row.id + (f"\n{row.significance}" if row.significance else "")
        rows.append([ident, date_cell, row.agency, row.source, event_cell, row.action,
                     row.kind])
    return rows


def to_latex(events: pd.DataFrame, *, caption: str = "") -> str:
    esc = breakable
    # Ragged-right cells: justified text in narrow columns leaves rivers of white space.
    widths = "".join(rf">{{\raggedright\arraybackslash}}p{{{w}\linewidth}}"
                     for w in (0.09, 0.12, 0.10, 0.12, 0.27, 0.13, 0.07))
    head = r"\textbf{ID} & \textbf{Date} & \textbf{Agency} & \textbf{Source} & " \
           r"\textbf{Event} & \textbf{Action/\allowbreak outcome} & \textbf{Kind}\\ \hline"
    out = [r"\begingroup\footnotesize\setlength{\tabcolsep}{3pt}",
           r"\begin{longtable}{" + widths + "}"]
    if caption:
        out.append(r"\caption{" + latex_escape(caption) + r"}\\")
    out += [r"\multicolumn{7}{p{0.96\linewidth}}{\textit{" + latex_escape(PRINT_LEGEND) +
            r"}}\\[2pt]",
            r"\hline", head, r"\endfirsthead", r"\hline", head, r"\endhead",
            r"\hline \multicolumn{7}{r}{\textit{continued on next page}}\\ \endfoot",
            r"\hline \endlastfoot"]
    is_gap = events["is_gap"] if "is_gap" in events else [False] * len(events)
    for row, gap in zip(events.itertuples(index=False), is_gap, strict=True):
        if gap:
            out.append(rf" & {esc(row.date_text)} & \multicolumn{{5}}{{p{{0.74\linewidth}}}}"
                       rf"{{\textit{{{esc(row.event)}}}}}\\ \hline")
            continue
        date_cell = r"\newline ".join(esc(line) for line in print_date(row))
        if row.time:
            date_cell += r"\newline " + esc(row.time)
        event_cell = esc(row.event)
        joint = getattr(row, "joint", ())
        if joint:
            event_cell += r"\newline \textit{Joint event; also recorded as " + esc(
                ", ".join(joint)) + ".}"
        if row.comment:
            event_cell += r"\newline \textit{Comment: " + esc(row.comment) + "}"
        ident = esc(row.id)
        if is_high(row.significance):
            ident = r"\textbf{" + ident + "}"
        if row.significance:
            ident += r"\newline {\scriptsize " + esc(row.significance) + "}"
        out.append(f"{ident} & {date_cell} & {esc(row.agency)} & {esc(row.source)} & "
                   rf"{event_cell} & {esc(row.action)} & {esc(row.kind)}\\ \hline")
    out += [r"\end{longtable}", r"\endgroup"]
    return "\n".join(out)
