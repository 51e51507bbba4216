"""A flag for "we are loading demo or imported history, not living it".

While `seeding()` is active, listeners that tell people about changes (notify's triggers) stay
quiet: loading 200 demo tickets must not email 200 requesters and their TAMs. Listeners that keep
the data right (SLA clocks, audits) still run.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager

_seeding: contextvars.ContextVar[bool] = contextvars.ContextVar("switchboard_seeding")


@contextmanager
def seeding() -> Iterator[None]:
    token = _seeding.set(True)
    try:
        yield
    finally:
        _seeding.reset(token)


def is_seeding() -> bool:
    return _seeding.get(False)
