"""A person taking the assessment in a real browser (Debian's Chromium), and the oracle the
browser tests check the results page against.

The expected levels are worked out here from the instrument files and the rule the
results page states (mean of the levels the answers imply, minus the share of knowledge
questions answered wrongly, rounded half up; "I don't know" counts as no answer), so the
browser tests do not trust the scoring code they check.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

DATA = Path(__file__).resolve().parents[2] / "competence" / "data"
FRAMEWORK = json.loads((DATA / "digcomp-2.2.json").read_text(encoding="utf-8"))
SHORT = json.loads((DATA / "instruments" / "digcomp-2.2-short.json").read_text(encoding="utf-8"))
FULL = json.loads((DATA / "instruments" / "digcomp-2.2-full.json").read_text(encoding="utf-8"))
PLAIN = json.loads((DATA / "plain-language.json").read_text(encoding="utf-8"))["frameworks"][
    "digcomp-2.2"
]
COMPETENCES = [comp for area in FRAMEWORK["areas"] for comp in area["competences"]]
MAX_LEVEL = max(level["value"] for level in FRAMEWORK["scale"]["levels"])

TEXTS = {
    "sv": {
        "hello": "Hej Anna Andersson!",
        "question": "Fråga {number} av {total}",
        "answered": "Du har svarat på {answered} av {total} frågor.",
        "continue": "Fortsätt där du slutade",
        "start": "Starta självskattningen",
        "review": "Granska och skicka in",
        "unanswered": "Några frågor saknar svar",
        "result": "Ditt resultat",
        "overall": "Din nivå totalt:",
        "level": "Nivå",
        "your results": "Dina resultat",
        "back to start": "Tillbaka till början",
        "all competences": "Alla kompetenser",
        "error 409": "Fel 409",
    },
    "en": {
        "hello": "Hello, Anna Andersson!",
        "question": "Question {number} of {total}",
        "answered": "You have answered {answered} of {total} questions.",
        "continue": "Continue where you left off",
        "start": "Start the assessment",
        "review": "Review and submit",
        "unanswered": "Some questions have no answer",
        "result": "Your result",
        "overall": "Your overall level:",
        "level": "Level",
        "your results": "Your results",
        "back to start": "Back to the start",
        "all competences": "All competences",
        "error 409": "Error 409",
    },
}

# Where focus is, whether a person can see it (as in test_accessibility.py), and whether
# it is on `target` (an element, or null).
FOCUSED = """(target) => {
    const el = document.activeElement;
    const style = getComputedStyle(el);
    const box = el.getBoundingClientRect();
    return {
        label: (el.innerText || el.getAttribute("aria-label") || el.value || el.id
                || el.tagName).trim(),
        outlineStyle: style.outlineStyle,
        outlineWidth: parseFloat(style.outlineWidth),
        onScreen: box.width > 0 && box.height > 0 && box.right > 0 && box.bottom > 0
            && box.left < innerWidth && box.top < innerHeight,
        onTarget: el === target,
    };
}"""

# How far the page itself scrolls sideways; clientWidth leaves out a vertical scrollbar.
PAGE_WIDTHS = """() => ({
    scrollWidth: document.documentElement.scrollWidth,
    clientWidth: document.documentElement.clientWidth,
})"""


# --- the oracle: expected levels from the instrument files ----------------------------------


def level_of(value: float) -> int:
    """Round half up and keep within the scale, as the results page explains."""
    return max(0, min(MAX_LEVEL, math.floor(value + 0.5)))


def expected_result(instrument: dict, answers: dict[str, str]) -> tuple[dict[str, int], int]:
    """Per competence level and overall level for `answers` (item id -> option id)."""
    scales = instrument.get("response_scales", {})
    implied: dict[str, list[int]] = {}
    checks: dict[str, list[bool]] = {}
    for item in instrument["items"]:
        chosen = answers.get(item["id"])
        if chosen is None:
            continue
        if item["kind"] == "knowledge":
            option = next(o for o in item["options"] if o["id"] == chosen)
            if not option.get("dont_know"):
                checks.setdefault(item["competence"], []).append(chosen == item["correct"])
        else:
            ids = [o["id"] for o in scales[item["scale"]]["options"]]
            implied.setdefault(item["competence"], []).append(item["levels"][ids.index(chosen)])
    values = {}
    for competence, levels in implied.items():
        value = sum(levels) / len(levels)
        if checks.get(competence):
            value -= 1 - sum(checks[competence]) / len(checks[competence])
        values[competence] = max(0.0, min(float(MAX_LEVEL), value))
    overall = sum(values.values()) / len(values)
    return {cid: level_of(value) for cid, value in values.items()}, level_of(overall)


def level_name(level: int, lang: str) -> str:
    """The level as the results page names it: "Nivå 3 – Medel"."""
    return f"{TEXTS[lang]['level']} {level} – {PLAIN['levels'][str(level)]['name'][lang]}"


def short_name(competence: dict, lang: str) -> str:
    return PLAIN["short_names"][competence["id"]][lang].replace("\u00ad", "")


def names_cell(competence: dict, lang: str) -> str:
    """A results row's heading: "1.1 Söka information", the official name under it."""
    short, official = short_name(competence, lang), competence["name"][lang]
    first = f"{competence['id']} {short}"
    return first if short == official else f"{first}\n{official}"


