from django.apps import AppConfig


class OncallConfig(AppConfig):
    name = "switchboard.oncall"
    label = "oncall"
    verbose_name = "On-call: schedules, escalation, incidents"

    def ready(self) -> None:
        from switchboard.notify.outbox import delivery as outbox_delivery
        from switchboard.oncall import delivery, escalation, tasks  # noqa: F401

        # helpdesk.on_ticket_event is listed in tickets/events.py (LISTENERS).
        escalation.register_sweeps()
        # Email pages go through the notify outbox: a dead delivery marks its notification failed.
        outbox_delivery.on_outcome(delivery.SOURCE_PREFIX, delivery.on_delivery_outcome)
