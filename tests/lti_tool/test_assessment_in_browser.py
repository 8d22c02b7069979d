"""The assessment in a real browser (Debian's Chromium): launched from the dev platform,
answered, left and resumed on another device, submitted, and read, in Swedish and English;
every kind of page checked with axe-core, completed with the keyboard alone, and read at
320 CSS px and at 200 % zoom.

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

from lti import claims as c
from tests.lti_tool.conftest import PAGE_TIMEOUT_MS
from tests.support.accessibility import assert_accessible

DATA = Path(__file__).resolve().parents[2] / "competence" / "data"
FRAMEWORK = json.loads((DATA / "digcomp-2.2.json").read_text(encoding="utf-8"))
SHORT = json.loads((DATA / "instruments" / "digcomp-2.2-short.json").read_text(encoding="utf-8"))
FULL = json.loads((DATA / "instruments" / "digcomp-2.2-full.json").read_text(encoding="utf-8"))
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
        "overall": "Nivå totalt:",
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
        "overall": "Overall level:",
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
    return next(lv["name"][lang] for lv in FRAMEWORK["scale"]["levels"] if lv["value"] == level)


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


# --- what a person does in the browser -------------------------------------------------------


@pytest.fixture
def devices(chromium, tool_url):
    """Opens a new browser profile (fresh cookies: another device) and returns its tab."""
    opened = []

    def open_device(**options):
        context = chromium.new_context(bypass_csp=True, locale="sv-SE", **options)
        context.set_default_timeout(PAGE_TIMEOUT_MS)
        opened.append(context)
        return context.new_page()

    yield open_device
    for context in opened:
        context.close()


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
    rows = page.get_by_test_id("results-table").locator("tbody tr")
    expect(rows).to_have_count(len(COMPETENCES))
    shown = rows.evaluate_all(
        """rows => rows.map(row => [
            row.dataset.competence,
            row.querySelector("th").innerText.trim(),
            row.querySelector("[data-level]").dataset.level,
            row.querySelector("[data-level]").innerText.trim(),
        ])"""
    )
    assert shown == [
        [
            comp["id"],
            f"{comp['id']} {comp['name'][lang]}",
            str(levels[comp["id"]]),
            level_name(levels[comp["id"]], lang),
        ]
        for comp in COMPETENCES
    ]
    radar = page.locator('figure.chart svg[role="img"]')
    expect(radar).to_be_visible()
    expect(radar.locator(".radar-series--current polygon.radar-area")).to_have_count(1)


# --- acceptance 1: short in Swedish, full in English, left and resumed on another device ----


def test_short_instrument_in_swedish_left_and_resumed_on_another_device(devices, tool_url):
    answers = {item["id"]: "on_my_own" for item in SHORT["items"]}
    total = len(SHORT["items"])
    phone = devices()
    launch(phone, tool_url, "digi101", "sv")
    phone.get_by_test_id("start").click()
    expect_question(phone, "sv", 1, total)
    answer_until(phone, "sv", SHORT, answers, 1, 8)
    phone.context.close()  # leaves in the middle, on question 9

    desktop = devices()
    launch(desktop, tool_url, "digi101", "sv")
    expect(
        desktop.get_by_text(TEXTS["sv"]["answered"].format(answered=8, total=total))
    ).to_be_visible()
    expect(desktop.get_by_test_id("continue")).to_have_text(TEXTS["sv"]["continue"])
    assert_accessible(desktop)  # the overview of an attempt in progress
    desktop.get_by_test_id("continue").click()
    expect_question(desktop, "sv", 9, total)
    answer_until(desktop, "sv", SHORT, answers, 9, total)
    expect(desktop.get_by_test_id("answered")).to_have_text(
        TEXTS["sv"]["answered"].format(answered=total, total=total)
    )
    assert_accessible(desktop)  # the review with every question answered
    submit(desktop, "sv")

    levels, overall = expected_result(SHORT, answers)
    assert set(levels.values()) == {3} and overall == 3  # the oracle agrees with the brief
    expect_results(desktop, "sv", levels, overall)
    expect(desktop.get_by_test_id("overall")).to_have_text("Nivå totalt: Medel 3")
    assert_accessible(desktop)  # the results with every competence assessed


def test_full_instrument_in_english_left_and_resumed_on_another_device(devices, tool_url):
    answers = full_answers()
    total = len(FULL["items"])
    skipped = 27  # a knowledge question passed over before leaving: the resume lands here
    assert FULL["items"][skipped - 1]["kind"] == "knowledge"
    laptop = devices()
    launch(laptop, tool_url, "digi201", "en")
    expect(laptop.get_by_test_id("start")).to_have_text(TEXTS["en"]["start"])
    laptop.get_by_test_id("start").click()
    expect_question(laptop, "en", 1, total)
    answer_until(laptop, "en", FULL, answers, 1, 30, skip={skipped})
    laptop.context.close()

    tablet = devices()
    launch(tablet, tool_url, "digi201", "en")
    expect(
        tablet.get_by_text(TEXTS["en"]["answered"].format(answered=29, total=total))
    ).to_be_visible()
    expect(tablet.get_by_test_id("continue")).to_have_text(TEXTS["en"]["continue"])
    assert_accessible(tablet)  # the overview of an attempt in progress
    tablet.get_by_test_id("continue").click()
    expect_question(tablet, "en", skipped, total)
    expect(tablet.locator('input[name="answer"]:checked')).to_have_count(0)
    item = FULL["items"][skipped - 1]
    dont_know = next(o for o in item["options"] if o.get("dont_know"))
    expect(tablet.get_by_label(dont_know["text"]["en"])).to_have_value(dont_know["id"])
    save(tablet, "en", answers[item["id"]], skipped, total)
    for number in range(skipped + 1, 31):  # answered on the laptop: shown as saved
        chosen = answers[FULL["items"][number - 1]["id"]]
        expect(tablet.locator('input[name="answer"]:checked')).to_have_value(chosen)
        save(tablet, "en", None, number, total)
    answer_until(tablet, "en", FULL, answers, 31, total)
    expect(tablet.get_by_test_id("answered")).to_have_text(
        TEXTS["en"]["answered"].format(answered=total, total=total)
    )
    assert_accessible(tablet)  # the review with every question answered
    submit(tablet, "en")

    levels, overall = expected_result(FULL, answers)
    assert set(levels.values()) == {5, 6}  # right and "I don't know": 5.5 -> 6; wrong: 4.5 -> 5
    expect_results(tablet, "en", levels, overall)
    assert_accessible(tablet)  # the results with every competence assessed


# --- acceptance 4: every page of the flow passes axe-core, in both languages ----------------


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_every_page_of_the_flow_has_no_accessibility_violations(devices, tool_url, lang):
    """Each kind of page once per language. Two states only a whole walk reaches, the
    overview of an attempt in progress and the review with every question answered (and
    results with every competence assessed), are checked in the walks above, one in each
    language; this test keeps its page loads few for the suite's sake."""
    page = devices()
    total = len(FULL["items"])
    launch(page, tool_url, "digi201", lang)
    expect(page.get_by_test_id("start")).to_have_text(TEXTS[lang]["start"])
    assert_accessible(page)  # the overview before starting
    page.get_by_test_id("start").click()
    expect_question(page, lang, 1, total)
    assert_accessible(page)  # a self-rating, the first question (no Previous button)
    save(page, lang, "with_help", 1, total)
    save(page, lang, "with_help", 2, total)
    expect(page.get_by_test_id("back")).to_be_visible()
    expect(page.locator('input[name="answer"]')).to_have_count(len(FULL["items"][2]["options"]))
    assert_accessible(page)  # a knowledge question, with Previous
    save(page, lang, None, 3, total)  # straight on to the review, as if at the last question
    page.goto(page.url.replace("/items/4", "/review"))
    expect(heading(page)).to_have_text(TEXTS[lang]["unanswered"])
    expect(page.get_by_test_id("unanswered").locator("a")).to_have_count(total - 2)
    assert_accessible(page)  # the confirmation listing the unanswered questions
    page.get_by_test_id("unanswered").locator("a").first.click()
    expect_question(page, lang, 3, total)
    page.go_back()
    submit(page, lang, anyway=True)
    levels = {"1.1": level_of((1 + 2) / 2)}  # "with_help": levels 1 and 2
    expect(page.locator('tr[data-competence="1.1"] [data-level]')).to_have_attribute(
        "data-level", str(levels["1.1"])
    )
    expect(page.locator('tr[data-competence="1.2"] [data-level]')).to_have_attribute(
        "data-level", ""
    )
    assert_accessible(page)  # the results, most competences not assessed
    page.get_by_role("link", name=TEXTS[lang]["back to start"]).click()
    page.wait_for_url(f"{tool_url}/")
    results_list = page.get_by_role("region", name=TEXTS[lang]["your results"])
    expect(results_list.get_by_role("link")).to_have_count(1)
    assert_accessible(page)  # the overview with "Your results"


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_the_page_for_no_more_attempts_has_no_accessibility_violations(
    page, tool_url, platform, browser, lang
):
    """A link allowing one attempt; the person submits in one tab, then presses Start in
    another tab still showing the overview from before: 409."""
    platform.launch(
        browser,
        **{
            c.CUSTOM: {"instrument": "digcomp-2.2-short", "attempts": "1"},
            c.LAUNCH_PRESENTATION: {"locale": lang},
        },
    )
    page.context.add_cookies(
        [{"name": ck.name, "value": ck.value, "url": tool_url} for ck in browser.cookies]
    )
    page.goto(f"{tool_url}/")
    expect(page.get_by_test_id("start")).to_be_visible()

    other_tab = page.context.new_page()
    other_tab.goto(f"{tool_url}/")
    other_tab.get_by_test_id("start").click()
    expect_question(other_tab, lang, 1, len(SHORT["items"]))
    save(other_tab, lang, "on_my_own", 1, len(SHORT["items"]))  # one assessed: it counts
    other_tab.goto(other_tab.url.replace("/items/2", "/review"))
    submit(other_tab, lang, anyway=True)
    other_tab.close()

    page.get_by_test_id("start").click()
    expect(heading(page)).to_have_text(TEXTS[lang]["error 409"])
    expect(page.locator("html")).to_have_attribute("lang", lang)
    assert_accessible(page)


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


