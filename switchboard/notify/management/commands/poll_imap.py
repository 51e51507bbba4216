"""`manage.py poll_imap [--once]`: poll SWITCHBOARD_IMAP_URL (or --url) for new mail.

Without --once it polls every SWITCHBOARD_IMAP_POLL_SECONDS until SIGTERM/SIGINT. Workers do the
same on their own when SWITCHBOARD_IMAP_URL is set (see notify/mail/tasks.py); running this
next to them is safe, since one poller holds the mailbox lease at a time.
"""

from __future__ import annotations

import signal
import sys
import threading
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from switchboard.core.errors import ValidationFailed
from switchboard.notify.mail.imap import parse_imap_url, poll_once


class Command(BaseCommand):
    help = "Fetch unseen messages from the IMAP mailbox and hand each to the intake."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--once", action="store_true", help="Poll once and exit.")
        parser.add_argument("--url", default="", help="Override SWITCHBOARD_IMAP_URL.")

    def handle(self, *args: Any, **options: Any) -> None:
        url = options["url"] or settings.SWITCHBOARD_IMAP_URL
        if not url:
            raise CommandError("Set SWITCHBOARD_IMAP_URL (or pass --url).")
        try:
            parse_imap_url(url)
        except ValidationFailed as exc:
            raise CommandError(str(exc)) from None
        stop = threading.Event()
        if not options["once"]:
            for sig in (signal.SIGINT, signal.SIGTERM):
                signal.signal(sig, lambda *_: stop.set())
        while True:
            result = poll_once(url)
            if result.skipped:
                self.stdout.write("another poller holds the mailbox lease; skipped")
            else:
                summary = ", ".join(f"{k}={v}" for k, v in sorted(result.outcomes.items()))
                self.stdout.write(f"fetched {result.fetched} message(s) {summary}".rstrip())
            if result.error:
                self.stderr.write(f"poll_imap: {result.error}")
            if options["once"]:
                sys.exit(1 if result.error else 0)
            if stop.wait(float(settings.SWITCHBOARD_IMAP_POLL_SECONDS)):
                return
