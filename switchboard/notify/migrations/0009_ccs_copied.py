"""The shipped requester emails copy the CCs; the "received" confirmation is for requests a
customer opened; new rule "Requester and CCs: new proactive ticket" (agent-opened tickets).
Rules an admin edited are left as they are."""

from django.db import migrations


def upgrade(apps, schema_editor):
    from switchboard.notify.rules.shipped import upgrade_unedited

    upgrade_unedited(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("notify", "0008_endpoint_standard_webhooks_secret"),
    ]

    operations = [migrations.RunPython(upgrade, migrations.RunPython.noop)]
