"""Admin form parts that pick people by name: a layer's ordered members and an escalation
level's users, limited to active agents and admins and validated before anything is saved; a
layer's time restrictions as rows (`restriction_form`)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.html import format_html, format_html_join

from switchboard.accounts.models import User
from switchboard.core.errors import ValidationFailed
from switchboard.oncall import actions, queries
from switchboard.oncall.models import EscalationLevel, ScheduleLayer
from switchboard.oncall.restriction_form import RestrictionsField


def _label(user: User) -> str:
    return f"{user.name} ({user.email})" if user.name else user.email


class MemberSelects(forms.Widget):
    """One `<select>` of agents per rotation slot, in turn order, and an empty one to add a
    person; choosing "(remove)" drops a slot. A stored id that names no agent stays visible as
    "Unknown user #id" so saving the row unchanged is refused instead of kept silently."""

    def value_from_datadict(self, data: Any, files: Any, name: str) -> list[str]:
        return [v for v in data.getlist(name) if v]

    def render(self, name: str, value: Any, attrs: Any = None, renderer: Any = None) -> str:
        agents = queries.agents()
        known = {str(a.pk) for a in agents}
        current = [str(v) for v in (value or [])]
        others = User.objects.in_bulk([int(v) for v in current if v.isdigit() and v not in known])

        def options(selected: str) -> str:
            rows = [("", "(remove)" if selected else "Add a person…", False)]
            if selected and selected not in known:
                user = others.get(int(selected)) if selected.isdigit() else None
                label = (
                    f"{_label(user)} — not an active agent" if user else f"Unknown user #{selected}"
                )
                rows.append((selected, label, True))
            rows += [(str(a.pk), _label(a), str(a.pk) == selected) for a in agents]
            return format_html_join(
                "",
                '<option value="{}"{}>{}</option>',
                ((v, " selected" if s else "", label) for v, label, s in rows),
            )

        html_id = (attrs or {}).get("id", name)
        selects = [
            format_html(
                '<li><select name="{}" id="{}_{}" aria-label="Member {}">{}</select></li>',
                name,
                html_id,
                i,
                i + 1,
                options(v),
            )
            for i, v in enumerate([*current, ""])
        ]
        return format_html(
            '<ol class="layer-members" id="{}">{}</ol>',
            html_id,
            format_html_join("", "{}", ((s,) for s in selects)),
        )


class MembersField(forms.Field):
    widget = MemberSelects

    def to_python(self, value: Any) -> list[int]:
        out = []
        for raw in value or []:
            if not str(raw).isdigit():
                raise forms.ValidationError(f"{raw!r} is not a person.")
            out.append(int(raw))
        return out

    def validate(self, value: list[int]) -> None:
        super().validate(value)
        try:
            actions.check_agents(value, field="members")
        except ValidationFailed:
            raise forms.ValidationError(_why_not(value)) from None

    def prepare_value(self, value: Any) -> Any:
        return value


def _why_not(ids: list[int]) -> str:
    """Which picked people cannot be on call, by name."""
    users = User.objects.in_bulk(ids)
    bad = []
    for pk in ids:
        user = users.get(pk)
        if user is None:
            bad.append(f"user #{pk} does not exist")
        elif not (user.is_active and user.role in actions.AGENT_ROLES):
            bad.append(f"{_label(user)} is not an active agent or admin")
    return "Only active agents and admins can be on call: " + "; ".join(bad) + "."


class LayerForm(forms.ModelForm):
    users = MembersField(
        label="Members",
        help_text="In turn order: the first person has the first turn. Pick by name.",
    )
    restrictions = RestrictionsField(
        label="Time restrictions",
        help_text=(
            "When this layer is on duty, in the schedule's time zone: daily windows (every day "
            "from → to) or weekly ones (from a day and time to a day and time). An end at or "
            "before the start runs past midnight (or into the next week). No rows: always on duty."
        ),
    )

    class Meta:
        model = ScheduleLayer
        fields = [
            "schedule",
            "position",
            "name",
            "users",
            "rotation_virtual_start",
            "turn_length",
            "restrictions",
            "start",
            "end",
        ]


class LevelForm(forms.ModelForm):
    """Escalation targets: active agents and admins by name, nobody else."""

    class Meta:
        model = EscalationLevel
        fields = ["policy", "position", "delay_minutes", "users", "schedules"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["users"]
        field.queryset = User.objects.filter(is_active=True, role__in=actions.AGENT_ROLES).order_by(
            "name", "email"
        )
        field.label_from_instance = _label
        field.error_messages["invalid_choice"] = (
            "Only active agents and admins can be escalation targets; %(value)s is not one."
        )
