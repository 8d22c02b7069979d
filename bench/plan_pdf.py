"""What a plan's PDF costs: the template rendered and laid out by WeasyPrint, for a plan
with a target in every DigComp competence and a dozen activities and goals.

    .venv/bin/python -m bench.plan_pdf [--runs N]

The first run includes WeasyPrint's import and font set-up (once per process).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import UTC, datetime
from types import SimpleNamespace

from flask import render_template
from flask_babel import force_locale

from competence.frameworks import digcomp
from config import load_settings
from lti_tool import create_app
from storage import Database


def fake_plan():
    framework = digcomp()
    now = datetime.now(UTC)
    items = [
        {"key": f"a:{n}", "activity_id": n, "competence": "1.1", "due": "2027-03-01"}
        for n in range(1, 7)
    ] + [{"key": f"g:{n}", "goal": f"Eget mål nummer {n}", "due": "2027-06-30"} for n in range(6)]
    version = SimpleNamespace(
        number=3,
        agreed=True,
        targets={c.id: 4 for c in framework.competences},
        items=items,
        employee_agreed_at=now,
        manager_agreed_at=now,
        manager_person_id=2,
    )
    activities = {
        n: SimpleNamespace(title=f"Kurs {n}", kind="course", url=f"https://moodle.example/{n}")
        for n in range(1, 7)
    }
    return framework, version, activities


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    folder = tempfile.mkdtemp()
    settings = load_settings(
        environ={},
        overrides={
            "mode": "development",
            "database_url": f"sqlite:///{folder}/bench.db",
            "instance_path": folder,
        },
    )
    app = create_app(settings, Database(settings.database_url))
    framework, version, activities = fake_plan()
    timings = []
    with app.test_request_context("/"), force_locale("sv"):
        from weasyprint import HTML

        for _ in range(args.runs):
            started = time.perf_counter()
            html = render_template(
                "plans/pdf.html",
                plan=SimpleNamespace(period="2026"),
                version=version,
                employee=SimpleNamespace(name="Anna Andersson"),
                manager=SimpleNamespace(name="Karin Lund"),
                role_title="Undersköterska",
                names={2: "Karin Lund"},
                activities=activities,
                framework=framework,
                done={},
                lang="sv",
            )
            size = len(HTML(string=html).write_pdf())
            timings.append(time.perf_counter() - started)
    print(f"first PDF: {timings[0] * 1000:.0f} ms ({size} bytes)")
    rest = timings[1:] or timings
    print(f"then: median {statistics.median(rest) * 1000:.0f} ms, max {max(rest) * 1000:.0f} ms")


if __name__ == "__main__":
    main()
