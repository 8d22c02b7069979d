"""`kompetenslyft scheduler` whose plan.item sender can be held, for the kill tests.

GATE_DIR names a folder; GATE_PASS how many deliveries pass before the sender holds
(after doing its work, before the dispatcher commits).  The sender then writes
`held` and waits until `release` exists, which in a kill test never comes.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from storage.completions import PLAN_ITEM
from sync import scheduler
from sync.completions import PlanItemSender


class GatedSender:
    def __init__(self, inner, gate: Path, passing: int) -> None:
        self.inner, self.gate, self.passing = inner, gate, passing

    def __call__(self, session, payload):
        self.inner(session, payload)
        if self.passing > 0:
            self.passing -= 1
            return
        (self.gate / "held").write_text(str(os.getpid()))
        while not (self.gate / "release").exists():
            time.sleep(0.02)


def main() -> None:
    gate = Path(os.environ["GATE_DIR"])
    passing = int(os.environ.get("GATE_PASS", "0"))
    scheduler.SENDER_FACTORIES[PLAN_ITEM] = lambda settings: GatedSender(
        PlanItemSender(settings.public_url), gate, passing
    )
    from lti_tool.cli import cli

    sys.exit(cli(["scheduler"], standalone_mode=True))


if __name__ == "__main__":
    main()
