"""A job run's counts as a person reads them: "3 levererade, 1 misslyckad", not
`dead: 1, delivered: 3`.

Each job returns its own counts (a dataclass or a dict, see sync.jobs.counts_of); the
same key can mean different things in different jobs ("delivered" is a message sent by
the delivery jobs, and a sent message emptied by the retention job), so a job may name
its keys itself before the shared names apply.  Counts of zero are left out; a run that
did nothing says so.  A key nobody named yet is shown as it is stored.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from flask_babel import format_decimal, gettext, ngettext


# ngettext is called at render time (the person's language); the texts are literals here
# so that `make messages` extracts them.  The order here is the order shown.
def _words() -> dict[str, Callable[[int], str]]:
    return {
        "delivered": lambda n: ngettext("%(num)d delivered", "%(num)d delivered", n),
        "retried": lambda n: ngettext(
            "%(num)d will be tried again", "%(num)d will be tried again", n
        ),
        "dead": lambda n: ngettext("%(num)d failed", "%(num)d failed", n),
        "postponed": lambda n: ngettext("%(num)d postponed", "%(num)d postponed", n),
        "targets": lambda n: ngettext("%(num)d system checked", "%(num)d systems checked", n),
        "asked": lambda n: ngettext("%(num)d question asked", "%(num)d questions asked", n),
        "new_events": lambda n: ngettext("%(num)d new completion", "%(num)d new completions", n),
        "endpoints": lambda n: ngettext(
            "%(num)d learning record store read", "%(num)d learning record stores read", n
        ),
        "read": lambda n: ngettext(
            "%(num)d learning record read", "%(num)d learning records read", n
        ),
        "sources": lambda n: ngettext(
            "%(num)d staff list fetched", "%(num)d staff lists fetched", n
        ),
        "created": lambda n: ngettext("%(num)d new employee", "%(num)d new employees", n),
        "updated": lambda n: ngettext("%(num)d employee changed", "%(num)d employees changed", n),
        "moved": lambda n: ngettext(
            "%(num)d employee with a new unit, manager or role",
            "%(num)d employees with a new unit, manager or role",
            n,
        ),
        "deactivated": lambda n: ngettext(
            "%(num)d employee no longer listed", "%(num)d employees no longer listed", n
        ),
        "reactivated": lambda n: ngettext(
            "%(num)d employee listed again", "%(num)d employees listed again", n
        ),
        "linked": lambda n: ngettext(
            "%(num)d employee linked to their account",
            "%(num)d employees linked to their accounts",
            n,
        ),
        "units_created": lambda n: ngettext("%(num)d new unit", "%(num)d new units", n),
        "units_renamed": lambda n: ngettext("%(num)d unit renamed", "%(num)d units renamed", n),
        "count": lambda n: ngettext("%(num)d done", "%(num)d done", n),
    }


def _job_words() -> dict[str, dict[str, Callable[[int], str]]]:
    return {
        "nrps-rosters": {
            "count": lambda n: ngettext(
                "%(num)d course list to fetch", "%(num)d course lists to fetch", n
            ),
        },
        "job-runs-cleanup": {
            "count": lambda n: ngettext(
                "%(num)d old run forgotten", "%(num)d old runs forgotten", n
            ),
        },
        "retention": {
            "answers": lambda n: ngettext("%(num)d answer removed", "%(num)d answers removed", n),
            "launches": lambda n: ngettext(
                "%(num)d record of opening the tool removed",
                "%(num)d records of opening the tool removed",
                n,
            ),
            "login_nonces": lambda n: ngettext(
                "%(num)d expired sign-in removed", "%(num)d expired sign-ins removed", n
            ),
            "delivered": lambda n: ngettext(
                "%(num)d sent message emptied", "%(num)d sent messages emptied", n
            ),
            "audit_events": lambda n: ngettext(
                "%(num)d audit log entry removed", "%(num)d audit log entries removed", n
            ),
        },
    }


def counts_in_words(counts: Mapping | None, job_id: str = "", nothing: str | None = None) -> str:
    """ "3 delivered, 1 failed" in the page's language; "Nothing to do" when every count is
    zero (or `nothing`).  Only whole numbers are counts (a job may add a breakdown as a dict)."""
    numbers = {
        key: value
        for key, value in (counts or {}).items()
        if isinstance(value, int) and not isinstance(value, bool)
    }
    words = dict(_job_words().get(job_id, {}))
    for key, say in _words().items():
        words.setdefault(key, say)
    parts = []
    order = list(words)
    for key in sorted(numbers, key=lambda k: (order.index(k) if k in order else len(order), k)):
        number = numbers[key]
        if number == 0:
            continue
        say = words.get(key)
        parts.append(say(number) if say else f"{key}: {format_decimal(number)}")
    if not parts:
        return (nothing or gettext("Nothing to do")) if numbers else ""
    return ", ".join(parts)
