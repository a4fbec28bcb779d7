"""The Qt-free composition root: builds the OBS session, every service, sinks, chat and the remote API.

``StudioCore`` is the whole app without a window: the Qt shell (``qt/shell.py``) shows it, a headless
run (``studio-console --headless``, tests, a future second-PC host view) uses it as it is. It owns
start-up and shutdown order and one channel for problems and notices, so no service needs a window
to report a failure and a featured comment reaches air with no Qt at all.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets as pysecrets
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from studio_console.adapters.http_server import JsonHttpServer
from studio_console.cli import LaunchOptions
from studio_console.demo import (
    DEMO_EXCLUDED_SCENES,
    ManagedObs,
    demo_obs_password,
    demo_queue,
    rehearsal_audience,
)
from studio_console.domain.card import CardLayout, CardState
from studio_console.domain.chat import ChatHubSnapshot, ChatRules
from studio_console.domain.money import set_display_locale
from studio_console.domain.obs_state import ConnectionStatus, ObsSnapshot
from studio_console.domain.show import ShowState
from studio_console.domain.show_record import ShowLogStatus
from studio_console.domain.stream import UploadMeasurement
from studio_console.kernel.listeners import Listeners
from studio_console.kernel.tasks import TaskRunner
from studio_console.logs import log_file_handler
from studio_console.logs import secrets as log_secrets
from studio_console.obs.collections import SceneCollections
from studio_console.obs.launcher import obs_executable
from studio_console.obs.session import ObsSession
from studio_console.services.chat.hub import ChatHub
from studio_console.services.chat.sources import add_configured_sources
from studio_console.services.chat.viewer_book import ViewerBook
from studio_console.services.golive.destinations import Destinations
from studio_console.services.golive.relay_control import RelayControl
from studio_console.services.golive.service import GoLiveService
from studio_console.services.golive.simulcast import Simulcast
from studio_console.services.golive.upload import UploadStore
from studio_console.services.obs_control.outputs import OutputControl
from studio_console.services.obs_control.starter_scenes import install_starter_scenes
from studio_console.services.obs_control.switcher import SceneSwitcher
from studio_console.services.obs_control.thumbnails import ScreenshotFeed
from studio_console.services.overlay.chat_on_air import ChatOnAir
from studio_console.services.overlay.placement import CardPlacement, PlacementRule
from studio_console.services.overlay.ports import ChatCardRenderer
from studio_console.services.overlay.scene import OverlayService
from studio_console.services.presets.store import PresetStore
from studio_console.services.presets.studio import StudioPresetPorts, live_refusal
from studio_console.services.presets.switcher import PresetSwitcher
from studio_console.services.products.catalog_io import CatalogStore, demo_catalog_path, import_catalog
from studio_console.services.products.keeper import CatalogKeeper, ProductDesk, short_code_lookup
from studio_console.services.products.pictures import ProductPictures, product_pictures
from studio_console.services.products.show import ProductShow
from studio_console.services.remote.chat_endpoints import ChatApi
from studio_console.services.remote.control import RemoteControl
from studio_console.services.remote.preset_endpoints import PresetApi
from studio_console.services.remote.relay_endpoints import attach_relay
from studio_console.services.remote.rundown_endpoints import RundownApi
from studio_console.services.remote.show_endpoints import ShowApi
from studio_console.services.rundown.desk import RundownDesk
from studio_console.services.rundown.keeper import RUNDOWN_FILE, RundownFileError, RundownKeeper, load_rundown
from studio_console.services.rundown.service import RundownService
from studio_console.services.rundown.stage import ShowStage
from studio_console.services.show_log.recorder import ShowRecorder
from studio_console.services.show_log.service import ShowLog
from studio_console.services.show_log.store import SHOW_LOG_FILE, ShowStoreError, SqliteShowStore
from studio_console.settings.keeper import Overrides, SettingsKeeper
from studio_console.settings.model import (
    ChatSourceConfig,
    ObsSettings,
    OutputSettings,
    RemoteControlSettings,
    Settings,
)
from studio_console.settings.paths import AppPaths
from studio_console.settings.secrets import OBS_PASSWORD, REMOTE_TOKEN, SecretStore, SecretUnavailable
from studio_console.settings.store import SettingsSaveError, SettingsStore

log = logging.getLogger(__name__)

ProductCardRenderer = Callable[[CardState, int, int], bytes]
ImageListener = Callable[[str, bytes], None]


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


@dataclass(frozen=True)
class Problem:
    """Something the operator should know: a title, one or more sentences, and how bad it is.

    ``transient`` problems (an action that failed) belong in a status line; the others (settings reset,
    catalog not saved) deserve a notice the operator closes.
    """

    title: str
    text: str
    severity: Severity = Severity.WARNING
    transient: bool = False


@dataclass(frozen=True)
class Renderers:
    """How cards are drawn: the product card and the chat cards (featured comment, alerts)."""

    product: ProductCardRenderer
    chat: ChatCardRenderer


def default_renderers() -> Renderers:
    """The Qt-free renderers (Pillow), imported only when the core is built."""
    from studio_console.render.card_renderer import CardRenderer
    from studio_console.render.chat_cards import PillowChatCards

    return Renderers(product=CardRenderer(), chat=PillowChatCards())


def overrides_from(options: LaunchOptions) -> Overrides:
    return Overrides(
        obs_host=options.obs_host,
        obs_port=options.obs_port,
        remote_port=options.remote_port,
        log_level=options.log_level,
    )


class StudioCore:
    """The running studio, with or without a window.

    Built in two steps so a window can paint first: the constructor makes only what is cheap and what
    the first paint shows (settings, secrets, the OBS session and switcher); ``start()`` loads the
    catalog, builds products, chat, go-live and the remote API, then connects.

    Channels:
        problems(Problem): something the operator should know (from any service).
        thumbnail_images(scene, png): a fresh small screenshot of a scene (while ``thumbnails`` is on).
        monitor_images(scene, png): a fresh larger picture of the program / preview scene.
        products_changed(ShowState): the show's state with the on-air truth (placement) applied.
        ready(): ``start()`` has built everything; panels for products, chat and output can be wired.
    """

    def __init__(
        self,
        options: LaunchOptions,
        paths: AppPaths,
        store: SettingsStore,
        saved: Settings,
        *,
        startup_notice: str | None = None,
        renderers: Renderers | None = None,
        secrets: SecretStore | None = None,
    ) -> None:
        self.options = options
        self.paths = paths
        self.demo = options.demo
        self.problems: Listeners[[Problem]] = Listeners("problem")
        self.thumbnail_images: Listeners[[str, bytes]] = Listeners("thumbnail")
        self.monitor_images: Listeners[[str, bytes]] = Listeners("monitor picture")
        self.products_changed: Listeners[[ShowState]] = Listeners("products on air")
        self.ready: Listeners[[]] = Listeners("core ready")
        self.is_ready = False
        self._startup_notices: list[Problem] = []
        if startup_notice:
            self._startup_notices.append(Problem("Settings reset", startup_notice))
        # No settings file yet: the producer has never set this studio up (the shell offers the connection dialog).
        self.first_run = not store.path.exists()
        self.settings = SettingsKeeper(store, saved, overrides_from(options))
        self.settings.save_failed.add(
            lambda exc: self.report(
                Problem("Settings not saved", f"{exc}\nThe previous settings file is unchanged.", Severity.ERROR)
            )
        )
        set_display_locale(self.settings.effective.products.locale)
        self.settings.changed.add(self._settings_changed)
        self._renderers = renderers
        self.secrets = secrets or SecretStore.open(paths.config_dir, paths.custom_root)
        if self.secrets.warning:
            self._startup_notices.append(Problem("Secrets", self.secrets.warning, Severity.INFO, transient=True))
        for problem in self.secrets.problems:
            self._startup_notices.append(Problem("Secrets", problem, Severity.ERROR))
        self.tasks = TaskRunner(on_error=self.report_error)
        handler = log_file_handler()
        if handler is not None:
            # From the logging call's thread: posted to the loop when one runs, so Qt is only touched there.
            handler.on_problem = self._log_file_problem
        effective = self.settings.effective
        self.managed_obs: ManagedObs | None = None
        password = self.obs_password()
        on_not_running = None
        if self.demo:
            self.managed_obs = ManagedObs(paths, effective.obs.port, password or "")
            on_not_running = self.managed_obs.ensure_running
        self.session = ObsSession(
            effective.obs.host,
            effective.obs.port,
            password,
            request_timeout=effective.obs.request_timeout_s,
            on_not_running=on_not_running,
        )
        self.switcher = SceneSwitcher(self.session, on_error=self.report_error)
        self.outputs = OutputControl(self.session)
        self.thumbnails = ScreenshotFeed(self.session, self.thumbnail_images.notify)
        self.monitor_feed = ScreenshotFeed(
            self.session, self.monitor_images.notify, width=640, interval_s=0.4, pick=self._monitored_scenes
        )
        # Built by start():
        self.golive: GoLiveService | None = None
        # Going live to several destinations through the local test server's relay.
        self.relay: RelayControl | None = None
        # Going live to several at once: turned-on destinations, one confirmation, the upload figure.
        self.simulcast: Simulcast | None = None
        self._upload_store: UploadStore | None = None
        self.products: ProductDesk | None = None
        self.placement: CardPlacement | None = None
        self.chat: ChatHub | None = None
        self.chat_on_air: ChatOnAir | None = None
        self.rundown: RundownDesk | None = None
        self.rundown_keeper: RundownKeeper | None = None
        self.pictures: ProductPictures | None = None
        self.show_log: ShowLog | None = None
        self.preset_store = PresetStore(paths.data_dir)
        self.obs_collections = SceneCollections(self.session, after_switch=self.session.resync)
        self.presets: PresetSwitcher | None = None
        self.preset_ports: StudioPresetPorts | None = None
        self._logged_cue: str | None = None
        self._show_log_failing = False
        self.remote_server: JsonHttpServer | None = None
        self.remote: RemoteControl | None = None
        self._unsubscribe: list[Callable[[], None]] = []
        self._starter_done = False
        self._started = False
        self._closed = False

    # -- problems ---------------------------------------------------------------------------------

    def report(self, problem: Problem) -> None:
        log.log(logging.ERROR if problem.severity is Severity.ERROR else logging.WARNING, "%s", problem.text)
        self.problems.notify(problem)

    def _log_file_problem(self, text: str) -> None:
        problem = Problem("Log file not written", text, Severity.WARNING, transient=True)
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        if loop is not None:
            loop.call_soon(self.problems.notify, problem)

    def report_error(self, exc: Exception) -> None:
        """An action failed: one sentence in the status line, never a crash."""
        self.problems.notify(Problem("Action failed", str(exc), Severity.WARNING, transient=True))
        log.warning("%s", exc)

    def startup_notices(self) -> list[Problem]:
        """Problems found before anyone listened (settings reset, catalog notices); the shell shows them."""
        return list(self._startup_notices)

    # -- secrets ----------------------------------------------------------------------------------

    def obs_password(self) -> str | None:
        if self.options.obs_password_env:
            value = os.environ.get(self.options.obs_password_env)
            if value is None:
                log.warning("environment variable %s is not set; no OBS password", self.options.obs_password_env)
            log_secrets.add(value)
            return value
        if self.demo:
            return demo_obs_password(self.secrets)
        return self.secrets.get(OBS_PASSWORD)

    def set_obs_password(self, password: str) -> None:
        self.secrets.set(OBS_PASSWORD, password)
        self.session.set_password(password)

    def remote_token(self) -> str:
        """From --remote-token-env, else the keyring (created only when it is truly absent).

        Raises SecretUnavailable when the keyring cannot be read: the token is never replaced because
        of a read error (a Stream Deck would be locked out).
        """
        if self.options.remote_token_env:
            value = os.environ.get(self.options.remote_token_env, "")
            log_secrets.add(value)
            if len(value) >= 16:
                return value
            log.error(
                "environment variable %s must hold a token of at least 16 characters; using the saved token",
                self.options.remote_token_env,
            )
        return self.secrets.get_or_create_token(REMOTE_TOKEN)

    # -- building ---------------------------------------------------------------------------------

    def renderers(self) -> Renderers:
        if self._renderers is None:
            self._renderers = default_renderers()
        return self._renderers

    def build_golive(self) -> GoLiveService | None:
        """Stream destinations: configured instances of the sink types found through entry points."""
        destinations = Destinations.open(
            self.settings.saved.output,
            self.secrets,
            save=self._save_output,
        )
        try:
            return GoLiveService(self.session, self.secrets, destinations)
        except ValueError as exc:  # no usable destination at all (no sink plugin installed)
            self._notice(Problem("No stream destinations", str(exc), Severity.ERROR))
            return None

    async def build_relay(self, golive: GoLiveService) -> None:
        """The relay's control and going live to several, with the last rehearsal's upload figure."""
        self.relay = RelayControl(golive)
        store = UploadStore(self.paths.data_dir)
        loaded = await asyncio.to_thread(store.load)
        if loaded.notice:
            self._notice(Problem("Upload figure", loaded.notice, transient=True))

        def persist(measurement: UploadMeasurement) -> None:
            self.tasks.spawn(asyncio.to_thread(store.save, measurement), "save-upload-figure")

        self.simulcast = Simulcast(
            self.relay,
            measured=loaded.measurement,
            persist=persist,
            turned_on=self.settings.effective.output.relay_turned_on,
            on_turned_on=lambda ids: self.settings.update("output", relay_turned_on=ids),
        )
        self._upload_store = store

    def _save_output(self, output: OutputSettings) -> None:
        """Go-live's destinations changed: the keeper writes them (the one settings writer)."""
        self.settings.replace({"output": output})

    async def build_products(self) -> ProductDesk:
        """Catalog (the demo catalog in demo mode when none is saved), overlay, show and its keeper."""
        settings = self.settings.effective.products
        store = CatalogStore(self.paths.data_dir)
        loaded = await asyncio.to_thread(store.load)
        catalog = loaded.catalog
        if loaded.notice:
            self._notice(Problem("Catalog", loaded.notice))
        if not catalog.products and self.demo:
            result = await asyncio.to_thread(import_catalog, demo_catalog_path())
            catalog = result.catalog
            await asyncio.to_thread(store.save, catalog)
            log.info("demo mode: loaded the demo catalog (%d products)", len(catalog.products))
        overlay = OverlayService(self.session, self.paths.data_dir)
        # A picture OBS cannot be given (disk full) leaves a stale card on air: the producer must know.
        overlay.on_write_problem = lambda text: self.report(Problem("On-air picture not saved", text, Severity.ERROR))
        overlay.on_write_recovered = lambda: self.report(
            Problem(
                "On-air pictures saved again", "The card on air is up to date again.", Severity.INFO, transient=True
            )
        )
        show = ProductShow(
            overlay,
            self.renderers().product,
            catalog,
            layout=CardLayout(settings.card_layout),
            low_stock_threshold=settings.low_stock_threshold,
        )
        if self.demo and not show.state.queue:
            show.set_queue(demo_queue(catalog))
        keeper = CatalogKeeper(
            store,
            show,
            currency=settings.currency,
            on_error=lambda exc: self.report(
                Problem("Catalog not saved", f"{exc}\nThe previous catalog file is unchanged.", Severity.ERROR)
            ),
        )
        return ProductDesk(overlay, show, keeper)

    def build_chat(self, show: ProductShow) -> ChatHub:
        """The chat hub with the configured sources; demo mode adds a rehearsal audience."""
        chat = self.settings.effective.chat
        hub = ChatHub(
            rules=chat.rules,
            product_lookup=short_code_lookup(lambda: show.catalog),
            viewer_book=ViewerBook(self.paths.data_dir / "viewers.json"),
        )
        configs = list(chat.sources)
        if not configs and self.demo:
            configs = [rehearsal_audience(show.catalog)]
        for problem in add_configured_sources(hub, configs, self.secrets.get):
            self._notice(Problem("Chat", problem, transient=True))
        return hub

    def build_rundown(self, show: ProductShow) -> RundownDesk:
        """The run of show: each cue's scene and card go to OBS through the product show in one batch."""
        service = RundownService(ShowStage(show, lambda: self.session.snapshot.scenes))
        return RundownDesk(
            service,
            lambda: show.catalog,
            lambda: show.state.queue,
            currency=lambda: self.settings.effective.products.currency,
        )

    async def keep_rundown(self, service: RundownService) -> RundownKeeper:
        """The run of show saved in the data folder is back (before a crashed show resumes its cue)."""
        path = self.paths.data_dir / RUNDOWN_FILE
        try:
            saved = await asyncio.to_thread(load_rundown, path)
        except RundownFileError as exc:
            self._notice(Problem("Run of show not loaded", str(exc), Severity.WARNING))
            saved = None
        if saved is not None and saved.cues:
            service.set_rundown(saved)
        return RundownKeeper(
            service,
            path,
            on_error=lambda exc: self.report(
                Problem("Run of show not saved", f"{exc}\nThe last saved run of show is unchanged.", Severity.ERROR)
            ),
        )

    async def build_show_log(self, show: ProductShow) -> ShowLog | None:
        """The show record in the data folder; a show a crash left open is offered for resuming."""
        path = self.paths.data_dir / SHOW_LOG_FILE
        try:
            store = await asyncio.to_thread(SqliteShowStore, path)
        except ShowStoreError as exc:
            self._notice(Problem("Show log is off", str(exc), Severity.ERROR))
            return None
        recorder = ShowRecorder(store, show=show, chat=self.chat, obs=self.session, output=self.golive)
        show_log = ShowLog(store, recorder, show, cue_restorer=self._restore_cue)
        if self.rundown is not None:
            # Planned vs actual per cue: the live cue is logged as it starts and ends.
            self._unsubscribe.append(self.rundown.service.subscribe(lambda _state: self._log_cue(recorder)))
        store.on_problem = show_log.store_problem  # from the writer thread; posted to the loop
        self._unsubscribe.append(show_log.subscribe(self._on_show_log))
        if self.golive is not None:
            self._unsubscribe.append(self.golive.subscribe(show_log.on_output))  # live: a show starts
        resumable = await show_log.find_resumable_async()
        if resumable is not None:
            self._notice(
                Problem(
                    "Show not ended",
                    f"The show \u201c{resumable.title}\u201d did not end (the app stopped during it). "
                    "Resume it from the Shows panel to get the pinned product, the queue, the stock and a "
                    "running flash sale back, or start a new show.",
                    Severity.INFO,
                )
            )
        return show_log

    def _log_cue(self, recorder: ShowRecorder) -> None:
        assert self.rundown is not None
        service = self.rundown.service
        index = service.current_index
        cue = service.state.rundown.cues[index] if index is not None else None
        live = cue.id if cue is not None else None
        if live == self._logged_cue:
            return
        if self._logged_cue is not None:
            recorder.cue_ended(self._logged_cue)
        if cue is not None:
            recorder.cue_started(cue.id, cue.title, cue.duration_s)
        self._logged_cue = live

    def _restore_cue(self, cue_id: str, elapsed_s: float) -> None:
        """Resume after a crash: the cue that was live goes live again (its timer starts anew)."""
        if self.rundown is None:
            return
        cues = self.rundown.service.state.rundown.cues
        index = next((i for i, cue in enumerate(cues) if cue.id == cue_id), None)
        if index is not None:
            log.info("resuming cue %r, %.0f s after it started", cues[index].title, elapsed_s)
            self.tasks.spawn(self.rundown.service.go(index), "resume-cue")

    def _on_show_log(self, status: ShowLogStatus) -> None:
        # A failing write is said once (the Shows panel keeps the sentence up to date); so is its end.
        failing = status.problem is not None
        if failing and not self._show_log_failing:
            self.report(Problem("Show log not written", status.problem or "", Severity.ERROR))
        elif self._show_log_failing and not failing:
            self.report(Problem("Show log", "The show log is written again.", Severity.INFO, transient=True))
        self._show_log_failing = failing

    def build_remote(self) -> None:
        remote = self.settings.effective.remote
        if not remote.enabled:
            return
        try:
            token = self.remote_token()
        except SecretUnavailable as exc:
            self._notice(
                Problem("Remote control is off", f"The remote-control token cannot be read: {exc}", Severity.ERROR)
            )
            return
        self.remote_server = JsonHttpServer(
            token,
            port=remote.port,
            problems=lambda text: self.report(Problem("Remote control", text, Severity.ERROR, transient=True)),
        )
        self.remote = RemoteControl(self.remote_server, self.session, self.switcher)
        if self.golive is not None:
            self.remote.attach_golive(self.golive)
            if self.relay is not None:
                attach_relay(self.remote, self.relay, self.simulcast)
        if self.products is not None:
            desk = self.products
            self.remote.attach_products(desk.show, desk.keeper, desk.overlay.scene_name)
            self.remote.add_state_section("products", lambda: self.products_state().model_dump(mode="json"))
        if self.rundown is not None:
            rundown_api = RundownApi(self.remote_server, self.rundown)
            self.remote.add_state_section("rundown", rundown_api.state)
        if self.chat is not None:
            chat_api = ChatApi(self.remote_server, self.chat)
            self.remote.add_state_section("chat", lambda: {**chat_api.state(), **self.chat_on_air_state()})
        if self.show_log is not None:
            show_api = ShowApi(self.remote_server, self.show_log)
            self.remote.add_state_section("show", show_api.state)
        if self.presets is not None:
            preset_api = PresetApi(self.remote_server, self.presets)
            self.remote.add_state_section("preset", preset_api.state)

    def build_presets(self) -> PresetSwitcher:
        """Creator presets: the switcher drives chat, overlay, products, brand and go-live through the ports."""
        assert self.products is not None and self.placement is not None and self.chat is not None
        hub = self.chat
        self.preset_ports = StudioPresetPorts(
            self.settings,
            self.secrets,
            self.preset_store,
            self.products,
            self.placement,
            self.golive,
            self.set_chat_sources,
            self.set_chat_rules,
            lambda: hub.rules,
            rundown=self.rundown.service if self.rundown is not None else None,
        )
        golive = self.golive
        return PresetSwitcher(self.preset_store, self.preset_ports, self.obs_collections, lambda: live_refusal(golive))

    def _notice(self, problem: Problem) -> None:
        if self.is_ready:
            self.report(problem)
        else:
            self._startup_notices.append(problem)

    # -- the truth on air -------------------------------------------------------------------------

    def products_state(self) -> ShowState:
        """The show's state, with ``on_air`` true only when the scene on program shows the card."""
        assert self.products is not None
        state = self.products.show.state
        if self.placement is None or not state.on_air:
            return state
        snapshot = self.session.snapshot
        if self.placement.shows_on_program(snapshot):
            return state
        return state.model_copy(
            update={"on_air": False, "problem": state.problem or self.placement.problem_for(snapshot)}
        )

    def chat_on_air_state(self) -> dict[str, Any]:
        """Whether the featured comment and alerts are really in the program picture, and why not."""
        if self.chat_on_air is None or self.placement is None:
            return {}
        snapshot = self.session.snapshot
        shown = self.placement.shows_on_program(snapshot)
        featured = self.chat_on_air.featured_on_air
        problem = None
        if featured and not shown:
            problem = self.placement.problem_for(snapshot, what="the featured comment")
        return {
            "featured_on_air": featured and shown,
            "alert_on_air": self.chat_on_air.alert_on_air and shown,
            "featured_problem": problem,
        }

    def _publish_products(self, *_: object) -> None:
        if self.products is not None:
            self.products_changed.notify(self.products_state())

    # -- operator settings that services apply and the keeper saves ------------------------------

    def _settings_changed(self, sections: frozenset[str], settings: Settings) -> None:
        if "products" in sections:
            set_display_locale(settings.products.locale)

    def apply_obs_connection(self, obs: ObsSettings) -> None:
        """The producer confirmed OBS's address (the password is already in the keyring): reconnect there."""
        self.settings.update("obs", host=obs.host, port=obs.port, request_timeout_s=obs.request_timeout_s)
        effective = self.settings.effective.obs
        self.session.set_password(self.obs_password())
        self.session.set_address(effective.host, effective.port)

    async def set_chat_sources(self, configs: list[ChatSourceConfig]) -> None:
        """Save the chat channels and replace the running sources with them (the chat bridge stays)."""
        self.settings.update("chat", sources=[c.model_dump() for c in configs])
        hub = self.chat
        if hub is None:
            return
        for source_id, source in hub.sources.items():
            if source is not hub.bridge:
                await hub.remove_source(source_id)
        before = set(hub.sources)
        for problem in add_configured_sources(hub, configs, self.secrets.get):
            self.report(Problem("Chat", problem, transient=True))
        for source_id, source in hub.sources.items():
            if source_id not in before:
                source.start()

    def set_chat_rules(self, rules: ChatRules) -> None:
        self.settings.update("chat", rules=rules)
        if self.chat is not None:
            self.chat.set_rules(rules)

    async def apply_remote_settings(self, remote: RemoteControlSettings) -> None:
        """Save the remote-control settings; the API follows at once (off, on, or on another port)."""
        self.settings.update("remote", enabled=remote.enabled, port=remote.port)
        if self.remote_server is not None:
            await self.remote_server.stop()
            self.remote_server = None
            self.remote = None
        if self.settings.effective.remote.enabled and self.is_ready:
            self.build_remote()
            if self.remote_server is not None:
                await self._start_remote()

    def set_remote_token(self, token: str) -> None:
        """A new token is in the keyring: the running API accepts only it from now on."""
        if self.remote_server is not None:
            self.remote_server.set_token(token)

    async def set_card_layout(self, layout: CardLayout) -> None:
        assert self.products is not None
        self.settings.update("products", card_layout=layout.value)
        await self.products.show.set_layout(layout)

    def block_user(self, platform: str, user: str) -> None:
        """Hide a viewer's messages now and in later shows."""
        assert self.chat is not None
        self.chat.block_user(platform, user)
        self.settings.update("chat", rules=self.chat.rules)

    def set_shortcuts(self, shortcuts: dict[str, str]) -> None:
        self.settings.update("shortcuts", value=dict(shortcuts))

    def save_window_layout(self, geometry_b64: str, dock_state_b64: str) -> None:
        self.settings.update("window", geometry_b64=geometry_b64, dock_state_b64=dock_state_b64)

    def save_host_view_screen(self, screen_name: str) -> None:
        self.settings.update("window", host_view_screen=screen_name)

    # -- lifecycle --------------------------------------------------------------------------------

    async def start(self) -> None:
        """Build products, chat, go-live and the remote API; connect to OBS; start chat and the API."""
        if self._started:
            return
        self._started = True
        settings = self.settings.effective
        self.golive = self.build_golive()
        if self.golive is not None:
            await self.build_relay(self.golive)
        self.products = await self.build_products()
        desk = self.products
        self.placement = CardPlacement(
            self.session, desk.overlay, self.tasks, self._placement_rule(), self._save_placement
        )
        self.pictures = product_pictures(desk.show, self.paths.data_dir)
        self.pictures.add_problem_listener(
            lambda problem: self.report(Problem("Product picture", problem.message, transient=True))
        )
        self.chat = self.build_chat(desk.show)
        self.rundown = self.build_rundown(desk.show)
        self.rundown_keeper = await self.keep_rundown(self.rundown.service)
        self.chat_on_air = ChatOnAir(
            desk.overlay,
            self.renderers().chat,
            self.tasks,
            layout=lambda: CardLayout(self.settings.effective.products.card_layout),
            alerts_enabled=lambda: self.settings.effective.chat.alerts_on_air,
            alert_seconds=lambda: self.settings.effective.chat.alert_seconds,
        )
        self._unsubscribe += [
            self.chat.subscribe_snapshot(self._on_chat_snapshot),
            self.chat.subscribe_alerts(self.chat_on_air.on_alert),
            desk.show.subscribe(self._publish_products),
            self.placement.changed.add(self._publish_products),
            self.session.subscribe(self._on_snapshot),
        ]
        self.show_log = await self.build_show_log(desk.show)
        self.presets = self.build_presets()
        if settings.remote.enabled:
            self.build_remote()
        self.is_ready = True
        self.ready.notify()
        self.session.start()
        self.chat.start()
        self.pictures.start()
        self.tasks.spawn(self.thumbnails.run(), "scene-thumbnails")
        self.tasks.spawn(self.monitor_feed.run(), "program-monitor")
        if self.remote_server is not None:
            await self._start_remote()
        self._on_snapshot(self.session.snapshot)

    def _on_chat_snapshot(self, snapshot: ChatHubSnapshot) -> None:
        if self.chat_on_air is not None:
            self.chat_on_air.on_snapshot(snapshot)

    def _placement_rule(self) -> PlacementRule:
        products = self.settings.effective.products
        rule = PlacementRule.from_settings(products)
        if self.demo and rule.chosen is None and not products.card_excluded_scenes:
            rule = PlacementRule(excluded=frozenset(DEMO_EXCLUDED_SCENES))
        return rule

    def _save_placement(self, rule: PlacementRule) -> None:
        changes: dict[str, Any] = {"card_excluded_scenes": sorted(rule.excluded)}
        if rule.chosen is not None:
            changes["card_scenes"] = sorted(rule.chosen)
        self.settings.update("products", **changes)

    async def _start_remote(self) -> None:
        assert self.remote_server is not None
        try:
            await self.remote_server.start()
        except OSError as exc:
            self.report(
                Problem(
                    "Remote control is off",
                    f"Remote control is off: port {self.remote_server.port} is not free ({exc.strerror}).",
                    Severity.ERROR,
                    transient=True,
                )
            )

    def _monitored_scenes(self) -> list[str]:
        snap = self.session.snapshot
        scenes = [snap.program_scene or ""]
        if snap.studio_mode and snap.preview_scene:
            scenes.append(snap.preview_scene)
        return scenes

    def _on_snapshot(self, snap: ObsSnapshot) -> None:
        if snap.connection.status is ConnectionStatus.CONNECTED and not self._starter_done:
            self._starter_done = True
            if self.demo:
                self.tasks.spawn(install_starter_scenes(self.session), "starter-scenes")
        self._publish_products()

    async def launch_obs(self) -> None:
        """The "Launch OBS" action: start the installed OBS with the websocket on our port and password."""
        if self.managed_obs is None:
            password = self.obs_password()
            if not password:
                password = pysecrets.token_urlsafe(18)
                self.set_obs_password(password)
            self.managed_obs = ManagedObs(self.paths, self.settings.effective.obs.port, password)
        await self.managed_obs.ensure_running()
        self.session.retry_now()

    @property
    def can_launch_obs(self) -> bool:
        return obs_executable() is not None

    def recordings_dir(self) -> Path:
        return self.paths.data_dir / "rehearsals"

    def reports_dir(self) -> Path:
        """Where show reports are exported (one folder per show)."""
        return self.paths.data_dir / "reports"

    async def close(self) -> None:
        """Stop in reverse order of start: API, tasks, chat, products, go-live, OBS; save settings last."""
        if self._closed:
            return
        self._closed = True
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        if self.remote_server is not None:
            await self.remote_server.stop()
        if self.simulcast is not None and self._upload_store is not None:
            # Quitting mid-session: what the relay sustained so far is still the last rehearsal's figure.
            unsaved = self.simulcast.finish()
            if unsaved is not None:
                try:
                    await asyncio.to_thread(self._upload_store.save, unsaved)
                except OSError as exc:
                    log.error("the upload figure was not saved: %s", exc)
        await self.switcher.shutdown()
        await self.tasks.shutdown()
        if self.show_log is not None:
            # Quitting mid-show leaves the show open: the next start offers to resume it.
            self.show_log.close()
            await asyncio.to_thread(self.show_log.store.close)
        if self.chat is not None:
            await self.chat.stop()
        if self.placement is not None:
            self.placement.close()
        if self.rundown_keeper is not None:
            await self.rundown_keeper.close()
        if self.rundown is not None:
            await self.rundown.service.close()
        if self.pictures is not None:
            await self.pictures.close()
        if self.products is not None:
            await self.products.keeper.close()
            await self.products.show.close()
            self.products.overlay.close()
        if self.simulcast is not None:
            self.simulcast.close()
        if self.relay is not None:
            self.relay.close()
        if self.golive is not None:
            await self.golive.shutdown()
        await self.session.stop()
        if self.managed_obs is not None:
            await self.managed_obs.stop()
        try:
            await self.settings.close()
        except SettingsSaveError as exc:
            log.error("%s", exc)  # quitting: the log is the only place left to say it


async def run_headless(core: StudioCore, quit_after: float | None = None) -> int:
    """Run the core with no window until SIGTERM/SIGINT (or ``quit_after`` seconds), then close in order."""
    import signal

    loop = asyncio.get_running_loop()
    stop = loop.create_future()

    def request_stop() -> None:
        if not stop.done():
            stop.set_result(None)

    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        try:
            loop.add_signal_handler(sig, request_stop)
        except (NotImplementedError, RuntimeError):  # Windows: no signal handlers on the loop
            pass
    core.problems.add(lambda problem: None)
    if quit_after is not None:
        loop.call_later(quit_after, request_stop)
    try:
        await core.start()
        await stop
    finally:
        await core.close()
    return 0
