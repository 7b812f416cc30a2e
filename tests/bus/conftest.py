import os
import random

import pytest


@pytest.fixture
def base_port():
    """A base for 12 consecutive tcp ports unlikely to clash with other test runs."""
    return random.Random(os.getpid() * 7919 + random.randrange(1000)).randrange(20000, 60000, 32)
