"""The agent workspace's forms: they parse input; the views hand it to one action."""

from __future__ import annotations

import re
from typing import Any

from django import forms

from switchboard.tickets.models import Priority, TicketStatus, TicketType

# Statuses an agent can submit a reply as (new and closed are set by the system only).
SUBMIT_STATUSES = [
    (s.value, s.label) for s in TicketStatus if s not in (TicketStatus.NEW, TicketStatus.CLOSED)
]


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


class ReplyForm(forms.Form):
    body = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 6}))
    visibility = forms.ChoiceField(
        choices=[("public", "Public reply"), ("internal", "Internal note")],
        initial="public",
        widget=forms.RadioSelect,
    )
    status = forms.ChoiceField(required=False, choices=[("", "Keep status"), *SUBMIT_STATUSES])
    macro = forms.CharField(required=False)
    files = MultipleFileField(required=False)

    @property
    def public(self) -> bool:
        return self.cleaned_data.get("visibility", "public") != "internal"

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (
            not (data.get("body") or "").strip()
            and not data.get("status")
            and not data.get("macro")
            and not data.get("files")
        ):
            raise forms.ValidationError("Write a reply, pick a macro or choose a status.")
        if data.get("files") and not (data.get("body") or "").strip() and not data.get("macro"):
            raise forms.ValidationError("Attachments go with a reply: write a few words.")
        macro = data.get("macro") or ""
        if macro and not macro.isdigit():
            raise forms.ValidationError("Choose a macro from the list.")
        return data


def _tag_list(value: str) -> list[str]:
    return [t for t in re.split(r"[\s,]+", value.strip().lower()) if t]


class PropertiesForm(forms.Form):
    """The properties the agent sets, and (hidden) the values the page was rendered with: the
    view sends only what the agent changed, as a compare-and-set against those."""

    tags = forms.CharField(required=False, max_length=2000)
    priority = forms.ChoiceField(choices=Priority.choices)
    assignee = forms.CharField(required=False)
    group = forms.CharField(required=False)
    original_tags = forms.CharField(required=False, max_length=20_000)
    original_priority = forms.ChoiceField(
        choices=Priority.choices,
        error_messages={"required": "this form is out of date; reload the ticket and try again."},
    )
    original_assignee = forms.CharField(required=False)
    original_group = forms.CharField(required=False)
    # Subject, type and requester (by email): compared with their originals like the others; a
    # form without them (an older page) leaves them alone.
    subject = forms.CharField(required=False, max_length=255)
    ticket_type = forms.ChoiceField(required=False, choices=[("", "—"), *TicketType.choices])
    requester = forms.CharField(required=False, max_length=254)
    original_subject = forms.CharField(required=False, max_length=255)
    original_ticket_type = forms.CharField(required=False)
    original_requester = forms.CharField(required=False)

    def clean_tags(self) -> list[str]:
        return _tag_list(self.cleaned_data["tags"])

    def clean_original_tags(self) -> list[str]:
        return _tag_list(self.cleaned_data["original_tags"])

    def _id(self, name: str) -> int | None:
        value = (self.cleaned_data.get(name) or "").strip()
        if not value:
            return None
        if not value.isdigit() or len(value) > 18:
            raise forms.ValidationError(f"{name}: choose from the list.")
        return int(value)

    def clean_assignee(self) -> int | None:
        return self._id("assignee")

    def clean_group(self) -> int | None:
        return self._id("group")

    def clean_original_assignee(self) -> int | None:
        return self._id("original_assignee")

    def clean_original_group(self) -> int | None:
        return self._id("original_group")

    def clean_original_requester(self) -> int | None:
        return self._id("original_requester")


class MergeForm(forms.Form):
    target = forms.CharField(max_length=20)
    # "public" / "internal": the carried conversation's visibility on the target; empty: the
    # default for these tickets (tickets.actions.merge.plan_merge).
    visibility = forms.ChoiceField(
        required=False, choices=[("", "default"), ("public", "public"), ("internal", "internal")]
    )
    confirm = forms.BooleanField(required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        visibility = data.get("visibility") or ""
        data["public"] = None if not visibility else visibility == "public"
        return data

    def clean_target(self) -> int:
        value = self.cleaned_data["target"].strip().lstrip("#")
        if not value.isdigit() or len(value) > 18:
            raise forms.ValidationError("Enter the number of the ticket to merge into, e.g. 1234.")
        return int(value)


class FollowUpForm(forms.Form):
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=1_000_000)


def first_error(form: forms.Form) -> str:
    """The form's first error as one sentence, naming the field."""
    for name, errors in form.errors.items():
        message = str(errors[0])
        return message if name == "__all__" else f"{name}: {message}"
    return "The form is not valid."
