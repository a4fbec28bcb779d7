"""One TLS set-up for every HTTPS or TLS connection the app makes: the operating system's certificate store."""

from __future__ import annotations

import logging
import ssl
from functools import cache

log = logging.getLogger(__name__)


@cache
def ssl_context() -> ssl.SSLContext:
    """A client context that verifies servers against the OS trust store (Keychain, Windows, /etc/ssl).

    Python from python.org on macOS and frozen bundles carry no CA file of their own, so Python's default
    context fails every certificate there; truststore asks the operating system instead, as browsers do.
    Pass it to ``urlopen(context=...)``, ``asyncio.open_connection(ssl=...)`` or ``httpx.AsyncClient(verify=...)``.
    """
    try:
        import truststore
    except ImportError:  # a source checkout that has not installed its dependencies yet
        log.warning("truststore is not installed; HTTPS uses Python's own certificate store")
        return ssl.create_default_context()
    return truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
