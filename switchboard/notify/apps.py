from django.apps import AppConfig


class NotifyConfig(AppConfig):
    name = "switchboard.notify"
    label = "notify"
    verbose_name = "Notify: triggers, time rules, email, webhooks and chat"

    def ready(self) -> None:
        from switchboard.core import generations
        from switchboard.notify.mail import tasks as intake_tasks
        from switchboard.notify.outbox import tasks as delivery_tasks
        from switchboard.notify.outbox.models import Endpoint
        from switchboard.notify.rules import automations, triggers
        from switchboard.notify.rules.models import TimeRule, Trigger

        # Triggers, time rules and endpoints (the triggers' notify_endpoint action) are cached
        # per process (notify/rules/config.py): an edit of any starts a new generation of the
        # "rules" namespace.
        generations.watch("rules", Trigger, TimeRule, Endpoint)

        # Their ticket-event listeners are listed in tickets/events.py (LISTENERS); connect()
        # hooks the SLA warning/breach events.
        triggers.connect()
        automations.connect()
        delivery_tasks.connect()
        intake_tasks.connect()
