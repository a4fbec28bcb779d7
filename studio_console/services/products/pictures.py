"""Product pictures from http(s) URLs: background downloads, checked as images, cached on disk by URL."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import io
import logging
import ssl
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import httpx
from PIL import Image, UnidentifiedImageError

from studio_console.domain.catalog import Catalog, Product
from studio_console.kernel.listeners import Listeners
from studio_console.settings.atomic import write_atomic

log = logging.getLogger(__name__)

# Shopify serves product photos of a few MB at most; anything this large is not a product picture.
DEFAULT_MAX_BYTES = 15 * 1024 * 1024
DEFAULT_CONCURRENCY = 6

# (signature, offset, extension); WEBP also needs "WEBP" at offset 8, checked in _sniff.
_SIGNATURES: tuple[tuple[bytes, int, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", 0, ".png"),
    (b"\xff\xd8\xff", 0, ".jpg"),
    (b"GIF87a", 0, ".gif"),
    (b"GIF89a", 0, ".gif"),
    (b"RIFF", 0, ".webp"),
    (b"BM", 0, ".bmp"),
)
_EXTENSIONS = tuple(dict.fromkeys(ext for _, _, ext in _SIGNATURES))


def is_picture_url(reference: str | None) -> bool:
    """True for the http(s) URLs this module downloads (local paths are used as they are)."""
    return bool(reference) and str(reference).lower().startswith(("http://", "https://"))


def tls_context() -> ssl.SSLContext:
    """The TLS settings for picture downloads: the platform's default CA store and checks."""
    return ssl.create_default_context()


class PictureError(Exception):
    """A picture that cannot be used; the message says why in a few words ("not an image (HTML page)")."""


@dataclass(frozen=True)
class PictureProblem:
    """One product whose picture could not be fetched: what, which product, why."""

    sku: str
    title: str
    url: str
    reason: str

    @property
    def message(self) -> str:
        return f"Picture for {self.title!r} ({self.sku}) not loaded: {self.reason} ({self.url})"


@dataclass(frozen=True)
class PictureProgress:
    """How far the current round of downloads is: ``done`` of ``total`` URLs, ``failed`` among them."""

    done: int
    total: int
    failed: int = 0

    @property
    def finished(self) -> bool:
        return self.done >= self.total


def _sniff(head: bytes) -> str | None:
    for signature, offset, extension in _SIGNATURES:
        if head[offset : offset + len(signature)] == signature:
            if extension == ".webp" and head[8:12] != b"WEBP":
                continue
            return extension
    return None


def _describe_non_image(head: bytes) -> str:
    text = head[:512].lstrip().lower()
    if text.startswith((b"<!doctype html", b"<html")) or b"<html" in text:
        return "not an image (an HTML page)"
    if text.startswith((b"{", b"[")):
        return "not an image (JSON)"
    return "not an image"


def _verify_image(data: bytes) -> None:
    """Raise PictureError unless Pillow can read the file's structure (runs in a worker thread)."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise PictureError(f"a damaged image ({exc.__class__.__name__})") from None


def _store(path: Path, data: bytes) -> None:
    _verify_image(data)
    write_atomic(path, data)


class PictureCache:
    """Pictures on disk named by a hash of their URL, so the same URL is fetched once, then works offline."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def stem(self, url: str) -> str:
        return hashlib.sha256(url.encode("utf-8")).hexdigest()

    def path_for(self, url: str, extension: str) -> Path:
        return self.folder / f"{self.stem(url)}{extension}"

    def lookup(self, url: str) -> Path | None:
        """The cached file for ``url``, or None (blocking: a few stat calls)."""
        stem = self.stem(url)
        for extension in _EXTENSIONS:
            candidate = self.folder / f"{stem}{extension}"
            if candidate.is_file():
                return candidate
        return None


