"""`coachbot chat` at a real terminal (a pseudo-terminal): the banner speaks the person's language,
and Ctrl-C ends the chat at once, with every answer already saved."""

from __future__ import annotations

import contextlib
import os
import pty
import select
import sys
import time
from pathlib import Path

from bot.terminal import to_plain
from prompts.catalog import default_catalog
from tests.test_cli import _env, coachbot

DEADLINE_S = 20


def read_until(fd: int, wanted: bytes, seen: bytearray, start: int = 0) -> None:
    """Read the terminal until `wanted` has appeared after `start` (or fail at the deadline)."""
    deadline = time.monotonic() + DEADLINE_S
    while wanted not in seen[start:]:
        remaining = deadline - time.monotonic()
        assert remaining > 0, f"never saw {wanted!r}; the terminal showed:\n{seen.decode(errors='replace')}"
        ready, _, _ = select.select([fd], [], [], remaining)
        if ready:
            try:
                seen.extend(os.read(fd, 4096))
            except OSError:  # the child closed the terminal
                break


def test_ctrl_c_ends_the_chat_at_once_and_keeps_the_answers(tmp_path: Path) -> None:
    env = _env(tmp_path)
    pid, fd = pty.fork()
    if pid == 0:  # the child: the chat, with the pseudo-terminal as its terminal
        os.chdir(tmp_path)
        os.execve(sys.executable, [sys.executable, "-m", "bot.cli", "chat", "--lang", "de",
                                   "--dialog", "agreement"], env)
    seen = bytearray()
    read_until(fd, b"> ", seen)
    assert "Strg-C beendet" in seen.decode()  # the banner, in German
    os.write(fd, b"Mehr Klarheit im Beruf\r")
    asked = to_plain(default_catalog().render("de", "agreement.steps.success.text"))
    mark = len(seen)
    read_until(fd, asked.splitlines()[0].encode(), seen, mark)  # saved; the next question asked
    read_until(fd, b"> ", seen, seen.index(asked.splitlines()[0].encode(), mark))

    started = time.monotonic()
    os.write(fd, b"\x03")  # Ctrl-C, while the chat waits for the next answer
    deadline = started + DEADLINE_S
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        assert time.monotonic() < deadline, "the chat did not end on Ctrl-C"
        ready, _, _ = select.select([fd], [], [], 0.05)
        if ready:  # a read without it would wait for output that may never come
            with contextlib.suppress(OSError):
                os.read(fd, 4096)
    os.close(fd)
    assert time.monotonic() - started < 5
    assert os.waitstatus_to_exitcode(status) == 130

    export = coachbot(tmp_path, "export", "--user-id", "1")
    assert "Mehr Klarheit im Beruf" in export.stdout
