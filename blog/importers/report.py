"""A job's report: the items skipped (by name, with the reason; the first REPORT_MAX_ITEMS) and what was left out."""

from __future__ import annotations

from blog.models import REPORT_MAX_ITEMS, ImportJob
from site.text import xml_chars_only

# A kind of thing left out is named in the report; past this many kinds, the rest count as "other".
LEFT_OUT_KINDS_MAX = 50
_NAME_MAX = 300


def _clean(text: str, length: int) -> str:
    # An export's text goes into a JSON column: no NUL (PostgreSQL refuses it) nor other control characters.
    return xml_chars_only(text)[:length]


def report_skip(job: ImportJob, name: str, reason: str) -> None:
    job.skipped += 1
    if sum("item" in row for row in job.report) < REPORT_MAX_ITEMS:
        job.report.append({"item": _clean(name, _NAME_MAX), "reason": _clean(reason, _NAME_MAX)})


def report_left_out(job: ImportJob, kind: str) -> None:
    kind = _clean(kind, 100)
    rows = [row for row in job.report if "left_out" in row]
    row = next((r for r in rows if r["left_out"] == kind), None)
    if row is None and len(rows) >= LEFT_OUT_KINDS_MAX:
        kind = "other"
        row = next((r for r in rows if r["left_out"] == kind), None)
    if row is None:
        row = {"left_out": kind, "count": 0}
        job.report.append(row)
    row["count"] += 1