class PictureFetcher:
    """Downloads one picture at a time per call, with a concurrency limit, timeouts and a size cap."""

    def __init__(
        self,
        cache: PictureCache,
        *,
        max_bytes: int = DEFAULT_MAX_BYTES,
        concurrency: int = DEFAULT_CONCURRENCY,
        connect_timeout_s: float = 5.0,
        read_timeout_s: float = 10.0,
        total_timeout_s: float = 30.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.cache = cache
        self.max_bytes = max_bytes
        self.total_timeout_s = total_timeout_s
        self.concurrency = concurrency
        self._slots = asyncio.Semaphore(concurrency)
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(read_timeout_s, connect=connect_timeout_s),
            limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency),
            follow_redirects=True,
            max_redirects=5,
            verify=tls_context(),
            transport=transport,
            headers={"Accept": "image/*"},
        )
        self.requests_sent = 0

    async def fetch(self, url: str) -> Path:
        """The local file of ``url``'s picture, downloaded unless cached; raises PictureError."""
        cached = await asyncio.to_thread(self.cache.lookup, url)
        if cached is not None:
            return cached
        async with self._slots:
            # Another task may have fetched the same URL while this one waited for a slot.
            cached = await asyncio.to_thread(self.cache.lookup, url)
            if cached is not None:
                return cached
            try:
                async with asyncio.timeout(self.total_timeout_s):
                    data, extension = await self._download(url)
            except TimeoutError:
                raise PictureError(f"no complete answer within {self.total_timeout_s:g} s") from None
            path = self.cache.path_for(url, extension)
            await asyncio.to_thread(_store, path, data)
            return path

    async def _download(self, url: str) -> tuple[bytes, str]:
        self.requests_sent += 1
        try:
            async with self._client.stream("GET", url) as response:
                if response.status_code != 200:
                    raise PictureError(f"the server answered {response.status_code} {response.reason_phrase}".strip())
                declared = response.headers.get("content-length")
                if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
                    raise PictureError(f"too large ({int(declared) / 2**20:.0f} MB, the limit is {self._limit_text})")
                chunks: list[bytes] = []
                size = 0
                async for chunk in response.aiter_bytes():
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise PictureError(f"too large (more than {self._limit_text})")
                    chunks.append(chunk)
                    await asyncio.sleep(0)  # buffered chunks would otherwise be read in one go
        except httpx.TimeoutException:
            raise PictureError("the server did not answer in time") from None
        except httpx.TooManyRedirects:
            raise PictureError("too many redirects") from None
        except httpx.UnsupportedProtocol:
            raise PictureError("not an http(s) address") from None
        except httpx.ConnectError as exc:
            raise PictureError(f"cannot connect ({_short_reason(exc)})") from None
        except httpx.HTTPError as exc:
            raise PictureError(f"download failed ({_short_reason(exc)})") from None
        data = b"".join(chunks)
        extension = _sniff(data[:16])
        if extension is None:
            raise PictureError(_describe_non_image(data))
        return data, extension

    @property
    def _limit_text(self) -> str:
        return f"{self.max_bytes / 2**20:g} MB"

    async def close(self) -> None:
        await self._client.aclose()


def _short_reason(exc: Exception) -> str:
    text = str(exc).strip() or exc.__class__.__name__
    return text.splitlines()[0][:200]


def picture_urls(catalog: Catalog) -> dict[str, list[tuple[str, str]]]:
    """``url -> [(sku, title), ...]`` for every product and variant picture that is an http(s) URL."""
    wanted: dict[str, list[tuple[str, str]]] = {}
    for product in catalog.products:
        if is_picture_url(product.image):
            wanted.setdefault(str(product.image), []).append((product.sku, product.title))
        for variant in product.variants:
            if is_picture_url(variant.image):
                wanted.setdefault(str(variant.image), []).append((variant.sku, product.title))
    return wanted


