"""The documentation keeps up with the code: every command and every problem code is covered."""

from __future__ import annotations

import html
import re

import click
import pytest

from casereview.cli import cli
from casereview.model import CASE_FILE, REVIEW_FILE, settings_reference
from tests.conftest import ROOT

DOCS = ROOT / "docs"


def commands(group: click.Group, prefix: str = "casereview"):
    for name, command in sorted(group.commands.items()):
        path = f"{prefix} {name}"
        yield path, command
        if isinstance(command, click.Group):
            yield from commands(command, path)


COMMANDS = list(commands(cli))


def test_there_are_commands():
    assert {p for p, _ in COMMANDS} >= {"casereview build", "casereview chronology check",
                                        "casereview chronology merge", "casereview chronology plot"}


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=[p for p, _ in COMMANDS])
def test_every_command_has_help(path, command):
    assert command.help and len(command.help.strip()) > 20, f"{path} has no help text"
    for param in command.params:
        if isinstance(param, click.Option):
            assert param.help, f"{path} {param.opts[0]} has no help text"


@pytest.mark.parametrize("path", [p for p, _ in COMMANDS])
def test_every_command_is_explained_in_the_guide(path):
    guide = "\n".join(p.read_text() for p in DOCS.rglob("*.md") if p.name != "cli.md")
    assert f"`{path}" in guide or f"$ {path}" in guide, f"docs/ never explains {path}"


def test_cli_reference_is_generated():
    text = (DOCS / "cli.md").read_text()
    assert "```{click} casereview.cli:cli" in text and ":nested: full" in text


def codes_in_source() -> set[str]:
    found = set()
    pattern = re.compile(r'(?:problem|report|Problem|add)\(\s*"([a-z][a-z0-9-]+)"')
    for package in ("chronology", "casereview"):
        for path in (ROOT / package).rglob("*.py"):
            found |= set(pattern.findall(path.read_text()))
    found |= {"date-missing", "date-invalid", "event-missing", "source-missing"}
    return found - {"error", "sphinx", "latex"}


def test_every_problem_code_is_documented():
    documented = set(re.findall(r"^### `([a-z0-9-]+)`", (DOCS / "errors.md").read_text(), re.M))
    missing = codes_in_source() - documented
    assert not missing, f"docs/errors.md lacks: {sorted(missing)}"
    assert len(codes_in_source()) > 30


def test_docs_build_without_warnings_and_list_every_command(tmp_path):
    from sphinx.cmd.build import build_main

    status = build_main(["-W", "--keep-going", "-q", "-c", str(ROOT), str(DOCS),
                         str(tmp_path / "html")])
    assert status == 0
    reference = (tmp_path / "html" / "cli.html").read_text()
    for path, _ in COMMANDS:
        assert path.replace("casereview ", "casereview-", 1).replace(" ", "-") in reference, path
    # The settings reference is made from the declarations loading checks against.
    settings = (tmp_path / "html" / "review-toml.html").read_text()
    for typographic, plain in (("’", "'"), ("“", '"'), ("”", '"')):
        settings = settings.replace(typographic, plain)
    for file in (REVIEW_FILE, CASE_FILE):
        for _, keys in settings_reference(file):
            for key, _, _, what, _ in keys:
                assert f'<span class="pre">{html.escape(key, quote=False)}</span>' in settings
                assert html.escape(what, quote=False) in settings, (file, key)
    assert '<span class="pre">commissioned</span>' in settings
