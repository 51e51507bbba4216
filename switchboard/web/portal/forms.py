"""Portal forms: they parse and validate input; the accounts and tickets actions do the writing."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import password_validation

from switchboard.accounts.models import PersonalAccess, Region
from switchboard.tickets.models import TicketField, TicketStatus

# Severity = priority (DOMAIN.md §2). Definitions shown on the form, worst first.
SEVERITIES: list[tuple[str, str, str]] = [
    (
        "urgent",
        "Severity 1 — Urgent",
        "Your production system is down or completely unusable and there is no workaround. "
        "Customers with Priority support get an emergency response around the clock.",
    ),
    (
        "high",
        "Severity 2 — High",
        "Important functionality is severely impaired: work continues in a restricted way and "
        "there is no acceptable workaround.",
    ),
    (
        "normal",
        "Severity 3 — Normal",
        "Part of the system doesn't work as it should, with limited impact on your business; a "
        "workaround exists or the problem is intermittent.",
    ),
    (
        "low",
        "Severity 4 — Low",
        "A question, a documentation request, a feature suggestion, or a problem with no "
        "impact on your business.",
    ),
]
REGION_NOTE = (
    "If you prefer Support to only answer during your business hours, choose your region; please "
    "note if you select a region, the SLA will only be within those business hours. Otherwise, "
    "choose “All regions” to get the standard SLAs and responses from our global support team."
)
CALL_NOTE = (
    "Please don't request a call here: we keep the conversation in the ticket and try to resolve "
    "it there first. If a call is necessary, the support engineer will invite your team to one "
    "from the ticket."
)
INSTALL_TYPES = [
    ("", "Choose…"),
    ("Linux package", "Linux package (Omnibus)"),
    ("Docker", "Docker"),
    ("Kubernetes (Helm)", "Kubernetes (Helm chart)"),
    ("From source", "From source"),
    ("SaaS", "SaaS (hosted by us)"),
    ("Other", "Other"),
]
# (form field, heading in the composed description)
DESCRIPTION_SECTIONS = [
    ("problem_started", "When it started and how often"),
    ("business_impact", "Business impact"),
    ("steps_to_reproduce", "Steps to reproduce"),
    ("current_behavior", "Current behaviour"),
    ("expected_behavior", "Expected behaviour"),
    ("recent_changes", "Recent changes"),
]
SCANNED_FIELDS = ["subject", *(name for name, _ in DESCRIPTION_SECTIONS), "version"]
STATUS_FILTERS = [
    ("", "All"),
    ("active", "Open (not solved)"),
    *[(s.value, s.label) for s in TicketStatus],
]


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; each is checked by the attachments action when stored."""

    widget = MultipleFileInput

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        return [super(MultipleFileField, self).clean(f, initial) for f in files]


def _text(label: str, help_text: str = "", *, required: bool = False, rows: int = 4) -> Any:
    return forms.CharField(
        label=label,
        help_text=help_text,
        required=required,
        max_length=50_000,
        widget=forms.Textarea(attrs={"rows": rows}),
    )


CUSTOM_PREFIX = "cf_"


def _custom_field(definition: TicketField) -> forms.Field:
    """The form field for a custom ticket field (optional: "required" is for agents)."""
    kind = TicketField.FieldType
    common: dict[str, Any] = {
        "label": definition.title,
        "help_text": definition.description,
        "required": False,
    }
    if definition.field_type == kind.CHECKBOX:
        return forms.BooleanField(**common)
    if definition.field_type == kind.INTEGER:
        return forms.IntegerField(**common)
    if definition.field_type == kind.DECIMAL:
        return forms.DecimalField(**common)
    if definition.field_type == kind.DATE:
        return forms.DateField(**common, widget=forms.DateInput(attrs={"type": "date"}))
    if definition.field_type == kind.DROPDOWN:
        choices = [("", "Choose…")] + [
            (str(o.get("value")), str(o.get("name") or o.get("value")))
            for o in definition.options
            if isinstance(o, dict)
        ]
        return forms.ChoiceField(**common, choices=choices)
    if definition.field_type == kind.TEXTAREA:
        return forms.CharField(
            **common, max_length=65_000, widget=forms.Textarea(attrs={"rows": 3})
        )
    return forms.CharField(**common, max_length=65_000)


