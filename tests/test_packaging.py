"""The wheel an operator installs: exactly the five packages, with their scripts, texts, pages and
migrations (a file missing here is a bot that fails on a clean machine, not in the repository)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "service", "dialogs", "prompts", "storage")


def test_the_wheel_holds_the_five_packages_and_their_data(tmp_path: Path) -> None:
    # Built from a copy of the sources, so no build/ folder left in the checkout can leak into it.
    source = tmp_path / "source"
    source.mkdir()
    for name in (*PACKAGES, "pyproject.toml", "README.md"):
        copy = shutil.copytree if (ROOT / name).is_dir() else shutil.copy2
        copy(ROOT / name, source / name)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path),
                    str(source)], check=True, capture_output=True)
    [wheel] = tmp_path.glob("coachbot-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    packages = {name.split("/")[0] for name in names if not name.startswith("coachbot-")}
    assert packages == set(PACKAGES)

    def shipped(folder: str, pattern: str) -> set[str]:
        return {str(path.relative_to(ROOT)) for path in (ROOT / folder).glob(pattern)}

    expected = (shipped("dialogs", "scripts/*.yaml") | shipped("prompts", "*/*.yaml")
                | shipped("prompts", "pages/*") | shipped("storage", "migrations/versions/*.py")
                | {"storage/migrations/env.py", "storage/migrations/script.py.mako"})
    assert expected - set(names) == set()
    assert {"dialogs/scripts/grow.yaml", "prompts/de/common.yaml"} <= expected
