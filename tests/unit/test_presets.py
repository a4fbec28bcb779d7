"""Creator presets: the store on tmp_path, export without secrets, the switch order over a fake OBS, brands."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest

from studio_console.domain.card import CardLayout, Theme, card_for, card_rect
from studio_console.domain.catalog import Catalog, Product, Variant
from studio_console.domain.presets import (
    Preset,
    PresetBrand,
    PresetChatSource,
    PresetDestination,
    SwitchProgress,
    SwitchStep,
)
from studio_console.domain.rundown import Cue, CueKind, Rundown
from studio_console.obs.collections import SceneCollections
from studio_console.obs.events import CurrentSceneCollectionChanged
from studio_console.render.card_renderer import CardRenderer
from studio_console.services.presets.store import PresetError, PresetStore
from studio_console.services.presets.switcher import PresetRefused, PresetSwitcher, SwitchFailed
from tests.helpers.fake_obs_session import FakeObsSession

BRAND_A = Theme(panel="#FF1E3A8A", accent="#FFF59E0B")
BRAND_B = Theme(panel="#FF0F766E", accent="#FFDB2777")


def shirt(sku: str = "TEE", title: str = "Linen Summer Shirt") -> Product:
    return Product(
        sku=sku,
        title=title,
        short_code=sku,
        variants=(Variant(sku=f"{sku}-S", options={"Size": "S"}, price=Decimal("49.99"), stock=30),),
    )


def preset_a() -> Preset:
    return Preset(
        name="Anna's Linen Hour",
        creator="Anna",
        brand=PresetBrand(theme=BRAND_A, card_layout=CardLayout.LOWER_THIRD),
        queue=("TEE",),
        destinations=(PresetDestination(sink_id="twitch-anna"), PresetDestination(sink_id="youtube-anna")),
        selected_destination="twitch-anna",
        chat_sources=(PresetChatSource(kind="twitch", options={"channel": "anna"}),),
        blocked_words=("spam",),
        excluded_scenes=("Intro",),
        obs_scene_collection="Anna",
        obs_profile="Anna profile",
        rundown=Rundown(
            cues=(
                Cue(id="welcome", title="Welcome", kind=CueKind.SEGMENT, duration_s=60),
                Cue(id="linen-tee", title="Linen tee", kind=CueKind.PRODUCT, duration_s=120, sku="TEE"),
            )
        ),
    )


# -- the store --------------------------------------------------------------------------------------


def test_a_saved_preset_and_its_catalog_come_back_and_the_day_order_lists_shows_first(tmp_path: Path) -> None:
    store = PresetStore(tmp_path)
    store.save(preset_a(), Catalog(products=(shirt(),)))
    store.save(Preset(name="Ben's Gadgets"))
    store.save(Preset(name="Cara Cooks"))
    store.set_day_order(["Cara Cooks", "Anna's Linen Hour"])

    assert store.load("Anna's Linen Hour") == preset_a()
    assert [p.sku for p in store.load_catalog("Anna's Linen Hour").products] == ["TEE"]
    assert store.names() == ["Cara Cooks", "Anna's Linen Hour", "Ben's Gadgets"]


def test_rename_duplicate_and_delete_keep_catalog_and_order_in_step(tmp_path: Path) -> None:
    store = PresetStore(tmp_path)
    store.save(preset_a(), Catalog(products=(shirt(),)))
    store.set_day_order(["Anna's Linen Hour"])

    store.rename("Anna's Linen Hour", "Anna Tuesday")
    assert store.names() == ["Anna Tuesday"]
    assert [p.sku for p in store.load_catalog("Anna Tuesday").products] == ["TEE"]
    assert not store.preset_path("Anna's Linen Hour").exists()

    copy = store.duplicate("Anna Tuesday", "Anna Wednesday")
    assert copy.brand == preset_a().brand
    assert [p.sku for p in store.load_catalog("Anna Wednesday").products] == ["TEE"]
    with pytest.raises(PresetError, match="already exists"):
        store.duplicate("Anna Tuesday", "Anna Wednesday")

    store.delete("Anna Tuesday")
    assert store.names() == ["Anna Wednesday"]
    assert store.day_order() == []
    assert not store.catalog_store("Anna Tuesday").path.exists()


def test_a_bad_preset_file_is_named_with_its_field(tmp_path: Path) -> None:
    store = PresetStore(tmp_path)
    store.save(preset_a())
    path = store.preset_path("Anna's Linen Hour")
    data = json.loads(path.read_text())
    data["brand"]["theme"]["panel"] = "blue"
    path.write_text(json.dumps(data))

    with pytest.raises(PresetError) as caught:
        store.load("Anna's Linen Hour")
    assert str(path) in str(caught.value)
    assert "brand.theme.panel" in str(caught.value)

    path.write_text('{"name": "x",\n "queue": [}')
    with pytest.raises(PresetError, match="line 2"):
        store.load("Anna's Linen Hour")


def test_chat_options_that_look_like_secrets_are_refused() -> None:
    with pytest.raises(ValueError, match="oauth_token"):
        PresetChatSource(kind="twitch", options={"channel": "anna", "oauth_token": "abc"})


def test_export_carries_no_secret_and_import_asks_for_each_stream_key(tmp_path: Path) -> None:
    store = PresetStore(tmp_path / "studio1")
    preset = preset_a()
    store.save(preset, Catalog(products=(shirt(),)))
    keyring = {name: f"live_secret_{n}_xyz" for n, name in enumerate(preset.stream_key_names().values())}
    target = tmp_path / "anna.preset.json"

    store.export(preset.name, target)

    text = target.read_text()
    assert keyring  # the test really set secrets to look for
    for secret in keyring.values():
        assert secret not in text
    other = PresetStore(tmp_path / "studio2")
    imported = other.import_file(target)
    assert imported.preset == preset
    assert imported.catalog_products == 1
    assert imported.keys_to_ask == {
        "twitch-anna": "preset:anna-s-linen-hour:stream-key:twitch-anna",
        "youtube-anna": "preset:anna-s-linen-hour:stream-key:youtube-anna",
    }
    with pytest.raises(PresetError, match="already exists"):
        other.import_file(target)
    assert other.import_file(target, name="Anna copy").preset.name == "Anna copy"


def test_an_import_of_a_file_that_is_not_an_export_names_the_field(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text('{"format": "something else"}')
    with pytest.raises(PresetError, match=r"x\.json: field format"):
        PresetStore(tmp_path).import_file(path)


# -- switching --------------------------------------------------------------------------------------


class RecordingPorts:
    """The studio as the switcher sees it: records each call, with what OBS had been told so far."""

    def __init__(self, obs: FakeObsSession) -> None:
        self.obs = obs
        self.calls: list[tuple[str, object]] = []
        self.fail_on: str | None = None

    def _record(self, what: str, detail: object) -> None:
        self.calls.append((what, detail))
        if what == self.fail_on:
            raise RuntimeError(f"{what} broke")

    async def stop_chat(self) -> None:
        self._record("stop_chat", None)

    async def start_chat(self, sources: tuple[PresetChatSource, ...] | None, blocked_words: tuple[str, ...]) -> None:
        self._record("start_chat", (sources, blocked_words))

    async def rebuild_overlay(self, excluded_scenes: tuple[str, ...]) -> None:
        self._record("rebuild_overlay", (excluded_scenes, self.obs.current_collection))

    async def load_products(self, preset_name: str, catalog: Catalog, queue: tuple[str, ...]) -> None:
        self._record("load_products", ([p.sku for p in catalog.products], queue))

    async def load_rundown(self, rundown: Rundown | None) -> None:
        self._record("load_rundown", [c.title for c in rundown.cues] if rundown else [])

    async def apply_brand(self, brand: PresetBrand) -> None:
        self._record("apply_brand", brand.theme.panel)

    async def apply_destinations(self, preset: Preset) -> None:
        self._record("apply_destinations", preset.selected_destination)


def switch_set_up(tmp_path: Path, live: str | None = None) -> tuple[FakeObsSession, RecordingPorts, PresetSwitcher]:
    obs = FakeObsSession()
    obs.scene_collections = ["Untitled", "Anna"]
    obs.profiles = ["Untitled", "Anna profile"]
    store = PresetStore(tmp_path)
    store.save(preset_a(), Catalog(products=(shirt(),)))
    ports = RecordingPorts(obs)
    switcher = PresetSwitcher(store, ports, SceneCollections(obs, timeout_s=5), lambda: live)
    return obs, ports, switcher


def test_a_switch_runs_in_the_safe_order_and_reports_each_step(tmp_path: Path) -> None:
    obs, ports, switcher = switch_set_up(tmp_path)
    progress: list[SwitchProgress] = []
    switcher.progress.add(progress.append)

    result = asyncio.run(switcher.switch("Anna's Linen Hour"))

    assert result.ok and switcher.active == "Anna's Linen Hour"
    assert ports.calls == [
        ("stop_chat", None),
        ("rebuild_overlay", (("Intro",), "Anna")),
        ("load_products", (["TEE"], ("TEE",))),
        ("load_rundown", ["Welcome", "Linen tee"]),
        ("apply_brand", "#FF1E3A8A"),
        ("apply_destinations", "twitch-anna"),
        ("start_chat", ((PresetChatSource(kind="twitch", options={"channel": "anna"}),), ("spam",))),
    ]
    assert (obs.current_collection, obs.current_profile) == ("Anna", "Anna profile")
    assert [p.step for p in progress if p.done] == list(result.switched)
    assert result.switched[1:3] == (SwitchStep.OBS_COLLECTION, SwitchStep.OBS_PROFILE)


async def sent(obs: FakeObsSession, request_type: str) -> None:
    while not obs.count(request_type):
        await asyncio.sleep(0.01)


def test_nothing_is_sent_to_obs_until_obs_reports_the_collection_switch(tmp_path: Path) -> None:
    obs, ports, switcher = switch_set_up(tmp_path)
    obs.report_switches = False

    async def scenario() -> None:
        task = asyncio.create_task(switcher.switch("Anna's Linen Hour"))
        await asyncio.wait_for(sent(obs, "SetCurrentSceneCollection"), 10)
        for _ in range(20):
            await asyncio.sleep(0)
        assert obs.requests[-1][0] == "SetCurrentSceneCollection"
        sent_before = len(obs.requests)
        assert [c for c, _ in ports.calls] == ["stop_chat"]
        obs.emit(CurrentSceneCollectionChanged("Untitled"))  # not ours: keep waiting
        for _ in range(20):
            await asyncio.sleep(0)
        assert len(obs.requests) == sent_before
        obs.emit(CurrentSceneCollectionChanged("Anna"))
        obs.report_switches = True
        result = await task
        assert result.ok

    asyncio.run(scenario())


def test_a_switch_is_refused_while_a_real_audience_watches(tmp_path: Path) -> None:
    obs, ports, switcher = switch_set_up(tmp_path, live="Live on Twitch: stop the stream before switching presets.")

    with pytest.raises(PresetRefused, match="stop the stream"):
        asyncio.run(switcher.switch("Anna's Linen Hour"))
    assert ports.calls == []
    assert obs.requests == []


def test_an_unknown_preset_is_refused_before_any_change(tmp_path: Path) -> None:
    obs, ports, switcher = switch_set_up(tmp_path)
    with pytest.raises(PresetRefused, match="no preset named"):
        asyncio.run(switcher.switch("Nobody"))
    assert ports.calls == [] and obs.requests == []


def test_a_failure_halfway_says_what_switched_and_restarts_chat(tmp_path: Path) -> None:
    _obs, ports, switcher = switch_set_up(tmp_path)
    ports.fail_on = "load_products"

    with pytest.raises(SwitchFailed) as caught:
        asyncio.run(switcher.switch("Anna's Linen Hour"))

    result = caught.value.result
    assert not result.ok
    assert result.switched == (SwitchStep.OBS_COLLECTION, SwitchStep.OBS_PROFILE, SwitchStep.OVERLAY)
    assert result.not_switched == (
        SwitchStep.PRODUCTS,
        SwitchStep.RUNDOWN,
        SwitchStep.BRAND,
        SwitchStep.DESTINATIONS,
        SwitchStep.START_CHAT,
    )
    assert "failed at products and queue" in result.message and "restarted" in result.message
    # Chat came back with the sources that ran before (None), not the new preset's.
    assert ports.calls[-1] == ("start_chat", (None, ()))
    assert switcher.active is None and switcher.switching is None


def test_obs_refusing_the_collection_leaves_everything_but_chat_untouched(tmp_path: Path) -> None:
    obs, ports, switcher = switch_set_up(tmp_path)
    obs.fail("SetCurrentSceneCollection", 600, "ResourceNotFound")

    with pytest.raises(SwitchFailed) as caught:
        asyncio.run(switcher.switch("Anna's Linen Hour"))

    assert caught.value.result.switched == ()
    assert [c for c, _ in ports.calls] == ["stop_chat", "start_chat"]
    assert obs.current_collection == "Untitled"


# -- brands on cards ----------------------------------------------------------------------------------


def test_cards_drawn_with_two_brands_show_each_brands_colours() -> None:
    renderer = CardRenderer()
    width, height = 640, 360
    pictures = {}
    for name, theme in (("A", BRAND_A), ("B", BRAND_B)):
        card = card_for(shirt(), layout=CardLayout.LOWER_THIRD, theme=theme)
        pictures[name] = renderer.render(card, width, height).image.convert("RGB")
    rect = card_rect(CardLayout.LOWER_THIRD, width, height)
    # Pixels of the panel: a column near the card's right edge, away from the text and the rounded corners.
    samples = [(rect.x + rect.width - 4, rect.y + rect.height * k // 8) for k in range(3, 6)]

    def dominant(name: str) -> tuple[int, int, int]:
        counts = Counter(pictures[name].getpixel(xy) for xy in samples)
        return counts.most_common(1)[0][0]  # type: ignore[no-any-return]

    assert dominant("A") == (0x1E, 0x3A, 0x8A)
    assert dominant("B") == (0x0F, 0x76, 0x6E)
    outside = (rect.x - 5, rect.y - 5)
    assert pictures["A"].getpixel(outside) == pictures["B"].getpixel(outside)


# -- the OBS session holds other requests during a collection switch -------------------------------


def test_the_session_holds_every_other_request_until_the_collection_switch_is_reported() -> None:
    from studio_console.obs.errors import ObsTimeout
    from studio_console.obs.requests import GetVersion, SetCurrentSceneCollection
    from studio_console.obs.session import Backoff, ObsSession
    from tests.helpers.fake_obs_server import FakeObsServer

    async def main() -> None:
        server = FakeObsServer()
        server.responses["SetCurrentSceneCollection"] = {}
        port = await server.start()
        session = ObsSession("127.0.0.1", port, None, backoff=Backoff(first_s=0.05, cap_s=0.2))
        session.start()
        try:
            while not session.snapshot.connection.connected:
                await asyncio.sleep(0.01)
            # The fake never reports the switch: the exclusive request ends by its timeout.
            switch = asyncio.ensure_future(
                session.call_exclusive(SetCurrentSceneCollection("B"), lambda event: False, timeout=1.0)
            )
            while "SetCurrentSceneCollection" not in server.requests_seen:
                await asyncio.sleep(0.01)
            sent_at = len(server.requests_seen)
            held = asyncio.ensure_future(session.call(GetVersion()))
            with pytest.raises(ObsTimeout, match="did not report"):
                await switch
            assert not held.done()
            assert "GetVersion" not in server.requests_seen[sent_at:]
            await held  # let through once the switch is over
            assert "GetVersion" in server.requests_seen[sent_at:]
        finally:
            await session.stop()
            await server.stop()

    asyncio.run(main())


def test_the_studio_loads_the_presets_run_of_show_into_the_rundown(tmp_path: Path) -> None:
    """The ports over a real RundownService: the preset's cues replace the last show's, a live cue ends first."""
    from studio_console.services.presets.studio import StudioPresetPorts
    from studio_console.services.rundown.service import RundownService
    from tests.helpers.rundown import RecordingStage

    async def scenario() -> None:
        service = RundownService(RecordingStage())
        service.set_rundown(Rundown(cues=(Cue(title="Yesterday", kind=CueKind.SEGMENT, duration_s=30),)))
        await service.go(0)
        assert service.locked
        ports = StudioPresetPorts.__new__(StudioPresetPorts)
        ports.rundown = service
        await ports.load_rundown(preset_a().rundown)
        assert [c.title for c in service.rundown.cues] == ["Welcome", "Linen tee"] and not service.locked
        await ports.load_rundown(None)
        assert service.rundown.cues == ()
        await service.close()

    asyncio.run(scenario())
