"""The framework for management reviews (probation child protection procedures, Appendix 5).

One definition serves the template a reviewer starts from and the completeness check, so the
two cannot disagree. The questions are the framework's own; the guidance is ours.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Question:
    heading: str
    guidance: str


@dataclass(frozen=True)
class Section:
    heading: str
    guidance: str
    questions: tuple[Question, ...] = field(default=())


INVOLVEMENT = Section(
    "What was our involvement with this child and family?",
    "Construct a comprehensive chronology of involvement with the child and the family over the "
    "period set out in the terms of reference. Briefly summarise decisions reached, the services "
    "offered or provided to the child and family, and other actions taken. The chronology itself "
    "is built from the record files listed in review.toml.",
)
ANALYSIS = Section(
    "Analysis of involvement",
    "Consider the events that occurred, decisions made, and the actions taken or not. Where "
    "judgements were made or actions taken which indicate that practice or management could be "
    "improved, try to understand not only what happened but why. Then answer each question "
    "below.",
    (
        Question("Were practitioners sensitive to the needs of children in their work, "
                 "knowledgeable about potential indicators of abuse or neglect, and about what to "
                 "do if they had concerns about a child?",
                 "Refer to what practitioners knew and did at the time, with dates."),
        Question("Did the agency have in place policies and procedures for safeguarding children "
                 "and acting on concerns about their welfare?",
                 "Name the policies in force during the period and whether staff knew them."),
        Question("What were the key relevant points or opportunities for assessment and decision "
                 "making in this case in relation to the child and the family? Do assessments and "
                 "decisions appear to have been reached in an informed and professional way?",
                 "List each point, then say how the assessment or decision was reached."),
        Question("Did actions accord with assessments and decisions made? Were appropriate "
                 "services offered or provided, or relevant enquiries made, in the light of "
                 "circumstances?",
                 "Compare what was decided with what was done."),
        Question("Where relevant, were appropriate child protection or care plans in place, and "
                 "the child protection and/or looked after reviewing processes complied with?",
                 "Say whether a plan existed and whether reviews happened on time."),
        Question("When, and in what way, were the child's wishes and feelings ascertained and "
                 "considered? Was this information recorded?",
                 "Say who spoke to the child, when, and where it was recorded."),
        Question("Was practice sensitive to the racial, cultural, linguistic and religious "
                 "identity of the child and family?",
                 "Describe the family's identity only as far as it bears on practice."),
        Question("Were senior managers, or other agencies and professionals, involved at points "
                 "where they should have been?",
                 "Name the points at which others were, or should have been, involved."),
        Question("Was the work in this case consistent with agency and LSCB policy and procedures "
                 "for safeguarding children and with wider professional standards?",
                 "Say where practice departed from procedure, and why."),
    ),
)
LEARNING = Section(
    "What do we learn from this case?",
    "Are there lessons for the way this agency works to safeguard children and promote their "
    "welfare? Is there good practice to highlight, as well as ways in which practice can be "
    "improved? Are there implications for ways of working; training (single and inter-agency); "
    "management and supervision; working in partnership with other agencies; resources?",
)
RECOMMENDATIONS = Section(
    "Recommendations for action",
    "For each recommendation: what action should be taken, by whom and by when; what outcomes "
    "the action should bring about; and how the agency will review whether they have been "
    "achieved. Cite the finding each one answers: put (label)= on the line before its paragraph "
    "and write ``{para}`label` `` in the recommendation.",
)

SECTIONS: tuple[Section, ...] = (INVOLVEMENT, ANALYSIS, LEARNING, RECOMMENDATIONS)

#: The text left in a template where the writer has still to write; check reports any left.
PLACEHOLDER_START, PLACEHOLDER_END = "[[", "]]"
