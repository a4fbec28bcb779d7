"""Viewer text made safe to show and to moderate: controls stripped, bidi isolated, look-alikes folded."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

from studio_console.domain.chat import ChatMessage

# Bidi embeddings, overrides and isolates (UAX #9). A viewer's RLO would reverse the app's own
# text after it ("… bought 2" turning into "2 thguob"); each is removed, and display wraps the
# viewer's text in FSI…PDI instead.
LRE, RLE, PDF, LRO, RLO = "\u202a", "\u202b", "\u202c", "\u202d", "\u202e"
LRI, RLI, FSI, PDI = "\u2066", "\u2067", "\u2068", "\u2069"
BIDI_CONTROLS = frozenset({LRE, RLE, PDF, LRO, RLO, LRI, RLI, FSI, PDI})

# Combining marks kept on one base character: enough for every real script (Vietnamese uses two,
# Devanagari and Thai a few), not for "zalgo" text that paints over the lines around it.
MAX_COMBINING = 4

# Caps for text that goes on air (the card layout has room for this much).
ON_AIR_NAME_CHARS = 40
ON_AIR_TEXT_CHARS = 200
ELLIPSIS = "…"

# Latin look-alikes from Cyrillic and Greek (after case folding), as displayed in common fonts.
_CONFUSABLES = str.maketrans(
    {
        # Cyrillic
        "а": "a", "в": "b", "е": "e", "ё": "e", "з": "3", "һ": "h", "н": "h", "і": "i", "ї": "i",
        "ј": "j", "к": "k", "м": "m", "о": "o", "р": "p", "с": "c", "ѕ": "s", "т": "t", "у": "y",
        "ў": "y", "х": "x", "ԁ": "d", "ԛ": "q", "ԝ": "w", "ɡ": "g", "ӏ": "l", "п": "n", "г": "r",
        # Greek
        "α": "a", "β": "b", "ε": "e", "ζ": "z", "η": "n", "ι": "i", "κ": "k", "μ": "u", "ν": "v",
        "ο": "o", "ρ": "p", "τ": "t", "υ": "u", "χ": "x", "ω": "w", "ϲ": "c", "ϳ": "j",
        # Latin letters that pass for others
        "ı": "i", "ȷ": "j", "ℓ": "l", "ß": "ss",
    }
)  # fmt: skip


def _is_stripped(ch: str) -> bool:
    """Lone surrogates, C0/C1 controls (but tab and newlines, which become spaces) and bidi controls."""
    code = ord(ch)
    if 0xD800 <= code <= 0xDFFF:
        return True
    if ch in BIDI_CONTROLS:
        return True
    return unicodedata.category(ch) == "Cc" and ch not in "\t\n\r"


def clean(text: str, max_chars: int | None = None) -> str:
    """``text`` with lone surrogates, controls and bidi controls removed and zalgo capped.

    Tabs and line breaks become spaces (chat rows and cards are one paragraph). With
    ``max_chars`` the result is cut to that many characters, ending in an ellipsis.
    """
    if text.isascii() and text.isprintable() and (max_chars is None or len(text) <= max_chars):
        return text  # the common case, unchanged and fast
    out: list[str] = []
    marks = 0
    for ch in text:
        if _is_stripped(ch):
            continue
        if ch in "\t\n\r":
            ch = " "
        if unicodedata.combining(ch):
            marks += 1
            if marks > MAX_COMBINING:
                continue
        else:
            marks = 0
        out.append(ch)
    result = "".join(out)
    if max_chars is not None and len(result) > max_chars:
        result = result[: max(0, max_chars - 1)].rstrip() + ELLIPSIS
    return result


def isolate(text: str, max_chars: int | None = None) -> str:
    """Cleaned viewer text wrapped in FSI…PDI, for showing next to the app's own words."""
    return FSI + clean(text, max_chars) + PDI


def on_air_name(name: str) -> str:
    return clean(name, ON_AIR_NAME_CHARS)


def on_air_text(text: str) -> str:
    return clean(text, ON_AIR_TEXT_CHARS)


def clean_message(message: ChatMessage) -> ChatMessage:
    """The message with every viewer-controlled text field cleaned; the same object if all were clean."""
    fields = {"user_id": message.user_id, "user_name": message.user_name, "display_name": message.display_name}
    fields["text"] = message.text
    if message.gift_name is not None:
        fields["gift_name"] = message.gift_name
    update = {name: clean(value) for name, value in fields.items()}
    update = {name: value for name, value in update.items() if value != fields[name]}
    return message.model_copy(update=update) if update else message


# -- moderation ------------------------------------------------------------------------------------


def _displayed_order(text: str) -> str:
    """The characters in the order a reader sees them under explicit overrides (LRO/RLO ... PDF).

    Only overrides reorder characters regardless of their own direction; embeddings and isolates
    are treated as plain brackets here. That is enough to read ``\\u202emacs`` as "scam".
    """
    # A stack of (override, characters collected at this level).
    stack: list[tuple[str | None, list[str]]] = [(None, [])]

    def close_level() -> None:
        override, chars = stack.pop()
        run = "".join(reversed(chars)) if override == RLO else "".join(chars)
        stack[-1][1].append(run)

    for ch in text:
        if ch in (LRO, RLO, LRE, RLE, LRI, RLI, FSI):
            stack.append((ch if ch in (LRO, RLO) else None, []))
        elif ch in (PDF, PDI):
            if len(stack) > 1:
                close_level()
        else:
            stack[-1][1].append(ch)
    while len(stack) > 1:  # overrides run to the end of the paragraph
        close_level()
    return "".join(stack[0][1])


def skeleton(text: str) -> str:
    """The form moderation compares: NFKC, case-folded, marks and format characters dropped,
    Cyrillic/Greek look-alikes folded to Latin. Apply it to blocked words and to messages alike."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    decomposed = unicodedata.normalize("NFD", folded)
    kept = "".join(
        ch
        for ch in decomposed
        if not unicodedata.combining(ch) and unicodedata.category(ch) not in ("Cf", "Cc", "Cs")
    )
    return unicodedata.normalize("NFC", kept).translate(_CONFUSABLES)


def moderation_forms(text: str) -> tuple[str, ...]:
    """Every form a blocked word could hide in: as typed, and as displayed under bidi overrides."""
    typed = skeleton(text)
    if not any(ch in BIDI_CONTROLS for ch in text):
        return (typed,)
    shown = skeleton(_displayed_order(text))
    return (typed,) if shown == typed else (typed, shown)


def skeletons(words: Iterable[str]) -> list[str]:
    return [skeleton(w) for w in words]
