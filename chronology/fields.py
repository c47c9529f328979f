"""The canonical chronology fields and the headings agencies use for them."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    mandatory: bool = False
    synonyms: tuple[str, ...] = ()


FIELDS: tuple[Field, ...] = (
    Field("ref", "Ref", synonyms=("ref", "reference", "ref no", "reference number", "no", "number",
                                  "seq", "sequence", "sequence number", "entry", "entry no", "id")),
    Field("date", "Date", mandatory=True,
          synonyms=("date", "date of contact", "contact date", "event date", "date of event",
                    "start date", "date from", "from", "when")),
    Field("time", "Time", synonyms=("time", "time of contact", "start time")),
    Field("end_date", "End date", synonyms=("end date", "date to", "to", "until", "end")),
    Field("agency", "Agency", synonyms=("agency", "organisation", "organization", "service")),
    Field("source", "Source of information", mandatory=True,
          synonyms=("source", "source of information", "information source", "record",
                    "source record", "recorded by", "practitioner", "author", "source of info")),
    Field("event", "Event", mandatory=True,
          synonyms=("event", "details", "detail", "event or contact", "contact", "description",
                    "event details", "details of contact", "details of event", "what happened",
                    "summary", "event contact", "nature of contact", "incident")),
    Field("action", "Action/outcome",
          synonyms=("action", "outcome", "action outcome", "action taken", "actions", "result",
                    "action and outcome", "outcome action", "decision", "action decision")),
    Field("significance", "Significance",
          synonyms=("significance", "significant", "importance", "priority")),
    Field("kind", "Kind", synonyms=("kind", "type of information", "information type",
                                    "fact opinion", "status", "fact observation allegation opinion")),
    Field("comment", "Comment", synonyms=("comment", "comments", "notes", "note", "remarks",
                                          "analysis", "reviewer comment", "significance comment")),
)

FIELD_NAMES = tuple(f.name for f in FIELDS)
BY_NAME = {f.name: f for f in FIELDS}

#: What an entry says about itself (source 002, Appendix 2): fact, observation, allegation, opinion.
KINDS = ("fact", "observation", "allegation", "opinion")

#: Levels of significance a filter can select; other text is kept as written.
SIGNIFICANCE_LEVELS = ("high", "medium", "low")


def normalise_heading(heading: str) -> str:
    """Fold a heading so "Date of Contact:" and "date_of_contact" compare equal."""
    text = re.sub(r"[^0-9a-z]+", " ", heading.lower().replace("&", " and "))
    return " ".join(w for w in text.split() if w not in {"the", "of"} or len(text.split()) == 1)


_SYNONYMS = {normalise_heading(s): f.name for f in FIELDS for s in (f.name, f.label, *f.synonyms)}


def field_for_heading(heading: str, overrides: dict[str, str] | None = None) -> str | None:
    """The canonical field a heading means, or None for a column to keep as an extra."""
    key = normalise_heading(heading)
    if overrides:
        for written, field in overrides.items():
            if normalise_heading(written) == key:
                return field
    return _SYNONYMS.get(key)
