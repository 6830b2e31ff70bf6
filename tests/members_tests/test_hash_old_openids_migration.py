"""Migration 0012 rewrites WeChat Pay events stored with raw openids (and refund accounts) exactly as
personal_data_removed keeps new ones, leaves hashed and other providers' events alone, and can run
again without changing anything."""

import copy
import importlib

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from members.models import PaymentEvent
from members.payments.wechat import personal_data_removed

pytestmark = pytest.mark.django_db

migration = importlib.import_module("members.migrations.0012_hash_old_openids")
MIGRATION_KEY = ("members", "0012_hash_old_openids")

PAID = {"out_trade_no": "M1", "trade_state": "SUCCESS", "amount": {"total": 9900}, "payer": {"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"}}
PARTNER_PAID = {"out_trade_no": "M2", "trade_state": "SUCCESS", "payer": {"sp_openid": "oSp1", "sub_openid": "oSub1"}}
REFUNDED = {"out_trade_no": "M1", "refund_status": "SUCCESS", "user_received_account": "招商银行信用卡0403"}


def event(event_id, resource, *, provider="wechat"):
    return PaymentEvent.objects.create(
        provider=provider, event_id=event_id, event_type="TRANSACTION.SUCCESS", payload={"id": event_id, "resource": copy.deepcopy(resource)}
    )


def run_migration():
    """Forward, on the models as the migration graph has them at 0012."""
    executor = MigrationExecutor(connection)
    assert MIGRATION_KEY in executor.loader.graph.nodes
    migration.hash_old_openids(executor.loader.project_state(MIGRATION_KEY).apps, None)


def resource_of(row):
    row.refresh_from_db()
    return row.payload["resource"]


def test_old_rows_become_what_personal_data_removed_keeps_now():
    rows = {name: event(name, resource) for name, resource in (("paid", PAID), ("partner", PARTNER_PAID), ("refund", REFUNDED))}
    run_migration()
    for name, resource in (("paid", PAID), ("partner", PARTNER_PAID), ("refund", REFUNDED)):
        assert resource_of(rows[name]) == personal_data_removed(resource)
    assert "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o" not in str(PaymentEvent.objects.values_list("payload", flat=True))
    assert rows["paid"].payload["id"] == "paid"  # the envelope around the resource is kept


def test_hashed_rows_and_other_providers_stay_and_a_second_run_changes_nothing():
    hashed = event("hashed", personal_data_removed(PAID))
    stripe = event("evt_1", {"payer": {"openid": "not-wechat"}}, provider="stripe")
    old = event("old", PAID)
    run_migration()
    after_first = resource_of(old)
    run_migration()
    assert resource_of(old) == after_first == resource_of(hashed) == personal_data_removed(PAID)
    assert resource_of(stripe) == {"payer": {"openid": "not-wechat"}}


def test_rows_are_rewritten_in_batches(monkeypatch):
    monkeypatch.setattr(migration, "BATCH_SIZE", 2)
    rows = [event(f"e{number}", {**PAID, "payer": {"openid": f"o{number}"}}) for number in range(5)]
    run_migration()
    assert [resource_of(row)["payer"] for row in rows] == [personal_data_removed({"payer": {"openid": f"o{number}"}})["payer"] for number in range(5)]
