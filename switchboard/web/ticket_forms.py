"""Forms of the agent's "New ticket" page and the CC box: they parse input; the views call
one action."""

from __future__ import annotations

from typing import Any

from django import forms

from switchboard.tickets.actions.ccs import MAX_CCS, parse_emails
from switchboard.tickets.models import Priority, TicketType


class NewTicketForm(forms.Form):
    requester = forms.CharField(
        max_length=254, help_text="An existing person's email, or a new address."
    )
    requester_name = forms.CharField(
        required=False, max_length=150, help_text="For a new address: the person's name."
    )
    ccs = forms.CharField(required=False, max_length=5000)
    subject = forms.CharField(max_length=255)
    ticket_type = forms.ChoiceField(required=False, choices=[("", "—"), *TicketType.choices])
    priority = forms.ChoiceField(choices=Priority.choices, initial=Priority.NORMAL)
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 8}), max_length=1_000_000)
    visibility = forms.ChoiceField(
        choices=[("public", "Public (emailed to the requester)"), ("internal", "Internal note")],
        initial="public",
        widget=forms.RadioSelect,
    )
    assignee = forms.CharField(required=False)

    def clean_ccs(self) -> list[str]:
        emails = parse_emails(self.cleaned_data["ccs"])
        if len(emails) > MAX_CCS:
            raise forms.ValidationError(f"at most {MAX_CCS} people can be copied.")
        return emails

    def clean_assignee(self) -> int | None:
        value = (self.cleaned_data.get("assignee") or "").strip()
        if not value:
            return None
        if not value.isdigit() or len(value) > 18:
            raise forms.ValidationError("choose from the list.")
        return int(value)

    @property
    def public(self) -> bool:
        return self.cleaned_data.get("visibility") != "internal"


class CcForm(forms.Form):
    add = forms.CharField(required=False, max_length=5000)
    remove = forms.CharField(required=False, max_length=20)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        data["add"] = parse_emails(data.get("add"))
        remove = (data.get("remove") or "").strip()
        if remove and not remove.isdigit():
            raise forms.ValidationError("remove: choose a CC from the list.")
        data["remove"] = [int(remove)] if remove else []
        if not data["add"] and not data["remove"]:
            raise forms.ValidationError("Type an email address to copy someone.")
        return data

    def changes(self) -> dict[str, list[Any]]:
        """The arguments of tickets.actions.ccs.change_ccs."""
        return {"add_emails": self.cleaned_data["add"], "remove_ids": self.cleaned_data["remove"]}
