"""A Moodle web-service double on loopback: the recorded Moodle 4.5 answers, with state.

It starts from the recordings in tests/fixtures/moodle-4.5/ (the "DigComp (harness
subset)" framework DIGCOMP-H with DC-1.1, DC-2.1, DC-3.1; learner1's plan) and keeps
what the tool does to it: frameworks, competencies, plans, plan competencies and
ratings with their evidence, so a test asserts effects, not calls.  Functions without
a recording (create_*, add_competency_to_plan, grade_competency_in_plan,
get_scale_values) answer in the shapes Moodle's documentation gives.

Misbehaviour on command: `fail(function, errorcode)` answers the next call of a function
with Moodle's error body (HTTP 200), `drop_after(function)` does the call and then
closes the connection unanswered (a timeout as the client sees it), `token` refuses
every other token with the recorded invalidtoken body.
"""

from __future__ import annotations

import copy
import json
import threading
from pathlib import Path
from urllib.parse import parse_qsl

from tests.support.stub_server import Reply, Request, StubServer

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "moodle-4.5"
TOKEN = "moodle-test-token-0123456789"


def recorded(function: str) -> dict:
    return json.loads((FIXTURES / f"ws-{function}.json").read_text())


def unflatten(pairs: list[tuple[str, str]]) -> dict:
    """plan[name]=x&ids[0]=1 → {"plan": {"name": "x"}, "ids": {"0": "1"}} (PHP's reading)."""
    out: dict = {}
    for key, value in pairs:
        parts = key.replace("]", "").split("[")
        node = out
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return out


