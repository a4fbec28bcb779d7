"""TikTok LIVE: TikTokLive's own event objects built offline, mapped to chat; the source with a fake client."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from studio_console.adapters.chat.tiktok import TikTokEventMapper, TikTokOptions, TikTokSource
from studio_console.domain.chat import ChatKind, ChatMessage, SourceStatus
from studio_console.services.chat.hub import ChatHub
from tests.helpers.chat import RecordingSleep, wait_for

events = pytest.importorskip("TikTokLive.events", reason="TikTokLive (optional extra) is not installed")
from TikTokLive.proto.custom_proto import ExtendedGift, ExtendedUser  # noqa: E402
from TikTokLiveProto.v3.webcast.shared.message import CommonMessageData  # noqa: E402


def user(uid: int, handle: str, nickname: str) -> Any:
    return ExtendedUser(id=uid, display_id=handle, nickname=nickname)


def common(msg_id: int, created_ms: int = 1_795_372_800_000) -> Any:
    return CommonMessageData(msg_id=msg_id, create_time=created_ms)


ROSE = dict(id=5655, name="Rose", type=1, diamond_count=1)
GALAXY = dict(id=11046, name="Galaxy", type=2, diamond_count=1000)


def gift_event(msg_id: int, repeat: int, end: bool, spec: dict[str, Any], uid: int = 7) -> Any:
    return events.GiftEvent(
        common=common(msg_id),
        user=user(uid, "gifter", "Gift <b>Giver</b>"),
        gift=ExtendedGift(None, **spec),
        repeat_count=repeat,
        repeat_end=int(end),
        group_id=1_795_372_800_123,
    )


def test_comment_like_follow_share_join_viewers_map() -> None:
    mapper = TikTokEventMapper("tiktok")
    comment = mapper.map(
        events.CommentEvent(common=common(101), user=user(1, "ann.shops", "Ann 🛍"), content="how much is A1?")
    )
    assert isinstance(comment, ChatMessage)
    assert (comment.message_id, comment.user_id, comment.user_name, comment.display_name) == (
        "101",
        "1",
        "ann.shops",
        "Ann 🛍",
    )
    assert comment.text == "how much is A1?" and comment.timestamp == 1_795_372_800.0
    like = mapper.map(events.LikeEvent(common=common(102), user=user(2, "bo", "Bo"), count=15, total=900))
    assert like is not None and like.kind is ChatKind.LIKE and like.like_count == 15
    follow = mapper.map(events.FollowEvent(common=common(103), user=user(3, "cy", "Cy")))
    assert follow is not None and follow.kind is ChatKind.FOLLOW
    share = mapper.map(events.ShareEvent(common=common(104), user=user(4, "di", "Di")))
    assert share is not None and share.kind is ChatKind.SHARE
    join = mapper.map(events.JoinEvent(common=common(105), user=user(5, "ed", "Ed")))
    assert join is not None and join.kind is ChatKind.JOIN and join.name == "Ed"
    viewers = mapper.map(events.RoomUserSeqEvent(total=4321, total_user=90_000))
    assert viewers is not None and viewers.kind is ChatKind.VIEWER_COUNT and viewers.viewer_count == 4321
    assert mapper.map(events.ControlEvent()) is None  # not a chat event


def test_gift_streaks_collapse_into_one_message() -> None:
    mapper = TikTokEventMapper("tiktok")
    streak = [mapper.map(gift_event(200 + n, n, end=False, spec=ROSE)) for n in range(1, 5)]
    assert streak == [None, None, None, None]
    closing = mapper.map(gift_event(205, 5, end=True, spec=ROSE))
    assert closing is not None and closing.kind is ChatKind.GIFT
    assert (closing.gift_name, closing.gift_count, closing.gift_streak, closing.gift_value) == ("Rose", 5, 5, 5.0)
    assert closing.display_name == "Gift <b>Giver</b>"
    # Not streakable: at once.
    galaxy = mapper.map(gift_event(300, 1, end=False, spec=GALAXY))
    assert galaxy is not None and (galaxy.gift_count, galaxy.gift_streak, galaxy.gift_value) == (1, 0, 1000.0)


def test_unfinished_streaks_are_flushed() -> None:
    now = [0.0]
    mapper = TikTokEventMapper("tiktok", clock=lambda: now[0])
    assert mapper.map(gift_event(400, 3, end=False, spec=ROSE)) is None
    assert mapper.flush_streaks(older_than_s=30) == []
    now[0] = 31.0
    (flushed,) = mapper.flush_streaks(older_than_s=30)
    assert flushed.gift_count == 3


class FakeTikTokClient:
    """Stands in for TikTokLiveClient: same add_listener/start/disconnect, events pushed by the test."""

    instances: list[FakeTikTokClient] = []

    def __init__(self, unique_id: str) -> None:
        self.unique_id = unique_id
        self.handlers: dict[type, list[Callable[[Any], Any]]] = {}
        self.disconnected = False
        self._stop = asyncio.Event()
        FakeTikTokClient.instances.append(self)

    def add_listener(self, event: type, f: Callable[[Any], Any]) -> None:
        self.handlers.setdefault(event, []).append(f)

    async def start(self, *, process_connect_events: bool = True, fetch_room_info: bool = False) -> asyncio.Task[None]:
        return asyncio.ensure_future(self._stop.wait())

    async def disconnect(self, close_client: bool = False) -> None:
        self.disconnected = True
        self._stop.set()

    async def push(self, event: Any) -> None:
        for handler in self.handlers.get(type(event), []):
            await handler(event)


def test_source_reads_events_dedups_replays_and_reconnects_on_silence() -> None:
    FakeTikTokClient.instances.clear()

    async def scenario() -> tuple[ChatHub, TikTokSource]:
        source = TikTokSource(
            TikTokOptions(unique_id="@studio.shop", stale_after_s=0.3),
            client_factory=FakeTikTokClient,
            sleep=RecordingSleep(),
        )
        hub = ChatHub(publish_interval_s=0)
        hub.add_source(source)
        source.start()
        await wait_for(lambda: source.state.status is SourceStatus.LIVE)
        first = FakeTikTokClient.instances[0]
        assert first.unique_id == "studio.shop"
        backlog = [
            events.CommentEvent(common=common(1), user=user(1, "ann", "Ann"), content="link?"),
            events.CommentEvent(common=common(2), user=user(2, "bo", "Bo"), content="price of B7?"),
        ]
        for event in backlog:
            await first.push(event)
        for n in range(1, 4):
            await first.push(gift_event(10 + n, n, end=n == 3, spec=ROSE))
        # Then silence: the watchdog reconnects; TikTok replays recent comments on join.
        await wait_for(lambda: len(FakeTikTokClient.instances) == 2 and source.state.status is SourceStatus.LIVE)
        second = FakeTikTokClient.instances[1]
        for event in backlog:
            await second.push(event)
        await second.push(events.CommentEvent(common=common(3), user=user(3, "cy", "Cy"), content="new one"))
        await second.push(events.LiveEndEvent())
        await wait_for(lambda: source.state.status is SourceStatus.IDLE)
        assert first.disconnected and second.disconnected
        return hub, source

    hub, source = asyncio.run(scenario())
    assert source.state.message == "@studio.shop's LIVE has ended"
    assert hub.snapshot.messages_seen == 4  # two comments, one collapsed gift, one new comment
    assert hub.snapshot.duplicates_dropped == 2
    assert len(hub.snapshot.questions) == 2
