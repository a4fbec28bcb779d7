"""The relay's publish connections: FFmpeg's own rtmp/rtmps, opened with TLS options PyAV cannot pass."""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import glob
import logging
import os
import socket
import ssl
import sys
import threading
import time
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

log = logging.getLogger(__name__)

# Why not ``av.open("rtmps://...", "w")``: PyAV 18 opens an output URL with ``avio_open`` (no options), so
# FFmpeg's ``tls_verify`` stays at its default 0 and any certificate is accepted; it also connects with
# the GIL held, which freezes every Python thread (the app's loop) while a far or dead host answers. Here
# the connection is opened through the same libavformat with ``avio_open2`` (ctypes releases the GIL),
# ``tls_verify=1`` and a CA file, and handed to PyAV as a write-only file object for the FLV muxer.
# PyAV's wheels build FFmpeg with GnuTLS, whose compiled-in system store is ``/etc/pki/tls/cert.pem``
# (absent on Debian, Windows, macOS): a CA file is therefore always passed, the system's or certifi's.

_AVIO_FLAG_WRITE = 2
_DEFAULT_PORTS = {"rtmp": 1935, "rtmps": 443}


class PublishUnavailable(RuntimeError):
    """No retry can mend it: this FFmpeg cannot open the connection as asked (no verified TLS, no CA file)."""


class CannotReach(ConnectionError):
    """The destination's host does not resolve, refuses connections or does not answer."""


class CertificateRefused(ConnectionError):
    """The destination's TLS certificate did not verify (unknown issuer, wrong host name, expired)."""


_InterruptFunction = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p)


class _InterruptCallback(ctypes.Structure):
    _fields_ = [("callback", _InterruptFunction), ("opaque", ctypes.c_void_p)]


class _AVIOContextHead(ctypes.Structure):
    """The first public fields of FFmpeg's AVIOContext (stable across libavformat 59-62), up to ``write_flag``."""

    _fields_ = [
        ("av_class", ctypes.c_void_p),
        ("buffer", ctypes.c_void_p),
        ("buffer_size", ctypes.c_int),
        ("buf_ptr", ctypes.c_void_p),
        ("buf_end", ctypes.c_void_p),
        ("opaque", ctypes.c_void_p),
        ("read_packet", ctypes.c_void_p),
        ("write_packet", ctypes.c_void_p),
        ("seek", ctypes.c_void_p),
        ("pos", ctypes.c_int64),
        ("eof_reached", ctypes.c_int),
        ("error", ctypes.c_int),
        ("write_flag", ctypes.c_int),
    ]


class _Libav:
    """The libavformat and libavutil PyAV itself loaded, with the few functions the relay calls."""

    def __init__(self, avformat: ctypes.CDLL, avutil: ctypes.CDLL) -> None:
        self.avformat = avformat
        self.avutil = avutil
        vp, cp = ctypes.c_void_p, ctypes.c_char_p
        avutil.av_dict_set.argtypes = [ctypes.POINTER(vp), cp, cp, ctypes.c_int]
        avutil.av_dict_free.argtypes = [ctypes.POINTER(vp)]
        avutil.av_strerror.argtypes = [ctypes.c_int, cp, ctypes.c_size_t]
        avformat.avformat_version.restype = ctypes.c_uint
        avformat.avio_open2.argtypes = [
            ctypes.POINTER(vp),
            cp,
            ctypes.c_int,
            ctypes.POINTER(_InterruptCallback),
            ctypes.POINTER(vp),
        ]
        avformat.avio_write.argtypes = [vp, cp, ctypes.c_int]
        avformat.avio_write.restype = None
        avformat.avio_flush.argtypes = [vp]
        avformat.avio_flush.restype = None
        avformat.avio_closep.argtypes = [ctypes.POINTER(vp)]

    def strerror(self, code: int) -> str:
        buffer = ctypes.create_string_buffer(256)
        self.avutil.av_strerror(code, buffer, len(buffer))
        return buffer.value.decode("utf-8", "replace")


