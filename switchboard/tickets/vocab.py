"""The ticket vocabulary, in one place: statuses and priorities (in order, with their labels),
ticket types, channels and the system tags. Pure (no Django): the models build their choices from
these lists, and the pure parsers (the condition language, the search syntax) import them.
"""

from __future__ import annotations

# (value, label), in order: new < open < pending < hold < solved < closed.
STATUSES: tuple[tuple[str, str], ...] = (
    ("new", "New"),
    ("open", "Open"),
    ("pending", "Pending"),
    ("hold", "On-hold"),
    ("solved", "Solved"),
    ("closed", "Closed"),
)
# Priority = severity: low < normal < high < urgent; urgent is severity 1, low is severity 4.
PRIORITIES: tuple[tuple[str, str], ...] = (
    ("low", "Low (severity 4)"),
    ("normal", "Normal (severity 3)"),
    ("high", "High (severity 2)"),
    ("urgent", "Urgent (severity 1)"),
)
TICKET_TYPES: tuple[tuple[str, str], ...] = (
    ("question", "Question"),
    ("incident", "Incident"),
    ("problem", "Problem"),
    ("task", "Task"),
)
CHANNELS: tuple[tuple[str, str], ...] = (
    ("web", "Web (portal or agent workspace)"),
    ("email", "Email"),
    ("api", "API"),
    ("mailing_list", "Mailing list"),
    ("chat", "Chat"),
    ("phone", "Phone"),
    ("system", "System"),
)

STATUS_ORDER: tuple[str, ...] = tuple(value for value, _ in STATUSES)
PRIORITY_ORDER: tuple[str, ...] = tuple(value for value, _ in PRIORITIES)
TICKET_TYPE_VALUES: tuple[str, ...] = tuple(value for value, _ in TICKET_TYPES)
CHANNEL_VALUES: tuple[str, ...] = tuple(value for value, _ in CHANNELS)
SEVERITY: dict[str, int] = {value: len(PRIORITIES) - i for i, value in enumerate(PRIORITY_ORDER)}

# System tags: a requester whose entitlement is not verified (no organization yet: the SLA clock
# waits, a shipped view lists it), and a ticket closed by a merge.
TAG_ENTITLEMENT_UNVERIFIED = "entitlement_unverified"
TAG_CLOSE_BY_MERGE = "close_by_merge"


def choices_members(pairs: tuple[tuple[str, str], ...]) -> list[tuple[str, tuple[str, str]]]:
    """`(NAME, (value, label))` members for Django's functional TextChoices API."""
    return [(value.upper(), (value, label)) for value, label in pairs]
