"""The webhook server: Telegram's POSTs in, updates onto the Application's queue.

python-telegram-bot's own server (telegram/ext/_utils/webhookhandler.py) answers 500 to a body
that is not UTF-8 or not JSON, and the Updater offers no hook to replace its handler. So this is
its documented custom-webhook pattern (examples/customwebhookbot): our own small server on the
same tornado, putting updates on ``application.update_queue``; the Application runs as always.
"""

from __future__ import annotations

import hmac
import json
import logging
from http import HTTPStatus

import tornado.web
from telegram import Update
from tornado.httpserver import HTTPServer

from bot.telegram.application import ALLOWED_UPDATES, CoachApplication

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
#: Far above any update Telegram sends (a 4,096-character message with its entities is ~100 kB).
MAX_UPDATE_BYTES = 1 << 20


class _UpdateHandler(tornado.web.RequestHandler):
    """One POST: the secret checked first, then a body that must be an update, else 400."""

    SUPPORTED_METHODS = ("POST",)

    def initialize(self, coach: CoachApplication, secret_token: str) -> None:
        self.coach = coach
        self.secret_token = secret_token

    async def post(self) -> None:
        """Refuse politely what is not Telegram or not an update; queue the rest, then say 200."""
        given = self.request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), self.secret_token.encode()):
            self._answer(HTTPStatus.FORBIDDEN)
            return
        update = self._update()
        if update is None:
            self._answer(HTTPStatus.BAD_REQUEST)
            return
        self.coach.bot.insert_callback_data(update)
        await self.coach.update_queue.put(update)
        self._answer(HTTPStatus.OK)

    def _update(self) -> Update | None:
        """The body as an update, or None; what it held is never logged (it is someone's text)."""
        if self.request.headers.get("Content-Type", "").split(";")[0].strip() != "application/json":
            log.warning("webhook: refused a body that is not JSON (Content-Type)")
            return None
        try:
            data = json.loads(self.request.body.decode("utf-8"))
        except ValueError:  # not UTF-8, or not JSON
            log.warning("webhook: refused a body that is not UTF-8 JSON")
            return None
        try:
            return Update.de_json(data, self.coach.bot) if isinstance(data, dict) else None
        except Exception:  # python-telegram-bot's own handler catches the same: any shape
            log.warning("webhook: refused JSON that is not an update")
            return None

    def _answer(self, status: HTTPStatus) -> None:
        self.set_status(status)
        self.finish()


class _Quiet(tornado.web.Application):
    def log_request(self, handler: tornado.web.RequestHandler) -> None:
        """No access log: our own lines above say what matters, without paths or addresses."""


class WebhookServer:
    """Listens on ``listen:port`` for POSTs to the path of ``url``, and registers ``url`` with
    Telegram together with the secret token Telegram must send back."""

    def __init__(self, application: CoachApplication, *, url: str, listen: str, port: int,
                 url_path: str, secret_token: str) -> None:
        self.application = application
        self.url = url
        self.listen = listen
        self.port = port
        self.secret_token = secret_token
        routes = [(rf"/{url_path.strip('/')}/?", _UpdateHandler,
                   {"coach": application, "secret_token": secret_token})]
        self._server = HTTPServer(_Quiet(routes), max_body_size=MAX_UPDATE_BYTES)
        self._listening = False

    async def start(self) -> None:
        """Listen first, then tell Telegram: the first POST may come right after setWebhook."""
        self._server.listen(self.port, address=self.listen)
        self._listening = True
        await self.application.bot.set_webhook(
            self.url, secret_token=self.secret_token, allowed_updates=ALLOWED_UPDATES,
            drop_pending_updates=False)

    async def stop(self) -> None:
        """Stop taking POSTs (the webhook stays registered: Telegram keeps updates until the next
        start)."""
        if self._listening:
            self._listening = False
            self._server.stop()
            await self._server.close_all_connections()
