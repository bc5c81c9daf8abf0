from __future__ import annotations

import pytest

from care365.pairing.tests.factories import County, small_county


@pytest.fixture
def small(db: None) -> County:
    """The small county of factories.small_county."""
    return small_county()
