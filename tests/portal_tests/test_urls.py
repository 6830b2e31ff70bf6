"""Every named route resolves back to itself: the reader pages come first in portal/urls.py for
speed, which is only safe while no pattern shadows another."""

from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse

SAMPLE_ARGUMENTS = {"slug": "sample-slug", "pk": 7, "plan_id": 7, "number": "P20260101", "token": "tok", "section": "articles", "code": "ABCDEFGHJKLM"}


def named_routes(patterns, namespace=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from named_routes(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield f"{namespace}{pattern.name}", list(pattern.pattern.regex.groupindex)


def test_no_route_is_shadowed_by_one_listed_before_it():
    checked = 0
    for name, parameters in named_routes(get_resolver().url_patterns):
        if name.startswith("admin:") or not all(parameter in SAMPLE_ARGUMENTS for parameter in parameters):
            continue
        path = reverse(name, kwargs={parameter: SAMPLE_ARGUMENTS[parameter] for parameter in parameters})
        assert resolve(path).view_name == name, f"{path} is taken by {resolve(path).view_name}, not {name}"
        checked += 1
    assert checked > 30
