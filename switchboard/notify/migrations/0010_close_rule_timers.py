"""Solved → closed has one mechanism, the tickets app's close timer: due times armed by the
"Solved → closed after N days" rule's own timers move to it, so those tickets still close."""

from django.db import migrations


def forward(apps, schema_editor):
    Timer = apps.get_model("core", "Timer")
    TimeRule = apps.get_model("notify", "TimeRule")
    close_rules = {
        str(pk) for pk in TimeRule.objects.filter(kind="close_solved").values_list("pk", flat=True)
    }
    for timer in Timer.objects.filter(kind="notify.time_rule"):
        rule_id, _, rest = timer.key.partition(":")
        if rule_id not in close_rules:
            continue
        ticket_id = rest.split(":")[0]
        if timer.due_at is not None:
            Timer.objects.update_or_create(
                kind="tickets.close_solved",
                key=ticket_id,
                defaults={"due_at": timer.due_at, "payload": {}, "fired_at": None, "attempts": 0},
            )
        timer.delete()


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0001_initial"),
        ("notify", "0009_ccs_copied"),
    ]

    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