def full_answers() -> dict[str, str]:
    """Self-ratings "guide_others" (levels 5 and 6); knowledge questions in turn right,
    "I don't know" and wrong, so both that the penalty applies and that "I don't know"
    does not cost anything show in the levels."""
    answers = {}
    knowledge = 0
    for item in FULL["items"]:
        if item["kind"] == "self_rating":
            answers[item["id"]] = "guide_others"
            continue
        dont_know = next(o["id"] for o in item["options"] if o.get("dont_know"))
        wrong = next(
            o["id"]
            for o in item["options"]
            if o["id"] != item["correct"] and not o.get("dont_know")
        )
        answers[item["id"]] = [item["correct"], dont_know, wrong][knowledge % 3]
        knowledge += 1
    return answers


def heading(page):
    return page.get_by_role("heading", level=1)


def wait_for_path(page, ending: str) -> None:
    # Once the skip link has been used, the browser carries "#main" through the form's
    # redirects (the forms post to their own URL); only the path matters here.
    page.wait_for_url(lambda url: urlsplit(url).path.endswith(ending))


def launch(page, tool_url: str, course: str, lang: str) -> None:
    """On the dev platform, choose the course and language and launch as the learner."""
    page.goto(f"{tool_url}/dev-platform/")
    page.locator("#course").select_option(course)
    page.locator("#locale").select_option(lang)
    page.get_by_test_id("launch-learner").click()
    page.wait_for_url(f"{tool_url}/")
    expect(page.locator("html")).to_have_attribute("lang", lang)
    expect(heading(page)).to_have_text(TEXTS[lang]["hello"])


def expect_question(page, lang: str, number: int, total: int) -> None:
    expect(page.locator(".progress-text")).to_have_text(
        TEXTS[lang]["question"].format(number=number, total=total)
    )
    # The path only: after the skip link the browser keeps "#main" through the redirect.
    assert urlsplit(page.url).path.endswith(f"/items/{number}")


def save(page, lang: str, option: str | None, number: int, total: int) -> None:
    """Choose `option` (None: leave the question unanswered) and press Save and continue."""
    if option is not None:
        page.locator(f'input[name="answer"][value="{option}"]').check()
    page.get_by_test_id("next").click()
    if number < total:
        expect_question(page, lang, number + 1, total)
    else:
        wait_for_path(page, "/review")
        # The review, or with questions unanswered the page that asks before submitting.
        texts = TEXTS[lang]
        expect(heading(page)).to_have_text(
            re.compile(f"^({re.escape(texts['review'])}|{re.escape(texts['unanswered'])})$")
        )


def answer_until(page, lang, instrument, answers, start: int, stop: int, skip=()) -> None:
    """Answer questions start..stop (1-based, inclusive) from the page showing `start`,
    checking each shows its own text in `lang`; those in `skip` are left unanswered
    (Save and continue without choosing)."""
    items = instrument["items"]
    for number in range(start, stop + 1):
        item = items[number - 1]
        expect(page.locator(".question-text")).to_have_text(item["text"][lang])
        save(page, lang, None if number in skip else answers[item["id"]], number, len(items))


