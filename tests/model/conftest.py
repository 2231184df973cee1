"""tests/model trains and runs the image models (imagemodel, upscaler) and every test that imports torch
or diffusers or loads shipped weights: offline like tests/unit (tests/support/offline.py), but
seconds a test (importing torch and diffusers alone takes seconds), so kept out of the quick unit
suite; `./atelierctl test` runs it with the rest."""

from pathlib import Path

import pytest

from tests.support.offline import REFUSED_SERVER_FIXTURES
from tests.support.offline import no_server_processes as no_server_processes
from tests.support.offline import one_torch_thread as one_torch_thread

globals().update(REFUSED_SERVER_FIXTURES)

HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """`-m model` selects this tier and `-m "not model"` leaves it out."""
    for item in items:
        if item.path.is_relative_to(HERE):
            item.add_marker(pytest.mark.model)
