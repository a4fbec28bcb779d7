"""The app's one TLS context verifies servers against the operating system's trust store (truststore)."""

from __future__ import annotations

import ssl

import truststore

from studio_console.net import ssl_context


def test_context_uses_the_os_trust_store_and_verifies() -> None:
    context = ssl_context()
    assert isinstance(context, truststore.SSLContext)
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname


def test_context_is_shared() -> None:
    assert ssl_context() is ssl_context()
