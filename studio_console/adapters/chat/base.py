"""The ChatSource protocol, and the reconnecting runner every connection-based source is built on."""

from __future__ import annotations

import abc
import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, ClassVar, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field

from studio_console.domain.chat import ChatMessage, SourceState, SourceStatus
from studio_console.domain.viewer_text import clean_message
from studio_console.kernel.backoff import Backoff
from studio_console.kernel.listeners import Listeners

log = logging.getLogger(__name__)

# A session live at least this long counts as a success: the next reconnect starts fast again.
STAYED_LIVE_S = 20.0

MessageListener = Callable[[ChatMessage], None]
StateListener = Callable[[SourceState], None]
# Reads a secret by its keyring entry name (SecretStore.get fits); sources never get secrets in options.
SecretLookup = Callable[[str], str | None]
Sleep = Callable[[float], Awaitable[None]]


class ChatSourceOptions(BaseModel):
    """Options every source has; each source extends this with its own model."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # Unique per configured source ("twitch", "twitch-second-channel"); de-duplication is per source.
    source_id: str = Field(default="", max_length=64)
    # Reconnect back-off and staleness; each source picks defaults that suit its platform.
    backoff_first_s: float = Field(default=1.0, gt=0, le=600)
    backoff_cap_s: float = Field(default=60.0, gt=0, le=3600)
    # No data at all for this long means the connection is dead (None: no watchdog).
    stale_after_s: float | None = Field(default=None, gt=0, le=3600)


@runtime_checkable
class ChatSource(Protocol):
    """A running chat source. Listeners are called on the asyncio loop that called ``start``."""

    @property
    def source_id(self) -> str: ...

    @property
    def platform(self) -> str: ...

    @property
    def state(self) -> SourceState: ...

    def start(self) -> None: ...

    async def stop(self) -> None: ...

    def subscribe(self, on_message: MessageListener, on_state: StateListener | None = None) -> Callable[[], None]: ...


class ChatSourceFactory(Protocol):
    """What an entry point in ``studio_console.chat_sources`` loads: a source class.

    ``factory(options, secrets=...)`` builds a source; ``options_model`` validates the saved settings;
    ``unavailable_reason()`` says why it cannot run here (a missing optional dependency), else None.
    """

    platform: ClassVar[str]
    title: ClassVar[str]
    options_model: ClassVar[type[ChatSourceOptions]]

    def __call__(self, options: Any, *, secrets: SecretLookup | None = None) -> ChatSource: ...

    def unavailable_reason(self) -> str | None: ...


class SourceFailed(Exception):
    """The source cannot work until the operator acts (bad token, unknown channel, missing library)."""


class SourceFinished(Exception):
    """There is nothing more to read (the live chat ended); the source goes idle without retrying."""


class SessionEnded(Exception):
    """The server ended the session on purpose (Twitch RECONNECT, chat over); reconnect soon."""


# Longer than OBS's: chat servers rate-limit logins, and a room of clients reconnecting in step after
# an outage is exactly what jitter prevents.
CHAT_BACKOFF = Backoff(first_s=1.0, factor=2.0, cap_s=60.0, jitter=0.3)


class ChatSourceBase:
    """Listeners, state and emitting: the bookkeeping every source shares."""

    platform: ClassVar[str] = "unknown"
    title: ClassVar[str] = "Chat source"
    options_model: ClassVar[type[ChatSourceOptions]] = ChatSourceOptions

    def __init__(self, options: ChatSourceOptions) -> None:
        self.options = options
        self._source_id = options.source_id or self.platform
        self._state = SourceState(source_id=self._source_id, platform=self.platform)
        self._message_listeners: Listeners[[ChatMessage]] = Listeners("chat message")
        self._state_listeners: Listeners[[SourceState]] = Listeners("chat source state")
        self._received = 0

    @classmethod
    def unavailable_reason(cls) -> str | None:
        return None

    @property
    def source_id(self) -> str:
        return self._source_id

    @property
    def state(self) -> SourceState:
        return self._state

    def subscribe(self, on_message: MessageListener, on_state: StateListener | None = None) -> Callable[[], None]:
        """Call ``on_message`` for every message (and ``on_state`` on state changes); returns unsubscribe."""
        removers = [self._message_listeners.add(on_message)]
        if on_state is not None:
            removers.append(self._state_listeners.add(on_state))

        def unsubscribe() -> None:
            for remove in removers:
                remove()

        return unsubscribe

    async def messages(self, maxsize: int = 10_000) -> AsyncIterator[ChatMessage]:
        """The messages as an async iterator; the oldest queued ones are dropped when a reader falls behind."""
        queue: asyncio.Queue[ChatMessage] = asyncio.Queue(maxsize)

        def put(message: ChatMessage) -> None:
            if queue.full():
                queue.get_nowait()
            queue.put_nowait(message)

        unsubscribe = self.subscribe(put)
        try:
            while True:
                yield await queue.get()
        finally:
            unsubscribe()

    def _emit(self, message: ChatMessage) -> None:
        # The source boundary: lone surrogates, controls and bidi overrides never get further.
        message = clean_message(message)
        self._received += 1
        self._message_listeners.notify(message)

    def _set_state(self, status: SourceStatus, message: str, attempts: int | None = None) -> None:
        state = self._state.model_copy(
            update={
                "status": status,
                "message": message,
                "attempts": self._state.attempts if attempts is None else attempts,
                "messages_received": self._received,
            }
        )
        if state == self._state:
            return
        if status is not self._state.status or message != self._state.message:
            log.info("chat source %s %s: %s", self._source_id, status.value, message)
        self._state = state
        self._state_listeners.notify(state)


class ReconnectingChatSource(ChatSourceBase, abc.ABC):
    """Runs ``_run_session`` again and again: connect, read, and on loss reconnect with jittered back-off.

    A watchdog ends a session that has shown no sign of life (``_alive()``) for ``stale_after_s``:
    TikTok sends no pongs and answers rate limits with silence, so a dead link looks like a quiet room.
    ``SourceFailed`` stops retrying until ``start`` is called again.
    """

    stayed_live_s: float = STAYED_LIVE_S

    def __init__(self, options: ChatSourceOptions, *, sleep: Sleep | None = None) -> None:
        super().__init__(options)
        self.backoff = Backoff(
            first_s=options.backoff_first_s,
            factor=CHAT_BACKOFF.factor,
            cap_s=options.backoff_cap_s,
            jitter=CHAT_BACKOFF.jitter,
        )
        self._sleep: Sleep = sleep or asyncio.sleep
        self._task: asyncio.Task[None] | None = None
        self._last_alive = time.monotonic()
        self._live_since: float | None = None

    @abc.abstractmethod
    async def _run_session(self) -> None:
        """One connection, until it ends. Call ``_live()`` once connected and ``_alive()`` on any data."""

    async def _close_session(self) -> None:
        """Release what a session holds; called after every session, however it ended."""

    def start(self) -> None:
        if self._task is None or self._task.done():
            reason = self.unavailable_reason()
            if reason is not None:
                self._set_state(SourceStatus.FAILED, reason)
                return
            self._task = asyncio.get_running_loop().create_task(self._run(), name=f"chat-{self.source_id}")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._set_state(SourceStatus.IDLE, "Stopped", attempts=0)

    def _alive(self) -> None:
        self._last_alive = time.monotonic()

    def _live(self, message: str) -> None:
        self._alive()
        if self._live_since is None:
            self._live_since = time.monotonic()
        self._set_state(SourceStatus.LIVE, message, attempts=0)

    def _waiting(self, message: str) -> None:
        """Connected but held back (a quota, a rate limit): shown as reconnecting with the reason."""
        self._set_state(SourceStatus.RECONNECTING, message)

    async def _run(self) -> None:
        attempt = 0
        while True:
            self._set_state(
                SourceStatus.RECONNECTING if attempt else SourceStatus.CONNECTING,
                f"Connecting ({self._describe()})…",
                attempts=attempt,
            )
            was_live = False
            self._live_since = None
            try:
                await self._session_with_watchdog()
                problem = "the server closed the connection"
            except _Stale as exc:
                problem = str(exc)
            except SourceFailed as exc:
                self._set_state(SourceStatus.FAILED, str(exc), attempts=attempt)
                await self._close_quietly()
                return
            except SourceFinished as exc:
                self._set_state(SourceStatus.IDLE, str(exc), attempts=0)
                await self._close_quietly()
                return
            except SessionEnded as exc:
                was_live, problem = True, str(exc)
            except asyncio.CancelledError:
                await self._close_quietly()
                raise
            except Exception as exc:
                problem = _describe_error(exc)
                log.debug("chat source %s session failed", self.source_id, exc_info=True)
            # A session that stayed live a while earns a fast first retry; one that drops right after
            # joining (a ban, a flaky proxy) keeps backing off instead of hammering the server.
            stayed = self._live_since is not None and time.monotonic() - self._live_since >= self.stayed_live_s
            was_live = was_live or stayed
            await self._close_quietly()
            attempt = 1 if was_live else attempt + 1
            delay = self.backoff.delay(attempt)
            self._set_state(
                SourceStatus.RECONNECTING,
                f"Lost the chat ({problem}); retrying in {delay:.0f} s",
                attempts=attempt,
            )
            await self._sleep(delay)

    async def _session_with_watchdog(self) -> None:
        """Run one session; raises _Stale when the watchdog ended it."""
        self._alive()
        stale_after = self.options.stale_after_s
        if stale_after is None:
            await self._run_session()
            return
        session = asyncio.ensure_future(self._run_session())
        try:
            while not session.done():
                silent_for = time.monotonic() - self._last_alive
                if silent_for >= stale_after:
                    session.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await session
                    raise _Stale(f"no data for {silent_for:.0f} s")
                await asyncio.wait({session}, timeout=max(0.05, stale_after - silent_for))
            session.result()
        finally:
            if not session.done():
                session.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await session

    async def _close_quietly(self) -> None:
        try:
            await self._close_session()
        except Exception:
            log.debug("chat source %s: closing the session failed", self.source_id, exc_info=True)

    def _describe(self) -> str:
        return self.platform


class _Stale(Exception):
    """The watchdog saw no data for too long."""


def _describe_error(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
