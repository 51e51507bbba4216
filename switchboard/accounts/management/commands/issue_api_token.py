"""`manage.py issue_api_token EMAIL`: print a new API token for a user (stored hashed)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from switchboard.accounts.actions import issue_api_token
from switchboard.accounts.models import User


class Command(BaseCommand):
    help = "Print a new API token for the user with this email. Only its hash is stored."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email")
        parser.add_argument("--name", default="issued by manage.py")

    def handle(self, *args: Any, **opts: Any) -> None:
        user = User.objects.filter(email__iexact=opts["email"]).first()
        if user is None:
            raise CommandError(f"No user with email {opts['email']}.")
        if not user.is_active:
            raise CommandError(f"{user.email} is deactivated.")
        token, _ = issue_api_token(user=user, name=opts["name"])
        self.stdout.write(token)
