"""The chat hub: merges every chat source, drops duplicates, moderates, reads buyer intent, keeps the host's queue."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter, OrderedDict, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from studio_console.adapters.chat.base import ChatSource
from studio_console.adapters.chat.bridge import ChatBridgeSource
from studio_console.domain.chat import (
    ChatHubSnapshot,
    ChatKind,
    ChatMessage,
    ChatRules,
    GifterTotal,
    SourceState,
)
from studio_console.domain.viewer_text import clean_message
from studio_console.kernel.listeners import Listeners
from studio_console.services.chat.intent import IntentDetector, Moderation, ProductLookup
from studio_console.services.chat.viewer_book import ViewerBook

log = logging.getLogger(__name__)

MessageListener = Callable[[ChatMessage], None]
SnapshotListener = Callable[[ChatHubSnapshot], None]
RemovedListener = Callable[[tuple[str, ...]], None]


class _RecentKeys:
    """A bounded set that forgets the oldest keys first: de-duplication without unbounded memory."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._keys: OrderedDict[tuple[str, str], None] = OrderedDict()

    def add(self, key: tuple[str, str]) -> bool:
        """Add ``key``; False when it was already there."""
        if key in self._keys:
            return False
        self._keys[key] = None
        if len(self._keys) > self.capacity:
            self._keys.popitem(last=False)
        return True

    def __len__(self) -> int:
        return len(self._keys)


@dataclass
class _Gifter:
    key: tuple[str, str]
    platform: str
    user_id: str
    name: str
    gifts: int = 0
    value: float = 0.0
    unit: str = ""


