"""Builds the chat sources the settings name, through the ``studio_console.chat_sources`` entry points."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

from studio_console.adapters.chat import discover_chat_sources
from studio_console.services.chat.hub import ChatHub
from studio_console.settings.model import ChatSourceConfig

log = logging.getLogger(__name__)


def add_configured_sources(
    hub: ChatHub, configs: Iterable[ChatSourceConfig], secrets: Callable[[str], str | None]
) -> list[str]:
    """Add every enabled source to ``hub``; returns a sentence per source that could not be set up.

    A source that is missing, unavailable or badly configured is reported and skipped: chat from the
    other platforms must still arrive.
    """
    problems: list[str] = []
    entries = discover_chat_sources()
    for config in configs:
        if not config.enabled:
            continue
        entry = entries.get(config.kind)
        if entry is None or entry.plugin is None:
            problems.append(f"Chat source {config.kind!r} is unavailable: {entry.error if entry else 'not installed'}")
            continue
        factory = entry.plugin
        reason = factory.unavailable_reason()
        if reason:
            problems.append(f"Chat source {config.kind!r} is unavailable: {reason}")
            continue
        try:
            hub.add_source(factory(factory.options_model.model_validate(config.options), secrets=secrets))
        except Exception as exc:  # a bad configuration must not stop the show
            problems.append(f"Chat source {config.kind!r} could not be set up: {exc}")
    for problem in problems:
        log.error("%s", problem)
    return problems
