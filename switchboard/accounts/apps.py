from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "switchboard.accounts"
    label = "accounts"
    verbose_name = "Accounts: organizations, users, access"

    def ready(self) -> None:
        from switchboard.accounts.models import SupportGroup
        from switchboard.core import generations

        # The agent pages' pick lists are cached per process (web.queries.pick_lists): an edit
        # of a group starts a new generation of the "desk" namespace.
        generations.watch("desk", SupportGroup)
