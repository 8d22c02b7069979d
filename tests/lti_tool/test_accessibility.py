"""Every page a person can reach passes axe-core (WCAG 2.1 A/AA and best practice) in a real
browser, in Swedish and in English, and the tool can be launched with the keyboard alone.

WCAG 2.1 AA is required by law of Swedish public sector services (DOS-lagen), so an
accessibility violation fails the build like any other bug.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.support.accessibility import assert_accessible, axe_violations, describe_violations

LANGUAGES = {"sv": "", "en": "?lang=en"}  # Swedish is the default; English is chosen in the URL

GREETINGS = {
    ("learner", "sv"): "Hej Anna Andersson!",
    ("learner", "en"): "Hello, Anna Andersson!",
    ("teacher", "sv"): "Hej Erik Berg!",
    ("teacher", "en"): "Hello, Erik Berg!",
}


def heading(page):
    return page.get_by_role("heading", level=1)


def launch_from_dev_platform(page, tool_url: str, person: str, lang: str) -> None:
    """Click "Launch as ..." on the dev platform and follow the real OIDC launch to the tool."""
    page.goto(f"{tool_url}/dev-platform/{LANGUAGES[lang]}")
    page.get_by_test_id(f"launch-{person}").click()
    page.wait_for_url(f"{tool_url}/")
    expect(heading(page)).to_have_text(GREETINGS[person, lang])


def open_start_page(page, tool_url, lang):
    page.goto(f"{tool_url}/{LANGUAGES[lang]}")
    expect(heading(page)).to_have_text("Kompetenslyft")
    hint = {
        "sv": "Öppna verktyget från din kurs i Moodle.",
        "en": "Open the tool from your course in Moodle.",
    }[lang]
    expect(page.get_by_text(hint)).to_be_visible()


def open_dev_platform(page, tool_url, lang):
    page.goto(f"{tool_url}/dev-platform/{LANGUAGES[lang]}")
    expect(heading(page)).to_have_text(
        {"sv": "Inbyggd utvecklingsplattform", "en": "Built-in dev platform"}[lang]
    )


def open_learner_landing(page, tool_url, lang):
    launch_from_dev_platform(page, tool_url, "learner", lang)
    expect(page.get_by_test_id("where")).to_contain_text(
        {"sv": "Du är deltagare", "en": "You are a participant"}[lang]
    )


def open_teacher_landing(page, tool_url, lang):
    launch_from_dev_platform(page, tool_url, "teacher", lang)
    expect(page.get_by_test_id("where")).to_contain_text(
        {"sv": "Du är lärare", "en": "You are a teacher"}[lang]
    )


def open_launch_error(page, tool_url, lang):
    """A browser posts a launch the tool cannot accept (garbage token, unknown state)."""
    page.goto(f"{tool_url}/dev-platform/{LANGUAGES[lang]}")
    page.evaluate(
        """() => {
            const form = document.createElement("form");
            form.method = "post";
            form.action = "/lti/launch";
            for (const [name, value] of [["id_token", "x.y.z"], ["state", "nope"]]) {
                const input = document.createElement("input");
                input.type = "hidden";
                input.name = name;
                input.value = value;
                form.append(input);
            }
            document.body.append(form);
            form.submit();
        }"""
    )
    page.wait_for_url(f"{tool_url}/lti/launch")
    expect(heading(page)).to_have_text(
        {"sv": "Det gick inte att starta", "en": "The launch did not work"}[lang]
    )
    expect(page.get_by_test_id("message")).to_have_text(
        {
            "sv": "Startmeddelandet gick inte att läsa.",
            "en": "The launch message could not be read.",
        }[lang]
    )
    expect(page.get_by_test_id("reason")).to_have_text("malformed_token")


def open_not_found(page, tool_url, lang):
    response = page.goto(f"{tool_url}/no-such-page{LANGUAGES[lang]}")
    assert response.status == 404
    expect(heading(page)).to_have_text({"sv": "Fel 404", "en": "Error 404"}[lang])
    expect(page.get_by_test_id("message")).to_have_text(
        {"sv": "Sidan finns inte.", "en": "The page does not exist."}[lang]
    )


PAGES = {
    "start page": open_start_page,
    "dev platform": open_dev_platform,
    "learner after launch": open_learner_landing,
    "teacher after launch": open_teacher_landing,
    "launch error": open_launch_error,
    "not found": open_not_found,
}


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("name", PAGES)
def test_page_has_no_accessibility_violations(page, tool_url, name, lang):
    PAGES[name](page, tool_url, lang)

    expect(page.locator("html")).to_have_attribute("lang", lang)
    assert_accessible(page)


def test_a_keyboard_user_can_launch_as_learner_and_always_sees_where_focus_is(page, tool_url):
    page.goto(f"{tool_url}/dev-platform/")
    launch_button = page.get_by_role("button", name="Starta som deltagare")
    stops = []
    for _ in range(20):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            """() => {
                const el = document.activeElement;
                const style = getComputedStyle(el);
                const box = el.getBoundingClientRect();
                return {
                    label: (el.innerText || el.getAttribute("aria-label") || el.id || el.tagName)
                        .trim(),
                    outlineStyle: style.outlineStyle,
                    outlineWidth: parseFloat(style.outlineWidth),
                    onScreen: box.width > 0 && box.height > 0 && box.right > 0 && box.bottom > 0
                        && box.left < innerWidth && box.top < innerHeight,
                };
            }"""
        )
        stops.append(focused)
        assert focused["outlineStyle"] != "none" and focused["outlineWidth"] > 0, (
            f"focus is not visible on {focused['label']!r}: outline {focused['outlineStyle']}"
        )
        assert focused["onScreen"], f"the focused {focused['label']!r} is off screen"
        if launch_button.evaluate("button => button === document.activeElement"):
            break
    else:
        pytest.fail(f"Tab never reached 'Starta som deltagare'; it stopped at {stops}")

    assert stops[0]["label"] == "Hoppa till innehållet"  # the skip link comes first
    page.keyboard.press("Enter")

    page.wait_for_url(f"{tool_url}/")
    expect(heading(page)).to_have_text("Hej Anna Andersson!")
    expect(page.get_by_test_id("where")).to_contain_text("Du är deltagare")


def test_the_checker_reports_violations_it_finds(chromium):
    """Guards the checks above against passing vacuously (e.g. axe not running at all)."""
    context = chromium.new_context()
    try:
        page = context.new_page()
        page.set_content("<html><body><img src='x.png'><button></button></body></html>")
        report = describe_violations(axe_violations(page))
    finally:
        context.close()

    assert "image-alt (critical)" in report
    assert "button-name (critical)" in report
    assert "html-has-lang (serious)" in report
    assert "at img" in report
