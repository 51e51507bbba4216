"""Ship the regional schedules and the Priority / Standard support policies (DOMAIN.md §3)."""

from django.db import migrations


def install(apps, schema_editor):
    from switchboard.sla.defaults import install_defaults

    install_defaults(apps)


class Migration(migrations.Migration):
    dependencies = [("sla", "0001_initial")]

    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
