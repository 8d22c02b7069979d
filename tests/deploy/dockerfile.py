"""docker/Dockerfile read the way a builder reads it, enough to check it without a builder.

Comments and blank lines are dropped, continued lines (`\\` at the end) joined, and each
instruction kept with its stage; JSON (exec form) arguments are decoded.
"""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "docker" / "Dockerfile"


@dataclass(frozen=True)
class Instruction:
    keyword: str
    arguments: str

    def exec_form(self) -> list[str] | None:
        """The arguments as a list when written as JSON (exec form), else None (shell form)."""
        text = self.arguments
        if self.keyword == "HEALTHCHECK":
            text = text.split(" CMD ", 1)[1] if " CMD " in f" {text}" else ""
            text = text.removeprefix("CMD ").strip()
        return json.loads(text) if text.startswith("[") else None


@dataclass
class Stage:
    name: str
    base: str
    instructions: list[Instruction] = field(default_factory=list)

    def all(self, keyword: str) -> list[Instruction]:
        return [i for i in self.instructions if i.keyword == keyword]

    def runs(self) -> list[str]:
        return [i.arguments for i in self.all("RUN")]

    def copied_sources(self) -> list[str]:
        """What COPY takes from the build context (not from another stage)."""
        sources = []
        for instruction in self.all("COPY"):
            words = shlex.split(instruction.arguments)
            if any(word.startswith("--from=") for word in words):
                continue
            sources.extend(word for word in words[:-1] if not word.startswith("--"))
        return sources


def instructions(path: Path = DOCKERFILE) -> list[Instruction]:
    logical, pending = [], ""
    for line in path.read_text().splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1].strip() + " "
            continue
        logical.append(pending + stripped)
        pending = ""
    parsed = []
    for text in logical:
        keyword, _, arguments = text.partition(" ")
        parsed.append(Instruction(keyword.upper(), arguments.strip()))
    return parsed


def stages(path: Path = DOCKERFILE) -> list[Stage]:
    found: list[Stage] = []
    for instruction in instructions(path):
        if instruction.keyword == "FROM":
            words = instruction.arguments.split()
            name = words[2] if len(words) == 3 and words[1].upper() == "AS" else str(len(found))
            found.append(Stage(name=name, base=words[0]))
        elif found:
            found[-1].instructions.append(instruction)
    return found
