"""How long a person takes to complete an assessment at a human pace, and how many clicks.

    .venv/bin/python -m bench.assessment_walk --url http://127.0.0.1:5103 [--course digi101]

A repeatable walk, not a timed test: Chromium (Debian's, /usr/bin/chromium) launches as
the dev platform's learner, presses Start (or Continue), answers every question with a
click on an answer and a click on "Save and continue", and submits on the review page.
The browser runs as fast as it can; the time reported is a model of a person's pace,
counted from what the pages show:

- Reading: the words of each text block (paragraph, heading, label, button, list item) of
  the page's main content the first time the person meets it, at READING_WPM words per
  minute. A block seen before (the answer scale, the hints, the buttons) is recognised,
  not read again. READING_WPM is 150: average adults read non-fiction silently at about
  238 words a minute (Brysbaert 2019, a meta-analysis of 190 studies); a reader with low
  digital confidence, reading in a second window beside Moodle, is taken to read at
  two thirds of that.
- Deciding: DECISION_SECONDS for each question (weighing one's own ability on a five-step
  scale, or a knowledge question's answers).
- Clicking: CLICK_SECONDS for each click (finding the target, moving the pointer, the page
  loading), which also covers scrolling to the button on a phone.

Clicks counted: Start, then per question the answer and the save button, then Submit.
Opening the activity in Moodle and reading the result are not part of completing it.

Measured (the model does not depend on the machine; a fresh instance each time):

    instrument        questions  clicks  minutes sv (en)  stated
    short, before            21      44  8.1              "about 5"
    short, after             21      44  7.4 (7.6)        "about 8"
    full, before             63     128  25.8             "about 18"
    full, after              68     138  27.5 (28.9)      "about 29"

"Before" is main at 7512879; "after" has a short plain name above each question instead of
the area and the competence's official name (fewer words to read) and the full instrument's
five double statements split in two (five more questions). Clicks stay: choosing never
moves on by itself (WCAG 3.2.2), so each question is a choice and a press of "Save and
continue"; the stated times now say what the walk measured, rounded up.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass, field

from playwright.sync_api import sync_playwright

READING_WPM = 150
DECISION_SECONDS = 5.0
CLICK_SECONDS = 1.5

# The text blocks a person reads: the innermost of these in the main content.
BLOCKS = """() => {
    const selector = "main h1, main h2, main h3, main p, main li, main label, main button, "
        + "main a, main legend, main td, main th, main summary";
    const all = [...document.querySelectorAll(selector)];
    return all
        .filter(el => !all.some(other => other !== el && el.contains(other)))
        .filter(el => el.offsetParent !== null)
        .map(el => el.innerText.replace(/\\s+/g, " ").trim())
        .filter(text => text);
}"""


@dataclass
class Walk:
    questions: int = 0
    clicks: int = 0
    words_read: int = 0
    pages: list[dict] = field(default_factory=list)

    @property
    def seconds(self) -> float:
        reading = self.words_read / READING_WPM * 60
        return reading + self.questions * DECISION_SECONDS + self.clicks * CLICK_SECONDS

    def report(self) -> dict:
        return {
            "questions": self.questions,
            "clicks": self.clicks,
            "words_read": self.words_read,
            "minutes": round(self.seconds / 60, 1),
            "model": {
                "reading_wpm": READING_WPM,
                "decision_seconds": DECISION_SECONDS,
                "click_seconds": CLICK_SECONDS,
            },
        }


def words(text: str) -> int:
    return len(re.findall(r"\w+", text))


def read(page, walk: Walk, seen: set[str], what: str) -> None:
    new = [block for block in page.evaluate(BLOCKS) if block not in seen]
    seen.update(new)
    count = sum(words(block) for block in new)
    walk.words_read += count
    walk.pages.append({"page": what, "new_words": count})


def click(walk: Walk, locator) -> None:
    walk.clicks += 1
    locator.click()


def walk_through(url: str, course: str, locale: str, option_index: int) -> Walk:
    walk, seen = Walk(), set()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium")
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(f"{url}/dev-platform/start?person=learner&course={course}&locale={locale}")
        page.wait_for_url(f"{url}/")
        read(page, walk, seen, "start")
        begin = page.locator('[data-testid="start"], [data-testid="continue"]')
        click(walk, begin.first)
        while "/items/" in page.url:
            walk.questions += 1
            read(page, walk, seen, page.url.rsplit("/", 1)[1])
            options = page.locator('input[name="answer"]')
            choice = options.nth(min(option_index, options.count() - 1))
            # The label is what a person clicks; a knowledge question's first answer is fine.
            click(walk, page.locator(f'label[for="{choice.get_attribute("id")}"]'))
            click(walk, page.get_by_test_id("next"))
            page.wait_for_load_state()
        read(page, walk, seen, "review")
        click(walk, page.locator('[data-testid="submit"], [data-testid="submit-anyway"]').first)
        page.wait_for_url(re.compile(r".*/results$"))
        browser.close()
    return walk


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:5103", help="a dev server's address")
    parser.add_argument("--course", default="digi101", help="dev platform course (digi101: short)")
    parser.add_argument("--locale", default="sv")
    parser.add_argument("--option", type=int, default=2, help="which answer to choose (from 0)")
    parser.add_argument("--pages", action="store_true", help="also list new words per page")
    options = parser.parse_args(argv)
    walk = walk_through(options.url, options.course, options.locale, options.option)
    report = walk.report()
    if options.pages:
        report["pages"] = walk.pages
    json.dump(report, sys.stdout, ensure_ascii=False, indent=2)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
