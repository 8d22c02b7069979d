"""The manager's overview of their team: per person the latest result they may see, where the
development plan stands, how much of it is done, and who needs a follow-up.

Plain Python over rows that `storage.team_overview` gathers, so the rules (what counts as
needing follow-up, how the table sorts and filters) are tested without a database.

A yearly dialogue: the next follow-up is due `FOLLOW_UP_MONTHS` after the last agreement
(`next_follow_up`); the plan PDF prints the same date.  A person needs follow-up when they
have no plan at all, or when their last dialogue (the newest agreement; a plan never agreed:
its newest version saved) is `FOLLOW_UP_MONTHS` or more ago.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime

FOLLOW_UP_MONTHS = 12

# Where the newest version of a person's plan stands (OverviewRow.plan_status).
NO_PLAN = "none"
WAITING_FOR_BOTH = "waiting_both"
WAITING_FOR_EMPLOYEE = "waiting_employee"
WAITING_FOR_MANAGER = "waiting_manager"
AGREED = "agreed"

# Why a person needs follow-up (OverviewRow.follow_up).
NEEDS_PLAN = "no_plan"
NO_RECENT_DIALOGUE = "no_dialogue"

# The columns the overview sorts by (query parameter `sort`), and the filter (`show`).
SORTS = ("name", "assessment", "plan", "follow_up")
EVERYONE, FOLLOW_UP_ONLY = "all", "follow_up"


@dataclass(frozen=True)
class LatestResult:
    instrument_key: str
    framework_key: str
    submitted_at: datetime
    overall_level: int


@dataclass(frozen=True)
class OverviewRow:
    employee_id: int
    employee_number: str
    name: str
    unit: str | None
    role: str | None
    latest: LatestResult | None  # the newest result the manager may see
    not_shared: bool  # has submitted results, none of them shared with the manager
    in_progress: bool  # an assessment (a retake) is started and not submitted
    states: dict[str, str]  # instrument key -> not_started | in_progress | finished
    plan_status: str
    agreed_on: datetime | None  # when the newest agreed version was agreed by both
    items_done: int
    items_planned: int
    last_dialogue: datetime | None  # the newest agreement (never agreed: version saved)
    follow_up: str | None  # NEEDS_PLAN, NO_RECENT_DIALOGUE or None


def add_months(day: date, months: int) -> date:
    """The same day `months` later; the month's last day when it has no such day."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def next_follow_up(agreed_on: date) -> date:
    """When the plan agreed on `agreed_on` is followed up: the next yearly dialogue."""
    return add_months(agreed_on, FOLLOW_UP_MONTHS)


def plan_status(employee_agreed: bool, manager_agreed: bool) -> str:
    """The status of a plan's newest version from who has confirmed it."""
    if employee_agreed and manager_agreed:
        return AGREED
    if employee_agreed:
        return WAITING_FOR_MANAGER
    if manager_agreed:
        return WAITING_FOR_EMPLOYEE
    return WAITING_FOR_BOTH


def follow_up_reason(has_plan: bool, last_dialogue: datetime | None, today: date) -> str | None:
    if not has_plan or last_dialogue is None:
        return NEEDS_PLAN
    if next_follow_up(last_dialogue.date()) <= today:
        return NO_RECENT_DIALOGUE
    return None


_PLAN_ORDER = {
    NO_PLAN: 0,
    WAITING_FOR_MANAGER: 1,
    WAITING_FOR_BOTH: 2,
    WAITING_FOR_EMPLOYEE: 3,
    AGREED: 4,
}


def arrange(rows: list[OverviewRow], sort: str, descending: bool, show: str) -> list[OverviewRow]:
    """The rows filtered (`show`: EVERYONE or FOLLOW_UP_ONLY) and sorted by a column of
    SORTS; people without a value (no result, never a dialogue) come last either way, and
    equal values keep name order."""
    shown = [r for r in rows if show != FOLLOW_UP_ONLY or r.follow_up is not None]
    by_name = sorted(shown, key=lambda r: (r.name.casefold(), r.employee_id))
    if sort not in SORTS or sort == "name":
        return list(reversed(by_name)) if descending else by_name

    def value(row: OverviewRow):
        if sort == "assessment":
            return row.latest.submitted_at.timestamp() if row.latest else None
        if sort == "plan":
            return _PLAN_ORDER.get(row.plan_status, 0)
        # follow_up: who needs it first, then the longest since a dialogue
        last = row.last_dialogue.timestamp() if row.last_dialogue else 0.0
        return (row.follow_up is None, last)

    known = [r for r in by_name if value(r) is not None]
    unknown = [r for r in by_name if value(r) is None]
    known.sort(key=value, reverse=descending)
    return known + unknown