def _library_candidates(stem: str) -> list[str]:
    import av

    package = Path(av.__file__).parent
    found: list[str] = []
    if sys.platform.startswith("linux"):
        # Already mapped into this process by PyAV: exactly the copy it uses.
        try:
            maps = Path("/proc/self/maps").read_text()
        except OSError:
            maps = ""
        found += sorted({line.split()[-1] for line in maps.splitlines() if f"/lib{stem}" in line and ".so" in line})
    # Wheels: auditwheel (av.libs/), delocate (av/.dylibs/), delvewheel (av.libs/ with DLLs).
    for folder in (package.parent / "av.libs", package / ".dylibs", package):
        for pattern in (f"lib{stem}*.so*", f"lib{stem}*.dylib", f"{stem}*.dll"):
            found += sorted(glob.glob(str(folder / pattern)))
    system = ctypes.util.find_library(stem)
    if system:
        found.append(system)
    return found


@cache
def libav() -> _Libav:
    """PyAV's FFmpeg libraries, checked to be the very version PyAV was built with."""
    import av

    major, minor, micro = av.library_versions["libavformat"]
    wanted = (major << 16) | (minor << 8) | micro
    for path in _library_candidates("avformat"):
        try:
            avformat = ctypes.CDLL(path)
        except OSError:
            continue
        avformat.avformat_version.restype = ctypes.c_uint
        if avformat.avformat_version() != wanted:
            continue
        for util_path in _library_candidates("avutil"):
            try:
                return _Libav(avformat, ctypes.CDLL(util_path))
            except (OSError, AttributeError):
                continue
    raise PublishUnavailable(
        f"RTMPS is unavailable: PyAV's FFmpeg libraries (libavformat {major}.{minor}.{micro}) could not be "
        "loaded to open a verified TLS connection; the destination is not streamed unverified"
    )


@cache
def default_ca_file() -> str | None:
    """A PEM bundle of trusted CAs for FFmpeg: the operating system's file, else certifi's."""
    paths = ssl.get_default_verify_paths()
    for candidate in (os.environ.get(paths.openssl_cafile_env), paths.cafile, paths.openssl_cafile):
        if candidate and Path(candidate).is_file():
            return candidate
    try:
        import certifi
    except ImportError:
        return None
    return str(certifi.where())


def _endpoint(url: str) -> tuple[str, str, int]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = parts.hostname or ""
    try:
        port = parts.port or _DEFAULT_PORTS.get(scheme, 1935)
    except ValueError:
        port = _DEFAULT_PORTS.get(scheme, 1935)
    return scheme, host, port


