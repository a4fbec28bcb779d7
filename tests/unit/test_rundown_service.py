"""RundownService with a recording stage and a moved clock: go, next, previous, skip, lock, end actions, preheat."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from datetime import datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from studio_console.domain.card import CardState
from studio_console.domain.catalog import Catalog, Product, Variant
from studio_console.domain.rundown import (
    Cue,
    CueKind,
    CueStatus,
    EndAction,
    FlashSale,
    PriceReveal,
    Rundown,
    RundownState,
    TimerPhase,
)
from studio_console.obs.errors import ObsNotConnected
from studio_console.obs.requests import Outcome, Request
from studio_console.services.overlay.scene import OverlayService
from studio_console.services.products.show import ProductShow
from studio_console.services.rundown.service import (
    CuePicture,
    RundownError,
    RundownLocked,
    RundownService,
    api_section,
)
from studio_console.services.rundown.stage import ShowStage
from tests.helpers.fake_obs_session import FakeObsSession, JsonDict
from tests.helpers.rundown import BERLIN, FakeClock, RecordingStage

SALE = FlashSale(deal_price=Decimal("9.99"), countdown_s=60)


def rundown() -> Rundown:
    return Rundown(
        title="Friday",
        cues=(
            Cue(id="pre", title="Doors", kind=CueKind.PREHEAT, duration_s=600, scene="Host",
                target_time=time(19, 10), teaser_skus=("MUG", "TEE")),
            Cue(id="mug", title="Mug", kind=CueKind.PRODUCT, duration_s=300, scene="Close-up", sku="MUG",
                price_action=SALE),
            Cue(id="tee", title="Tee", kind=CueKind.PRODUCT, duration_s=200, scene="Host", sku="TEE",
                variant="TEE-M", price_action=PriceReveal(after_s=20)),
            Cue(id="chat", title="Q&A", duration_s=120, scene="Split"),
        ),
    )  # fmt: skip


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 12, 1, 19, 0, tzinfo=BERLIN))


@pytest.fixture
def stage() -> RecordingStage:
    return RecordingStage()


@pytest.fixture
def service(clock: FakeClock, stage: RecordingStage) -> RundownService:
    return RundownService(stage, rundown(), clock=clock.clock, sleep=clock.never, teaser_cycle_s=8)


def test_go_puts_scene_card_and_flash_sale_on_air_as_one_picture(
    service: RundownService, stage: RecordingStage
) -> None:
    async def scenario() -> None:
        await service.go(1)
        assert stage.last == CuePicture("Close-up", "MUG", flash_sale=SALE)
        state = service.state
        assert state.locked and state.timer.current is not None and state.timer.current.title == "Mug"
        assert state.timer.next is not None and state.timer.next.index == 2
        await asyncio.sleep(0)  # the next cue is drawn ahead
        assert stage.prepared[-1] == CuePicture("Host", "TEE-M", teaser=True)
        await service.close()

    asyncio.run(scenario())


def test_next_previous_and_the_end_of_the_show(
    service: RundownService, stage: RecordingStage, clock: FakeClock
) -> None:
    async def scenario() -> None:
        assert await service.next() == 0
        clock.advance(600)
        assert await service.next() == 1
        clock.advance(100)
        assert await service.previous() == 0
        assert service.state.records[1].status is CueStatus.PENDING
        assert [p.scene for p in stage.shown] == ["Host", "Close-up", "Host"]
        await service.go(3)
        assert await service.next() is None  # past the last cue: the show is over
        state = service.state
        assert state.timer.ended and not state.locked
        with pytest.raises(RundownError, match="No cue is live"):
            await service.previous()
        await service.close()

    asyncio.run(scenario())


def test_skip_passes_over_a_cue_and_go_unskips_it(service: RundownService, stage: RecordingStage) -> None:
    async def scenario() -> None:
        await service.go(1)
        assert service.skip() == 2
        assert await service.next() == 3
        assert service.state.records[2].status is CueStatus.SKIPPED
        with pytest.raises(RundownError, match="live cue"):
            service.skip(3)
        await service.go(2)
        assert service.state.records[2].status is CueStatus.LIVE
        await service.close()

    asyncio.run(scenario())


def test_the_running_order_is_locked_while_live_and_editable_after(service: RundownService) -> None:
    async def scenario() -> None:
        await service.go(0)
        with pytest.raises(RundownLocked):
            service.move_cue(3, 0)
        with pytest.raises(RundownLocked):
            service.set_rundown(Rundown())
        await service.end()
        service.move_cue(3, 0)
        assert [c.id for c in service.rundown.cues] == ["chat", "pre", "mug", "tee"]
        edited = service.rundown.cues[0].model_copy(update={"title": "Questions"})
        service.update_cue(edited)
        service.remove_cue(1)
        assert [c.title for c in service.rundown.cues] == ["Questions", "Mug", "Tee"]
        with pytest.raises(RundownError, match="no cue 7"):
            await service.go(7)
        await service.close()

    asyncio.run(scenario())


def test_end_action_next_advances_by_itself_and_hold_runs_into_overtime(
    clock: FakeClock, stage: RecordingStage
) -> None:
    show = Rundown(
        cues=(
            Cue(id="a", title="A", duration_s=60, scene="Host", end_action=EndAction.NEXT),
            Cue(id="b", title="B", duration_s=60, scene="Split"),
        )
    )
    service = RundownService(stage, show, clock=clock.clock, sleep=clock.never)

    async def scenario() -> None:
        await service.go(0)
        clock.advance(59)
        await service.tick()
        assert service.current_index == 0
        clock.advance(1)
        await service.tick()
        assert service.current_index == 1 and stage.last.scene == "Split"
        clock.advance(75)
        await service.tick()
        state = service.state
        assert service.current_index == 1
        assert state.timer.phase is TimerPhase.OVERTIME and state.timer.over_under_s == pytest.approx(15)
        section = api_section(state)
        assert section["phase"] == "overtime" and section["over_under_s"] == 15
        assert section["current"] == {"index": 1, "title": "B", "kind": "segment"}
        assert section["remaining_s"] == -15
        await service.close()

    asyncio.run(scenario())


def test_the_ticker_wakes_each_second_and_publishes(clock: FakeClock, stage: RecordingStage) -> None:
    show = Rundown(cues=(Cue(id="a", title="A", duration_s=3, end_action=EndAction.NEXT), Cue(title="B", duration_s=9)))
    service = RundownService(stage, show, clock=clock.clock, sleep=clock.sleep)
    seen: list[RundownState] = []
    service.subscribe(seen.append)

    async def scenario() -> None:
        await service.go(0)
        while service.current_index != 1:
            await asyncio.sleep(0)
        await service.end()
        await service.close()

    asyncio.run(scenario())
    elapsed = [s.timer.elapsed_s for s in seen if s.timer.current is not None and s.timer.current.index == 0]
    # One state at the go, then one each whole second until the end action moved on at 3 s.
    assert elapsed == [0, 1, 2]


def test_price_reveal_shows_the_card_without_price_then_with_it(
    service: RundownService, stage: RecordingStage, clock: FakeClock
) -> None:
    async def scenario() -> None:
        await service.go(2)
        assert stage.last == CuePicture("Host", "TEE-M", teaser=True)
        assert service.state.price_hidden
        clock.advance(19)
        await service.tick()
        assert len(stage.shown) == 1
        clock.advance(1)
        await service.tick()
        assert stage.last == CuePicture(None, "TEE-M", teaser=False)
        assert not service.state.price_hidden
        await service.close()

    asyncio.run(scenario())


def test_preheat_counts_down_to_the_show_and_cycles_teasers(
    service: RundownService, stage: RecordingStage, clock: FakeClock
) -> None:
    async def scenario() -> None:
        await service.go(0)
        assert stage.last == CuePicture("Host", "MUG", teaser=True, live_in_s=600)
        preheat = service.state.preheat
        assert preheat is not None and preheat.live_in_s == 600 and preheat.teaser_sku == "MUG"
        clock.advance(1)
        await service.tick()
        assert stage.last == CuePicture(None, "MUG", teaser=True, live_in_s=599)
        clock.advance(7)
        await service.tick()
        assert stage.last.card_sku == "TEE"
        clock.advance(8)
        await service.tick()
        assert stage.last.card_sku == "MUG"
        clock.advance(1200)  # past the target time: it holds at zero until the producer says go
        await service.tick()
        assert stage.last.live_in_s == 0 and service.current_index == 0
        assert service.state.timer.phase is TimerPhase.OVERTIME
        await service.close()

    asyncio.run(scenario())


def test_an_obs_failure_is_reported_and_the_timer_still_runs(service: RundownService, stage: RecordingStage) -> None:
    async def scenario() -> None:
        stage.fail = ObsNotConnected("OBS is not connected")
        with pytest.raises(RundownError, match="could not be put on air: OBS is not connected"):
            await service.go(1)
        assert service.current_index == 1
        assert service.state.problem is not None
        stage.fail = None
        await service.go(1)
        assert service.state.problem is None
        await service.close()

    asyncio.run(scenario())


def test_quick_nexts_leave_obs_on_the_last_cue_asked_for(service: RundownService, stage: RecordingStage) -> None:
    async def scenario() -> None:
        stage.gate = asyncio.Event()
        first = asyncio.create_task(service.go(1))
        await asyncio.sleep(0)
        second = asyncio.create_task(service.go(2))
        third = asyncio.create_task(service.go(3))
        await asyncio.sleep(0)
        stage.gate.set()
        await asyncio.gather(first, second, third)
        assert [p.scene for p in stage.shown] == ["Close-up", "Split"]
        await service.close()

    asyncio.run(scenario())


def test_listeners_hear_every_change(service: RundownService) -> None:
    seen: list[RundownState] = []
    unsubscribe = service.subscribe(seen.append)

    async def scenario() -> None:
        await service.go(1)
        service.skip(3)
        unsubscribe()
        await service.next()
        await service.close()

    asyncio.run(scenario())
    assert [s.timer.current.index if s.timer.current else None for s in seen] == [1, 1]
    assert seen[-1].records[3].status is CueStatus.SKIPPED


def test_without_a_stage_the_timers_still_work(clock: FakeClock) -> None:
    service = RundownService(None, rundown(), clock=clock.clock, sleep=clock.never)

    async def scenario() -> None:
        await service.go(1)
        clock.advance(10)
        assert service.state.timer.remaining_s == 290
        await service.close()

    asyncio.run(scenario())


class BatchRecordingSession(FakeObsSession):
    """FakeObsSession that also keeps each batch as one group, to see what OBS gets together."""

    def __init__(self) -> None:
        super().__init__()
        self.batches: list[list[str]] = []

    async def call_batch(self, requests: Sequence[Request[Any]], **options: Any) -> tuple[Outcome[Any], ...]:
        self.batches.append([r.request_type for r in requests])
        return await super().call_batch(requests, **options)

    def _answer(self, request_type: str, data: JsonDict | None) -> JsonDict:
        if request_type in ("CreateInput", "CreateSceneItem"):
            return {"sceneItemId": len(self.requests)}
        if request_type == "GetSceneItemList":
            return {"sceneItems": []}
        return super()._answer(request_type, data)


def catalog() -> Catalog:
    return Catalog(
        products=(
            Product(sku="MUG", title="Mug", short_code="MUG1", variants=(Variant(sku="MUG", price=Decimal("12")),)),
            Product(
                sku="TEE",
                title="Tee",
                variants=(
                    Variant(sku="TEE-S", options={"Size": "S"}, price=Decimal("20"), stock=3),
                    Variant(sku="TEE-M", options={"Size": "M"}, price=Decimal("20"), stock=5),
                ),
            ),
        )
    )


def render_texts(card: CardState, width: int, height: int) -> bytes:
    return json.dumps([card.sku, card.price_text, card.code_text, card.countdown_text, card.stock_text]).encode()


def test_the_app_stage_sends_scene_and_card_in_one_serial_frame_batch(tmp_path: Path, clock: FakeClock) -> None:
    session = BatchRecordingSession()
    session.publish(session.snapshot.model_copy(update={"scenes": ("Host", "Close-up", "Split")}))

    async def scenario() -> None:
        overlay = OverlayService(session, tmp_path)  # type: ignore[arg-type]
        await overlay.install()
        show = ProductShow(overlay, render_texts, catalog())
        service = RundownService(ShowStage(show, lambda: session.snapshot.scenes), rundown(), clock=clock.clock,
                                 sleep=clock.never)  # fmt: skip
        session.batches.clear()
        await service.go(1)
        assert session.batches[-1][:2] == ["SetCurrentProgramScene", "SetInputSettings"]
        assert "SetSceneItemEnabled" in session.batches[-1]
        assert session.requests[-len(session.batches[-1])][1] == {"sceneName": "Close-up"}
        assert show.state.flash_sale is not None and show.state.flash_sale.deal_price == Decimal("9.99")
        # The next cue is drawn and written ahead, so its go only sends requests.
        ahead = tmp_path / "overlay" / "product_card-next-0.png"
        for _ in range(500):
            if ahead.exists():
                break
            await asyncio.sleep(0.01)
        await service.go(2)  # price reveal: drawn without price or code first
        sent = dict(session.requests[-len(session.batches[-1]) :])
        assert sent["SetInputSettings"] == {
            "inputName": "Studio Console Overlay - product_card",
            "inputSettings": {"file": str(ahead)},
        }
        card = show.desired_card()
        assert card is not None and card.teaser and card.price_text == "Coming up" and card.code_text is None
        assert card.sku == "TEE-M" and card.stock_text is None
        await service.go(3)  # a segment without a product: card off, in the same batch as the scene
        assert session.batches[-1] == ["SetCurrentProgramScene", "SetSceneItemEnabled"]
        await service.go(0)  # preheat: a teaser with "Live in"
        card = show.desired_card()
        assert card is not None and card.teaser and card.countdown_text == "Live in 10:00"
        with pytest.raises(RundownError, match="no scene named 'Nowhere'"):
            await ShowStage(show, lambda: session.snapshot.scenes).show(CuePicture("Nowhere", None))
        await service.close()
        await show.close()
        overlay.close()

    asyncio.run(scenario())
