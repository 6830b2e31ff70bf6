"""The client address behind trusted proxies: only entries our own proxies appended are believed."""

import pytest
from django.test import RequestFactory

from portal.client_ip import client_ip

factory = RequestFactory()


def request_from(remote_addr, forwarded=None):
    headers = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    return factory.get("/", REMOTE_ADDR=remote_addr, **headers)


def test_without_trusted_proxies_the_header_is_ignored(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_ip(request_from("203.0.113.7", "198.51.100.1")) == "203.0.113.7"


def test_one_proxy_takes_the_address_it_appended(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(request_from("10.0.0.2", "198.51.100.1")) == "198.51.100.1"


@pytest.mark.parametrize("spoofed", ["6.6.6.6", "6.6.6.6, 7.7.7.7", "127.0.0.1", "not-an-address"])
def test_entries_a_client_made_up_are_ignored(settings, spoofed):
    settings.TRUSTED_PROXY_COUNT = 1
    # The client sent X-Forwarded-For: <spoofed>; our proxy appended the address it really saw.
    assert client_ip(request_from("10.0.0.2", f"{spoofed}, 198.51.100.1")) == "198.51.100.1"


def test_two_proxies_take_the_second_entry_from_the_right(settings):
    settings.TRUSTED_PROXY_COUNT = 2
    # CDN appends the client, the load balancer appends the CDN's address.
    assert client_ip(request_from("10.0.0.2", "6.6.6.6, 198.51.100.1, 192.0.2.50")) == "198.51.100.1"


def test_fewer_entries_than_proxies_takes_the_leftmost_ours_wrote(settings):
    settings.TRUSTED_PROXY_COUNT = 2
    assert client_ip(request_from("10.0.0.2", "198.51.100.1")) == "198.51.100.1"


def test_a_proxy_count_but_no_header_falls_back_to_the_peer(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(request_from("203.0.113.7")) == "203.0.113.7"


def test_garbage_in_the_trusted_position_falls_back_to_the_peer(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(request_from("10.0.0.2", "198.51.100.1, nonsense")) == "10.0.0.2"


def test_ipv6_addresses_are_canonical(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(request_from("10.0.0.2", " 2001:DB8:0:0::1 ")) == "2001:db8::1"


def test_allauth_asks_the_same_function(settings):
    from allauth.account.adapter import get_adapter

    settings.TRUSTED_PROXY_COUNT = 1
    assert get_adapter().get_client_ip(request_from("10.0.0.2", "6.6.6.6, 198.51.100.1")) == "198.51.100.1"
