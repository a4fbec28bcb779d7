"""The reconnecting runner (back-off, staleness watchdog), the rehearsal audience, discovery, and layering."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
from pathlib import Path

from studio_console.adapters.chat import builtin_chat_sources, discover_chat_sources
from studio_console.adapters.chat.base import (
    ChatSource,
    ChatSourceOptions,
    SourceFailed,
    SourceFinished,
)
from studio_console.adapters.chat.rehearsal import RehearsalAudience, RehearsalOptions
from studio_console.adapters.chat.tiktok import tiktoklive_installed
from studio_console.domain.chat import ChatKind, ChatRules, Intent, SourceStatus
from studio_console.kernel.backoff import Backoff
from studio_console.services.chat.intent import IntentDetector, normalise
from tests.helpers.chat import RecordingSleep, ScriptedSource, wait_for

ROOT = Path(__file__).resolve().parents[2]


def test_backoff_grows_is_capped_and_jittered() -> None:
    backoff = Backoff(first_s=1, factor=2, cap_s=8, jitter=0.25)
    delays = [backoff.delay(n) for n in range(1, 8)]
    for attempt, delay in enumerate(delays, start=1):
        base = min(8, 2 ** (attempt - 1))
        assert base * 0.75 <= delay <= base * 1.25
    assert len({round(backoff.delay(3), 6) for _ in range(20)}) > 1


def test_runner_reconnects_after_failures_with_back_off() -> None:
    async def fail(_source: ScriptedSource) -> None:
        raise ConnectionError("refused")

    async def live_then_drop(source: ScriptedSource) -> None:
        source.go_live()
        source.say("hello", "1")

    async def scenario() -> tuple[ScriptedSource, RecordingSleep, list[str]]:
        sleep = RecordingSleep()
        source = ScriptedSource([fail, fail, live_then_drop], sleep=sleep)
        got: list[str] = []
        source.subscribe(lambda m: got.append(m.text))
        source.start()
        await wait_for(lambda: source.sessions_started == 4)
        await source.stop()
        return source, sleep, got

    source, sleep, got = asyncio.run(scenario())
    assert got == ["hello"]
    assert source.sessions_closed >= 3
    # Two failures in a row back off further; a session that got live retries fast again.
    first, second, after_live = sleep.delays[:3]
    assert second > first and after_live < second
    statuses = [s.status for s in source.states]
    assert statuses[0] is SourceStatus.CONNECTING
    assert SourceStatus.RECONNECTING in statuses and SourceStatus.LIVE in statuses
    assert statuses[-1] is SourceStatus.IDLE
    assert "refused" in next(s.message for s in source.states if s.status is SourceStatus.RECONNECTING)


def test_a_session_dropped_right_after_going_live_keeps_backing_off() -> None:
    async def flap(source: ScriptedSource) -> None:
        source.go_live()  # joined, then the server drops us at once (a ban, a flaky proxy)

    async def scenario() -> list[float]:
        sleep = RecordingSleep()
        source = ScriptedSource([flap, flap, flap, flap], sleep=sleep, stayed_live_s=3600)
        source.start()
        await wait_for(lambda: source.sessions_started == 5)
        await source.stop()
        return sleep.delays

    delays = asyncio.run(scenario())
    assert delays[0] < delays[2] < delays[3]


def test_watchdog_ends_a_silent_session_and_reconnects() -> None:
    async def silent(source: ScriptedSource) -> None:
        source.go_live()
        await asyncio.Event().wait()  # connected, but nothing ever arrives (TikTok's rate limit)

    async def scenario() -> ScriptedSource:
        source = ScriptedSource([silent], stale_after_s=0.2, sleep=RecordingSleep())
        source.start()
        await wait_for(lambda: source.sessions_started == 2)
        await source.stop()
        return source

    source = asyncio.run(scenario())
    reconnecting = [s.message for s in source.states if s.status is SourceStatus.RECONNECTING]
    assert any("no data" in text for text in reconnecting)


def test_failed_and_finished_sessions_stop_retrying() -> None:
    async def bad_token(_source: ScriptedSource) -> None:
        raise SourceFailed("The token was refused")

    async def over(_source: ScriptedSource) -> None:
        raise SourceFinished("The chat has ended")

    async def scenario(script: object) -> ScriptedSource:
        source = ScriptedSource([script], sleep=RecordingSleep())  # type: ignore[list-item]
        source.start()
        await wait_for(lambda: source._task is not None and source._task.done())
        return source

    failed = asyncio.run(scenario(bad_token))
    assert (failed.state.status, failed.state.message) == (SourceStatus.FAILED, "The token was refused")
    assert failed.sessions_started == 1
    finished = asyncio.run(scenario(over))
    assert (finished.state.status, finished.state.message) == (SourceStatus.IDLE, "The chat has ended")


def test_messages_as_an_async_iterator() -> None:
    async def talk(source: ScriptedSource) -> None:
        source.go_live()
        for n in range(3):
            source.say(f"line {n}", str(n))
        await asyncio.Event().wait()

    async def scenario() -> list[str]:
        source = ScriptedSource([talk])
        received: list[str] = []

        async def read() -> None:
            async for m in source.messages():
                received.append(m.text)
                if len(received) == 3:
                    return

        reader = asyncio.ensure_future(read())
        await asyncio.sleep(0)
        source.start()
        await asyncio.wait_for(reader, 10)
        await source.stop()
        return received

    assert asyncio.run(scenario()) == ["line 0", "line 1", "line 2"]


def test_rehearsal_audience_is_deterministic_and_shopping_flavoured() -> None:
    options = RehearsalOptions(seed=7, short_codes=("A1", "B7", "C12"))
    first = [m for _, m in zip(range(400), RehearsalAudience(options).generate(), strict=False)]
    again = [m for _, m in zip(range(400), RehearsalAudience(options).generate(), strict=False)]
    other = [m for _, m in zip(range(400), RehearsalAudience(RehearsalOptions(seed=8)).generate(), strict=False)]

    def strip(ms: list) -> list:  # type: ignore[type-arg]
        return [(m.message_id, m.kind, m.user_name, m.text, m.gift_name, m.gift_count) for m in ms]

    assert strip(first) == strip(again) and strip(first) != strip(other)
    kinds = {m.kind for m in first}
    assert {ChatKind.COMMENT, ChatKind.GIFT, ChatKind.FOLLOW, ChatKind.JOIN} <= kinds
    texts = " ".join(m.text for m in first if m.kind is ChatKind.COMMENT)
    assert all(code in texts for code in ("A1", "B7", "C12")) and "link?" in texts and "price" in texts
    detector = IntentDetector(ChatRules(), {"A1": "a", "B7": "b", "C12": "c"}.get)
    intents = [detector.detect(m.text).intents for m in first if m.kind is ChatKind.COMMENT]
    assert sum(Intent.QUESTION in i for i in intents) > 50
    assert sum(Intent.PRODUCT in i for i in intents) > 50


def test_rehearsal_audience_runs_at_a_rate_and_stops() -> None:
    async def scenario() -> tuple[int, SourceStatus]:
        audience = RehearsalAudience(RehearsalOptions(rate_per_s=500, limit=25))
        got: list[str] = []
        audience.subscribe(lambda m: got.append(m.message_id))
        audience.start()
        await wait_for(lambda: len(got) == 25 and audience.state.status is SourceStatus.IDLE)
        await audience.stop()
        return len(set(got)), audience.state.status

    assert asyncio.run(scenario()) == (25, SourceStatus.IDLE)


def test_builtin_sources_are_discoverable_plugins() -> None:
    builtins = builtin_chat_sources()
    assert set(builtins) == {"twitch", "youtube", "tiktok", "rehearsal"}
    found = discover_chat_sources()
    for name, entry in found.items():
        assert entry.available, (name, entry.error)
        factory = entry.plugin
        assert factory is not None and factory.platform and factory.title
        assert issubclass(factory.options_model, ChatSourceOptions)
        # Only TikTok depends on an optional extra.
        assert (factory.unavailable_reason() is None) == (name != "tiktok" or tiktoklive_installed())
    source = builtins["rehearsal"](RehearsalOptions())
    assert isinstance(source, ChatSource)


def test_normalise_folds_case_width_and_invisible_characters() -> None:
    assert normalise("\uff33\uff23\u200b\uff21\uff2d") == "scam"
    assert normalise("Prix\u202e") == "prix"


def test_chat_core_runs_without_qt_and_without_tiktoklive() -> None:
    program = textwrap.dedent(
        """
        import sys
        sys.modules["TikTokLive"] = None  # as if the optional extra were not installed
        from studio_console.adapters.chat import tiktok, twitch_irc, youtube, rehearsal, bridge
        from studio_console.services.chat.hub import ChatHub
        from studio_console.services.remote.chat_endpoints import ChatApi
        assert tiktok.TikTokSource.unavailable_reason() is not None or tiktok.tiktoklive_installed()
        hub = ChatHub()
        leaked = sorted(m for m in sys.modules if m.split(".")[0] in ("PySide6", "qasync", "shiboken6"))
        assert not leaked, leaked
        assert "TikTokLive.events" not in sys.modules
        print("chat core ok")
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", program],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={"STUDIO_CONSOLE_SECRETS": "file", "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr
    assert "chat core ok" in result.stdout


def test_tiktok_source_fails_clearly_without_the_library() -> None:
    program = textwrap.dedent(
        """
        import asyncio, sys
        sys.modules["TikTokLive"] = None
        import importlib.util
        importlib.util.find_spec = lambda name, *args: None  # what it answers when TikTokLive is absent
        from studio_console.adapters.chat.tiktok import TikTokOptions, TikTokSource

        async def main():
            source = TikTokSource(TikTokOptions(unique_id="@shop"))
            source.start()
            print(source.state.status.value, source.state.message)

        asyncio.run(main())
        """
    )
    result = subprocess.run([sys.executable, "-c", program], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("failed") and "studio-console[tiktok]" in result.stdout
