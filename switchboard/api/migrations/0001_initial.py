from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies: list = []

    operations = [
        migrations.CreateModel(
            name="RateBucket",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("key", models.CharField(max_length=80, unique=True)),
                ("window", models.BigIntegerField(help_text="Unix time // 60 of the counted minute.")),
                ("count", models.PositiveIntegerField(default=0)),
            ],
        ),
    ]