def with_local_pictures(catalog: Catalog, local: dict[str, str]) -> tuple[Catalog, int]:
    """``catalog`` with every picture URL found in ``local`` replaced by its file; and how many changed."""
    changed = 0
    products: list[Product] = []
    for product in catalog.products:
        update: dict[str, object] = {}
        if product.image in local:
            update["image"] = local[str(product.image)]
        variants = []
        for variant in product.variants:
            if variant.image in local:
                variants.append(variant.model_copy(update={"image": local[str(variant.image)]}))
            else:
                variants.append(variant)
        if any(v is not old for v, old in zip(variants, product.variants, strict=True)):
            update["variants"] = tuple(variants)
        if update:
            changed += 1
            products.append(product.model_copy(update=update))
        else:
            products.append(product)
    if not changed:
        return catalog, 0
    return Catalog(products=tuple(products)), changed


class CatalogHolder(Protocol):
    """What the pictures service needs of the product show: the catalog, its changes, a way to set it.

    ``ProductShow`` fits; its catalog keeper saves every change, so pictures found are kept on disk.
    """

    @property
    def catalog(self) -> Catalog: ...

    def subscribe_catalog(self, listener: Callable[[Catalog], None]) -> Callable[[], None]: ...

    async def set_catalog(self, catalog: Catalog) -> tuple[str, ...]: ...


