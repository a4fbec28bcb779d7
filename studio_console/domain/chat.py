"""Live chat as immutable models: messages from every platform, source states, buyer-intent and moderation rules."""

from __future__ import annotations

import time
from enum import StrEnum

from pydantic import ConfigDict, Field

from studio_console.domain.base import Frozen as _Frozen


class ChatPlatform(StrEnum):
    """Platforms the built-in sources speak for; plugins may use other names (``platform`` is a str)."""

    TIKTOK = "tiktok"
    TWITCH = "twitch"
    YOUTUBE = "youtube"
    REHEARSAL = "rehearsal"
    EXTERNAL = "external"


class ChatKind(StrEnum):
    COMMENT = "comment"
    GIFT = "gift"
    LIKE = "like"
    FOLLOW = "follow"
    JOIN = "join"
    SHARE = "share"
    VIEWER_COUNT = "viewer_count"
    SYSTEM = "system"


class Intent(StrEnum):
    """What a comment asks for; everything except QUESTION counts as purchase intent."""

    QUESTION = "question"
    PRICE = "price"
    LINK = "link"
    SIZE = "size"
    COLOUR = "colour"
    SOLD = "sold"
    PRODUCT = "product"


PURCHASE_INTENTS = frozenset({Intent.PRICE, Intent.LINK, Intent.SIZE, Intent.COLOUR, Intent.SOLD, Intent.PRODUCT})


class ChatMessage(_Frozen):
    """One chat event from any platform. Every text field is viewer-controlled: show it as plain text.

    Sources fill the first block; the chat hub fills the annotations (``intents`` and below) with
    ``model_copy`` before the UI sees the message.
    """

    source_id: str
    platform: str
    message_id: str
    kind: ChatKind = ChatKind.COMMENT
    user_id: str = ""
    # The login or handle (@name); ``display_name`` is what the platform shows, possibly localised.
    user_name: str = ""
    display_name: str = ""
    text: str = ""
    badges: tuple[str, ...] = ()
    bits: int = 0
    gift_name: str | None = None
    # How many gifts this message stands for; a collapsed streak counts every repeat.
    gift_count: int = 0
    # Repeats of a combo gift collapsed into this message (0 when it was no streak).
    gift_streak: int = 0
    # Value of the whole message in the platform's own unit (TikTok diamonds, YouTube currency units).
    gift_value: float = 0.0
    gift_unit: str = ""
    like_count: int = 0
    viewer_count: int | None = None
    # Seconds since the epoch, as the platform stamped it (or when it arrived).
    timestamp: float = Field(default_factory=time.time)

    intents: frozenset[Intent] = frozenset()
    product_sku: str | None = None
    product_code: str | None = None
    returning_viewer: bool = False
    top_gifter: bool = False

    @property
    def name(self) -> str:
        """The name to show: display name, else handle, else user id."""
        return self.display_name or self.user_name or self.user_id

    @property
    def key(self) -> tuple[str, str]:
        """Identity for de-duplication: a platform's ids are only unique within one source."""
        return (self.source_id, self.message_id)

    @property
    def viewer_key(self) -> tuple[str, str]:
        return (self.platform, self.user_id or self.user_name.casefold())

    @property
    def is_question(self) -> bool:
        return Intent.QUESTION in self.intents

    @property
    def has_purchase_intent(self) -> bool:
        return not self.intents.isdisjoint(PURCHASE_INTENTS)

    @property
    def is_alert(self) -> bool:
        """Gifts, follows and cheers: the events worth an on-air alert."""
        return self.kind in (ChatKind.GIFT, ChatKind.FOLLOW) or self.bits > 0


class SourceStatus(StrEnum):
    IDLE = "idle"
    CONNECTING = "connecting"
    LIVE = "live"
    RECONNECTING = "reconnecting"
    FAILED = "failed"


class SourceState(_Frozen):
    """What one chat source is doing, with one sentence for the operator."""

    source_id: str
    platform: str
    status: SourceStatus = SourceStatus.IDLE
    message: str = "Not started"
    attempts: int = 0
    messages_received: int = 0

    @property
    def live(self) -> bool:
        return self.status is SourceStatus.LIVE


