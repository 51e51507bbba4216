"""The call flow from stored due times (`Call.flow_due_at`, swept by the worker).

scheduled → at the start: running, the call card with the handbook's checklist → at 10 minutes
with the customer not marked as joined: the no-show prompt → at 45 of 60 minutes (three quarters
of shorter calls): the wrap-up reminder. After "call ended": the summary reminder when no summary
followed within SWITCHBOARD_CALLS_SUMMARY_REMINDER_MINUTES. Each step runs once: the sweep holds
the row lock, re-checks the state and moves `flow_due_at` on.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from switchboard.calls import effects
from switchboard.calls.models import Call, CallStatus, FlowStep
from switchboard.core.sweeps import register_sweep

NO_SHOW_AFTER = timedelta(minutes=10)


def _wrap_up_at(call: Call) -> datetime:
    return call.start + timedelta(minutes=effects.wrap_up_minutes(call.event_type.duration_minutes))


def advance(call: Call, now: datetime) -> None:
    """One step of the flow for a due call (the row is locked by the sweep)."""
    step = call.flow_step
    if step == FlowStep.START:
        if call.status == CallStatus.SCHEDULED:
            call.status = CallStatus.IN_PROGRESS
            call.started_at = call.start
            effects.remind_agent(
                call,
                subject="Your call starts now",
                body=effects.call_card(call),
                key="card",
                at=now,
            )
            call.flow_step = FlowStep.NO_SHOW
            call.flow_due_at = call.start + NO_SHOW_AFTER
        else:
            call.flow_step, call.flow_due_at = FlowStep.DONE, None
    elif step == FlowStep.NO_SHOW:
        if call.status == CallStatus.IN_PROGRESS and call.customer_joined_at is None:
            effects.remind_agent(
                call,
                subject="No-show? The customer has not joined",
                body=(
                    "The customer has not been marked as joined 10 minutes into the call. If "
                    "nobody joined, press No-show on the ticket: it ends the call and replies "
                    "with a fresh booking link (the old one stops working)."
                ),
                key="no_show_prompt",
                at=now,
            )
        call.flow_step = FlowStep.WRAP_UP
        call.flow_due_at = _wrap_up_at(call)
        if call.status != CallStatus.IN_PROGRESS:
            call.flow_step, call.flow_due_at = FlowStep.DONE, None
    elif step == FlowStep.WRAP_UP:
        if call.status == CallStatus.IN_PROGRESS:
            remaining = int((call.end - now).total_seconds() // 60)
            effects.remind_agent(
                call,
                subject="Wrap up the call",
                body=(
                    f"Time to wrap up ({max(remaining, 0)} minutes left): stop and determine "
                    "where we are, then review the summary, what was learned, next steps for "
                    "us and for the customer, and whether another call is needed."
                ),
                key="wrap_up",
                at=now,
            )
        call.flow_step, call.flow_due_at = FlowStep.DONE, None
    elif step == FlowStep.SUMMARY:
        if call.status == CallStatus.ENDED and call.summary_posted_at is None:
            effects.remind_agent(
                call,
                subject="The call summary is missing",
                body=(
                    "No summary has been posted since the call ended. Please write it now with "
                    "the General::Post customer call macro, while you still remember the details."
                ),
                key="summary",
                at=now,
            )
        call.flow_step, call.flow_due_at = FlowStep.DONE, None
    else:
        call.flow_due_at = None
    call.save(update_fields=["status", "started_at", "flow_step", "flow_due_at", "updated_at"])


def _handle(call: Call, now: datetime) -> None:
    call = Call.objects.select_related("ticket", "event_type", "agent", "ticket__requester").get(
        pk=call.pk
    )
    advance(call, now)


def register_sweeps() -> None:
    register_sweep("calls.flow", model=Call, due_field="flow_due_at", handler=_handle)
