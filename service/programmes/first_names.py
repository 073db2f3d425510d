"""How coordinators see people: by first name only."""

from __future__ import annotations


def first_name(name: str | None) -> str:
    """The first word of a name ("" without one): coordinators' outputs name no one in full."""
    return (name or "").split(maxsplit=1)[0] if (name or "").strip() else ""
