import pytest

from ..ports import port_block


@pytest.fixture
def base_port():
    """A base for 12 consecutive tcp ports unlikely to clash with other test runs."""
    return port_block()
