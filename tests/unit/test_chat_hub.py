"""The chat hub: de-duplication, moderation, buyer intent, questions queue, gifters, featured comment, sources."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pydantic
import pytest

from studio_console.adapters.chat.rehearsal import RehearsalAudience, RehearsalOptions
from studio_console.domain.chat import ChatHubSnapshot, ChatKind, ChatRules, Intent, SourceStatus
from studio_console.services.chat.hub import ChatHub
from studio_console.services.chat.viewer_book import ViewerBook
from tests.helpers.chat import message

CATALOG = {"A1": "SKU-LINEN-DRESS", "B7": "SKU-WRAP-TOP", "C12": "SKU-BELT"}


def make_hub(**kwargs: object) -> ChatHub:
    return ChatHub(product_lookup=CATALOG.get, publish_interval_s=0, **kwargs)  # type: ignore[arg-type]


def test_duplicates_by_source_and_id_are_dropped_including_a_replayed_backlog() -> None:
    hub = make_hub()
    seen: list[str] = []
    hub.subscribe(lambda m: seen.append(m.message_id))
    backlog = [message("one", message_id="1"), message("two", message_id="2")]
    for m in backlog:
        hub.ingest(m)
    # A reconnect replays the backlog, then new messages follow.
    for m in [*backlog, message("three", message_id="3")]:
        hub.ingest(m)
    # The same id from another source is another message.
    hub.ingest(message("one elsewhere", message_id="1", source_id="other"))
    assert seen == ["1", "2", "3", "1"]
    assert hub.snapshot.duplicates_dropped == 2


def test_dedup_memory_is_bounded() -> None:
    hub = make_hub(dedup_capacity=100, recent_capacity=50)
    for n in range(1000):
        hub.ingest(message(message_id=str(n)))
    assert len(hub._seen) == 100
    assert len(hub._recent) == 50
    # Forgotten long ago: would count again (the bound is the price of flat memory).
    assert hub.ingest(message(message_id="0")) is not None
    assert hub.ingest(message(message_id="999")) is None


def test_buyer_intent_and_product_link() -> None:
    hub = make_hub()
    asked = hub.ingest(message("how much is A1?"))
    assert asked is not None
    assert asked.intents == {Intent.QUESTION, Intent.PRICE, Intent.PRODUCT}
    assert (asked.product_sku, asked.product_code) == ("SKU-LINEN-DRESS", "A1")
    sold = hub.ingest(message("SOLD #b7 size M"))
    assert sold is not None and sold.product_sku == "SKU-WRAP-TOP"
    assert {Intent.SOLD, Intent.SIZE, Intent.PRODUCT} <= sold.intents and not sold.is_question
    chat = hub.ingest(message("love this look"))
    assert chat is not None and chat.intents == frozenset() and chat.product_sku is None
    unknown = hub.ingest(message("is Z99 in stock?"))
    assert unknown is not None and unknown.product_sku is None and unknown.is_question


def test_questions_queue_and_counts_per_product() -> None:
    hub = make_hub(rules=ChatRules(questions_capacity=3))
    for text in ("price of A1?", "does A1 come in blue?", "link for C12?", "wow", "what sizes for A1?"):
        hub.ingest(message(text))
    snap = hub.snapshot
    assert [q.text for q in snap.questions] == ["does A1 come in blue?", "link for C12?", "what sizes for A1?"]
    # Counts cover the whole show, not only what the bounded queue still holds.
    assert snap.questions_per_product == {"SKU-LINEN-DRESS": 3, "SKU-BELT": 1}
    assert [q.text for q in hub.questions_for("SKU-LINEN-DRESS")] == ["does A1 come in blue?", "what sizes for A1?"]
    assert hub.dismiss_question(snap.questions[0].message_id)
    assert len(hub.snapshot.questions) == 2
    assert not hub.dismiss_question("nope")


def test_moderation_hides_blocked_words_and_users_locally() -> None:
    hub = make_hub(rules=ChatRules(blocked_words=("scam",), blocked_users=("twitch:spammer", "troll")))
    shown: list[str] = []
    hub.subscribe(lambda m: shown.append(m.text))
    hub.ingest(message("total sc\u200bam, buy here"))  # a zero-width space must not get it through
    hub.ingest(message("SCAM!!"))
    hub.ingest(message("hi", platform="twitch", user_name="Spammer", display_name="Spammer"))
    hub.ingest(message("hi from youtube", platform="youtube", user_name="spammer", display_name="spammer"))
    hub.ingest(message("hi", user_name="troll", display_name="TROLL"))
    assert shown == ["hi from youtube"]
    assert hub.snapshot.hidden_by_moderation == 4


def test_blocking_a_user_removes_what_was_shown_and_their_questions() -> None:
    hub = make_hub()
    removed: list[tuple[str, ...]] = []
    hub.subscribe_removed(removed.append)
    first = hub.ingest(message("price of A1?", user_name="pest", display_name="Pest", message_id="p1"))
    hub.ingest(message("fine", user_name="ok", display_name="Ok", message_id="o1"))
    assert first is not None
    hub.feature("p1")
    hub.block_user("rehearsal", "pest")
    assert removed == [("p1",)]
    assert hub.snapshot.questions == () and hub.featured is None
    assert hub.ingest(message("again", user_name="pest", display_name="Pest")) is None
    assert "rehearsal:pest" in hub.rules.blocked_users


def test_keywords_are_editable_per_language() -> None:
    hub = make_hub()
    assert hub.ingest(message("quanto costa?")).intents == {Intent.QUESTION}  # type: ignore[union-attr]
    rules = hub.rules
    languages = dict(rules.languages)
    languages["it"] = languages["en"].model_copy(update={"price": ("quanto costa", "prezzo")})
    hub.set_rules(rules.model_copy(update={"languages": languages}))
    assert hub.ingest(message("quanto costa?")).intents == {Intent.QUESTION, Intent.PRICE}  # type: ignore[union-attr]
    assert hub.ingest(message("wie viel kostet A1")).intents >= {Intent.PRICE, Intent.PRODUCT}  # type: ignore[union-attr]


def test_returning_viewers_are_remembered_across_shows(tmp_path: Path) -> None:
    path = tmp_path / "viewers.json"
    first_show = make_hub(viewer_book=ViewerBook(path))
    assert not first_show.ingest(message("hi", user_id="42")).returning_viewer  # type: ignore[union-attr]
    first_show.viewers.save()
    assert "42" not in path.read_text()  # only hashes are stored
    second_show = make_hub(viewer_book=ViewerBook(path))
    assert second_show.ingest(message("back!", user_id="42")).returning_viewer  # type: ignore[union-attr]
    assert not second_show.ingest(message("new", user_id="43")).returning_viewer  # type: ignore[union-attr]


def test_corrupt_viewer_history_starts_empty(tmp_path: Path) -> None:
    path = tmp_path / "viewers.json"
    path.write_text("{not json")
    hub = make_hub(viewer_book=ViewerBook(path))
    assert hub.ingest(message("hi")) is not None


def gift(user: str, value: float, count: int = 1, platform: str = "tiktok") -> object:
    return message(
        "",
        kind=ChatKind.GIFT,
        platform=platform,
        user_id=user,
        user_name=user,
        display_name=user.title(),
        gift_name="Rose",
        gift_count=count,
        gift_value=value,
        gift_unit="diamonds",
    )


def test_top_gifters_per_platform_and_flag() -> None:
    hub = make_hub(rules=ChatRules(top_gifters=2))
    alerts: list[str] = []
    hub.subscribe_alerts(lambda m: alerts.append(m.name))
    for user, value in (("ann", 5), ("bob", 50), ("cid", 1), ("ann", 100), ("dee", 2)):
        hub.ingest(gift(user, value))  # type: ignore[arg-type]
    hub.ingest(message("cheer", platform="twitch", user_id="zed", user_name="zed", display_name="Zed", bits=300))
    top = hub.snapshot.top_gifters
    assert [(g.platform, g.name, g.value) for g in top] == [
        ("twitch", "Zed", 300.0),
        ("tiktok", "Ann", 105.0),
        ("tiktok", "Bob", 50.0),
    ]
    assert hub.ingest(message("thanks!", platform="tiktok", user_id="ann", user_name="ann")).top_gifter  # type: ignore[union-attr]
    assert not hub.ingest(message("me too", platform="tiktok", user_id="cid", user_name="cid")).top_gifter  # type: ignore[union-attr]
    assert alerts == ["Ann", "Bob", "Cid", "Ann", "Dee", "Zed"]


def test_feature_and_unfeature_by_message_id() -> None:
    hub = make_hub()
    snapshots: list[ChatHubSnapshot] = []
    hub.subscribe_snapshot(snapshots.append)
    hub.ingest(message("pick me", message_id="x1"))
    assert hub.feature("x1").text == "pick me"
    assert snapshots[-1].featured is not None and snapshots[-1].featured.message_id == "x1"
    with pytest.raises(KeyError):
        hub.feature("missing")
    hub.unfeature()
    assert snapshots[-1].featured is None and hub.snapshot.featured is None


def test_external_messages_through_the_bridge() -> None:
    hub = make_hub()
    got: list[str] = []
    hub.subscribe(lambda m: got.append(f"{m.platform}/{m.name}/{m.text}"))
    with pytest.raises(RuntimeError):
        hub.ingest_external("instagram", "lou", "hello")  # not started yet
    hub.bridge.start()
    message_id = hub.ingest_external("instagram", "lou", "how much is C12?")
    assert message_id.startswith("ext-")
    assert got == ["instagram/lou/how much is C12?"]
    assert hub.message(message_id) is not None and hub.message(message_id).product_sku == "SKU-BELT"  # type: ignore[union-attr]
    for bad in (("Bad Platform!", "x", "y"), ("ok", "", "y"), ("ok", "x", ""), ("ok", "x", "y" * 2001)):
        with pytest.raises(pydantic.ValidationError):
            hub.ingest_external(*bad)


def test_sources_feed_the_hub_and_report_state() -> None:
    async def scenario() -> ChatHub:
        hub = ChatHub(product_lookup=CATALOG.get, publish_interval_s=0.01)
        snapshots: list[ChatHubSnapshot] = []
        hub.subscribe_snapshot(snapshots.append)
        audience = RehearsalAudience(RehearsalOptions(rate_per_s=2000, limit=50, seed=3, short_codes=("A1", "B7")))
        hub.add_source(audience)
        with pytest.raises(ValueError):
            hub.add_source(RehearsalAudience())
        hub.start()
        while audience.state.status is not SourceStatus.IDLE or hub.snapshot.messages_seen < 1:
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.05)  # let the coalesced snapshot go out
        states = {s.source_id: s.status for s in snapshots[-1].sources}
        assert states == {"bridge": SourceStatus.LIVE, "rehearsal": SourceStatus.IDLE}
        await hub.remove_source("rehearsal")
        await hub.stop()
        assert {s.source_id: s.status for s in hub.snapshot.sources} == {"bridge": SourceStatus.IDLE}
        return hub

    hub = asyncio.run(scenario())
    # Viewer counts are not chat lines, but they are in the snapshot (only while their source exists).
    assert 0 < hub.snapshot.messages_seen <= 50


def test_snapshot_publishing_is_coalesced_on_a_loop() -> None:
    async def scenario() -> list[ChatHubSnapshot]:
        hub = ChatHub(product_lookup=CATALOG.get, publish_interval_s=0.05)
        snapshots: list[ChatHubSnapshot] = []
        hub.subscribe_snapshot(snapshots.append)
        for n in range(100):
            hub.ingest(message(f"price of A1? #{n}"))
        assert snapshots == []
        await asyncio.sleep(0.2)
        return snapshots

    snapshots = asyncio.run(scenario())
    assert len(snapshots) == 1 and len(snapshots[0].questions) == 100
