"""The reader's address, for rate limits: one answer, used by our limiters and by allauth's.

X-Forwarded-For is a list anyone can start: a client sends `X-Forwarded-For: 1.2.3.4` and every
proxy appends the address it received the request from. Only the entries our own proxies appended
can be believed, so with DJANGO_TRUSTED_PROXY_COUNT = N the client is the Nth entry from the right
and everything to its left is ignored. With N = 0 (the default) the header is ignored altogether.
"""

import ipaddress

from django.conf import settings


def client_ip(request) -> str:
    """The client address the trusted proxies saw, or the direct peer's when none are configured."""
    remote_addr = request.META.get("REMOTE_ADDR", "")
    proxies = settings.TRUSTED_PROXY_COUNT
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies <= 0 or not forwarded:
        return remote_addr
    entries = [entry.strip() for entry in forwarded.split(",")]
    # Fewer entries than proxies: the request skipped an outer proxy, so every entry present was
    # written by one of ours and the leftmost is the furthest address they know.
    candidate = entries[-proxies] if len(entries) >= proxies else entries[0]
    return valid_ip(candidate) or remote_addr


def valid_ip(text: str) -> str:
    """The address in canonical form, or "" when it is not one (a port, a name, garbage)."""
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return ""
