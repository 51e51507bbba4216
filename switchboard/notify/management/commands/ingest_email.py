"""`manage.py ingest_email < message.eml`: one RFC 822 message from stdin (an MTA pipe).

Exit status, as MTAs read it (sysexits.h): 0 handled (including ignored, duplicate, refused);
65 EX_DATAERR the message is unreadable (the MTA bounces it); 75 EX_TEMPFAIL the database is not
available (the MTA keeps the message and retries).
"""

from __future__ import annotations

import sys
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import DatabaseError

from switchboard.notify.mail.intake import receive_email
from switchboard.notify.mail.models import InboundOutcome, InboundSource

EX_OK = 0
EX_DATAERR = 65
EX_TEMPFAIL = 75
_CHUNK = 1024 * 1024


class Command(BaseCommand):
    help = "Read one email from stdin and hand it to the intake (for an MTA pipe)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--recipient",
            action="append",
            default=[],
            help="Envelope recipient (Postfix: ${recipient}); may be given more than once.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        limit = int(settings.SWITCHBOARD_INBOUND_MAX_BYTES)
        stream = sys.stdin.buffer
        # Read at most one byte over the limit (the intake rejects it), then drain the rest so
        # the MTA does not see a broken pipe.
        raw = stream.read(limit + 1)
        while len(raw) > limit and stream.read(_CHUNK):
            pass
        if not raw.strip():
            self.stderr.write("ingest_email: no message on stdin")
            sys.exit(EX_DATAERR)
        try:
            inbound = receive_email(raw, source=InboundSource.PIPE, recipients=options["recipient"])
        except DatabaseError as exc:
            self.stderr.write(f"ingest_email: database unavailable, try again later: {exc}")
            sys.exit(EX_TEMPFAIL)
        ticket = f" ticket #{inbound.ticket_id}" if inbound.ticket_id else ""
        self.stdout.write(f"{inbound.outcome}{ticket}: {inbound.reason}")
        if inbound.outcome == InboundOutcome.REJECTED:
            sys.exit(EX_DATAERR)
        sys.exit(EX_OK)
