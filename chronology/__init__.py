"""The chronology engine: agency records in, one checked and merged chronology out.

Read agency CSV/XLSX/DOCX -> validate -> normalise -> merge -> filter -> render/plot. Nothing here
knows about Sphinx or reviews; casereview builds on it.
"""

from .dates import DateError, FuzzyDate, Precision, Qualifier, parse_date, parse_time
from .merging import Filter, Gap, find_gaps, merge, with_gaps
from .problems import CaseReviewError, InputError, Problem, Severity
from .records import AgencyRecords, Source, agency_code, load

__all__ = [
    "AgencyRecords", "CaseReviewError", "DateError", "Filter", "FuzzyDate", "Gap", "InputError",
    "Precision", "Problem", "Qualifier", "Severity", "Source", "agency_code",
    "find_gaps", "load", "merge", "parse_date", "parse_time", "with_gaps",
]
