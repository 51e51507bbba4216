from django.apps import AppConfig


class NotifyConfig(AppConfig):
    name = "switchboard.notify"
    label = "notify"
    verbose_name = "Notify: triggers, time rules, email, webhooks and chat"
