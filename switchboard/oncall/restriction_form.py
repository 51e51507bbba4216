"""A layer's time restrictions edited as rows instead of JSON: each row is a window — daily
(start time → end time, every day) or weekly (start day and time → end day and time) — in the
schedule's time zone. Stored as before (`queries.restriction_from_json`):
``{"kind": "daily"|"weekly", "start_time": "HH:MM", "duration_minutes": n[, "start_weekday": d]}``.

The widget renders the stored windows plus an empty row to add one; choosing "(remove)" drops a
row. It needs no JavaScript. A row that cannot be read is refused with the row named, and the
widget shows that message next to the row when the form comes back.
"""

from __future__ import annotations

from datetime import time
from typing import Any

from django import forms
from django.utils.html import format_html, format_html_join

from switchboard.oncall import queries

DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_DAY_MINUTES = 24 * 60
_WEEK_MINUTES = 7 * _DAY_MINUTES
_PARTS = ("kind", "day", "start", "end_day", "end")
REMOVE = "remove"


def _minutes(text: str, what: str) -> int:
    try:
        value = time.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{what} {text!r} is not a time (HH:MM, 00:00 to 23:59).") from None
    if value.second or value.microsecond:
        raise ValueError(f"{what} {text!r}: whole minutes only (HH:MM).")
    return value.hour * 60 + value.minute


def _day(text: str, what: str) -> int:
    if not text.isdigit() or not 0 <= int(text) <= 6:
        raise ValueError(f"choose the {what}.")
    return int(text)


def row_to_json(row: dict[str, str]) -> dict[str, Any] | None:
    """One posted row as a stored restriction; None for a row left empty or removed. Raises
    ValueError with a message for the person editing."""
    kind = row.get("kind", "")
    if kind == REMOVE or (not kind and not any(row.get(p) for p in _PARTS[1:])):
        return None
    if kind not in ("daily", "weekly"):
        raise ValueError("choose daily or weekly (or leave the row empty).")
    if not row.get("start") or not row.get("end"):
        raise ValueError("give a start time and an end time.")
    start = _minutes(row["start"], "start time")
    end = _minutes(row["end"], "end time")
    if kind == "daily":
        if row.get("day") or row.get("end_day"):
            raise ValueError("a daily window runs every day; leave its days empty.")
        duration = (end - start) % _DAY_MINUTES or _DAY_MINUTES
        return {"kind": "daily", "start_time": row["start"][:5], "duration_minutes": duration}
    first = _day(row.get("day", ""), "start day")
    last = _day(row.get("end_day", ""), "end day")
    duration = (last * _DAY_MINUTES + end - first * _DAY_MINUTES - start) % _WEEK_MINUTES
    return {
        "kind": "weekly",
        "start_weekday": first,
        "start_time": row["start"][:5],
        "duration_minutes": duration or _WEEK_MINUTES,
    }