class ProductPictures:
    """Fetches every http(s) picture of the show's catalog in the background and points products at the files.

    Started once, it watches the catalog: an import (Products panel, remote API, a file at start-up)
    queues the URLs it has not seen; cached ones cost no request. Each failure is told to the
    problem listeners once per URL, with the product it belongs to; progress goes to the progress
    listeners. Files found are written into the catalog in one change per ``flush_delay_s``, so a
    500-picture import does not re-render cards or save the catalog 500 times.
    """

    def __init__(self, show: CatalogHolder, fetcher: PictureFetcher, *, flush_delay_s: float = 0.5) -> None:
        self.show = show
        self.fetcher = fetcher
        self.flush_delay_s = flush_delay_s
        self._progress_listeners: Listeners[[PictureProgress]] = Listeners("picture progress")
        self._problem_listeners: Listeners[[PictureProblem]] = Listeners("picture problem")
        self._seen: set[str] = set()
        self._failed: dict[str, str] = {}
        self._found: dict[str, str] = {}  # fetched, not yet written into the catalog
        self._local: dict[str, str] = {}  # every URL fetched this session -> its file
        self._tasks: set[asyncio.Task[None]] = set()
        self._queue: deque[tuple[str, list[tuple[str, str]]]] = deque()
        self._flush_task: asyncio.Task[None] | None = None
        self._done = 0
        self._total = 0
        self._failed_now = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self._unsubscribe: Callable[[], None] | None = None

    # -- listeners -------------------------------------------------------------------------------

    def add_progress_listener(self, listener: Callable[[PictureProgress], None]) -> Callable[[], None]:
        return self._progress_listeners.add(listener)

    def add_problem_listener(self, listener: Callable[[PictureProblem], None]) -> Callable[[], None]:
        return self._problem_listeners.add(listener)

    @property
    def progress(self) -> PictureProgress:
        return PictureProgress(self._done, self._total, self._failed_now)

    @property
    def failures(self) -> dict[str, str]:
        """``url -> reason`` of every picture that could not be used this session."""
        return dict(self._failed)

    # -- life ------------------------------------------------------------------------------------

    def start(self) -> None:
        """Watch the catalog from now on and fetch what it already names."""
        if self._unsubscribe is None:
            self._unsubscribe = self.show.subscribe_catalog(self._catalog_changed)
        self._catalog_changed(self.show.catalog)

    def retry_failed(self) -> None:
        """Try the failed URLs again (the studio's network is back)."""
        for url in list(self._failed):
            self._seen.discard(url)
        self._failed.clear()
        self._catalog_changed(self.show.catalog)

    async def wait_idle(self) -> None:
        """Return once every queued download has finished and its result is in the catalog."""
        await self._idle.wait()

    async def close(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        tasks = [*self._tasks, *([self._flush_task] if self._flush_task else [])]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.fetcher.close()

    # -- work ------------------------------------------------------------------------------------

    def _catalog_changed(self, catalog: Catalog) -> None:
        wanted = picture_urls(catalog)
        # A re-import brings back URLs fetched before: point them at their files again, no request.
        known = {url: self._local[url] for url in wanted if url in self._local}
        if known:
            self._found.update(known)
            self._idle.clear()
            self._schedule_flush()
        new = [(url, owners) for url, owners in wanted.items() if url not in self._seen]
        if not new:
            return
        if self._done >= self._total:
            # A new round: progress counts this import's pictures, not the whole session's.
            self._done = self._total = self._failed_now = 0
        self._total += len(new)
        self._idle.clear()
        for url, owners in new:
            self._seen.add(url)
            self._queue.append((url, owners))
        # A few workers take URLs from the queue: 500 pictures never mean 500 tasks at once.
        loop = asyncio.get_running_loop()
        while len(self._tasks) < min(self.fetcher.concurrency, len(self._queue)):
            task = loop.create_task(self._work(), name="product-pictures")
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        self._tell_progress()

    async def _work(self) -> None:
        while self._queue:
            url, owners = self._queue.popleft()
            await self._fetch_one(url, owners)

    async def _fetch_one(self, url: str, owners: list[tuple[str, str]]) -> None:
        try:
            path = await self.fetcher.fetch(url)
        except PictureError as exc:
            self._fail(url, owners, str(exc))
        except OSError as exc:  # the cache folder is not writable, the disk is full
            self._fail(url, owners, f"cannot save it ({exc.strerror or exc})")
        else:
            self._found[url] = self._local[url] = str(path)
            self._schedule_flush()
        finally:
            self._done += 1
            self._tell_progress()
            self._maybe_idle()

    def _fail(self, url: str, owners: Iterable[tuple[str, str]], reason: str) -> None:
        self._failed[url] = reason
        self._failed_now += 1
        for sku, title in owners:
            problem = PictureProblem(sku, title, url, reason)
            log.warning("%s", problem.message)
            self._problem_listeners.notify(problem)

    def _schedule_flush(self) -> None:
        if self._flush_task is None or self._flush_task.done():
            self._flush_task = asyncio.get_running_loop().create_task(self._flush_later(), name="picture-flush")

    async def _flush_later(self) -> None:
        # Loops while pictures keep arriving; ends with no await after the last check, so a picture
        # found meanwhile is never left unwritten.
        while self._found:
            await asyncio.sleep(self.flush_delay_s)
            found, self._found = self._found, {}
            catalog, changed = with_local_pictures(self.show.catalog, found)
            if changed:
                try:
                    await self.show.set_catalog(catalog)
                except Exception:  # OBS refused the card update; the catalog itself is set and saved
                    log.warning("product pictures: the card on air could not be refreshed", exc_info=True)
                log.info("product pictures: %d products now use downloaded pictures", changed)
        self._maybe_idle()

    def _maybe_idle(self) -> None:
        busy = bool(self._queue) or bool(self._tasks - {asyncio.current_task()})
        flushing = self._flush_task is not None and not self._flush_task.done()
        if not busy and not self._found and (not flushing or self._flush_task is asyncio.current_task()):
            self._idle.set()

    def _tell_progress(self) -> None:
        self._progress_listeners.notify(self.progress)


def product_pictures(show: CatalogHolder, data_dir: Path) -> ProductPictures:
    """The pictures service as the app uses it: files under ``data_dir/pictures`` (kept, unlike a cache
    folder the system may empty, because the saved catalog points at them)."""
    return ProductPictures(show, PictureFetcher(PictureCache(data_dir / "pictures")))
