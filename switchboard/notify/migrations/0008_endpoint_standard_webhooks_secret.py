"""Endpoints sign with their own random Standard Webhooks secret instead of a key derived from
SECRET_KEY and a salt. Existing endpoints get a fresh random secret (the old derived key cannot
be carried over as a Standard Webhooks secret: the scheme changes anyway, so receivers must be
given the new secret — see docs/notifications.md)."""

import base64
import secrets

from django.db import migrations, models


def give_secrets(apps, schema_editor):
    Endpoint = apps.get_model("notify", "Endpoint")
    for endpoint in Endpoint.objects.filter(secret=""):
        endpoint.secret = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
        endpoint.save(update_fields=["secret"])


class Migration(migrations.Migration):
    dependencies = [
        ("notify", "0007_delivery_channel_crm"),
    ]

    operations = [
        migrations.AddField(
            model_name="endpoint",
            name="secret",
            field=models.CharField(default="", editable=False, max_length=100),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="endpoint",
            name="previous_secret",
            field=models.CharField(blank=True, editable=False, max_length=100),
        ),
        migrations.AddField(
            model_name="endpoint",
            name="previous_secret_expires_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.RunPython(give_secrets, migrations.RunPython.noop),
        migrations.RemoveField(model_name="endpoint", name="secret_salt"),
    ]