def submit(page, lang: str, anyway: bool = False) -> None:
    """Submit from the review; `anyway`: from the page listing unanswered questions."""
    page.get_by_test_id("submit-anyway" if anyway else "submit").click()
    wait_for_path(page, "/results")
    expect(heading(page)).to_have_text(TEXTS[lang]["result"])


def expect_results(page, lang: str, levels: dict[str, int], overall: int) -> None:
    """The table shows exactly `levels`, in the page's language, next to the radar chart."""
    expect(page.locator("html")).to_have_attribute("lang", lang)
    expect(
        page.get_by_role("heading", level=2, name=TEXTS[lang]["all competences"])
    ).to_be_visible()
    expect(page.get_by_test_id("overall")).to_have_text(
        f"{TEXTS[lang]['overall']} {level_name(overall, lang)}"
    )
    rows = page.get_by_test_id("results-table").locator("tbody tr[data-competence]")
    expect(rows).to_have_count(len(COMPETENCES))
    shown = rows.evaluate_all(
        """rows => rows.map(row => [
            row.dataset.competence,
            row.querySelector("th").innerText.replaceAll("\\u00ad", "").trim(),
            row.querySelector("[data-level]").dataset.level,
            row.querySelector("[data-level]").innerText.trim(),
        ])"""
    )
    # Each row: the short name over the official one, and the level's number and plain name.
    assert shown == [
        [
            comp["id"],
            names_cell(comp, lang),
            str(levels[comp["id"]]),
            level_name(levels[comp["id"]], lang).split(" ", 1)[1],
        ]
        for comp in COMPETENCES
    ]
    radar = page.locator('figure.chart svg[role="img"] >> visible=true')
    expect(radar).to_be_visible()
    expect(radar.locator(".radar-series--current polygon.radar-area")).to_have_count(1)


# --- keyboard only -------------------------------------------------------------------------


def press(page, key: str, target=None) -> dict:
    """Press a key; focus must then be visible and on screen. `onTarget`: on `target`."""
    page.keyboard.press(key)
    if target is None:
        focused = page.evaluate(FOCUSED, None)
    else:
        focused = target.evaluate(f"el => ({FOCUSED})(el)")
    assert focused["outlineStyle"] != "none" and focused["outlineWidth"] > 0, (
        f"after {key}, focus is not visible on {focused['label']!r} on {page.url}"
    )
    assert focused["onScreen"], f"after {key}, the focused {focused['label']!r} is off screen"
    return focused


def tab_to(page, target, key: str = "Tab", limit: int = 12) -> None:
    """Press Tab (or Shift+Tab) until `target` has focus, checking focus at every stop."""
    stops = []
    for _ in range(limit):
        focused = press(page, key, target)
        stops.append(focused["label"])
        if focused["onTarget"]:
            return
    pytest.fail(f"{key} never reached {target}; it stopped at {stops}")


def skip_to_content(page) -> None:
    """The first Tab reaches the skip link; Enter moves focus to the main content."""
    tab_to(page, page.locator(".skip-link"), limit=1)
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()


# --- reflow: 320 CSS px and 200 % zoom ------------------------------------------------------

# WCAG 1.4.10 (reflow): content must fit 320 CSS px without scrolling sideways (1280 px at
# 400 % zoom). 200 % zoom of a 1280x720 window is emulated as its CSS viewport, 640x360
# CSS px, with device_scale_factor 2 (two device pixels per CSS px, as zoom gives); layout
# only depends on the CSS px, so the same tab is resized between the two sizes.
NARROW = {"width": 320, "height": 640}
ZOOMED = {"width": 640, "height": 360}


def assert_reflows(page, *must_show) -> None:
    """No sideways scrolling of the page; each of `must_show` is visible and fits across."""
    widths = page.evaluate(PAGE_WIDTHS)
    assert widths["scrollWidth"] <= widths["clientWidth"], (
        f"{page.url} scrolls sideways at {page.viewport_size['width']} px: {widths}"
    )
    for locator in must_show:
        expect(locator).to_be_visible()
        fits = locator.evaluate(
            """el => {
                const box = el.getBoundingClientRect();
                return box.left >= 0 && box.right <= document.documentElement.clientWidth;
            }"""
        )
        assert fits, f"{locator} is cut off at {page.viewport_size['width']} px on {page.url}"
