"""`manage.py smtpd --host 127.0.0.1 --port 2525`: an SMTP listener feeding the intake.

RCPT is accepted only for the support address (and its `support+...` subaddresses, where agents'
signed reply addresses live), the mailing-list addresses and on-call service addresses (550
otherwise); a message over SWITCHBOARD_INBOUND_MAX_BYTES gets 552. Each message
runs through `receive_email` on one worker thread (database work is serialised there, off the
event loop); a database error answers 451 so the sending MTA retries. SIGTERM/SIGINT stop the
listener after the message in progress.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from aiosmtpd.controller import Controller
from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import DatabaseError, close_old_connections

from switchboard.notify.mail.intake import receive_email, support_address
from switchboard.notify.mail.models import InboundSource
from switchboard.notify.outbox.message_ids import is_reply_address
from switchboard.tickets.actions.create import mailing_list_addresses

logger = logging.getLogger(__name__)


def accepts_recipient(address: str) -> bool:
    from switchboard.oncall.actions import service_for_address

    address = (address or "").strip().lower()
    if not address:
        return False
    if address == support_address() or is_reply_address(address):
        return True
    if address in mailing_list_addresses():
        return True
    return service_for_address(address) is not None


def _in_thread(func: Any, *args: Any, **kwargs: Any) -> Any:
    close_old_connections()
    try:
        return func(*args, **kwargs)
    finally:
        close_old_connections()


class IntakeHandler:
    """aiosmtpd handler: RCPT filtering and DATA → receive_email, on one DB thread."""

    def __init__(self) -> None:
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="smtpd-intake")

    async def _run(self, func: Any, *args: Any, **kwargs: Any) -> Any:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, lambda: _in_thread(func, *args, **kwargs))

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        try:
            allowed = await self._run(accepts_recipient, address)
        except DatabaseError:
            return "451 4.3.0 Temporary failure, please try again later"
        if not allowed:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content or envelope.content or b""
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        # Final delivery: the envelope sender is the return path (a bounce has an empty one, <>),
        # put first so it wins over any Return-Path the client wrote itself.
        mail_from = (envelope.mail_from or "").strip().strip("<>")
        raw = f"Return-Path: <{mail_from}>\r\n".encode("utf-8", "replace") + raw
        try:
            inbound = await self._run(
                receive_email, raw, source=InboundSource.SMTP, recipients=list(envelope.rcpt_tos)
            )
        except DatabaseError:
            logger.exception("smtpd: database error")
            return "451 4.3.0 Temporary failure, please try again later"
        except Exception:
            logger.exception("smtpd: intake failed")
            return "451 4.3.0 Temporary failure, please try again later"
        if inbound.outcome == "rejected":
            return f"554 5.6.0 Message rejected: {inbound.reason[:200]}"
        return f"250 OK {inbound.outcome}"

    def close(self) -> None:
        self.executor.shutdown(wait=True)


class Command(BaseCommand):
    help = "Run an SMTP listener that feeds incoming mail to the intake."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=2525)

    def handle(self, *args: Any, **options: Any) -> None:
        handler = IntakeHandler()
        controller = Controller(
            handler,
            hostname=options["host"],
            port=options["port"],
            data_size_limit=int(settings.SWITCHBOARD_INBOUND_MAX_BYTES),
            enable_SMTPUTF8=True,
            ident="Switchboard intake",
        )
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        controller.start()
        self.stdout.write(f"smtpd listening on {options['host']}:{options['port']}")
        self.stdout.flush()
        try:
            stop.wait()
        finally:
            controller.stop()
            handler.close()
            self.stdout.write("smtpd stopped")
