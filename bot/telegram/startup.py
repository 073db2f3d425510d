"""What a failed start of `coachbot run` says: one line for the operator, never the token.

python-telegram-bot puts the token into the text of InvalidToken and logs a traceback on the way
(run_polling's retry loop; a Bot API answer that is not JSON); the runner starts the Application
without that loop, requests go through `PlainRequest`, and every failure becomes one line here.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from telegram.error import InvalidToken, NetworkError, TelegramError
from telegram.request import HTTPXRequest

from bot.failures import DatabaseProblem

log = logging.getLogger(__name__)


class PlainRequest(HTTPXRequest):
    """python-telegram-bot's HTTP client, but an answer that is not JSON (a wrong base URL, a
    proxy's error page) is only raised, not also logged as an ERROR with a traceback: whoever
    made the call reports it. `parse_json_payload` is documented as the method to override."""

    @staticmethod
    def parse_json_payload(payload: bytes) -> dict[str, Any]:
        try:
            data = json.loads(payload.decode("utf-8", "replace"))
        except ValueError:
            log.debug("the Bot API answered something that is not JSON (%d bytes)", len(payload))
            raise TelegramError("Invalid server response") from None
        if not isinstance(data, dict):
            raise TelegramError("Invalid server response")
        return data


def _first_line(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    return lines[0] if lines else type(error).__name__


def startup_problem(error: BaseException, *, token: str, base_url: str, listen: str | None = None,
                    port: int | None = None) -> str:
    """The one line that says why the bot could not start and what to check."""
    if isinstance(error, DatabaseProblem):
        line = str(error)
    elif isinstance(error, InvalidToken):
        # The Bot API says 401 Unauthorized to a token it does not know, 404 Not Found to a
        # malformed one or to a path that is not the Bot API at all.
        if "Not Found" in str(error.__cause__ or error):
            line = (f"the Bot API at {base_url} answered 404 Not Found: check "
                    "TELEGRAM_API_BASE_URL (it ends in /bot) and TELEGRAM_BOT_TOKEN")
        else:
            line = "the token was rejected: check TELEGRAM_BOT_TOKEN"
    elif isinstance(error, NetworkError):  # also TimedOut
        line = (f"cannot reach the Bot API at {base_url} ({_first_line(error)}): check "
                "TELEGRAM_API_BASE_URL and the network")
    elif isinstance(error, TelegramError):
        line = f"the Bot API at {base_url} refused to start the bot: {_first_line(error)}"
    elif isinstance(error, OSError) and listen is not None:
        line = f"cannot listen on {listen}:{port}: {error.strerror or _first_line(error)}"
    else:
        line = f"could not start: {type(error).__name__}: {_first_line(error)}"
    return line.replace(token, "<TELEGRAM_BOT_TOKEN>") if token else line