def json_to_row(data: Any) -> dict[str, str]:
    """A stored restriction as the row's fields (the end from start + duration)."""
    try:
        stored = queries.restriction_from_json(data)
    except (KeyError, TypeError, ValueError, AttributeError):
        return {"kind": "", "day": "", "start": "", "end_day": "", "end": ""}
    start = stored.start_time.hour * 60 + stored.start_time.minute
    minutes = int(stored.duration.total_seconds() // 60)
    if stored.kind == "daily":
        end = (start + minutes) % _DAY_MINUTES
        return {"kind": "daily", "day": "", "start": _hhmm(start), "end_day": "", "end": _hhmm(end)}
    begin = (stored.start_weekday or 0) * _DAY_MINUTES + start
    finish = (begin + minutes) % _WEEK_MINUTES
    return {
        "kind": "weekly",
        "day": str(stored.start_weekday),
        "start": _hhmm(start),
        "end_day": str(finish // _DAY_MINUTES),
        "end": _hhmm(finish % _DAY_MINUTES),
    }


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _is_row(value: Any) -> bool:
    return isinstance(value, dict) and "duration_minutes" not in value


class RestrictionRows(forms.Widget):
    """One row per window and an empty row to add one."""

    def value_from_datadict(self, data: Any, files: Any, name: str) -> list[dict[str, str]]:
        columns = [data.getlist(f"{name}-{part}") for part in _PARTS]
        count = max((len(c) for c in columns), default=0)
        return [
            {
                part: (column[i] if i < len(column) else "").strip()
                for part, column in zip(_PARTS, columns, strict=True)
            }
            for i in range(count)
        ]

    def value_omitted_from_data(self, data: Any, files: Any, name: str) -> bool:
        # The rows are posted as `<name>-kind` etc.; all removed is an empty list, not "omitted"
        # (which would keep the stored windows).
        return f"{name}-kind" not in data

    def render(self, name: str, value: Any, attrs: Any = None, renderer: Any = None) -> str:
        rows = [r if _is_row(r) else json_to_row(r) for r in (value or [])]
        rows = [r for r in rows if r.get("kind") != REMOVE]
        if not rows or any(rows[-1].get(p) for p in _PARTS):
            rows.append({})
        html_id = (attrs or {}).get("id", name)
        body = format_html_join(
            "",
            "{}",
            ((self._row(name, html_id, i, row, i == len(rows) - 1),) for i, row in enumerate(rows)),
        )
        return format_html(
            '<table class="restriction-rows" id="{}"><thead><tr><th>Window</th><th>From day</th>'
            "<th>From</th><th>To day</th><th>To</th><th></th></tr></thead><tbody>{}</tbody>"
            "</table>",
            html_id,
            body,
        )

    def _row(self, name: str, html_id: str, i: int, row: dict[str, str], last: bool) -> str:
        error = ""
        if row:
            try:
                row_to_json(row)
            except ValueError as exc:
                error = f"Row {i + 1}: {exc}"
        kinds = [("", "Add a window…" if last else "—"), ("daily", "Daily"), ("weekly", "Weekly")]
        if not last:
            kinds.append((REMOVE, "(remove)"))

        def select(part: str, options: list[tuple[str, str]], label: str) -> str:
            chosen = row.get(part, "")
            return format_html(
                '<select name="{}-{}" id="{}_{}_{}" aria-label="{} {}">{}</select>',
                name,
                part,
                html_id,
                i,
                part,
                label,
                i + 1,
                format_html_join(
                    "",
                    '<option value="{}"{}>{}</option>',
                    ((v, " selected" if v == chosen else "", text) for v, text in options),
                ),
            )

        days = [("", "—"), *((str(d), text) for d, text in enumerate(DAYS))]

        def clock(part: str, label: str) -> str:
            return format_html(
                '<input type="time" name="{}-{}" id="{}_{}_{}" value="{}" aria-label="{} {}">',
                name,
                part,
                html_id,
                i,
                part,
                row.get(part, ""),
                label,
                i + 1,
            )

        return format_html(
            '<tr class="restriction-row{}"><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>'
            '<td class="row-error" role="alert">{}</td></tr>',
            " has-error" if error else "",
            select("kind", kinds, "Window"),
            select("day", days, "From day"),
            clock("start", "From"),
            select("end_day", days, "To day"),
            clock("end", "To"),
            error,
        )


class RestrictionsField(forms.Field):
    """Rows in, stored restriction JSON out; each row refused with its number and the reason."""

    widget = RestrictionRows

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        errors = []
        for i, item in enumerate(value or []):
            if not _is_row(item):
                out.append(item)
                continue
            try:
                stored = row_to_json(item)
            except ValueError as exc:
                errors.append(forms.ValidationError(f"Row {i + 1}: {exc}"))
                continue
            if stored is not None:
                out.append(stored)
        if errors:
            raise forms.ValidationError(errors)
        return out

    def prepare_value(self, value: Any) -> Any:
        return value