class TicketForm(forms.Form):
    subject = forms.CharField(
        label="Summary",
        max_length=255,
        help_text="One line that names the problem, e.g. “Pipelines stuck in pending after "
        "upgrade to 16.4”.",
    )
    problem_started = _text(
        "When did it start, and how often does it happen?",
        "The date and time (with your time zone) and whether it is constant, intermittent or "
        "happened once.",
        rows=2,
    )
    business_impact = _text(
        "Business impact",
        "Who and what is affected: how many users, which teams, is a release or a deadline at "
        "risk?",
        rows=2,
    )
    steps_to_reproduce = _text(
        "Steps to reproduce",
        "Numbered steps someone else could follow to see the problem.",
    )
    current_behavior = _text(
        "Current behaviour",
        "What happens, with the exact error messages.",
        required=True,
    )
    expected_behavior = _text("Expected behaviour", "What you expected to happen instead.", rows=2)
    recent_changes = _text(
        "Recent changes",
        "Any recent changes to the product, its components, dependencies, or the services it's "
        "hosted on (upgrades, configuration, network, certificates).",
        rows=2,
    )
    version = forms.CharField(
        label="Version", max_length=100, required=False, help_text="e.g. 16.4.1"
    )
    install_type = forms.ChoiceField(label="Install type", choices=INSTALL_TYPES, required=False)
    priority = forms.ChoiceField(
        label="Severity",
        choices=[(value, label) for value, label, _ in SEVERITIES],
        initial="normal",
        widget=forms.RadioSelect,
    )
    preferred_region = forms.ChoiceField(
        label="Preferred region", choices=Region.choices, help_text=REGION_NOTE
    )
    attachments = MultipleFileField(
        label="Attachments",
        help_text="Logs and screenshots help most. Please avoid .doc and .pdf files, and remove "
        "passwords, tokens and keys before you attach anything.",
    )

    def __init__(self, *args: Any, ticket_fields: list[TicketField] = (), **kwargs: Any) -> None:
        """`ticket_fields`: the custom fields shown in the portal (portal.queries)."""
        super().__init__(*args, **kwargs)
        self.ticket_fields = list(ticket_fields)
        for definition in self.ticket_fields:
            self.fields[CUSTOM_PREFIX + definition.key] = _custom_field(definition)

    def custom_field_names(self) -> list[str]:
        return [CUSTOM_PREFIX + d.key for d in self.ticket_fields]

    def custom_bound_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.custom_field_names()]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        offered = set(self.custom_field_names())
        refused = sorted(k for k in self.data if k.startswith(CUSTOM_PREFIX) and k not in offered)
        if refused:  # a field hidden from the portal (or none at all): refused, not dropped
            raise forms.ValidationError(
                f"{refused[0]}: this field cannot be set from the portal.", code="hidden_field"
            )
        return data

    def custom_fields(self) -> dict[str, Any]:
        """{field key: value} of the answered custom fields, as `create_ticket` takes them."""
        values: dict[str, Any] = {}
        for definition in self.ticket_fields:
            value = self.cleaned_data.get(CUSTOM_PREFIX + definition.key)
            if value in (None, "", False):
                continue
            if definition.field_type == TicketField.FieldType.DATE:
                value = value.isoformat()
            elif definition.field_type == TicketField.FieldType.DECIMAL:
                value = str(value)
            values[definition.key] = value
        return values

    def description(self) -> str:
        """The structured first comment: one headed section per answered question."""
        data = self.cleaned_data
        parts = []
        for name, heading in DESCRIPTION_SECTIONS:
            value = (data.get(name) or "").strip()
            if value:
                parts.append(f"## {heading}\n{value}")
        version = " / ".join(v for v in (data.get("version"), data.get("install_type")) if v)
        if version:
            parts.append(f"## Version and install type\n{version}")
        return "\n\n".join(parts)

    def form_fields(self) -> dict[str, str]:
        names = [name for name, _ in DESCRIPTION_SECTIONS] + ["version", "install_type"]
        return {name: (self.cleaned_data.get(name) or "").strip() for name in names}

    def scanned_text(self) -> str:
        """Every free-text answer, raw (also before the form validates), for the secret scan."""
        return "\n".join(str(self.data.get(name, "")) for name in SCANNED_FIELDS)


class ReplyForm(forms.Form):
    body = forms.CharField(label="Your reply", max_length=1_000_000, widget=forms.Textarea)
    attachments = MultipleFileField(label="Attachments")


class ResendForm(forms.Form):
    email = forms.EmailField(label="Email", max_length=254)

    def clean_email(self) -> str:
        return self.cleaned_data["email"].strip().lower()


class RegisterForm(forms.Form):
    name = forms.CharField(label="Your name", max_length=255)
    email = forms.EmailField(
        label="Work email",
        help_text="Use your company address: it links you to your organization's support plan.",
    )
    password = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )

    def clean_email(self) -> str:
        return self.cleaned_data["email"].strip().lower()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        password = data.get("password")
        if password:
            from switchboard.accounts.models import User

            probe = User(email=data.get("email", ""), name=data.get("name", ""))
            try:
                password_validation.validate_password(password, probe)
            except forms.ValidationError as exc:
                self.add_error("password", exc)
        return data


class ContactForm(forms.Form):
    name = forms.CharField(label="Name", max_length=255, required=False)
    email = forms.EmailField(label="Email")


class ContactAccessForm(forms.Form):
    ticket_access = forms.ChoiceField(label="Ticket access", choices=PersonalAccess.choices)
