from django.apps import AppConfig


class NotifyConfig(AppConfig):
    name = "switchboard.notify"
    label = "notify"
    verbose_name = "Notify: triggers, time rules, email, webhooks and chat"

    def ready(self) -> None:
        from switchboard.notify.mail import tasks as intake_tasks
        from switchboard.notify.outbox import tasks as delivery_tasks
        from switchboard.notify.rules import automations, triggers

        # Their ticket-event listeners are listed in tickets/events.py (LISTENERS); connect()
        # hooks the SLA warning/breach events.
        triggers.connect()
        automations.connect()
        delivery_tasks.connect()
        intake_tasks.connect()
