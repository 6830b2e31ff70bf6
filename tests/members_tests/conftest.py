import pytest

from tests.factories import make_column, make_user


@pytest.fixture
def column():
    """A column with an annual plan at ¥99 (tests that need other plans define their own)."""
    return make_column(title="付费专栏", plans=[("annual", 9900)])


@pytest.fixture
def reader():
    return make_user(email="buyer@example.com")