def test_a_keyboard_user_completes_the_short_instrument(page, tool_url):
    total = len(SHORT["items"])
    page.goto(f"{tool_url}/dev-platform/")
    course = page.locator("#course")
    tab_to(page, course)
    press(page, "ArrowDown")  # a closed select changes with the arrow keys
    expect(course).to_have_value("digi201")
    press(page, "ArrowUp")
    expect(course).to_have_value("digi101")
    tab_to(page, page.locator("#locale"))
    expect(page.locator("#locale")).to_have_value("sv")
    tab_to(page, page.get_by_test_id("launch-learner"))
    page.keyboard.press("Enter")
    page.wait_for_url(f"{tool_url}/")
    expect(heading(page)).to_have_text(TEXTS["sv"]["hello"])

    skip_to_content(page)
    tab_to(page, page.get_by_test_id("start"))
    page.keyboard.press("Enter")
    for number in range(1, total + 1):
        expect_question(page, "sv", number, total)
        radios = page.locator('input[name="answer"]')
        if number == 1:
            skip_to_content(page)
        tab_to(page, radios.first, limit=4)  # the group is one stop; nothing chosen yet
        press(page, "Space")
        expect(radios.first).to_be_checked()
        press(page, "ArrowDown")
        press(page, "ArrowDown")
        on_my_own = page.locator('input[name="answer"][value="on_my_own"]')
        expect(on_my_own).to_be_checked()
        expect(on_my_own).to_be_focused()
        next_button = page.get_by_test_id("next")
        if number > 1:  # past Save to Previous question, and back with Shift+Tab
            tab_to(page, page.get_by_test_id("back"), limit=2)
            tab_to(page, next_button, key="Shift+Tab", limit=1)
        else:
            tab_to(page, next_button, limit=1)
        page.keyboard.press("Enter")

    wait_for_path(page, "/review")
    expect(page.get_by_test_id("answered")).to_have_text(
        TEXTS["sv"]["answered"].format(answered=total, total=total)
    )
    tab_to(page, page.get_by_test_id("submit"))
    page.keyboard.press("Enter")
    wait_for_path(page, "/results")
    levels, overall = expected_result(SHORT, {item["id"]: "on_my_own" for item in SHORT["items"]})
    expect_results(page, "sv", levels, overall)


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


