"""`raises_code(code)`: pytest.raises for one exchange code: the kind its table row names, and the code."""
from __future__ import annotations

from contextlib import contextmanager

import pytest

from reconciler.exchange import CODE


@contextmanager
def raises_code(code: int):
    with pytest.raises(CODE[code].kind) as info:
        yield info
    assert info.value.code == code, info.value
