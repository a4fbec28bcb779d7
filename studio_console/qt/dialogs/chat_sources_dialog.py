"""Chat sources without JSON: the Twitch channel, the YouTube live chat (API key in the keyring), the TikTok user."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationError
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from studio_console.adapters.chat.tiktok import TikTokOptions
from studio_console.adapters.chat.twitch_irc import TwitchIrcOptions
from studio_console.adapters.chat.youtube import YOUTUBE_API_KEY_SECRET, YouTubeOptions
from studio_console.settings.model import ChatSourceConfig
from studio_console.settings.secrets import SecretStore

# The plugin names (entry points) this dialog edits; other sources (rehearsal audience, a second
# Twitch channel) are kept exactly as they are.
TWITCH, YOUTUBE, TIKTOK = "twitch", "youtube", "tiktok"


def _first(sources: list[ChatSourceConfig], kind: str) -> ChatSourceConfig | None:
    return next((s for s in sources if s.kind == kind), None)


def _field_problem(platform: str, exc: ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(part) for part in error.get("loc", ())) or "options"
    return f"{platform}: {where}: {error.get('msg', 'not valid')}"


class _SourceBox(QGroupBox):
    """One platform: an Enabled switch and its fields."""

    def __init__(self, title: str, config: ChatSourceConfig | None) -> None:
        super().__init__(title)
        self.enabled = QCheckBox("Read this chat")
        self.enabled.setChecked(bool(config and config.enabled))
        self.form = QFormLayout(self)
        self.form.addRow(self.enabled)

    def line(self, label: str, value: Any, placeholder: str = "") -> QLineEdit:
        edit = QLineEdit("" if value is None else str(value))
        edit.setPlaceholderText(placeholder)
        self.form.addRow(label, edit)
        return edit


class ChatSourcesDialog(QDialog):
    """Edits the chat sources of ``settings.chat.sources``.

    Signals:
        sources_accepted(list[ChatSourceConfig]): OK with valid fields; secrets are already in the keyring.
            The receiver stores the list in the settings and rebuilds the chat sources.
    """

    sources_accepted = Signal(object)

    def __init__(self, sources: list[ChatSourceConfig], secrets: SecretStore, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Chat sources")
        self.setMinimumWidth(460)
        self._sources = list(sources)
        self._secrets = secrets
        twitch, youtube, tiktok = (_first(sources, kind) for kind in (TWITCH, YOUTUBE, TIKTOK))
        self._existing = {TWITCH: twitch, YOUTUBE: youtube, TIKTOK: tiktok}

        self.twitch_box = _SourceBox("Twitch", twitch)
        self.twitch_channel = self.twitch_box.line(
            "Channel", (twitch.options.get("channel") if twitch else "") or "", "your_channel"
        )

        self.youtube_box = _SourceBox("YouTube", youtube)
        youtube_options = youtube.options if youtube else {}
        self.youtube_video = self.youtube_box.line(
            "Live video id", youtube_options.get("video_id"), "the part after watch?v= (or the chat id below)"
        )
        self.youtube_chat_id = self.youtube_box.line("Live chat id", youtube_options.get("live_chat_id"), "optional")
        self._youtube_key_name = str(youtube_options.get("api_key_secret") or YOUTUBE_API_KEY_SECRET)
        self._youtube_key_stored = secrets.get(self._youtube_key_name) or ""
        self.youtube_key = self.youtube_box.line("API key", self._youtube_key_stored, "YouTube Data API v3 key")
        self.youtube_key.setEchoMode(QLineEdit.EchoMode.Password)

        self.tiktok_box = _SourceBox("TikTok LIVE", tiktok)
        self.tiktok_user = self.tiktok_box.line(
            "Host's @user", (tiktok.options.get("unique_id") if tiktok else "") or "", "@yourshop"
        )

        self.problem_label = QLabel("")
        self.problem_label.setTextFormat(Qt.TextFormat.PlainText)
        self.problem_label.setWordWrap(True)
        self.problem_label.setStyleSheet("color: #b3261e;")
        note = QLabel("Tokens and keys are kept in the system keyring, never in the settings file.")
        note.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        for box in (self.twitch_box, self.youtube_box, self.tiktok_box):
            layout.addWidget(box)
        layout.addWidget(note)
        layout.addWidget(self.problem_label)
        layout.addWidget(self.buttons)

    # -- building the result ---------------------------------------------------------------------

    def _edited(
        self, kind: str, box: _SourceBox, fields: dict[str, str | None], model: type[BaseModel], platform: str
    ) -> ChatSourceConfig | None:
        existing = self._existing[kind]
        filled = {k: v for k, v in fields.items() if v}
        if existing is None and not box.enabled.isChecked() and not filled:
            return None  # never configured, still not wanted
        options = dict(existing.options) if existing else {}
        options.update(fields)
        options = {k: v for k, v in options.items() if v is not None}
        if box.enabled.isChecked() or filled:
            try:
                model.model_validate(options)
            except ValidationError as exc:
                raise ValueError(_field_problem(platform, exc)) from None
        return ChatSourceConfig(kind=kind, enabled=box.enabled.isChecked(), options=options)

    def sources(self) -> list[ChatSourceConfig]:
        """The edited list, in the original order; raises ValueError naming the platform and field."""
        channel = self.twitch_channel.text().strip().lstrip("#") or None
        video = self.youtube_video.text().strip() or None
        chat_id = self.youtube_chat_id.text().strip() or None
        user = self.tiktok_user.text().strip().lstrip("@") or None
        if self.youtube_box.enabled.isChecked() and not (video or chat_id):
            raise ValueError("YouTube: enter the live video id or the live chat id")
        if self.youtube_box.enabled.isChecked() and not self.youtube_key.text().strip():
            raise ValueError("YouTube: enter an API key (it is kept in the keyring)")
        edited = {
            TWITCH: self._edited(TWITCH, self.twitch_box, {"channel": channel}, TwitchIrcOptions, "Twitch"),
            YOUTUBE: self._edited(
                YOUTUBE,
                self.youtube_box,
                {"video_id": video, "live_chat_id": chat_id},
                YouTubeOptions,
                "YouTube",
            ),
            TIKTOK: self._edited(TIKTOK, self.tiktok_box, {"unique_id": user}, TikTokOptions, "TikTok"),
        }
        result: list[ChatSourceConfig] = []
        placed: set[str] = set()
        for source in self._sources:
            if source.kind in edited and source is self._existing[source.kind]:
                replacement = edited[source.kind]
                placed.add(source.kind)
                if replacement is not None:
                    result.append(replacement)
            else:
                result.append(source)
        result.extend(config for kind, config in edited.items() if config is not None and kind not in placed)
        return result

    def accept(self) -> None:
        try:
            sources = self.sources()
        except ValueError as exc:
            self.problem_label.setText(str(exc))
            return
        key = self.youtube_key.text().strip()
        if key and key != self._youtube_key_stored:
            self._secrets.set(self._youtube_key_name, key)
        self.sources_accepted.emit(sources)
        super().accept()
