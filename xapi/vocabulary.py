"""Every verb, activity type, extension and activity id the tool's statements use.

Verbs and the assessment/interaction/course activity types are ADL's; the rest
are the tool's own IRIs under its public URL, documented in `profile.jsonld`
(where `{public_url}` stands for that URL: see `xapi.profile`).

A competence level reached is "scored" (ADL: a numerical value of the actor's
performance), not "mastered" or "achieved": a self-assessed level 2 is a
measurement, not an accomplishment, and ADL's vocabulary has no "achieved".
Verbs are used with their ADL meaning, never with cmi5's rules.
"""

from __future__ import annotations

from urllib.parse import quote

from xapi.model import Verb

INITIALIZED = Verb("http://adlnet.gov/expapi/verbs/initialized", {"en": "initialized"})
ANSWERED = Verb("http://adlnet.gov/expapi/verbs/answered", {"en": "answered"})
COMPLETED = Verb("http://adlnet.gov/expapi/verbs/completed", {"en": "completed"})
PASSED = Verb("http://adlnet.gov/expapi/verbs/passed", {"en": "passed"})
FAILED = Verb("http://adlnet.gov/expapi/verbs/failed", {"en": "failed"})
SCORED = Verb("http://adlnet.gov/expapi/verbs/scored", {"en": "scored"})
TERMINATED = Verb("http://adlnet.gov/expapi/verbs/terminated", {"en": "terminated"})
VERBS = (INITIALIZED, ANSWERED, COMPLETED, PASSED, FAILED, SCORED, TERMINATED)

ASSESSMENT = "http://adlnet.gov/expapi/activities/assessment"
INTERACTION = "http://adlnet.gov/expapi/activities/cmi.interaction"
COURSE = "http://adlnet.gov/expapi/activities/course"

PLATFORM = "Kompetenslyft"


class Vocabulary:
    """The tool's own IRIs, all under one public URL."""

    def __init__(self, public_url: str) -> None:
        self.base = public_url.rstrip("/") + "/xapi"

    # Activity types of the tool's own.
    @property
    def resource_link_type(self) -> str:
        return f"{self.base}/activity-types/lti-resource-link"

    @property
    def framework_type(self) -> str:
        return f"{self.base}/activity-types/competence-framework"

    @property
    def competence_type(self) -> str:
        return f"{self.base}/activity-types/competence"

    @property
    def plan_item_type(self) -> str:
        return f"{self.base}/activity-types/plan-item"

    # Context extensions: where the statement happened, in the platform's own ids.
    @property
    def lti_issuer(self) -> str:
        return f"{self.base}/extensions/lti-issuer"

    @property
    def lti_deployment_id(self) -> str:
        return f"{self.base}/extensions/lti-deployment-id"

    @property
    def lti_context_id(self) -> str:
        return f"{self.base}/extensions/lti-context-id"

    @property
    def lti_resource_link_id(self) -> str:
        return f"{self.base}/extensions/lti-resource-link-id"

    @property
    def lti_account(self) -> str:
        return f"{self.base}/extensions/lti-account"

    # Result extensions.
    @property
    def level_name(self) -> str:
        return f"{self.base}/extensions/level-name"

    @property
    def pass_mark(self) -> str:
        return f"{self.base}/extensions/pass-mark"

    # Activity ids: stable for as long as the public URL and the stored rows are.
    def instrument(self, instrument_id: str) -> str:
        return f"{self.base}/activities/instrument/{_segment(instrument_id)}"

    def item(self, instrument_id: str, item_id: str) -> str:
        return f"{self.base}/activities/item/{_segment(instrument_id)}/{_segment(item_id)}"

    def resource_link(self, row_id: int) -> str:
        return f"{self.base}/activities/resource-link/{row_id}"

    def course(self, row_id: int) -> str:
        return f"{self.base}/activities/course/{row_id}"

    def framework(self, framework_id: str) -> str:
        return f"{self.base}/activities/framework/{_segment(framework_id)}"

    def competence(self, framework_id: str, competence_id: str) -> str:
        return (
            f"{self.base}/activities/competence/{_segment(framework_id)}/{_segment(competence_id)}"
        )

    def plan_item(self, plan_id: int, item_key: str) -> str:
        return f"{self.base}/activities/plan-item/{plan_id}/{_segment(item_key)}"


def _segment(value: str) -> str:
    return quote(value, safe="")
