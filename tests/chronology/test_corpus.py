"""Every malformed input in malformed/ yields exactly the messages in its .expected file.

The .expected files were read and agreed by a person; change one only when the message it
holds is meant to change.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from casereview.cli import cli
from chronology.records import Source, load

CORPUS = Path(__file__).parent / "malformed"
INPUTS = sorted(p for p in CORPUS.iterdir() if p.suffix != ".expected")
SHEETS = {"sheet-missing.xlsx": "Timeline"}


def test_corpus_is_large_enough():
    assert len(INPUTS) >= 30
    assert all((CORPUS / f"{p.name}.expected").is_file() for p in INPUTS)


@pytest.mark.parametrize("path", INPUTS, ids=lambda p: p.name)
def test_exact_messages(path, monkeypatch):
    monkeypatch.chdir(CORPUS)
    result = load(Source(Path(path.name), agency="Test", sheet=SHEETS.get(path.name)))
    expected = (CORPUS / f"{path.name}.expected").read_text().splitlines()
    assert [str(p) for p in result.problems] == expected


@pytest.mark.parametrize("path", [p for p in INPUTS if p.name not in SHEETS],
                         ids=lambda p: p.name)
def test_cli_check_reports_without_traceback(path, monkeypatch):
    monkeypatch.chdir(CORPUS)
    result = CliRunner().invoke(cli, ["chronology", "check", path.name])
    expected = (CORPUS / f"{path.name}.expected").read_text().splitlines()
    has_error = any(" error [" in line for line in expected)
    assert result.exit_code == (1 if has_error else 0), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    for line in expected:
        assert line in result.output
