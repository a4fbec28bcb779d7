"""A TLS terminator on loopback for RTMPS tests: a throwaway CA and certificate, bytes forwarded to plain TCP."""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import ipaddress
import ssl
import threading
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from studio_console.obs.launcher import free_port


@dataclass(frozen=True)
class ThrowawayCertificates:
    """PEM files: the CA a client must trust, and the server's chain and key signed by it."""

    ca_file: Path
    cert_file: Path
    key_file: Path


def make_certificates(
    folder: Path, names: tuple[str, ...] = ("localhost", "127.0.0.1"), ca_name: str = "Studio Console test CA"
) -> ThrowawayCertificates:
    """A fresh CA and a server certificate for ``names`` (DNS names or IP addresses), valid for a day."""
    folder.mkdir(parents=True, exist_ok=True)
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, ca_name)])
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_subject)
        .issuer_name(ca_subject)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    alt_names: list[x509.GeneralName] = []
    for name in names:
        try:
            alt_names.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            alt_names.append(x509.DNSName(name))
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
        .issuer_name(ca_subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    certs = ThrowawayCertificates(folder / "ca.pem", folder / "server.pem", folder / "server.key")
    certs.ca_file.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    certs.cert_file.write_bytes(
        cert.public_bytes(serialization.Encoding.PEM) + ca_cert.public_bytes(serialization.Encoding.PEM)
    )
    certs.key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return certs


class TlsProxy:
    """Terminates TLS on 127.0.0.1:``port`` and forwards each connection's bytes to ``upstream_port``.

    Runs its own asyncio loop on a thread, so tests on any loop (or none) can use it. ``handshakes`` counts
    TLS handshakes that completed: a client that refused the certificate never adds one.
    """

    def __init__(self, certs: ThrowawayCertificates, upstream_port: int, port: int | None = None) -> None:
        self.certs = certs
        self.upstream_port = upstream_port
        self.port = port or free_port()
        self.handshakes = 0
        self.failed_handshakes = 0
        self._loop = asyncio.new_event_loop()
        self._server: asyncio.Server | None = None
        self._thread = threading.Thread(target=self._loop.run_forever, name="tls-proxy", daemon=True)

    def start(self) -> TlsProxy:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.certs.cert_file, self.certs.key_file)
        self._thread.start()
        future = asyncio.run_coroutine_threadsafe(self._serve(context), self._loop)
        future.result(timeout=10)
        return self

    def stop(self) -> None:
        async def close() -> None:
            if self._server is not None:
                self._server.close()
                # Open forwarding tasks end when their sockets close; close_clients exists from Python 3.13.
                with contextlib.suppress(AttributeError):
                    self._server.close_clients()  # type: ignore[attr-defined]
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            # Cancelled forwarders close their sockets: the relay sees its connection drop, as from a real server.
            await asyncio.gather(*tasks, return_exceptions=True)

        if self._thread.is_alive():
            with contextlib.suppress(Exception):
                asyncio.run_coroutine_threadsafe(close(), self._loop).result(timeout=5)
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=5)
            if not self._thread.is_alive():
                self._loop.close()

    async def _serve(self, context: ssl.SSLContext) -> None:
        # The handshake runs inside the connection handler (not in start_server) so a refused one is counted.
        self._context = context
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", self.port)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await writer.start_tls(self._context)
        except (ssl.SSLError, OSError, ConnectionError):
            self.failed_handshakes += 1
            writer.close()
            return
        self.handshakes += 1
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        except OSError:
            writer.close()
            return
        forwarders = [asyncio.ensure_future(_pipe(reader, up_writer)), asyncio.ensure_future(_pipe(up_reader, writer))]
        try:
            await asyncio.gather(*forwarders, return_exceptions=True)
        finally:
            for forwarder in forwarders:
                forwarder.cancel()
            await asyncio.gather(*forwarders, return_exceptions=True)


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    finally:
        with contextlib.suppress(Exception):
            writer.close()


def main() -> None:
    """Run a terminator as its own process (benchmarks): prints "ready" once it listens, stops on SIGTERM."""
    import argparse
    import signal

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--certs", type=Path, required=True, help="a folder made by make_certificates")
    parser.add_argument("--upstream", type=int, required=True)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    certs = ThrowawayCertificates(args.certs / "ca.pem", args.certs / "server.pem", args.certs / "server.key")
    proxy = TlsProxy(certs, args.upstream, args.port).start()
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    print("ready", flush=True)
    while not done.wait(0.5):
        pass
    proxy.stop()


if __name__ == "__main__":
    main()