class IntentKeywords(_Frozen):
    """Buyer-intent words for one language; matched case-insensitively on whole words or phrases."""

    question: tuple[str, ...] = ()
    price: tuple[str, ...] = ()
    link: tuple[str, ...] = ()
    size: tuple[str, ...] = ()
    colour: tuple[str, ...] = ()
    sold: tuple[str, ...] = ()

    def words_for(self, intent: Intent) -> tuple[str, ...]:
        return {
            Intent.QUESTION: self.question,
            Intent.PRICE: self.price,
            Intent.LINK: self.link,
            Intent.SIZE: self.size,
            Intent.COLOUR: self.colour,
            Intent.SOLD: self.sold,
        }.get(intent, ())


def default_intent_languages() -> dict[str, IntentKeywords]:
    return {
        "en": IntentKeywords(
            question=("how", "what", "which", "when", "where", "does", "do you", "is it", "can i", "will it", "any"),
            price=("price", "how much", "cost", "costs", "$", "€", "£", "discount", "sale", "deal", "cheap"),
            link=("link", "where to buy", "url", "website", "shop", "cart", "checkout", "order"),
            size=("size", "sizes", "xs", "xl", "xxl", "small", "medium", "large", "fit", "fits", "length"),
            colour=("colour", "color", "colours", "colors", "black", "white", "red", "blue", "green", "pink", "beige"),
            sold=("sold", "mine", "i'll take it", "i want it", "want", "buy", "buying", "claim"),
        ),
        "de": IntentKeywords(
            question=("wie", "was", "welche", "wann", "wo", "gibt es", "kann ich"),
            price=("preis", "wie viel", "wieviel", "kostet", "kosten", "rabatt", "angebot"),
            link=("link", "bestellen", "warenkorb", "shop"),
            size=("größe", "groesse", "größen", "passt", "länge"),
            colour=("farbe", "farben", "schwarz", "weiß", "weiss", "rot", "blau", "grün", "rosa"),
            sold=("verkauft", "meins", "nehme ich", "will ich", "kaufen"),
        ),
        "es": IntentKeywords(
            question=("cómo", "como", "qué", "cuál", "cuando", "dónde", "donde", "hay"),
            price=("precio", "cuánto", "cuanto", "cuesta", "oferta", "descuento"),
            link=("link", "enlace", "comprar", "carrito", "tienda"),
            size=("talla", "tallas", "tamaño", "medida"),
            colour=("color", "colores", "negro", "blanco", "rojo", "azul", "verde", "rosa"),
            sold=("vendido", "mío", "mio", "lo quiero", "me lo llevo"),
        ),
    }


class ChatRules(_Frozen):
    """Operator-editable rules: buyer-intent keywords per language and local moderation.

    Blocked words and users only hide messages on this PC; nothing is sent to the platform.
    """

    model_config = ConfigDict(frozen=True, extra="ignore")

    languages: dict[str, IntentKeywords] = Field(default_factory=default_intent_languages)
    # Tokens that may name a product short code ("#12", "A12", "TS-3", "LINEN"); each is looked up in
    # the catalog's short codes (a dictionary look-up), so every word is a candidate.
    short_code_pattern: str = r"#?\b[A-Za-z0-9][\w-]{0,11}\b"
    blocked_words: tuple[str, ...] = ()
    # Handles or display names, compared case-insensitively; "platform:name" limits it to one platform.
    blocked_users: tuple[str, ...] = ()
    questions_capacity: int = Field(default=200, ge=1, le=10_000)
    top_gifters: int = Field(default=3, ge=0, le=100)


class GifterTotal(_Frozen):
    platform: str
    user_id: str
    name: str
    gifts: int
    value: float
    unit: str = ""


class ChatHubSnapshot(_Frozen):
    """Everything about chat that is not the message stream: for the UI, the remote API and on-air cards."""

    sources: tuple[SourceState, ...] = ()
    featured: ChatMessage | None = None
    questions: tuple[ChatMessage, ...] = ()
    questions_per_product: dict[str, int] = Field(default_factory=dict)
    top_gifters: tuple[GifterTotal, ...] = ()
    messages_seen: int = 0
    duplicates_dropped: int = 0
    hidden_by_moderation: int = 0
    viewer_count: int | None = None


class ExternalChatMessageIn(_Frozen):
    """Body of ``POST /api/v1/chat/messages``: a message another tool feeds into the chat."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    platform: str = Field(default=ChatPlatform.EXTERNAL.value, min_length=1, max_length=32, pattern=r"^[a-z0-9_.-]+$")
    user: str = Field(min_length=1, max_length=100)
    text: str = Field(min_length=1, max_length=2000)
