import csv
import io
import threading
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from members.codes import (
    ALPHABET,
    CodeAlreadyUsed,
    CodeExpired,
    RedeemError,
    TooManyAttempts,
    UnknownCode,
    code_normalize,
    code_redeem,
    codes_create,
    redeem_limiter,
)
from members.models import Membership, MembershipGrant, RedeemCode
from tests.articles_tests.test_pages import assert_constant_queries
from tests.factories import make_column, make_editor, make_membership, make_user

pytestmark = pytest.mark.django_db

REDEEM_URL = "/redeem/"


def one_code(column=None, **options):
    options = options or {"days": 30}
    return codes_create(column=column or make_column(), count=1, **options)[0]


def redeem(client, text, **extra):
    return client.post(REDEEM_URL, {"code": text}, **extra)


def error_of(response) -> str:
    return response.context["error"]


# Making codes


def test_codes_are_unique_readable_and_grouped_for_people():
    codes = codes_create(column=make_column(), count=200, lifetime=True, label="微信群")
    texts = {code.code for code in codes}
    assert len(texts) == 200
    assert all(len(text) == 12 and set(text) <= set(ALPHABET) for text in texts)
    assert not set("0O1I") & set(ALPHABET)
    assert codes[0].grouped == "-".join([codes[0].code[:4], codes[0].code[4:8], codes[0].code[8:]])
    assert {code.batch for code in codes} == {"微信群"}


@pytest.mark.parametrize("options", [{}, {"days": 3, "lifetime": True}, {"days": 0}, {"days": 3, "count": 0}, {"days": 3, "count": 1001}])
def test_codes_create_refuses_bad_batches(options):
    with pytest.raises(ValueError):
        codes_create(column=make_column(), **{"count": 1, **options})


@pytest.mark.parametrize("typed", ["abcd-efgh-jklm", " ABCD EFGH JKLM ", "abcdEFGH-jklm", "ＡＢＣＤ－ＥＦＧＨ－ＪＫＬＭ"])
def test_normalize_accepts_any_case_spaces_dashes_and_full_width(typed):
    assert code_normalize(typed) == "ABCDEFGHJKLM"


# Redeeming, through the service


def test_redeem_opens_the_column_for_the_codes_length():
    reader, code = make_user(), one_code(days=30)
    membership = code_redeem(user=reader, raw_code=code.grouped)
    assert membership.source == Membership.Source.CODE and membership.is_active()
    assert timedelta(days=29) < membership.expires_at - timezone.now() <= timedelta(days=30)
    code.refresh_from_db()
    assert code.redeemed_by == reader and code.redeemed_at is not None
    assert MembershipGrant.objects.get(code=code).membership == membership


def test_lifetime_code_makes_a_lifetime_membership():
    assert code_redeem(user=make_user(), raw_code=one_code(lifetime=True).code).is_lifetime


def test_code_extends_an_existing_membership():
    reader, column = make_user(), make_column()
    current = make_membership(reader, column, days=10)
    membership = code_redeem(user=reader, raw_code=one_code(column, days=30).code)
    assert membership.pk == current.pk
    assert membership.expires_at - current.expires_at == timedelta(days=30)


def test_each_refusal_has_its_own_exception_and_message():
    column = make_column()
    used = one_code(column)
    code_redeem(user=make_user(), raw_code=used.code)
    expired = one_code(column, days=30, expires_at=timezone.now() - timedelta(minutes=1))
    reader = make_user()
    with pytest.raises(UnknownCode):
        code_redeem(user=reader, raw_code="AAAA-BBBB-CCCC")
    with pytest.raises(CodeAlreadyUsed):
        code_redeem(user=reader, raw_code=used.code)
    with pytest.raises(CodeExpired):
        code_redeem(user=reader, raw_code=expired.code)
    messages = {str(UnknownCode()), str(CodeAlreadyUsed()), str(CodeExpired()), str(TooManyAttempts(5))}
    assert len(messages) == 4
    assert not Membership.objects.filter(user=reader).exists()


def test_the_database_refuses_a_second_grant_for_one_code():
    from django.db import IntegrityError

    code = one_code()
    membership = code_redeem(user=make_user(), raw_code=code.code)
    with pytest.raises(IntegrityError):
        MembershipGrant.objects.create(membership=membership, source=Membership.Source.CODE, code=code, days=30)


# Redeeming, on the page


def test_redeem_page_needs_login(client):
    response = client.get(REDEEM_URL)
    assert response.status_code == 302 and reverse("account_login") in response["Location"]


def test_my_columns_links_to_the_redeem_page(client):
    client.force_login(make_user())
    assert f'href="{REDEEM_URL}"' in client.get(reverse("members:my-columns")).content.decode()


def test_redeeming_opens_the_column_and_goes_to_it(client):
    reader, column = make_user(), make_column(title="兑换专栏")
    code = one_code(column)
    client.force_login(reader)
    response = redeem(client, code.grouped.lower())
    assert response.status_code == 302 and response["Location"] == column.get_absolute_url()
    assert Membership.objects.active().filter(user=reader, column=column).exists()


