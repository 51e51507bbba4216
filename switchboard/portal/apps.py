from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "switchboard.portal"
    label = "portal"
    verbose_name = "Customer portal"