def test_narrow_screen_and_200_percent_zoom_need_no_sideways_scrolling(devices, tool_url):
    page = devices(viewport=NARROW, device_scale_factor=2)
    launch(page, tool_url, "digi201", "sv")
    assert_reflows(page, heading(page), page.get_by_test_id("start"))
    page.get_by_test_id("start").click()
    total = len(FULL["items"])
    save(page, "sv", "on_my_own", 1, total)
    save(page, "sv", "on_my_own", 2, total)  # the third question is a knowledge question
    for size in (NARROW, ZOOMED):
        page.set_viewport_size(size)
        assert_reflows(
            page,
            page.locator(".question-text"),
            page.locator(".choice").last,
            page.get_by_test_id("next"),
            page.get_by_test_id("back"),
        )
    page.set_viewport_size(NARROW)
    page.goto(page.url.replace("/items/3", "/review"))
    assert_reflows(
        page,
        heading(page),
        page.get_by_test_id("answer-them"),
        page.get_by_test_id("submit-anyway"),
        page.get_by_test_id("unanswered").locator("li").first,
    )
    submit(page, "sv", anyway=True)
    for size in (NARROW, ZOOMED):
        page.set_viewport_size(size)
        assert_reflows(
            page,
            heading(page),
            page.get_by_test_id("overall"),
            page.locator('figure.chart svg[role="img"]'),
            page.locator(".table-wrap"),
        )
    page.set_viewport_size(NARROW)
    assert_accessible(page)  # e.g. a table that scrolls on its own must be reachable by keyboard
    table = page.locator(".table-wrap")
    assert table.evaluate("el => el.scrollWidth > el.clientWidth")  # it does scroll here
    tab_to(page, table)  # a keyboard user reaches it, sees focus on it,
    press(page, "ArrowRight")  # and scrolls it
    page.wait_for_function("() => document.querySelector('.table-wrap').scrollLeft > 0")


