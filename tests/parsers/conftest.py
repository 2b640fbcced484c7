"""Real reports are parsed once per session: the fidelity figures and the pinned cases share."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path

import pytest

from bench.fidelity import parse_file
from parsers.model import ParsedDocument


@pytest.fixture(scope="session")
def parsed() -> Callable[[Path], ParsedDocument]:
    return cache(parse_file)
