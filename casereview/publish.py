"""Publishing: the people register, pseudonyms, and the leak guard for public documents.

A public document must never name the child or family or give any other identifier. Writers
name people by role (``{person}`mother```) and the public edition shows only pseudonyms; the
chronology's free text is pseudonymised too. Because a writer can still type a name, every public
build is scanned afterwards, as a reader would see it (HTML text, the search index, PDF text,
exported files), for every registered name and identifier, and refused if any is found. The
report names the document, page or section and the register entry, never the identifier itself,
so the log can be shared.
"""

from __future__ import annotations

import html
import re
import unicodedata
import urllib.parse
import zipfile
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path

from confusable_homoglyphs import confusables

from chronology.problems import CaseReviewError, Problem, display_path

WITHHELD = "[withheld]"


class LeakError(CaseReviewError):
    """A public build contains a registered name or identifier; nothing was published."""


@dataclass(frozen=True)
class Person:
    """One entry of the people register."""

    role: str  # the key writers use: {person}`mother`
    publish_as: str  # what public documents say: "Mother", "Child P"
    names: tuple[str, ...] = ()
    identifiers: tuple[str | date, ...] = ()

    @property
    def real_name(self) -> str:
        return self.names[0] if self.names else self.publish_as


@dataclass(frozen=True)
class Secret:
    """One thing that must not appear in public, and where it is in the register."""

    pattern: re.Pattern
    entry: str  # e.g. 'people[2] ("Mother"), name 3' - safe to print


@dataclass
class Register:
    people: list[Person] = field(default_factory=list)
    _compiled: list[tuple[re.Pattern, str]] | None = field(default=None, init=False, repr=False)

    def person(self, role: str) -> Person | None:
        return next((p for p in self.people if p.role == role), None)

    def secrets(self) -> list[Secret]:
        found = []
        for number, person in enumerate(self.people, start=1):
            where = f'people[{number}] ("{person.publish_as}")'
            for index, name in enumerate(person.names, start=1):
                found.append(Secret(_folded_pattern(name), f"{where}, name {index}"))
            for index, identifier in enumerate(person.identifiers, start=1):
                pattern = (_folded_date_pattern(identifier) if isinstance(identifier, date)
                           else _folded_pattern(str(identifier)))
                found.append(Secret(pattern, f"{where}, identifier {index}"))
        return found

    def pseudonymise(self, text: str) -> str:
        """Replace every registered name with its pseudonym and every identifier with a mark."""
        for pattern, replacement in self._replacements():
            text = pattern.sub(replacement, text)
        return text

    def _replacements(self) -> list[tuple[re.Pattern, str]]:
        # Built once per register: pseudonymise runs on every cell of a chronology.
        if self._compiled is None:
            found: list[tuple[re.Pattern, str]] = []
            for person in self.people:
                found += [(_text_pattern(n), person.publish_as) for n in person.names]
                found += [(_date_pattern(i) if isinstance(i, date) else _text_pattern(str(i)),
                           WITHHELD) for i in person.identifiers]
            # Longest first, so "Kerry Ashdown" is replaced whole before "Kerry" alone.
            found.sort(key=lambda item: -len(item[0].pattern))
            self._compiled = found
        return self._compiled


def folded(text: str) -> str:
    """Text reduced to what a reader takes it to say, so that a name cannot pass the guard in
    disguise: compatibility forms made plain (NFKC: full-width and styled letters), invisible
    characters (zero-width spaces, soft hyphens, direction marks) dropped, letters of another
    script that look like Latin ones (Cyrillic "о" in "Pоppy") read as those, as Unicode's
    security report (UTS #39) lists them, accents dropped, case folded, and every run of
    punctuation and spacing made one space ("14, Alder-Row" reads "14 alder row")."""
    text = unicodedata.normalize("NFKC", text)
    text = "".join(_latin_look_alike(c) for c in text
                   if unicodedata.category(c) not in ("Cf", "Cc") or c in "\n\t")
    text = "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")
    return " ".join(_NOT_WORD.split(text.casefold())).strip()


_NOT_WORD = re.compile(r"[\W_]+")


@lru_cache(maxsize=4096)
def _latin_look_alike(character: str) -> str:
    """The Latin letter a character of another script is made to look like, if it is one."""
    if character.isascii() or confusables.alias(character) in ("LATIN", "COMMON"):
        return character
    for glyph in confusables.confusables_data.get(character, ()):
        if glyph["c"].isascii():
            return glyph["c"]
    return character


def _folded_pattern(text: str) -> re.Pattern:
    """Matches ``text`` as whole words in folded text."""
    return re.compile(r"(?<![^\W_])" + re.escape(folded(text)) + r"(?![^\W_])")


def _text_pattern(text: str) -> re.Pattern:
    """Matches the words whatever the case, spacing or line breaks between them (possessives
    included, as "Kerry's" starts with "Kerry")."""
    words = [re.escape(w) for w in re.split(r"\s+", text.strip()) if w]
    return re.compile(r"(?<![\w])" + r"\s+".join(words) + r"(?![^\W_'’]|[’']\w{2,})",
                      re.IGNORECASE)


_MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august",
           "september", "october", "november", "december"]


def _date_pattern(day: date) -> re.Pattern:
    """A date in any spelling: 02/04/2013, 2.4.13, 2 April 2013, 2nd Apr 2013, 2013-04-02 …"""
    d, m, y, yy = day.day, day.month, day.year, f"{day.year % 100:02d}"
    name, short = _MONTHS[m - 1], _MONTHS[m - 1][:3]
    numeric = rf"0?{d}\s*[/.\-]\s*0?{m}\s*[/.\-]\s*(?:{y}|{yy})"
    iso = rf"{y}\s*-\s*0?{m}\s*-\s*0?{d}"
    ordinal = r"(?:st|nd|rd|th)?"
    words = rf"0?{d}{ordinal}\s+(?:of\s+)?(?:{name}|{short}\.?)\s*,?\s*(?:{y}|'?{yy})"
    us_words = rf"(?:{name}|{short}\.?)\s+0?{d}{ordinal}\s*,?\s*{y}"
    return re.compile(rf"(?<!\d)(?:{numeric}|{iso}|{words}|{us_words})(?!\d)", re.IGNORECASE)


def _folded_date_pattern(day: date) -> re.Pattern:
    """A date in folded text, in any English spelling: 3 2 1991 (from 03/02/1991 or 3.2.91),
    1991 02 03, 3rd of february 1991, feb 3 91, and the US order with the month named,
    february 3rd 1991. Not 02/03/1991 read month first: that is another day in the UK."""
    d, m, y, yy = day.day, day.month, day.year, f"{day.year % 100:02d}"
    year = rf"(?:{y}|{yy})"
    names = [_MONTHS[m - 1], _MONTHS[m - 1][:3], *(["sept"] if m == 9 else [])]
    named = "(?:" + "|".join(names) + ")"
    of_day = rf"0?{d}(?:st|nd|rd|th)?"
    spellings = [rf"{of_day} (?:of )?(?:0?{m}|{named}) {year}", rf"{named} {of_day} {year}",
                 rf"{y} 0?{m} 0?{d}"]
    return re.compile(rf"(?<![^\W_])(?:{'|'.join(spellings)})(?![^\W_])")


def public_ids(events, register: Register):
    """The events, where an ID made from the agency's own reference holds a registered
    identifier (POL-WMP-15-1402, from a police reference number), with a neutral ID instead;
    links between joint events follow. For the public edition only: the panel's copy keeps the
    agencies' references."""
    secrets = register.secrets()
    renamed: dict[str, str] = {}
    for event_id, code in zip(events["id"], events["code"], strict=True):
        if event_id and _scan(event_id, secrets):
            renamed[event_id] = f"{code}-withheld-{len(renamed) + 1}"
    if not renamed:
        return events
    return events.assign(id=events["id"].map(lambda i: renamed.get(i, i)),
                         joint=events["joint"].map(lambda j: tuple(renamed.get(i, i) for i in j)))


def register_from_toml(entries: list[dict]) -> Register:
    people = []
    for entry in entries:
        people.append(Person(
            role=str(entry.get("role", "")).strip(),
            publish_as=str(entry.get("publish_as", "")).strip(),
            names=tuple(str(n) for n in entry.get("names", [])),
            identifiers=tuple(i if isinstance(i, date) else str(i)
                              for i in entry.get("identifiers", [])),
        ))
    return Register(people)


# --- the guard ---------------------------------------------------------------------------------

_TAG = re.compile(r"<[^>]+>")
_HEADING = re.compile(r"<h([1-6])[^>]*>(.*?)</h\1>", re.S | re.I)
#: Sphinx's own scripts, the same in every build: not the review's text.
_SPHINX_SCRIPTS = {"documentation_options.js", "doctools.js", "sphinx_highlight.js",
                   "language_data.js", "searchtools.js"}
_LEAK_HINT = "Use its pseudonym ({person} role) or remove it."


def readable(text: str) -> str:
    """Text as a reader meets it: a word hyphenated at the end of a line ("Jo-" then "anne")
    joined again. Everything else a reader passes over is dropped by :func:`folded`."""
    return re.sub(r"(\w)[-\u00ad]\s*\n\s*(\w)", r"\1\2", text)


def _scan(text: str, secrets: list[Secret]) -> list[Secret]:
    text = folded(readable(text))
    return [s for s in secrets if s.pattern.search(text)]


def _leak(where: str, secret: Secret, name: str, hint: str = _LEAK_HINT) -> Problem:
    return Problem("identifier-leak", f"{where} contains {secret.entry} from the people "
                   "register.", name, hint=hint)


