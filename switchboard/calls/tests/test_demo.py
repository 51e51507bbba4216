"""The demo data: calls seeded once, nobody emailed."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from switchboard.calls.models import AgentCallSettings, Call
from switchboard.notify.models import Delivery

pytestmark = pytest.mark.django_db


def test_seed_demo_books_calls_once_and_emails_nobody():
    call_command("seed_demo", verbosity=0)
    call_command("seed_demo", verbosity=0)
    assert AgentCallSettings.objects.filter(user__email="agent@switchboard.test").count() == 1
    assert Call.objects.count() == 2
    assert not Delivery.objects.filter(source="calls").exists()
