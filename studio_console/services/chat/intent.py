"""Reads chat like a shop assistant: questions, purchase intent, product short codes, and local moderation."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from studio_console.domain.chat import ChatMessage, ChatRules, Intent
from studio_console.domain.viewer_text import moderation_forms, skeletons

ProductLookup = Callable[[str], str | None]

_QUESTION_MARKS = ("?", "？", "¿", "؟")  # noqa: RUF001 - the full-width and Arabic marks are the point
# Look-ups per message are capped: a line stuffed with fake codes must not cost a catalog scan each.
_MAX_CODE_LOOKUPS = 24
_WORD = re.compile(r"\w")


def normalise(text: str) -> str:
    """Text as matching sees it: NFKC, format characters (zero-width, bidi controls) removed, case-folded.

    Hostile users put zero-width spaces inside blocked words; matching must not be fooled by them.
    Only matching uses this: what is shown stays exactly what the viewer sent.
    """
    folded = unicodedata.normalize("NFKC", text)
    if any(unicodedata.category(ch) == "Cf" for ch in folded):
        folded = "".join(ch for ch in folded if unicodedata.category(ch) != "Cf")
    return folded.casefold()


def keyword_pattern(words: Iterable[str], *, anchored: bool = False) -> re.Pattern[str] | None:
    """One regex for a word list; word boundaries only where a keyword starts or ends with a word character."""
    parts = []
    for word in sorted({normalise(w).strip() for w in words if w.strip()}, key=len, reverse=True):
        part = re.escape(word)
        if _WORD.match(word[0]):
            part = r"(?<!\w)" + part
        if _WORD.match(word[-1]):
            part += r"(?!\w)"
        parts.append(part)
    if not parts:
        return None
    return re.compile(("^\\s*" if anchored else "") + "(?:" + "|".join(parts) + ")")


@dataclass(frozen=True)
class IntentResult:
    intents: frozenset[Intent]
    product_code: str | None = None
    product_sku: str | None = None


_NOTHING = IntentResult(frozenset())


class IntentDetector:
    """Compiled from ChatRules: every configured language is checked, since a room mixes languages."""

    _WORD_INTENTS = (Intent.PRICE, Intent.LINK, Intent.SIZE, Intent.COLOUR, Intent.SOLD)

    def __init__(self, rules: ChatRules, lookup: ProductLookup | None = None) -> None:
        self.lookup = lookup
        languages = rules.languages.values()
        self._question_start = keyword_pattern((w for lang in languages for w in lang.question), anchored=True)
        self._patterns: list[tuple[Intent, re.Pattern[str]]] = []
        for intent in self._WORD_INTENTS:
            pattern = keyword_pattern(w for lang in languages for w in lang.words_for(intent))
            if pattern is not None:
                self._patterns.append((intent, pattern))
        self._short_code = re.compile(rules.short_code_pattern)

    def detect(self, text: str) -> IntentResult:
        if not text:
            return _NOTHING
        folded = normalise(text)
        found: set[Intent] = set()
        if any(mark in folded for mark in _QUESTION_MARKS) or (
            self._question_start is not None and self._question_start.search(folded)
        ):
            found.add(Intent.QUESTION)
        for intent, pattern in self._patterns:
            if pattern.search(folded):
                found.add(intent)
        code, sku = self._product(text)
        if sku is not None:
            found.add(Intent.PRODUCT)
        if not found:
            return _NOTHING
        return IntentResult(frozenset(found), code, sku)

    def _product(self, text: str) -> tuple[str | None, str | None]:
        if self.lookup is None:
            return None, None
        for lookups, match in enumerate(self._short_code.finditer(text)):
            if lookups >= _MAX_CODE_LOOKUPS:
                break
            token = match.group(0).lstrip("#").upper()
            for candidate in dict.fromkeys((token, token.replace("-", ""))):
                if not candidate:
                    continue
                sku = self.lookup(candidate)
                if sku is not None:
                    return candidate, sku
        return None, None


class Moderation:
    """Hides messages locally by blocked word or user; nothing is sent to the platform."""

    def __init__(self, rules: ChatRules) -> None:
        # Words and messages are compared as they look (viewer_text.skeleton): look-alike letters,
        # marks and bidi overrides cannot smuggle a blocked word past.
        self._words = keyword_pattern(skeletons(rules.blocked_words))
        self._users: set[str] = set()
        self._platform_users: set[tuple[str, str]] = set()
        for entry in rules.blocked_users:
            entry = normalise(entry).strip().lstrip("@")
            platform, sep, name = entry.partition(":")
            if sep and name:
                self._platform_users.add((platform, name.lstrip("@")))
            elif entry:
                self._users.add(entry)

    def user_blocked(self, message: ChatMessage) -> bool:
        if not (self._users or self._platform_users):
            return False
        names = {normalise(n) for n in (message.user_name, message.display_name, message.user_id) if n}
        if not self._users.isdisjoint(names):
            return True
        platform = message.platform.casefold()
        return any((platform, name) in self._platform_users for name in names)

    def hides(self, message: ChatMessage) -> bool:
        if self.user_blocked(message):
            return True
        words = self._words
        if words is None or not message.text:
            return False
        return any(words.search(form) for form in moderation_forms(message.text))
