"""The local test server: receives OBS's stream on this PC, measures, shows and records it."""

from studio_console.adapters.sinks.local_test_server.server import (
    LocalServerError,
    LocalTestServer,
    pick_free_port,
    port_is_free,
)
from studio_console.adapters.sinks.local_test_server.sink import LocalTestServerOptions, LocalTestServerSink

__all__ = [
    "LocalServerError",
    "LocalTestServer",
    "LocalTestServerOptions",
    "LocalTestServerSink",
    "pick_free_port",
    "port_is_free",
]
