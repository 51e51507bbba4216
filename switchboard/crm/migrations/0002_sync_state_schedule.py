"""The sync state row, due now: the worker's sweep starts the schedule (idle until configured)."""

from django.db import migrations
from django.utils import timezone


def create(apps, schema_editor):
    SyncState = apps.get_model("crm", "SyncState")
    now = timezone.now()
    SyncState.objects.get_or_create(
        name="salesforce", defaults={"next_run_at": now, "next_integrity_at": now}
    )


class Migration(migrations.Migration):
    dependencies = [("crm", "0001_crm_sync_integrity")]

    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