def _html_findings(path: Path, secrets: list[Secret], root: Path) -> list[Problem]:
    raw = path.read_text(encoding="utf-8", errors="replace")
    name = display_path(path, root)
    problems = []
    found: list[Secret] = []
    if path.suffix == ".html":
        # Report by section: the text between one heading and the next.
        parts = _HEADING.split(raw)
        sections = [("the top of the page", parts[0])]
        for i in range(1, len(parts) - 2, 3):
            sections.append((parts[i + 1], parts[i + 2]))
        for number, (heading, body) in enumerate(sections):
            heading_text = html.unescape(_TAG.sub("", heading)).strip().rstrip("¶").strip()
            text = html.unescape(_TAG.sub(" ", heading + " " + body))
            for secret in _scan(text, secrets):
                label = (f'section "{heading_text}"' if number and not _scan(heading_text, secrets)
                         else f"section {number}" if number else heading_text)
                problems.append(_leak(label, secret, name))
                found.append(secret)
        # What the markup holds beyond the text a reader sees: alt text, titles, links
        # (written with %-escapes), comments.
        markup = html.unescape(urllib.parse.unquote(raw))
        problems += [_leak("the page's markup (alt text, a title, a link or a comment)", s, name)
                     for s in _scan(markup, [s for s in secrets if s not in found])]
    else:
        problems += [_leak("the file", s, name, "It comes from a public document: fix the "
                           "document.") for s in _scan(html.unescape(urllib.parse.unquote(raw)),
                                                       secrets)]
    return problems


def _pdf_findings(path: Path, secrets: list[Secret], root: Path) -> list[Problem]:
    from pypdf import PdfReader

    reader = PdfReader(path)
    name = display_path(path, root)
    problems = []
    pages = [page.extract_text() or "" for page in reader.pages]
    for number, text in enumerate(pages, start=1):
        tail, head = text[-200:], pages[number][:200] if number < len(pages) else ""
        for secret in secrets:
            on_page = _scan(text, [secret])
            # A name can run from the foot of one page onto the next.
            straddling = bool(head) and bool(_scan(tail + "\n" + head, [secret])) and not (
                _scan(tail, [secret]) or _scan(head, [secret]))
            if on_page or straddling:
                problems.append(_leak(f"page {number}", secret, name))
    # What a PDF reader shows besides the pages: its properties, bookmarks and links.
    hidden = [str(v) for v in (reader.metadata or {}).values()]
    hidden += [str(a.get_object().get("/A", {}).get("/URI", "")) for page in reader.pages
               for a in page.get("/Annots") or []]
    hidden += _outline_titles(reader.outline)
    problems += [_leak("the PDF's properties, bookmarks or links", s, name)
                 for s in _scan(urllib.parse.unquote("\n".join(hidden)), secrets)]
    return problems


def _outline_titles(outline) -> list[str]:
    titles = []
    for item in outline:
        if isinstance(item, list):
            titles += _outline_titles(item)
        else:
            titles.append(str(getattr(item, "title", "")))
    return titles


def _workbook_findings(path: Path, secrets: list[Secret], root: Path) -> list[Problem]:
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True)
    text = "\n".join(str(v) for sheet in book.worksheets
                     for row in sheet.iter_rows(values_only=True) for v in row if v)
    book.close()
    return [_leak("the workbook", s, display_path(path, root)) for s in _scan(text, secrets)]


def _word_findings(path: Path, secrets: list[Secret], root: Path) -> list[Problem]:
    """Every part of a Word file (its text, headers, footers, properties), as Word or any
    program that opens the file could read it."""
    with zipfile.ZipFile(path) as package:
        text = "\n".join(html.unescape(re.sub(r"<[^>]+>", " ", package.read(name).decode(
            "utf-8", errors="replace"))) for name in package.namelist() if name.endswith(".xml"))
    return [_leak("the Word file", s, display_path(path, root)) for s in _scan(text, secrets)]


def guard(folder: Path, register: Register, *, label: str = "") -> None:
    """Scan everything written under ``folder``, as a reader or a program could read it; raise
    LeakError on any find. Files are named relative to ``folder``, after ``label`` (such as
    "public html")."""
    secrets = register.secrets()
    if not secrets:
        return
    problems: list[Problem] = []
    for path in sorted(folder.rglob("*")):
        name = display_path(path, folder)
        # A file's own name is published too (an image called after the child).
        problems += [_leak("the file's name", s, name, "Rename the file.")
                     for s in _scan(path.relative_to(folder).as_posix(), secrets)]
        if not path.is_file() or path.name in _SPHINX_SCRIPTS:
            continue
        if path.suffix == ".pdf":
            problems += _pdf_findings(path, secrets, folder)
        elif path.suffix == ".docx":
            problems += _word_findings(path, secrets, folder)
        elif path.suffix == ".xlsx":
            problems += _workbook_findings(path, secrets, folder)
        else:
            # Pages, the search index, and any other file: images keep text in them too.
            problems += _html_findings(path, secrets, folder)
    if label:
        problems = [Problem(p.code, p.message, f"{label}/{p.path}", p.row, p.column, p.hint,
                            p.severity) for p in problems]
    if problems:
        raise LeakError(problems)
