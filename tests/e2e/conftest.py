"""The local runtime every end-to-end module talks to, one per module (a module that needs other settings
defines its own ``runtime``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.runtime import local_runtime


@pytest.fixture(scope="module")
def runtime() -> Iterator[str]:
    with local_runtime() as url:
        yield url
