"""Every page a role can open (the authorization matrix's routes, in its world) fits a phone
and passes axe-core: in Chromium at 375 px nothing scrolls sideways, and axe finds no
violation of WCAG 2.1 AA in Swedish or English at 1280 px or 375 px.

The world is built once per test (test_authorization_matrix's `people`: an employee with an
attempt, a manager, a programme lead, organisation admins of two organisations, a teacher)
and every page is walked in one browser, a profile per role carrying that role's session.
"""

from __future__ import annotations

import re

from tests.lti_tool.test_authorization_matrix import MATRIX, ROLES, _fill, people  # noqa: F401
from tests.support.accessibility import AXE_SCRIPT, AXE_TAGS, axe_violations, describe_violations
from tests.support.assessing import answer_all, submit

PHONE = {"width": 375, "height": 740}
DESKTOP = {"width": 1280, "height": 900}
# Files, not pages: downloads are checked by their own tests.
DOWNLOAD = re.compile(r"/export/|/pdf$")
PUBLIC_PAGES = ("/", "/accessibility?org=test-org", "/privacy?org=test-org")


def _pages(ids: dict) -> list[tuple[str, str]]:
    """(role, path): every GET route once, opened by the first role allowed it, then each
    role's start page and the pages anyone may read."""
    pages = []
    for rule, methods in MATRIX.items():
        allowed = [role for role in ROLES if role in methods.get("GET", ())]
        if allowed and not DOWNLOAD.search(rule):
            pages.append((allowed[0], _fill(rule, ids)))
    pages += [(role, "/") for role in ROLES]
    pages += [(None, path) for path in PUBLIC_PAGES]
    return pages


def _profiles(chromium, tool_url, sessions, *, bypass_csp: bool):
    """A browser profile per role with the role's session cookies, and one for a stranger."""
    profiles = {}
    for role in (*ROLES, None):
        context = chromium.new_context(bypass_csp=bypass_csp, locale="sv-SE", viewport=PHONE)
        if role is not None:
            context.add_cookies(
                [
                    {"name": c.name, "value": c.value, "url": tool_url}
                    for c in sessions[role].cookies
                ]
            )
        profiles[role] = context.new_page()
    return profiles


def _submitted(sessions, tool_url, ids) -> list[tuple[str, str]]:
    """The employee answers and submits: the results page and the manager's views of it."""
    employee = sessions["employee"]
    first = employee.get(f"{tool_url}/attempts/{ids['attempt_id']}/items/1")
    submit(employee, answer_all(employee, first, lambda options: options[-2]))
    return [
        ("employee", f"/attempts/{ids['attempt_id']}/results"),
        ("employee", "/"),
        ("manager", f"/team/{ids['employee_id']}"),
        ("manager", f"/plans/{ids['employee_id']}"),
    ]


def _walk(chromium, tool_url, world, check, *, bypass_csp: bool) -> dict[str, object]:
    sessions, ids = world
    profiles = _profiles(chromium, tool_url, sessions, bypass_csp=bypass_csp)
    found: dict[str, object] = {}
    try:
        pages = _pages(ids)
        for role, path in pages:
            check(profiles[role], tool_url, role, path, found)
        for role, path in _submitted(sessions, tool_url, ids):
            check(profiles[role], tool_url, role, path, found)
    finally:
        for page in profiles.values():
            page.context.close()
    return found


def _in(language: str, path: str) -> str:
    return f"{path}{'&' if '?' in path else '?'}lang={language}"


def _scroll_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


# Words in the cells of tables stacked into cards that the browser split over two lines
# ("Grundläggand/e", "utvecklingssa/mtalet"): a cell's pieces once fell into the narrow
# label column of the card.
SPLIT_WORDS = """() => {
  const split = [];
  for (const cell of document.querySelectorAll("table.stacks td")) {
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      for (const match of node.data.matchAll(/\\S+/g)) {
        const range = document.createRange();
        range.setStart(node, match.index);
        range.setEnd(node, match.index + match[0].length);
        const lines = new Set([...range.getClientRects()].filter(r => r.width > 0)
                                                         .map(r => Math.round(r.top)));
        if (lines.size > 1) split.push(match[0]);
      }
    }
  }
  return split;
}"""


def _fits_a_phone(page, tool_url, role, path, found) -> None:
    blocked = []

    def refused(message) -> None:
        if "Content Security Policy" in message.text:
            blocked.append(message.text)

    page.on("console", refused)
    for language in ("sv", "en"):
        page.set_viewport_size(PHONE)
        page.goto(tool_url + _in(language, path))
        width = _scroll_width(page)
        if width > PHONE["width"]:
            found[f"{path} ({role}, {language})"] = width
        split = page.evaluate(SPLIT_WORDS)
        if split:
            found[f"{path} ({role}, {language}): words split in a card"] = split
    page.remove_listener("console", refused)
    if blocked:
        found[f"{path} ({role}): the CSP blocked"] = blocked


def _violations(page) -> list[dict]:
    """axe-core's violations (WCAG 2.1 A/AA and best practice, as tests.support.accessibility
    runs it), without collecting the passing results: three times faster over 40 pages."""
    return page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags},"
        " resultTypes: ['violations']}).then(results => results.violations)",
        AXE_TAGS,
    )


def _passes_axe(page, tool_url, role, path, found) -> None:
    for language in ("sv", "en"):
        page.goto(tool_url + _in(language, path))
        if not AXE_SCRIPT.is_file():
            axe_violations(page)  # fails the test saying how to install axe-core
        page.add_script_tag(path=str(AXE_SCRIPT))
        for viewport in (PHONE, DESKTOP):
            page.set_viewport_size(viewport)
            violations = _violations(page)
            if violations:
                where = f"{path} ({role}, {language}, {viewport['width']} px)"
                found[where] = describe_violations(violations)


def test_no_page_scrolls_sideways_or_splits_words_on_a_phone(chromium, tool_url, people):  # noqa: F811
    too_wide = _walk(chromium, tool_url, people, _fits_a_phone, bypass_csp=False)

    assert too_wide == {}, (
        "pages wider than the 375 px phone (scrollWidth), or split words:\n"
        + "\n".join(f"  {page}: {width}" for page, width in too_wide.items())
    )


def test_every_page_passes_axe_in_swedish_and_english_on_desktop_and_phone(
    chromium,
    tool_url,
    people,  # noqa: F811
):
    violations = _walk(chromium, tool_url, people, _passes_axe, bypass_csp=True)

    assert violations == {}, "\n".join(f"{page}:\n{text}" for page, text in violations.items())
