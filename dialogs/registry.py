"""Loading dialog scripts from YAML; each error names the file it came from."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml
from pydantic import ValidationError

from dialogs.schema import Audience, Dialog
from dialogs.stages import Stage

SCRIPTS_DIR = Path(__file__).parent / "scripts"


@dataclass(frozen=True)
class ScriptProblem:
    """One problem found in a script or a text, with where it is."""

    file: str
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.where}: {self.message}" if self.where else f"{self.file}: {self.message}"


def read_scripts(directory: Path) -> tuple[dict[str, Dialog], list[ScriptProblem]]:
    """Parse and validate every `*.yaml` script in a directory, collecting problems."""
    scripts: dict[str, Dialog] = {}
    problems: list[ScriptProblem] = []
    for path in sorted(directory.glob("*.yaml")):
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
            script = Dialog.model_validate(data)
        except yaml.YAMLError as exc:
            problems.append(ScriptProblem(path.name, "", f"not valid YAML: {exc}"))
            continue
        except ValidationError as exc:
            for error in exc.errors():
                where = _locate(data, error["loc"])
                problems.append(ScriptProblem(path.name, where, str(error["msg"])))
            continue
        if script.name != path.stem:
            problems.append(ScriptProblem(path.name, "name", f"must be {path.stem!r} like the file"))
        scripts[script.name] = script
    return scripts, problems


def _locate(data: object, loc: tuple[int | str, ...]) -> str:
    """Turn pydantic's location into 'step goal_specific: when' where a step key is known."""
    parts: list[str] = []
    node = data
    for part in loc:
        if isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
            key = node.get("key") if isinstance(node, dict) else None
            parts.append(f"step {key}" if key and parts and parts[-1] == "steps" else str(part))
            if parts[-1].startswith("step ") and len(parts) >= 2:
                parts.pop(-2)
        elif isinstance(node, dict):
            node = node.get(part)
            parts.append(str(part))
        else:
            parts.append(str(part))
    return ": ".join(parts)


class DialogNotFound(KeyError):
    """No script has that name."""


@dataclass(frozen=True)
class Scripts:
    """All dialog scripts, by name, in journey order."""

    by_name: Mapping[str, Dialog]

    def get(self, name: str) -> Dialog:
        """The script with this name."""
        try:
            return self.by_name[name]
        except KeyError:
            raise DialogNotFound(name) from None

    def for_stage(self, stage: Stage, audience: Audience) -> list[Dialog]:
        """The scripts of one stage for one audience, in their journey order."""
        return [s for s in self.ordered() if s.stage is stage and s.audience is audience]

    def ordered(self) -> list[Dialog]:
        """Scripts sorted by stage, then by the order the journey suggests them."""
        return sorted(self.by_name.values(), key=lambda s: (s.stage.order, JOURNEY_ORDER.get(
            s.name, 99), s.name))


JOURNEY_ORDER = {name: i for i, name in enumerate(
    ("agreement", "mentor_story", "story", "vision", "grow", "checkin", "agenda", "reflection",
     "mentor_reflection"))}


@cache
def default_scripts() -> Scripts:
    """The scripts shipped in the package; a broken one stops start-up with the problems listed."""
    scripts, problems = read_scripts(SCRIPTS_DIR)
    if problems:
        raise ValueError("broken dialog scripts:\n" + "\n".join(str(p) for p in problems))
    return Scripts(scripts)