# --- unanswered questions: asked before submitting, at 1280 and 375 px --------------------


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_unanswered_questions_are_listed_before_submitting_at_1280_and_375_px(
    devices, tool_url, lang
):
    """The page that asks before an incomplete submission: the unanswered questions each
    link back, "Answer them" is the first action (and a keyboard user's first stop in the
    page's content), "Submit anyway" the second; axe finds nothing on a wide or a phone
    screen, and nothing scrolls sideways on the phone."""
    page = devices(viewport={"width": 1280, "height": 900})
    total = len(SHORT["items"])
    launch(page, tool_url, "digi101", lang)
    page.get_by_test_id("start").click()
    answer_until(page, lang, SHORT, {"1.1-s": "on_my_own"}, 1, total, skip=range(2, total + 1))
    # Save on the last question goes to the review: here, the page that asks.
    expect(heading(page)).to_have_text(TEXTS[lang]["unanswered"])
    listed = page.get_by_test_id("unanswered").locator("a")
    expect(listed).to_have_count(total - 1)
    expect(listed.first).to_contain_text(SHORT["items"][1]["text"][lang])
    answer_them = page.get_by_test_id("answer-them")
    anyway = page.get_by_test_id("submit-anyway")
    assert answer_them.bounding_box()["x"] < anyway.bounding_box()["x"]  # first in line
    assert_accessible(page)
    skip_to_content(page)  # from the top of the main content, a keyboard user meets
    tab_to(page, answer_them, limit=1)  # "Answer them" first,
    tab_to(page, anyway, limit=1)  # then "Submit anyway"

    page.set_viewport_size({"width": 375, "height": 800})
    assert_reflows(page, heading(page), answer_them, anyway, listed.first)
    assert_accessible(page)

    answer_them.click()
    expect_question(page, lang, 2, total)
    page.go_back()
    submit(page, lang, anyway=True)
    expect(page.get_by_test_id("not-assessed")).to_be_visible()
