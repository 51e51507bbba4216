"""iCalendar for calls: invites (METHOD:REQUEST / CANCEL), feeds, and reading busy calendars.

No ORM: callers pass plain values. Times are written in the reader's own zone with a VTIMEZONE
(icalendar adds it from zoneinfo), so a calendar that ignores TZID still shows the right wall
time, and one that honours it gets the same instant.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events

PRODID = "-//Switchboard//Customer calls//EN"


@dataclass(frozen=True)
class CallEvent:
    uid: str
    sequence: int
    start: datetime
    end: datetime
    summary: str
    description: str
    location: str
    url: str
    organizer_email: str
    organizer_name: str
    attendees: tuple[tuple[str, str], ...]  # (name, email)
    canceled: bool = False
    updated: datetime | None = None


def _event(call: CallEvent, zone: str, method: str) -> icalendar.Event:
    tz = ZoneInfo(zone)
    event = icalendar.Event()
    event.add("uid", call.uid)
    event.add("sequence", call.sequence)
    event.add("dtstamp", (call.updated or datetime.now(UTC)).astimezone(UTC))
    event.add("dtstart", call.start.astimezone(tz))
    event.add("dtend", call.end.astimezone(tz))
    event.add("summary", call.summary)
    event.add("description", call.description)
    if call.location:
        event.add("location", call.location)
    if call.url:
        event.add("url", call.url)
    organizer = icalendar.vCalAddress(f"mailto:{call.organizer_email}")
    organizer.params["cn"] = icalendar.vText(call.organizer_name or call.organizer_email)
    event.add("organizer", organizer)
    for name, email in call.attendees:
        attendee = icalendar.vCalAddress(f"mailto:{email}")
        attendee.params["cn"] = icalendar.vText(name or email)
        attendee.params["role"] = icalendar.vText("REQ-PARTICIPANT")
        attendee.params["partstat"] = icalendar.vText("NEEDS-ACTION")
        attendee.params["rsvp"] = icalendar.vText("FALSE")
        event.add("attendee", attendee, encode=False)
    cancel = call.canceled or method == "CANCEL"
    event.add("status", "CANCELLED" if cancel else "CONFIRMED")
    event.add("transp", "OPAQUE")
    return event


def invite(call: CallEvent, *, zone: str, method: str = "REQUEST") -> str:
    """One event as an invite (REQUEST) or a cancellation (CANCEL), in the reader's `zone`."""
    if method not in ("REQUEST", "CANCEL"):
        raise ValueError(f"unknown iTIP method {method!r}")
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("method", method)
    cal.add_component(_event(call, zone, method))
    cal.add_missing_timezones()
    return str(cal.to_ical().decode())


def feed(calls: Iterable[CallEvent], *, name: str, zone: str = "UTC") -> str:
    """A subscribable calendar (no METHOD) of many calls."""
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("x-wr-calname", name)
    for call in calls:
        cal.add_component(_event(call, zone, "PUBLISH"))
    cal.add_missing_timezones()
    return str(cal.to_ical().decode())


class CalendarUnreadable(ValueError):
    """The text is not an iCalendar file."""


def busy_intervals(
    text: str | bytes, *, start: datetime, end: datetime, zone: str
) -> list[tuple[datetime, datetime]]:
    """Busy (start, end) UTC pairs in [start, end) from an iCal feed, recurrences expanded.

    Transparent (free) and cancelled events are skipped; all-day events block their whole dates
    in `zone` (the agent's zone); floating times are read in `zone` too.
    """
    try:
        cal = icalendar.Calendar.from_ical(text)
    except (ValueError, IndexError, KeyError) as exc:
        raise CalendarUnreadable(f"not an iCalendar file: {exc}") from exc
    tz = ZoneInfo(zone)
    out: list[tuple[datetime, datetime]] = []
    try:
        occurrences = recurring_ical_events.of(cal).between(start, end)
    except Exception as exc:  # the library raises many types for malformed rules
        raise CalendarUnreadable(f"could not expand the calendar: {exc}") from exc
    for event in occurrences:
        if str(event.get("transp", "OPAQUE")).upper() == "TRANSPARENT":
            continue
        if str(event.get("status", "")).upper() == "CANCELLED":
            continue
        a = event.get("dtstart")
        b = event.get("dtend")
        if a is None:
            continue
        first = _instant(a.dt, tz)
        if b is not None:
            last = _instant(b.dt, tz)
        elif isinstance(a.dt, datetime):
            duration = event.get("duration")
            last = first + (duration.dt if duration is not None else timedelta(0))
        else:
            last = _instant(a.dt + timedelta(days=1), tz)
        if last > first:
            out.append((first.astimezone(UTC), last.astimezone(UTC)))
    out.sort()
    return out


def _instant(value: date | datetime, tz: ZoneInfo) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=tz)
    return datetime.combine(value, time(0), tzinfo=tz)
