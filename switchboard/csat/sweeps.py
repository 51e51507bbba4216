"""The survey sweep: every due survey (indexed `due_at`) is offered or excluded by the worker
within one sweep interval (seconds) of its due time."""

from __future__ import annotations

from datetime import datetime

from switchboard.core.sweeps import register_sweep
from switchboard.csat import actions
from switchboard.csat.models import SatisfactionRating

SWEEP_NAME = "csat.surveys"


def _offer(rating: SatisfactionRating, now: datetime) -> None:
    actions.offer_survey(rating, now)


def register() -> None:
    register_sweep(SWEEP_NAME, model=SatisfactionRating, due_field="due_at", handler=_offer)