class MoodleDouble(StubServer):
    def __init__(self, token: str = TOKEN) -> None:
        self.token = token
        self.lock = threading.Lock()
        self.calls: list[tuple[str, dict]] = []
        self.failures: dict[str, list[str]] = {}
        self.drops: dict[str, int] = {}
        framework = recorded("core_competency_read_competency_framework")["response"]
        self.frameworks = {framework["id"]: framework}
        self.competencies = {
            c["id"]: c for c in recorded("core_competency_list_competencies")["response"]
        }
        plan = recorded("core_competency_read_plan")["response"]
        self.plans = {plan["id"]: plan}
        self.plan_competencies = {plan["id"]: [1, 2, 3]}
        # (user id, competency id) → {"grade", "evidence": [...]}
        self.user_competencies: dict[tuple[int, int], dict] = {}
        self.scales = {2: ["Not yet competent", "Competent"]}
        # Ids the competency list still shows though Moodle can no longer read them.
        self.competencies_listed_only: set[int] = set()
        # (course id, user id) → course completed?; (course, user) → activity statuses
        self.course_completion: dict[tuple[int, int], dict] = {}
        self.activity_completion: dict[tuple[int, int], dict] = {}
        super().__init__(self._answer)

    def _answer(self, request: Request) -> Reply:
        if request.method != "POST":
            return Reply(501)
        params = unflatten(parse_qsl(request.text, keep_blank_values=True))
        token = params.pop("wstoken", "")
        function = params.pop("wsfunction", "")
        params.pop("moodlewsrestformat", None)
        with self.lock:
            body, drop = self.answer(token, function, params)
        if drop:
            return Reply.unanswered()
        return Reply.json(body, content_type="application/json; charset=utf-8")

    # --- commands --------------------------------------------------------------------

    def fail(self, function: str, errorcode: str = "invalidrecord") -> None:
        self.failures.setdefault(function, []).append(errorcode)

    def drop_after(self, function: str) -> None:
        self.drops[function] = self.drops.get(function, 0) + 1

    def count(self, function: str) -> int:
        return sum(1 for name, _ in self.calls if name == function)

    def ratings(self, user_id: int) -> list[dict]:
        return [
            {"competencyid": competency, **evidence}
            for (user, competency), record in self.user_competencies.items()
            if user == user_id
            for evidence in record["evidence"]
        ]

    def plans_of(self, user_id: int) -> list[dict]:
        return [plan for plan in self.plans.values() if plan["userid"] == user_id]

    # --- answers ---------------------------------------------------------------------

    def answer(self, token: str, function: str, params: dict) -> tuple[object, bool]:
        self.calls.append((function, params))
        if token != self.token:
            return recorded("error-invalidtoken")["response"]["body"], False
        if self.failures.get(function):
            code = self.failures[function].pop(0)
            return {
                "exception": "moodle_exception",
                "errorcode": code,
                "message": f"{code} (double)",
            }, False
        handler = getattr(self, "_" + function, None)
        if handler is None:
            return {
                "exception": "dml_missing_record_exception",
                "errorcode": "invalidrecord",
                "message": f"no function {function} in the double",
            }, False
        body = handler(params)
        if self.drops.get(function):
            self.drops[function] -= 1
            return body, True
        return body, False

    def _core_competency_list_competency_frameworks(self, params):
        return copy.deepcopy(list(self.frameworks.values()))

    def _core_competency_get_scale_values(self, params):
        values = self.scales[int(params["scaleid"])]
        return [{"id": number, "name": name} for number, name in enumerate(values, 1)]

    def _core_competency_create_competency_framework(self, params):
        given = params["competencyframework"]
        framework = {
            **recorded("core_competency_read_competency_framework")["response"],
            "id": max(self.frameworks) + 1,
            "shortname": given["shortname"],
            "idnumber": given["idnumber"],
            "scaleid": int(given["scaleid"]),
            "scaleconfiguration": given["scaleconfiguration"],
            "competenciescount": 0,
        }
        self.frameworks[framework["id"]] = framework
        return copy.deepcopy(framework)

    def _core_competency_list_competencies(self, params):
        wanted = int(params["filters"]["0"]["value"])
        return [
            copy.deepcopy(c)
            for c in self.competencies.values()
            if c["competencyframeworkid"] == wanted
        ]

    def _known(self, competency_id) -> bool:
        return (
            int(competency_id) in self.competencies
            and int(competency_id) not in self.competencies_listed_only
        )

    def _core_competency_create_competency(self, params):
        given = params["competency"]
        competency = {
            **self.competencies[1],
            "id": max(self.competencies) + 1,
            "shortname": given["shortname"],
            "idnumber": given["idnumber"],
            "competencyframeworkid": int(given["competencyframeworkid"]),
            "parentid": int(given.get("parentid", 0)),
        }
        self.competencies[competency["id"]] = competency
        return copy.deepcopy(competency)

    def _core_competency_list_user_plans(self, params):
        return copy.deepcopy(self.plans_of(int(params["userid"])))

    def _core_competency_create_plan(self, params):
        given = params["plan"]
        plan = {
            **next(iter(self.plans.values())),
            "id": max(self.plans) + 1,
            "name": given["name"],
            "userid": int(given["userid"]),
            "status": int(given.get("status", 0)),
        }
        self.plans[plan["id"]] = plan
        self.plan_competencies[plan["id"]] = []
        return copy.deepcopy(plan)

    def _core_competency_list_plan_competencies(self, params):
        plan = self.plans[int(params["id"])]
        return [
            {
                "competency": copy.deepcopy(self.competencies[competency]),
                "usercompetency": {
                    "userid": plan["userid"],
                    "competencyid": competency,
                    "grade": self.user_competencies.get((plan["userid"], competency), {}).get(
                        "grade"
                    ),
                },
            }
            for competency in self.plan_competencies[plan["id"]]
        ]

    @staticmethod
    def _unknown_competency() -> dict:
        """What Moodle 4.5 answers for a competency id it does not have (a persistent read of
        a missing record: ws-error-invalidrecord.json, for the competency table)."""
        body = copy.deepcopy(recorded("error-invalidrecord")["response"])
        body["message"] = "Can't find data record in database table competency."
        body["debuginfo"] = "SELECT * FROM {competency} WHERE id = ?"
        return body

    def _core_competency_add_competency_to_plan(self, params):
        if not self._known(params["competencyid"]):
            return self._unknown_competency()
        competencies = self.plan_competencies[int(params["planid"])]
        if int(params["competencyid"]) not in competencies:
            competencies.append(int(params["competencyid"]))
        return True

    def _record(self, params) -> dict:
        plan = self.plans[int(params["planid"])]
        key = (plan["userid"], int(params["competencyid"]))
        return self.user_competencies.setdefault(key, {"grade": None, "evidence": []})

    def _core_competency_grade_competency_in_plan(self, params):
        if not self._known(params["competencyid"]):
            return self._unknown_competency()
        plan = self.plans[int(params["planid"])]
        if plan["status"] != 1:
            return {
                "exception": "coding_exception",
                "errorcode": "codingerror",
                "message": "The plan must be active.",
            }
        record = self._record(params)
        record["grade"] = int(params["grade"])
        record["evidence"].append({"grade": int(params["grade"]), "note": params.get("note")})
        return {"userid": plan["userid"], "competencyid": int(params["competencyid"])}

    def _tool_lp_data_for_user_competency_summary_in_plan(self, params):
        if not self._known(params["competencyid"]):
            return self._unknown_competency()
        record = self._record(params)
        summary = copy.deepcopy(recorded("tool_lp_data_for_user_competency_summary_in_plan"))
        body = summary["response"]
        body["usercompetencysummary"]["evidence"] = [
            {**body["usercompetencysummary"]["evidence"][0], **item} for item in record["evidence"]
        ]
        return body

    def _core_completion_get_course_completion_status(self, params):
        key = (int(params["courseid"]), int(params["userid"]))
        body = copy.deepcopy(recorded("core_completion_get_course_completion_status")["response"])
        done = self.course_completion.get(key)
        if done is None:
            body["completionstatus"]["completed"] = False
            for completion in body["completionstatus"]["completions"]:
                completion.update(complete=False, timecompleted=None, status="No")
        return body

    def _core_completion_get_activities_completion_status(self, params):
        key = (int(params["courseid"]), int(params["userid"]))
        body = copy.deepcopy(
            recorded("core_completion_get_activities_completion_status")["response"]
        )
        if key not in self.activity_completion:
            for status in body["statuses"]:
                status.update(state=0, timecompleted=0, isoverallcomplete=False)
        return body

    def _core_course_get_course_module(self, params):
        """From the recorded course contents (Moodle documents {"cm": {...}, "warnings": []})."""
        cmid = int(params["cmid"])
        course = recorded("core_course_get_contents")
        for section in course["response"]:
            for module in section["modules"]:
                if module["id"] == cmid:
                    cm = {
                        key: module[key]
                        for key in ("id", "name", "instance", "modname", "visible", "completion")
                    }
                    cm.update(
                        course=int(course["request"]["params"]["courseid"]), section=section["id"]
                    )
                    return {"cm": cm, "warnings": []}
        return copy.deepcopy(recorded("error-invalidrecord")["response"])

    def complete_course(self, course_id: int, user_id: int) -> None:
        """The learner completed the course and its first activity (the recorded state)."""
        with self.lock:
            self.course_completion[(course_id, user_id)] = {"completed": True}
            self.activity_completion[(course_id, user_id)] = {"cmid": 2}