def test_lowercase_spaces_and_dashes_are_accepted(client):
    code = one_code()
    client.force_login(make_user())
    typed = " " + code.code[:4].lower() + " - " + code.code[4:8] + " " + code.code[8:].lower()
    assert redeem(client, typed).status_code == 302


def test_the_same_code_twice_says_it_is_used(client):
    code = one_code()
    client.force_login(make_user())
    redeem(client, code.grouped)
    client.force_login(make_user())
    response = redeem(client, code.grouped)
    assert response.status_code == 400
    assert error_of(response) == str(CodeAlreadyUsed())
    assert Membership.objects.count() == 1


def test_wrong_code_says_unknown_and_keeps_what_was_typed(client):
    client.force_login(make_user())
    response = redeem(client, "wxyz-2345-6789")
    assert response.status_code == 400
    assert error_of(response) == str(UnknownCode())
    html = response.content.decode()
    assert 'value="wxyz-2345-6789"' in html and 'role="alert"' in html


def test_expired_code_says_expired(client):
    code = one_code(days=7, expires_at=timezone.now() - timedelta(seconds=1))
    client.force_login(make_user())
    response = redeem(client, code.grouped)
    assert error_of(response) == str(CodeExpired())
    assert not Membership.objects.exists()


def test_page_messages_are_distinct(client):
    column = make_column()
    used = one_code(column)
    code_redeem(user=make_user(), raw_code=used.code)
    expired = one_code(column, days=7, expires_at=timezone.now() - timedelta(days=1))
    client.force_login(make_user())
    errors = {error_of(redeem(client, text)) for text in ["NOPE-NOPE-NOPE", used.code, expired.code]}
    assert len(errors) == 3


def test_failures_are_rate_limited_without_looking_the_code_up(client):
    code = one_code()
    reader = make_user()
    client.force_login(reader)
    for _ in range(redeem_limiter.limit):
        assert redeem(client, "WRONG").status_code == 400
    with CaptureQueriesContext(connection) as captured:
        response = redeem(client, code.grouped)
    assert not [query for query in captured if "members_redeemcode" in query["sql"]]
    assert response.status_code == 429
    assert error_of(response) == str(TooManyAttempts(15))
    assert not Membership.objects.filter(user=reader).exists()
    code.refresh_from_db()
    assert code.redeemed_at is None


def test_a_right_code_works_just_before_the_limit(client):
    code = one_code()
    client.force_login(make_user())
    for _ in range(redeem_limiter.limit - 1):
        redeem(client, "WRONG")
    assert redeem(client, code.grouped).status_code == 302


def test_successes_do_not_count_towards_the_limit(client):
    column = make_column()
    client.force_login(make_user())
    for code in codes_create(column=column, count=redeem_limiter.limit + 2, days=1):
        assert redeem(client, code.code).status_code == 302


def test_the_limit_also_holds_per_address_across_accounts(client):
    code = one_code()
    for _ in range(redeem_limiter.limit):
        client.force_login(make_user())
        redeem(client, "WRONG", REMOTE_ADDR="203.0.113.9")
    client.force_login(make_user())
    assert redeem(client, code.code, REMOTE_ADDR="203.0.113.9").status_code == 429
    assert redeem(client, code.code, REMOTE_ADDR="198.51.100.7").status_code == 302


def test_redeem_page_query_count_does_not_grow(client):
    # The page must not list codes or memberships; more of them must not mean more queries.
    reader = make_user()
    client.force_login(reader)

    def add_data():
        column = make_column()
        codes_create(column=column, count=20, days=5)
        for _ in range(5):
            make_membership(reader, make_column())

    assert_constant_queries(client, REDEEM_URL, add_data)


# The command


def test_command_prints_one_code_a_line_and_nothing_else():
    column = make_column()
    out = io.StringIO()
    call_command("create_redeem_codes", column.slug, "--count", "25", "--days", "90", "--label", "直播间", stdout=out)
    lines = out.getvalue().splitlines()
    assert len(lines) == 25 and len(set(lines)) == 25
    assert all(len(line) == 14 and line.count("-") == 2 for line in lines)
    stored = RedeemCode.objects.filter(column=column)
    assert {code.grouped for code in stored} == set(lines)
    assert {(code.days, code.lifetime, code.batch, code.expires_at) for code in stored} == {(90, False, "直播间", None)}


def test_command_lifetime_with_an_expiry_date():
    column = make_column()
    call_command("create_redeem_codes", column.slug, "--count", "2", "--lifetime", "--expires", "2030-06-30", stdout=io.StringIO())
    code = RedeemCode.objects.filter(column=column).first()
    assert code.lifetime and code.days is None
    assert timezone.localtime(code.expires_at).strftime("%Y-%m-%d %H:%M") == "2030-07-01 00:00"


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["nope", "--count", "3", "--days", "3"], "No column has the slug 'nope'"),
        (["{slug}", "--count", "0", "--days", "3"], "--count must be between 1 and 1000"),
        (["{slug}", "--count", "1001", "--lifetime"], "--count must be between 1 and 1000"),
        (["{slug}", "--count", "3"], "one of the arguments --days --lifetime is required"),
        (["{slug}", "--count", "3", "--days", "3", "--lifetime"], "not allowed with argument"),
        (["{slug}", "--count", "3", "--days", "0"], "positive"),
        (["{slug}", "--count", "3", "--days", "3", "--expires", "30/06/2030"], "--expires must be a date"),
    ],
)
def test_command_errors_are_clear(arguments, message):
    column = make_column()
    with pytest.raises(CommandError, match=message):
        call_command("create_redeem_codes", *[argument.format(slug=column.slug) for argument in arguments], stdout=io.StringIO())
    assert not RedeemCode.objects.exists()


