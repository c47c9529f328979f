"""A case made from another of a type that leads to it: a local child safeguarding practice
review from the rapid review that recommended it (England, 2018 onwards).

The rapid review stays as it is, signed and sent. The new case takes from it the child, the
board and panel, the period, the people register, the agencies asked and the panel's trusted
certificates, and the chronology it gathered, one workbook for each agency's events, so the
practice review starts from what the rapid review already knows.
"""

from __future__ import annotations

import tempfile
from dataclasses import replace
from pathlib import Path

from chronology.export import export
from chronology.problems import Problem, display_path

from .chronologies import merged_events
from .model import Case, load_case, load_review
from .reviewtype import load_type
from .scaffold import NewCase, ScaffoldError, create_case

#: Where the carried chronology is kept in the new case.
CARRIED_FOLDER = "records/carried"


def details_from(case: Case, **given) -> NewCase:
    """What a case made from ``case`` shares with it, with the values given (its slug, type,
    title, date commissioned) over them."""
    values = dict(title=case.title, child=case.child, board=case.board, panel=case.panel,
                  commissioned=case.commissioned, period_start=case.period_start,
                  period_end=case.period_end, chair=case.chair.name, chair_role=case.chair.role,
                  marking=case.marking, incident=case.incident, slug="", type="")
    return replace(NewCase(**values), **{k: v for k, v in given.items() if v is not None})


def convert_case(workspace: Path | str, source: Path | str, details: NewCase) -> Path:
    """Make the new case ``details`` describes from the case in ``source``, whose type the new
    one's type must name under converts_from."""
    workspace = Path(workspace)
    earlier = load_case(source)
    review_type = load_type(details.type, workspace)
    if earlier.review_type.name not in review_type.converts_from:
        can = ", ".join(review_type.converts_from) or "no other type"
        raise ScaffoldError([Problem(
            "type-conversion", f'a {review_type.title.lower()} cannot be made from '
            f"{display_path(earlier.root)}, a {earlier.review_type.title.lower()}.",
            display_path(earlier.root / "case.toml"), column="type",
            hint=f"A {review_type.name} case can be made from {can}; start this one with "
            f"casereview new case --type {review_type.name} without --from.")])
    composite = load_review(earlier.root)
    events = merged_events(composite)
    records, files = [], {}
    with tempfile.TemporaryDirectory() as scratch:
        for source_entry in composite.sources:
            own = events[events["id"].str.startswith(f"{source_entry.code}-")]
            if own.empty:
                continue
            name = f"{CARRIED_FOLDER}/{source_entry.code.lower()}.xlsx"
            written = export(own, Path(scratch) / Path(name).name)
            files[name] = written.read_bytes()
            records.append({"agency": source_entry.agency, "code": source_entry.code,
                            "file": name})
    # Trusted certificates kept in the case folder come along; one kept elsewhere is named by
    # the board again in the new case.toml.
    trust = [r for r in earlier.trust_roots if r.resolve().is_relative_to(earlier.root.resolve())]
    for root in trust:
        files[root.relative_to(earlier.root).as_posix()] = root.read_bytes()
    carried = {
        "agencies": earlier.agencies, "panel_members": earlier.members, "records": records,
        "people": earlier.people, "terms_of_reference": earlier.terms_of_reference,
        "trust_roots": [r.relative_to(earlier.root).as_posix() for r in trust],
        "carried_from": f"the {earlier.review_type.title.lower()} ({display_path(earlier.root)})",
    }
    return create_case(workspace, details, carried=carried, carried_files=files)
