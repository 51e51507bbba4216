"""The notify app's models, one module per part: the outbox (endpoints, deliveries), email
intake (inbound log, IMAP cursors), chat (linked chat users) and rules (triggers, time rules).

Django loads an app's models from `notify.models`; the app label and tables stay `notify`.
Code imports each model from its part's module (`switchboard.notify.outbox.models`, ...).
"""

from switchboard.notify.chat.models import (
    ChatIdentity,
)
from switchboard.notify.mail.models import (
    ImapCursor,
    InboundEmail,
    InboundOutcome,
    InboundSource,
)
from switchboard.notify.outbox.models import (
    Delivery,
    DeliveryAttempt,
    DeliveryChannel,
    DeliveryStatus,
    Endpoint,
    EndpointKind,
)
from switchboard.notify.rules.models import (
    RuleEvent,
    TimeRule,
    TimeRuleFiring,
    TimeRuleKind,
    Trigger,
    TriggerFiring,
    validate_event_names,
)

__all__ = [
    "ChatIdentity",
    "Delivery",
    "DeliveryAttempt",
    "DeliveryChannel",
    "DeliveryStatus",
    "Endpoint",
    "EndpointKind",
    "ImapCursor",
    "InboundEmail",
    "InboundOutcome",
    "InboundSource",
    "RuleEvent",
    "TimeRule",
    "TimeRuleFiring",
    "TimeRuleKind",
    "Trigger",
    "TriggerFiring",
    "validate_event_names",
]
