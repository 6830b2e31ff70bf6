"""WeChat Pay events stored before payer openids were kept as a keyed hash still hold the raw
openid (payload.resource.payer) and the account a refund was paid into; this rewrites them as
members.payments.wechat.personal_data_removed keeps new ones, so old and new events of one payer
still share the same hash.

The rewrite is copied here, not imported: later changes to the payments code must not change what
this migration did. Rows without raw personal data (already hashed, or never had any) are left
alone, so running it again changes nothing; going back keeps the hashes, as the raw values are gone.
"""

import hashlib
import hmac

from django.conf import settings
from django.db import migrations
from django.db.models import Q

PROVIDER = "wechat"
OPENID_FIELDS = ("openid", "sp_openid", "sub_openid")
PERSONAL_FIELDS = ("user_received_account",)
BATCH_SIZE = 500


def openid_hash(openid):
    return hmac.new(settings.SECRET_KEY.encode(), openid.encode(), hashlib.sha256).hexdigest()[:32]


def resource_without_personal_data(resource):
    """The resource as kept now, or None when it holds nothing to remove."""
    if not isinstance(resource, dict):
        return None
    payer = resource.get("payer")
    openids = [str(value) for name, value in payer.items() if name in OPENID_FIELDS] if isinstance(payer, dict) else []
    if not openids and not any(field in resource for field in PERSONAL_FIELDS):
        return None
    kept = {name: value for name, value in resource.items() if name not in PERSONAL_FIELDS}
    if openids:
        # One payer has one openid, under one of these names.
        kept["payer"] = {"openid_hash": openid_hash(openids[-1])}
    return kept


def hash_old_openids(apps, schema_editor):
    PaymentEvent = apps.get_model("members", "PaymentEvent")
    holding_personal_data = Q(payload__resource__payer__has_any_keys=list(OPENID_FIELDS)) | Q(payload__resource__has_any_keys=list(PERSONAL_FIELDS))
    events = PaymentEvent.objects.filter(holding_personal_data, provider=PROVIDER).only("pk", "payload").order_by("pk")
    last_pk = 0
    while batch := list(events.filter(pk__gt=last_pk)[:BATCH_SIZE]):
        last_pk = batch[-1].pk
        changed = []
        for event in batch:
            kept = resource_without_personal_data(event.payload.get("resource") if isinstance(event.payload, dict) else None)
            if kept is not None:
                event.payload = {**event.payload, "resource": kept}
                changed.append(event)
        PaymentEvent.objects.bulk_update(changed, ["payload"])


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0011_column_exports"),
    ]

    operations = [
        migrations.RunPython(hash_old_openids, migrations.RunPython.noop, elidable=True),
    ]
