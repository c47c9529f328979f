"""Shared fixtures: fixture review projects in a throwaway workspace, and readers for outputs."""

from __future__ import annotations

import importlib.util
import shutil
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pytest
from pypdf import PdfReader

ROOT = Path(__file__).resolve().parents[1]
PROJECTS = Path(__file__).parent / "projects"
EXAMPLE = ROOT / "reviews" / "example"
#: What the example's preparation and builds make in the example's folders (left out of git).
EXAMPLE_MADE = ("received", "signoff", "secured", "custody.jsonl", "working", "_build")


def make_workspace(tmp_path: Path, project: str | Path = "minimal", name: str = "case") -> Path:
    """Copy a fixture review into tmp_path/reviews/<name> beside the real root conf.py."""
    shutil.copy(ROOT / "conf.py", tmp_path / "conf.py")
    source = project if isinstance(project, Path) else PROJECTS / project
    target = tmp_path / "reviews" / name
    shutil.copytree(source, target)
    return target


@pytest.fixture
def workspace(tmp_path, monkeypatch):
    """A copy of the minimal review; the working directory is the workspace root."""
    monkeypatch.chdir(tmp_path)
    return make_workspace(tmp_path)


def copy_example(workspace: Path) -> Path:
    """The example case as committed (the case, and the police's own workspace beside it) in a
    throwaway workspace; returns the case folder."""
    shutil.copy(ROOT / "conf.py", workspace / "conf.py")
    for name in ("example", "example-police"):
        shutil.copytree(ROOT / "reviews" / name, workspace / "reviews" / name,
                        ignore=shutil.ignore_patterns(*EXAMPLE_MADE))
    shutil.copy(ROOT / "reviews" / "prepare_example.py", workspace / "reviews")
    return workspace / "reviews" / "example"


@dataclass
class PreparedExample:
    case: Path
    keys: Path
    #: The panel's documents, built to HTML and PDF.
    built: object
    #: Probation's management review (signed off), built to HTML and PDF.
    probation: object

    @property
    def police(self) -> Path:
        return self.case.parent / "example-police"


@pytest.fixture(scope="session")
def built_example(tmp_path_factory) -> PreparedExample:
    """The example case as the README's example command makes it: every agency's review signed
    off with a throwaway key, the police's received as a package, then the case built."""
    from casereview.build import build

    workspace = tmp_path_factory.mktemp("example")
    case = copy_example(workspace)
    spec = importlib.util.spec_from_file_location("prepare_example",
                                                  case.parent / "prepare_example.py")
    prepare = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(prepare)
    prepare.prepare(workspace / "keys", say=lambda message: None)
    return PreparedExample(case, workspace / "keys", build(case, workspace / "out-case"),
                           build(case / "agencies" / "probation", workspace / "out-probation"))


def pdf_pages(path: Path) -> list[str]:
    return [page.extract_text() for page in PdfReader(path).pages]


class TableRows(HTMLParser):
    """Collects the rows of each <table class="chronology"> by their class attribute."""

    def __init__(self):
        super().__init__()
        self.tables: list[list[dict]] = []
        self._in_table = False
        self._row: dict | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and "chronology" in (attrs.get("class") or "").split():
            self.tables.append([])
            self._in_table = True
        elif tag == "tr" and self._in_table:
            self._row = {"class": attrs.get("class") or "", "id": attrs.get("id"), "text": ""}
        elif tag == "caption" and self._in_table:
            self._row = {"class": "caption", "id": None, "text": ""}

    def handle_endtag(self, tag):
        if tag in ("tr", "caption") and self._row is not None:
            self.tables[-1].append(self._row)
            self._row = None
        elif tag == "table":
            self._in_table = False

    def handle_data(self, data):
        if self._row is not None:
            self._row["text"] += data


def chronology_tables(html: str) -> list[list[dict]]:
    parser = TableRows()
    parser.feed(html)
    return parser.tables
