"""Hostile viewer text: bidi overrides, controls, lone surrogates, zalgo, huge words, look-alike letters."""

from __future__ import annotations

import unicodedata
from typing import ClassVar

import pytest

from studio_console.adapters.chat.base import ChatSourceBase, ChatSourceOptions
from studio_console.adapters.chat.bridge import ChatBridgeSource
from studio_console.domain.chat import ChatMessage, ChatRules
from studio_console.domain.viewer_text import (
    BIDI_CONTROLS,
    MAX_COMBINING,
    ON_AIR_TEXT_CHARS,
    clean,
    clean_message,
    isolate,
    moderation_forms,
    on_air_text,
    skeleton,
)
from studio_console.services.chat.hub import ChatHub
from tests.helpers.chat import message

ZALGO = "s" + "\u0336\u0334\u0335\u0337" * 20 + "c\u0336a\u0336m\u0336"


def test_bidi_controls_controls_and_lone_surrogates_are_stripped() -> None:
    text = "\u202eevil\u202c \u2066x\u2069 bell\x07 nul\x00 esc\x1b[31m sur\ud800rogate \udfff end\r\nnext"
    cleaned = clean(text)
    assert not any(ch in BIDI_CONTROLS for ch in cleaned)
    assert not any(unicodedata.category(ch) in ("Cc", "Cs") for ch in cleaned)
    assert cleaned == "live x bell nul esc[31m surrogate  end  next"  # the override as it displayed
    cleaned.encode("utf-8")  # would raise on a lone surrogate


def test_zalgo_is_capped_and_real_accents_survive() -> None:
    cleaned = clean(ZALGO)
    runs = [0]
    for ch in cleaned:
        runs[-1:] = [runs[-1] + 1] if unicodedata.combining(ch) else [runs[-1], 0]
    assert max(runs) <= MAX_COMBINING
    assert clean("Tiếng Việt ñandú") == "Tiếng Việt ñandú"


def test_a_ten_thousand_character_word_is_capped_on_air() -> None:
    shown = on_air_text("W" * 10_000)
    assert len(shown) == ON_AIR_TEXT_CHARS and shown.endswith("…")


def test_every_kind_of_line_break_becomes_a_space() -> None:
    assert clean("a\u2028b\u2029c\x85d\ne") == "a b c d e"


def test_rich_text_is_left_as_literal_characters() -> None:
    assert clean("<b>bold</b> <img src=/etc/passwd>") == "<b>bold</b> <img src=/etc/passwd>"


def test_isolated_text_cannot_reorder_what_follows() -> None:
    shown = isolate("\u202eevil")
    assert shown.startswith("\u2068") and shown.endswith("\u2069")
    assert "\u202e" not in shown


@pytest.mark.parametrize(
    "text",
    [
        "\u202emacs",  # shown as "scam"
        "total \u202emacs\u202c here",
        "\u0455\u0441\u0430m",  # Cyrillic dze, es, a
        "SCAM",
        "\uff33\uff23\uff21\uff2d",  # fullwidth
        "s\u200bc\u200ba\u200bm",  # zero-width spaces
        ZALGO,
        "\u0455c\u03b1m",  # Cyrillic dze, Greek alpha
    ],
)
def test_blocked_words_are_matched_as_displayed(text: str) -> None:
    hub = ChatHub(rules=ChatRules(blocked_words=("scam",)), publish_interval_s=0)
    assert hub.ingest(message(text)) is None, moderation_forms(text)


@pytest.mark.parametrize("text", ["scampi tonight", "macs are nice", "Tiếng Việt", "مرحبا"])
def test_innocent_text_still_passes(text: str) -> None:
    hub = ChatHub(rules=ChatRules(blocked_words=("scam",)), publish_interval_s=0)
    assert hub.ingest(message(text)) is not None


def test_a_blocked_word_typed_with_look_alikes_still_matches_plain_text() -> None:
    hub = ChatHub(rules=ChatRules(blocked_words=("\u0455\u0441\u0430m",)), publish_interval_s=0)
    assert hub.ingest(message("what a scam")) is None
    assert skeleton("\u0455\u0441\u0430m") == "scam"


class PlatformSource(ChatSourceBase):
    """A source as a platform adapter is: it emits what the platform sent, surrogates and all."""

    platform: ClassVar[str] = "rehearsal"

    def start(self) -> None: ...

    async def stop(self) -> None: ...


def test_sources_hand_the_hub_clean_text() -> None:
    hub = ChatHub(publish_interval_s=0)
    seen: list[ChatMessage] = []
    hub.subscribe(seen.append)
    source = PlatformSource(ChatSourceOptions(source_id="platform"))
    source.subscribe(hub.ingest)
    source._emit(message("hi\x00 \udc00there\u202e", display_name="\u202eeve\ud800"))
    assert [(m.name, m.text) for m in seen] == [("eve", "hi there")]


def test_the_bridge_cleans_what_other_tools_send() -> None:
    bridge = ChatBridgeSource()
    seen: list[ChatMessage] = []
    bridge.subscribe(seen.append)
    bridge.start()
    bridge.ingest("instagram", "\u202eeve\ud800", "hi\x00 \udc00there\u202e")
    assert [(m.name, m.text) for m in seen] == [("eve", "hi there")]


def test_clean_message_keeps_clean_messages_as_they_are() -> None:
    original = message("plain text")
    assert clean_message(original) is original
    dirty = clean_message(message("x\ud800", display_name="\u202eAnna"))
    assert (dirty.text, dirty.display_name) == ("x", "annA")
