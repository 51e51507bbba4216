"""Should we suggest a call? The handbook's four cases, as rules over a conversation (pure).

1. the initial problem statement is very unclear;
2. we are not getting what we need after two requests for information;
3. no progress toward resolution over several exchanges;
4. the customer is getting frustrated or upset.

`score` returns the reasons found; a ticket is flagged when there is at least one. The rules are
deliberately plain (keywords, counts, shapes) so an agent can read why a ticket was flagged.
Measured against the labelled conversations in tests/conversations.py (see docs/calls.md).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

UNCLEAR = "unclear_problem"
NO_INFO = "no_info_after_two_requests"
NO_PROGRESS = "no_progress"
FRUSTRATED = "customer_frustrated"

REASONS = {
    UNCLEAR: "The initial problem statement is very unclear.",
    NO_INFO: "We are not getting what we need after two requests for information.",
    NO_PROGRESS: "No progress toward resolution over several exchanges.",
    FRUSTRATED: "The customer seems frustrated or upset.",
}


@dataclass(frozen=True)
class Message:
    from_customer: bool
    body: str


_VAGUE = re.compile(
    r"\b(doesn'?t work|does not work|not working|is broken|broke|stopped working|having (an? )?"
    r"(issue|problem)s?|something (is )?wrong|help( me)?|weird|strange|problem with)\b",
    re.I,
)
# Concrete detail: versions, error text, codes, paths, commands, logs, stack traces.
_DETAIL = re.compile(
    r"(\b\d+\.\d+(\.\d+)?\b|\berror\b[:\s]+\S|\b[45]\d\d\b|exception|traceback|stack ?trace|"
    r"/[\w.-]+/|`[^`]+`|\blog(s)?\b.*:|\bsteps?\b|\bwhen i\b|\bafter (upgrading|the upgrade)\b|"
    r"\bexit code\b|\bfailed with\b|\bmessage\b)",
    re.I,
)
_ASK = re.compile(
    r"(could you|can you|would you|please (send|share|provide|attach|run|check|confirm)|"
    r"we need|we('ll| will) need|do you have|what (is|are) the)",
    re.I,
)
_PROVIDED = re.compile(
    r"(attached|attaching|here (is|are)|see below|output:|```|\blogs?\b.*(below|attached)|"
    r"\bversion\b.*\d|\d+\.\d+)",
    re.I,
)
_STUCK = re.compile(
    r"\b(still (not|failing|broken|the same|happening|getting|seeing|doesn'?t)|same (error|issue|"
    r"problem)|didn'?t (help|work|change|fix)|did not (help|work|fix)|no (change|luck|difference)|"
    r"nothing changed|not fixed|tried (that|it|everything) already|back to square one)",
    re.I,
)
_UPSET = re.compile(
    r"(frustrat|unacceptable|ridiculous|disappoint|annoy|angry|furious|fed up|waste of|"
    r"how (much|many) longer|still waiting|days (now|already)|no one|nobody (is|has)|"
    r"escalat|cancel (our|the) (contract|subscription)|terrible|useless|!!)",
    re.I,
)


def _caps_words(text: str) -> int:
    return sum(1 for w in re.findall(r"\b[A-Z]{4,}\b", text) if w not in {"HTTP", "HTTPS", "JSON"})


def unclear(first: str) -> bool:
    words = len(first.split())
    if words < 8:
        return True
    return words < 40 and bool(_VAGUE.search(first)) and not _DETAIL.search(first)


def unanswered_requests(messages: Sequence[Message]) -> int:
    """The longest run of agent requests for information the customer did not satisfy."""
    run = best = 0
    for message in messages[1:]:
        if not message.from_customer:
            if _ASK.search(message.body):
                run += 1
                best = max(best, run)
        elif _PROVIDED.search(message.body):
            run = 0
    return best


def stuck(messages: Sequence[Message]) -> bool:
    customer_replies = [m for m in messages[1:] if m.from_customer]
    agent_replies = [m for m in messages if not m.from_customer]
    if len(customer_replies) < 3 or len(agent_replies) < 3:
        return False
    return sum(1 for m in customer_replies if _STUCK.search(m.body)) >= 2


def frustrated(messages: Sequence[Message]) -> bool:
    for message in messages:
        if message.from_customer and (
            _UPSET.search(message.body) or _caps_words(message.body) >= 2
        ):
            return True
    return False


def score(messages: Sequence[Message]) -> list[str]:
    """The reasons (keys of REASONS, in the handbook's order) to suggest a call; [] for none."""
    if not messages:
        return []
    reasons = []
    first = next((m.body for m in messages if m.from_customer), "")
    if first and unclear(first):
        reasons.append(UNCLEAR)
    if unanswered_requests(messages) >= 2:
        reasons.append(NO_INFO)
    if stuck(messages):
        reasons.append(NO_PROGRESS)
    if frustrated(messages):
        reasons.append(FRUSTRATED)
    return reasons
