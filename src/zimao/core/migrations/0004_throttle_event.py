"""Log-in failures become the general rate-limit ledger (registrations are counted too)."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0003_login_failure'),
    ]

    operations = [
        migrations.RenameModel(old_name='LoginFailure', new_name='ThrottleEvent'),
        migrations.RenameIndex(model_name='throttleevent', new_name='throttle_event_key_at', old_name='login_failure_key_at'),
        migrations.AlterModelOptions(name='throttleevent', options={'verbose_name': 'rate-limited event'}),
    ]