class ChatHub:
    """All chat, merged. Listeners are called on the asyncio loop (or at once when no loop runs).

    ``subscribe`` gets every new, visible, annotated message; ``subscribe_snapshot`` gets the rest
    (questions, featured comment, source states, top gifters) at most every ``publish_interval_s``;
    ``subscribe_removed`` gets ids of shown messages that moderation now hides; ``subscribe_alerts``
    gets gifts, follows and cheers for on-air alerts.
    """

    def __init__(
        self,
        *,
        rules: ChatRules | None = None,
        product_lookup: ProductLookup | None = None,
        viewer_book: ViewerBook | None = None,
        dedup_capacity: int = 50_000,
        recent_capacity: int = 5_000,
        publish_interval_s: float = 0.1,
    ) -> None:
        self._rules = rules or ChatRules()
        self._lookup = product_lookup
        self._detector = IntentDetector(self._rules, product_lookup)
        self._moderation = Moderation(self._rules)
        self.viewers = viewer_book or ViewerBook()
        self._seen = _RecentKeys(dedup_capacity)
        self._recent: OrderedDict[str, ChatMessage] = OrderedDict()
        self._recent_capacity = recent_capacity
        self._questions: deque[ChatMessage] = deque(maxlen=self._rules.questions_capacity)
        self._questions_per_product: Counter[str] = Counter()
        self._gifters: dict[tuple[str, str], _Gifter] = {}
        self._top: list[_Gifter] = []
        self._top_keys: set[tuple[str, str]] = set()
        # Per platform, the (value, gifts) a gifter must beat to enter the top list once it is full.
        self._top_floor: dict[str, tuple[float, int]] = {}
        self._viewer_counts: dict[str, int] = {}
        self._featured: ChatMessage | None = None
        self._messages_seen = 0
        self._duplicates = 0
        self._hidden = 0
        self._sources: dict[str, ChatSource] = {}
        self._states: dict[str, SourceState] = {}
        self._unsubscribers: dict[str, Callable[[], None]] = {}
        self._message_listeners: Listeners[[ChatMessage]] = Listeners("chat message")
        self._snapshot_listeners: Listeners[[ChatHubSnapshot]] = Listeners("chat snapshot")
        self._removed_listeners: Listeners[[tuple[str, ...]]] = Listeners("chat removal")
        self._alert_listeners: Listeners[[ChatMessage]] = Listeners("chat alert")
        self.publish_interval_s = publish_interval_s
        self._publish_handle: asyncio.TimerHandle | None = None
        self._snapshot: ChatHubSnapshot | None = None
        self.bridge = ChatBridgeSource()
        self.add_source(self.bridge)

    # -- listeners ---------------------------------------------------------------------------------

    def subscribe(self, listener: MessageListener) -> Callable[[], None]:
        return self._message_listeners.add(listener)

    def subscribe_snapshot(self, listener: SnapshotListener) -> Callable[[], None]:
        return self._snapshot_listeners.add(listener)

    def subscribe_removed(self, listener: RemovedListener) -> Callable[[], None]:
        return self._removed_listeners.add(listener)

    def subscribe_alerts(self, listener: MessageListener) -> Callable[[], None]:
        return self._alert_listeners.add(listener)

    # -- sources -----------------------------------------------------------------------------------

    def add_source(self, source: ChatSource) -> None:
        if source.source_id in self._sources:
            raise ValueError(f"a chat source named {source.source_id!r} already exists")
        self._sources[source.source_id] = source
        self._states[source.source_id] = source.state
        self._unsubscribers[source.source_id] = source.subscribe(self._from_source, self._source_state_changed)
        self._changed()

    async def remove_source(self, source_id: str) -> None:
        source = self._sources.pop(source_id, None)
        if source is None:
            return
        self._unsubscribers.pop(source_id)()
        self._states.pop(source_id, None)
        self._viewer_counts.pop(source_id, None)
        await source.stop()
        self._changed()

    @property
    def sources(self) -> dict[str, ChatSource]:
        return dict(self._sources)

    def start(self) -> None:
        """Start every source (on the running loop)."""
        for source in self._sources.values():
            source.start()

    async def stop(self) -> None:
        for source in list(self._sources.values()):
            try:
                await source.stop()
            except Exception:
                log.exception("chat source %s did not stop cleanly", source.source_id)
        if self._publish_handle is not None:
            self._publish_handle.cancel()
            self._publish_handle = None
        self.viewers.save()

    def _from_source(self, message: ChatMessage) -> None:
        self.ingest(message)

    def _source_state_changed(self, state: SourceState) -> None:
        if state.source_id in self._sources:
            self._states[state.source_id] = state
            self._changed()

    # -- messages ----------------------------------------------------------------------------------

    def ingest_external(self, platform: str, user: str, text: str) -> str:
        """A message from another tool (the remote-control API); returns its message id.

        Raises pydantic.ValidationError for bad input and RuntimeError when the bridge is stopped.
        """
        return self.bridge.ingest(platform, user, text)

    def ingest(self, message: ChatMessage) -> ChatMessage | None:
        """Take one message from any source; returns it annotated, or None when dropped (duplicate, hidden)."""
        message = clean_message(message)  # sources clean already; direct callers are held to it too
        if not self._seen.add(message.key):
            self._duplicates += 1
            return None
        if self._moderation.hides(message):
            self._hidden += 1
            return None
        self._messages_seen += 1
        message, snapshot_changed = self._annotate(message)
        self._recent[message.message_id] = message
        if len(self._recent) > self._recent_capacity:
            self._recent.popitem(last=False)
        self._message_listeners.notify(message)
        if message.is_alert:
            self._alert_listeners.notify(message)
        if snapshot_changed:
            self._changed()
        return message

    def _annotate(self, message: ChatMessage) -> tuple[ChatMessage, bool]:
        update: dict[str, object] = {}
        changed = False
        if message.kind is ChatKind.VIEWER_COUNT and message.viewer_count is not None:
            self._viewer_counts[message.source_id] = message.viewer_count
            changed = True
        has_user = bool(message.user_id or message.user_name)
        if has_user:
            platform, user = message.viewer_key
            if self.viewers.seen(platform, user):
                update["returning_viewer"] = True
        if message.kind is ChatKind.COMMENT:
            result = self._detector.detect(message.text)
            if result.intents:
                update["intents"] = result.intents
                if result.product_sku is not None:
                    update["product_sku"] = result.product_sku
                    update["product_code"] = result.product_code
        if has_user and (message.kind is ChatKind.GIFT or message.bits):
            changed = self._count_gift(message) or changed
        if has_user and message.viewer_key in self._top_keys:
            update["top_gifter"] = True
        if update:
            message = message.model_copy(update=update)
        if message.is_question:
            self._questions.append(message)
            if message.product_sku is not None:
                self._questions_per_product[message.product_sku] += 1
            changed = True
        return message, changed

    def _count_gift(self, message: ChatMessage) -> bool:
        key = message.viewer_key
        gifter = self._gifters.get(key)
        if gifter is None:
            gifter = self._gifters[key] = _Gifter(key, message.platform, message.user_id, message.name)
        gifter.name = message.name or gifter.name
        if message.kind is ChatKind.GIFT:
            gifter.gifts += max(1, message.gift_count)
            gifter.value += message.gift_value
            gifter.unit = message.gift_unit or gifter.unit
        if message.bits:
            gifter.value += message.bits
            gifter.unit = gifter.unit or "bits"
        if self._rules.top_gifters <= 0:
            return False
        floor = self._top_floor.get(message.platform)
        if key not in self._top_keys and floor is not None and (gifter.value, gifter.gifts) <= floor:
            return False  # still below this platform's top list: no need to rank everybody again
        self._rank_gifters()
        return True

    def _rank_gifters(self) -> None:
        limit = self._rules.top_gifters
        by_platform: dict[str, list[_Gifter]] = {}
        for gifter in self._gifters.values():
            by_platform.setdefault(gifter.platform, []).append(gifter)
        top: list[_Gifter] = []
        self._top_floor = {}
        for platform, gifters in by_platform.items():
            # Units differ between platforms (diamonds, bits, money), so ranks are per platform.
            gifters.sort(key=lambda g: (g.value, g.gifts), reverse=True)
            best = gifters[:limit]
            top.extend(best)
            if limit and len(best) == limit:
                self._top_floor[platform] = (best[-1].value, best[-1].gifts)
        top.sort(key=lambda g: (g.value, g.gifts), reverse=True)
        self._top = top
        self._top_keys = {g.key for g in top}

    def message(self, message_id: str) -> ChatMessage | None:
        """A recent message by id (the last ``recent_capacity`` shown)."""
        return self._recent.get(message_id)

    # -- featured comment and questions ------------------------------------------------------------

    @property
    def featured(self) -> ChatMessage | None:
        return self._featured

    def feature(self, message_id: str) -> ChatMessage:
        """Pin a recent message as the featured comment; KeyError when no recent message has that id."""
        message = self._recent.get(message_id)
        if message is None:
            raise KeyError(message_id)
        self._featured = message
        self._changed(now=True)
        return message

    def unfeature(self) -> None:
        if self._featured is not None:
            self._featured = None
            self._changed(now=True)

    def dismiss_question(self, message_id: str) -> bool:
        """Take a question off the host's queue (answered or not relevant)."""
        for question in self._questions:
            if question.message_id == message_id:
                self._questions.remove(question)
                self._changed()
                return True
        return False

    # -- moderation and rules ----------------------------------------------------------------------

    @property
    def rules(self) -> ChatRules:
        return self._rules

    def set_rules(self, rules: ChatRules) -> None:
        """New keywords or moderation lists; already shown messages a new block hides are removed."""
        self._rules = rules
        self._detector = IntentDetector(rules, self._lookup)
        self._moderation = Moderation(rules)
        if self._questions.maxlen != rules.questions_capacity:
            self._questions = deque(self._questions, maxlen=rules.questions_capacity)
        self._apply_moderation_to_shown()
        self._rank_gifters()
        self._changed()

    def set_product_lookup(self, lookup: ProductLookup | None) -> None:
        """The catalog changed (or arrived): short codes resolve through ``lookup`` from now on."""
        self._lookup = lookup
        self._detector = IntentDetector(self._rules, lookup)

    def block_user(self, platform: str, user: str) -> None:
        entry = f"{platform}:{user}" if platform else user
        if entry not in self._rules.blocked_users:
            self.set_rules(self._rules.model_copy(update={"blocked_users": (*self._rules.blocked_users, entry)}))

    def block_words(self, words: Iterable[str]) -> None:
        new = tuple(w for w in words if w and w not in self._rules.blocked_words)
        if new:
            self.set_rules(self._rules.model_copy(update={"blocked_words": (*self._rules.blocked_words, *new)}))

    def _apply_moderation_to_shown(self) -> None:
        hidden = [m for m in self._recent.values() if self._moderation.hides(m)]
        if not hidden:
            return
        ids = tuple(m.message_id for m in hidden)
        gone = set(ids)
        for message_id in ids:
            del self._recent[message_id]
        self._questions = deque((q for q in self._questions if q.message_id not in gone), maxlen=self._questions.maxlen)
        if self._featured is not None and self._featured.message_id in gone:
            self._featured = None
        self._hidden += len(ids)
        self._removed_listeners.notify(ids)

    # -- snapshot ----------------------------------------------------------------------------------

    @property
    def snapshot(self) -> ChatHubSnapshot:
        if self._snapshot is None:
            counts = self._viewer_counts.values()
            self._snapshot = ChatHubSnapshot(
                sources=tuple(self._states.values()),
                featured=self._featured,
                questions=tuple(self._questions),
                questions_per_product=dict(self._questions_per_product),
                top_gifters=tuple(
                    GifterTotal(
                        platform=g.platform, user_id=g.user_id, name=g.name, gifts=g.gifts, value=g.value, unit=g.unit
                    )
                    for g in self._top
                ),
                messages_seen=self._messages_seen,
                duplicates_dropped=self._duplicates,
                hidden_by_moderation=self._hidden,
                viewer_count=sum(counts) if counts else None,
            )
        return self._snapshot

    def questions_for(self, sku: str) -> tuple[ChatMessage, ...]:
        return tuple(q for q in self._questions if q.product_sku == sku)

    def publish_now(self) -> None:
        """Send the snapshot to listeners at once (tests, and before quitting)."""
        if self._publish_handle is not None:
            self._publish_handle.cancel()
            self._publish_handle = None
        self._snapshot_listeners.notify(self.snapshot)

    def _changed(self, now: bool = False) -> None:
        self._snapshot = None
        if not self._snapshot_listeners:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        if now or loop is None or self.publish_interval_s <= 0:
            self.publish_now()
        elif self._publish_handle is None:
            # Coalesced: a busy room changes the queue many times a second; the UI needs it ~10 times.
            self._publish_handle = loop.call_later(self.publish_interval_s, self._publish_later)

    def _publish_later(self) -> None:
        self._publish_handle = None
        self.publish_now()
