"""One source for ticket statuses, priorities, types and channels: tickets/vocab.py."""

from __future__ import annotations

import subprocess
import sys

from switchboard.notify.rules import conditions
from switchboard.tickets import search_query, vocab
from switchboard.tickets.models import Channel, Priority, TicketStatus, TicketType


def test_model_choices_are_built_from_the_vocabulary():
    assert TicketStatus.choices == list(vocab.STATUSES)
    assert Priority.choices == list(vocab.PRIORITIES)
    assert TicketType.choices == list(vocab.TICKET_TYPES)
    assert Channel.choices == list(vocab.CHANNELS)
    assert TicketStatus.HOLD == "hold" and TicketStatus.HOLD.label == "On-hold"
    assert Priority.URGENT == "urgent" and Channel.MAILING_LIST == "mailing_list"
    assert vocab.SEVERITY == {"urgent": 1, "high": 2, "normal": 3, "low": 4}


def test_the_parsers_use_the_vocabulary():
    assert list(vocab.STATUS_ORDER) == conditions.STATUSES
    assert list(vocab.PRIORITY_ORDER) == conditions.PRIORITIES
    assert conditions.FIELDS["status"].choices == vocab.STATUS_ORDER
    assert search_query.STATUS_ORDER is vocab.STATUS_ORDER
    assert search_query.PRIORITY_ORDER is vocab.PRIORITY_ORDER


def test_the_vocabulary_and_the_parsers_import_no_django():
    """The pure modules stay pure: importing them loads neither Django nor the models."""
    code = (
        "import sys\n"
        "import switchboard.tickets.vocab, switchboard.tickets.search_query\n"
        "assert not [m for m in sys.modules if m.startswith('django')], 'django imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