class PublishConnection:
    """A write-only rtmp(s) connection for one relay output; give it to ``av.open(connection, "w", format="flv")``.

    ``open()`` connects (RTMP handshake and publish included) and raises ``CannotReach``,
    ``CertificateRefused`` or ``PublishUnavailable`` with a sentence that names the host, never the
    stream key. ``write()`` raises ``ConnectionError`` once the connection breaks. ``stop_event``
    interrupts a connect or write in progress.
    """

    def __init__(self, url: str, *, ca_file: str | None, stop_event: threading.Event, timeout_s: float = 10.0) -> None:
        self.url = url
        self.scheme, self.host, self.port = _endpoint(url)
        self.ca_file = ca_file
        self.timeout_s = timeout_s
        self._stop_event = stop_event
        self._pb = ctypes.c_void_p()
        self._closed = False
        self._finish_deadline: float | None = None
        # Kept alive as long as the context: FFmpeg calls it from inside every blocking connect and write.
        self._interrupt = _InterruptCallback(_InterruptFunction(self._interrupted), None)

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def closed(self) -> bool:
        return self._closed

    def writable(self) -> bool:
        return True

    def finish(self, grace_s: float = 2.0) -> None:
        """A stop is coming: let the FLV trailer and RTMP unpublish go out for ``grace_s`` before interrupting."""
        self._finish_deadline = time.monotonic() + grace_s

    def _interrupted(self, _opaque: int | None) -> int:
        if not self._stop_event.is_set():
            return 0
        deadline = self._finish_deadline
        return int(deadline is None or time.monotonic() > deadline)

    def open(self) -> None:
        lib = libav()
        options: dict[str, str] = {
            "rw_timeout": str(int(self.timeout_s * 1_000_000)),
            # Each muxed packet is flushed at once; Nagle would hold its last segment for an ACK.
            "tcp_nodelay": "1",
        }
        if self.scheme == "rtmps":
            ca_file = self.ca_file or default_ca_file()
            if ca_file is None:
                raise PublishUnavailable(
                    "RTMPS is unavailable: no trusted CA certificates found (no system CA file, certifi not "
                    "installed); the destination is not streamed unverified"
                )
            if not Path(ca_file).is_file():
                raise PublishUnavailable(f"the CA file to verify {self.host} with does not exist: {ca_file}")
            # FFmpeg checks the certificate against the URL's host name once verification is on.
            options.update({"tls_verify": "1", "ca_file": ca_file})
            self.ca_file = ca_file
        elif self.scheme != "rtmp":
            raise PublishUnavailable(f"the relay publishes over rtmp:// or rtmps:// only, not {self.scheme}://")
        dictionary = ctypes.c_void_p()
        for key, value in options.items():
            lib.avutil.av_dict_set(ctypes.byref(dictionary), key.encode(), value.encode(), 0)
        try:
            code = lib.avformat.avio_open2(
                ctypes.byref(self._pb),
                self.url.encode(),
                _AVIO_FLAG_WRITE,
                ctypes.byref(self._interrupt),
                ctypes.byref(dictionary),
            )
        finally:
            lib.avutil.av_dict_free(ctypes.byref(dictionary))
        if code < 0:
            self._closed = True
            raise self._diagnose(code, lib.strerror(code))
        head = ctypes.cast(self._pb, ctypes.POINTER(_AVIOContextHead)).contents
        if head.write_flag != 1 or head.buffer_size <= 0 or head.error != 0:
            self.close()
            raise PublishUnavailable(
                "this FFmpeg's AVIOContext is not laid out as the relay expects; RTMP publishing is unavailable"
            )

    def write(self, data: bytes) -> int:
        if self._closed:
            raise ConnectionError(f"the connection to {self.where} is closed")
        lib = libav()
        lib.avformat.avio_write(self._pb, data, len(data))
        # Live: every muxed packet leaves now rather than when FFmpeg's buffer fills.
        lib.avformat.avio_flush(self._pb)
        error = ctypes.cast(self._pb, ctypes.POINTER(_AVIOContextHead)).contents.error
        if error < 0:
            if self._interrupted(None):
                raise ConnectionError("stopped")
            raise ConnectionError(f"the connection to {self.where} broke: {lib.strerror(error)}")
        return len(data)

    def close(self) -> None:
        """Ends the publish (idempotent; safe from the output thread only)."""
        if self._closed:
            return
        self._closed = True
        if self._pb:
            libav().avformat.avio_closep(ctypes.byref(self._pb))

    def _diagnose(self, code: int, ffmpeg_says: str) -> Exception:
        """Turn FFmpeg's terse error (often just "Input/output error") into what the producer must know."""
        if self._stop_event.is_set():
            return ConnectionError("stopped while connecting")
        if code == -errno.ECONNREFUSED:
            return CannotReach(f"cannot reach {self.where}: the connection was refused")
        if code in (-errno.ETIMEDOUT, -errno.EAGAIN):
            return CannotReach(f"cannot reach {self.where}: no answer within {self.timeout_s:g} s")
        if code in (-errno.ENETUNREACH, -errno.EHOSTUNREACH):
            return CannotReach(f"cannot reach {self.where}: no route to the host")
        # Ask the network the same questions in Python, which names the reason.
        try:
            socket.getaddrinfo(self.host, self.port, type=socket.SOCK_STREAM)
        except socket.gaierror as exc:
            return CannotReach(f"cannot reach {self.host}: the name does not resolve ({exc.strerror})")
        try:
            raw = socket.create_connection((self.host, self.port), timeout=self.timeout_s)
        except ConnectionRefusedError:
            return CannotReach(f"cannot reach {self.where}: the connection was refused")
        except TimeoutError:
            return CannotReach(f"cannot reach {self.where}: no answer within {self.timeout_s:g} s")
        except OSError as exc:
            return CannotReach(f"cannot reach {self.where}: {exc.strerror or exc}")
        with raw:
            if self.scheme != "rtmps":
                return ConnectionError(f"{self.where} did not accept the RTMP publish: {ffmpeg_says}")
            # The same trust FFmpeg used: this CA file and the URL's host name.
            context = ssl.create_default_context(cafile=self.ca_file)
            try:
                with context.wrap_socket(raw, server_hostname=self.host):
                    pass
            except ssl.SSLCertVerificationError as exc:
                reason = exc.verify_message or str(exc)
                return CertificateRefused(f"certificate refused for {self.host}: {reason}")
            except (ssl.SSLError, OSError) as exc:
                return ConnectionError(f"the TLS handshake with {self.where} failed: {exc}")
        return ConnectionError(f"{self.where} did not accept the RTMPS publish: {ffmpeg_says}")
