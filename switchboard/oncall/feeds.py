"""iCalendar (RFC 5545) feeds of final shifts, built with the `icalendar` library."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime

from icalendar import Calendar, Event

from switchboard.oncall import rotation
from switchboard.oncall.models import OnCallSchedule

PRODID = "-//Switchboard//On-call//EN"


def shift_uid(schedule_id: int, shift: rotation.Shift) -> str:
    """Stable across renders: the same shift (schedule, user, start) keeps its UID."""
    raw = f"{schedule_id}|{shift.start.isoformat()}|{shift.user}"
    return hashlib.sha256(raw.encode()).hexdigest()[:32] + "@switchboard"


def render(
    name: str,
    items: Iterable[tuple[OnCallSchedule, rotation.Shift]],
    names: dict[str, str],
    now: datetime,
) -> bytes:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    for schedule, shift in items:
        event = Event()
        event.add("uid", shift_uid(schedule.pk, shift))
        event.add("dtstamp", now)
        event.add("dtstart", shift.start)
        event.add("dtend", shift.end)
        person = names.get(shift.user, shift.user)
        event.add("summary", f"On call: {person} ({schedule.name})")
        event.add("description", f"{person} is on call for {schedule.name}.")
        event.add("transp", "TRANSPARENT")
        cal.add_component(event)
    return cal.to_ical()
