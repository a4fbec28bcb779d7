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

# Latin look-alikes from Cyrillic, Greek and Latin extensions (after case folding), as displayed in
# common fonts. Written as escapes: the letters themselves would be indistinguishable here.
_CONFUSABLES = str.maketrans(
    {
        "\u0430": "a",
        "\u0432": "b",
        "\u0435": "e",
        "\u0451": "e",
        "\u0437": "3",
        "\u04bb": "h",
        "\u043d": "h",
        "\u0456": "i",
        "\u0457": "i",
        "\u0458": "j",
        "\u043a": "k",
        "\u043c": "m",
        "\u043e": "o",
        "\u0440": "p",
        "\u0441": "c",
        "\u0455": "s",
        "\u0442": "t",
        "\u0443": "y",
        "\u045e": "y",
        "\u0445": "x",
        "\u0501": "d",
        "\u051b": "q",
        "\u051d": "w",
        "\u04cf": "l",
        "\u043f": "n",
        "\u0433": "r",
        "\u03b1": "a",
        "\u03b2": "b",
        "\u03b5": "e",
        "\u03b6": "z",
        "\u03b7": "n",
        "\u03b9": "i",
        "\u03ba": "k",
        "\u03bc": "u",
        "\u03bd": "v",
        "\u03bf": "o",
        "\u03c1": "p",
        "\u03c4": "t",
        "\u03c5": "u",
        "\u03c7": "x",
        "\u03c9": "w",
        "\u03f2": "c",
        "\u03f3": "j",
        "\u0131": "i",
        "\u0237": "j",
        "\u2113": "l",
        "\u0261": "g",
        "\u00df": "ss",
    }
)


# Tabs, line and paragraph breaks (U+2028/U+2029 too): a chat row or a card is one paragraph.
_LINE_BREAKS = frozenset("\t\n\r\u2028\u2029\x85")


def _is_stripped(ch: str) -> bool:
    """Lone surrogates, C0/C1 controls (but tab and newlines, which become spaces) and bidi controls."""
    code = ord(ch)
    if 0xD800 <= code <= 0xDFFF:
        return True
    if ch in BIDI_CONTROLS:
        return True
    return unicodedata.category(ch) == "Cc" and ch not in _LINE_BREAKS


def clean(text: str, max_chars: int | None = None) -> str:
    """``text`` with lone surrogates, controls and bidi controls removed and zalgo capped.

    Characters under an explicit override (LRO/RLO) are put in the order they were displayed in,
    then the controls go: the text still reads as it did, and can no longer reverse the app's own
    words next to it. (An override around right-to-left letters is not resolved exactly; it has no
    honest use.)

    Tabs and line breaks become spaces (chat rows and cards are one paragraph). With
    ``max_chars`` the result is cut to that many characters, ending in an ellipsis.
    """
    if text.isascii() and text.isprintable() and (max_chars is None or len(text) <= max_chars):
        return text  # the common case, unchanged and fast
    if any(ch in BIDI_CONTROLS for ch in text):
        # Keep what the viewer made readers see ("\u202emacs" reads "scam"), minus the power to
        # reorder anything around it.
        text = _displayed_order(text)
    out: list[str] = []
    marks = 0
    for ch in text:
        if _is_stripped(ch):
            continue
        if ch in _LINE_BREAKS:
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


# Shown on a card whose viewer has no visible name: a comment must never look like the app's own text.
ANONYMOUS_VIEWER = "A viewer"


def _visible(text: str) -> bool:
    return any(unicodedata.category(ch)[0] not in ("C", "Z", "M") for ch in text)


def on_air_message(message: ChatMessage) -> ChatMessage:
    """The message as a card may draw it: cleaned, capped, and always with a visible name."""
    name = on_air_name(message.name)
    update: dict[str, object] = {
        "display_name": name if _visible(name) else ANONYMOUS_VIEWER,
        "text": on_air_text(message.text),
    }
    if message.gift_name is not None:
        update["gift_name"] = clean(message.gift_name, ON_AIR_NAME_CHARS)
    return message.model_copy(update=update)


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
        ch for ch in decomposed if not unicodedata.combining(ch) and unicodedata.category(ch) not in ("Cf", "Cc", "Cs")
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
