from django.apps import AppConfig


class CrmConfig(AppConfig):
    name = "switchboard.crm"
    label = "crm"
    verbose_name = "CRM: Salesforce sync, file import, integrity checks"

    def ready(self) -> None:
        from switchboard.crm import casepush, tasks
        from switchboard.notify.models import DeliveryChannel
        from switchboard.notify.outbox.delivery import register_sender
        from switchboard.tickets.events import listen

        tasks.connect()
        register_sender(DeliveryChannel.CRM, casepush.send_case)
        # Last: after SLA 10, on-call 50, triggers 100, time rules 110 and CSAT 120.
        listen(casepush.on_ticket_event, order=140)
