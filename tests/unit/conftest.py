"""tests/unit is offline and quick: no server, no service process (tests/support/offline.py), and
nothing that imports torch or diffusers or runs a model (those are in tests/model; no_heavy_imports
fails a test that imports them, and test_test_tiers.py reads the imports)."""

from tests.support.offline import REFUSED_SERVER_FIXTURES
from tests.support.offline import no_heavy_imports as no_heavy_imports
from tests.support.offline import no_server_processes as no_server_processes

globals().update(REFUSED_SERVER_FIXTURES)
