"""CSAT settings, read when used (never at import), with the handbook's defaults."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings


def survey_delay() -> timedelta:
    """How long after solved the survey goes out (handbook: 24 hours)."""
    return timedelta(hours=float(getattr(settings, "SWITCHBOARD_CSAT_DELAY_HOURS", 24)))


def change_window() -> timedelta:
    """How long after the survey is offered the customer may rate or change the rating."""
    return timedelta(days=float(getattr(settings, "SWITCHBOARD_CSAT_CHANGE_DAYS", 14)))


def review_due() -> timedelta:
    """How long the reviewing manager has to follow a bad rating up."""
    return timedelta(hours=float(getattr(settings, "SWITCHBOARD_CSAT_REVIEW_DUE_HOURS", 72)))


def review_schedule_name() -> str:
    return str(getattr(settings, "SWITCHBOARD_CSAT_REVIEW_SCHEDULE", "SSAT Reviewing Manager"))


def product_team_email() -> str:
    return str(getattr(settings, "SWITCHBOARD_CSAT_PRODUCT_TEAM_EMAIL", ""))


def product_team_endpoint() -> str:
    """Name of a notify endpoint (chat channel or webhook) for product-team feedback."""
    return str(getattr(settings, "SWITCHBOARD_CSAT_PRODUCT_TEAM_ENDPOINT", ""))


def target() -> float:
    return float(getattr(settings, "SWITCHBOARD_CSAT_TARGET", 0.95))