# Admin


def csv_rows(response) -> list[list[str]]:
    body = response.content
    assert body.startswith(b"\xef\xbb\xbf"), "Excel needs the BOM to read UTF-8"
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_admin_exports_selected_codes_as_csv(client):
    column = make_column(title="中文专栏")
    codes = codes_create(column=column, count=3, days=30, label="第一批")
    code_redeem(user=make_user(email="used@example.com"), raw_code=codes[0].code)
    codes_create(column=column, count=2, lifetime=True)
    client.force_login(make_editor())
    response = client.post(
        reverse("admin:members_redeemcode_changelist"),
        {"action": "export_csv", "_selected_action": [code.pk for code in codes]},
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    header, *rows = csv_rows(response)
    assert len(header) == 8 and len(rows) == 3
    assert {row[0] for row in rows} == {code.grouped for code in codes}
    assert {row[1] for row in rows} == {"中文专栏"}
    assert {row[5] for row in rows} == {"第一批"}
    assert [row[6] for row in rows if row[0] == codes[0].grouped] == ["used@example.com"]
    assert len({row[4] for row in rows}) == 2  # redeemed and unused read differently


def test_admin_changelist_lists_filters_and_finds_a_grouped_code(client):
    codes = codes_create(column=make_column(), count=3, days=7)
    code_redeem(user=make_user(), raw_code=codes[0].code)
    client.force_login(make_editor())
    url = reverse("admin:members_redeemcode_changelist")
    html = client.get(url).content.decode()
    assert reverse("admin:members_redeemcode_generate") in html
    assert all(code.grouped in html for code in codes)
    unused = client.get(url, {"redeemed": "no"}).content.decode()
    assert codes[0].grouped not in unused and codes[1].grouped in unused
    found = client.get(url, {"q": codes[2].grouped.lower()}).content.decode()
    assert codes[2].grouped in found and codes[1].grouped not in found


def test_admin_generates_a_batch_and_downloads_exactly_that_batch(client):
    column = make_column()
    earlier = codes_create(column=column, count=4, days=30)
    editor = make_editor()
    client.force_login(editor)
    generate_url = reverse("admin:members_redeemcode_generate")
    assert client.get(generate_url).status_code == 200
    response = client.post(generate_url, {"column": column.pk, "count": 5, "days": 365, "expires_on": "2031-01-31", "label": "春节"})
    assert response.status_code == 302
    batch = RedeemCode.objects.filter(column=column, batch="春节")
    assert batch.count() == 5 and {code.created_by for code in batch} == {editor}
    page = client.get(response["Location"]).content.decode()
    assert all(code.grouped in page for code in batch)
    first = batch.order_by("pk").first()
    download = client.get(reverse("admin:members_redeemcode_batch_csv", args=[first.pk]))
    _header, *rows = csv_rows(download)
    assert {row[0] for row in rows} == {code.grouped for code in batch}
    assert not {row[0] for row in rows} & {code.grouped for code in earlier}


def test_admin_generate_form_wants_days_or_lifetime(client):
    column = make_column()
    client.force_login(make_editor())
    url = reverse("admin:members_redeemcode_generate")
    for data in [{"count": 3}, {"count": 3, "days": 5, "lifetime": "on"}, {"count": 1001, "lifetime": "on"}]:
        assert client.post(url, {"column": column.pk, **data}).status_code == 200
    assert not RedeemCode.objects.exists()


def test_admin_code_pages_are_for_staff_only(client):
    client.force_login(make_user())
    assert client.get(reverse("admin:members_redeemcode_generate")).status_code == 302


# Two readers, one code, one moment


def redeem_in_thread(code_text, user, barrier, outcomes):
    try:
        barrier.wait(timeout=10)
        code_redeem(user=user, raw_code=code_text)
        outcomes.append("redeemed")
    except RedeemError as error:
        outcomes.append(type(error).__name__)
    finally:
        connection.close()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_readers_redeeming_one_code_at_once_make_one_membership():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite serializes every writer, so there is no race to test")
    code = one_code(days=30)
    readers = [make_user(), make_user()]
    barrier, outcomes = threading.Barrier(len(readers)), []
    threads = [threading.Thread(target=redeem_in_thread, args=(code.grouped, reader, barrier, outcomes)) for reader in readers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["CodeAlreadyUsed", "redeemed"]
    assert Membership.objects.filter(column=code.column).count() == 1
    assert MembershipGrant.objects.filter(code=code).count() == 1
