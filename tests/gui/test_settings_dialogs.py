"""Settings dialogs offscreen: chat sources, blocked words and users, remote control; models in, models out."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QLineEdit
from pytestqt.qtbot import QtBot

from studio_console.adapters.chat.youtube import YOUTUBE_API_KEY_SECRET
from studio_console.domain.chat import ChatRules
from studio_console.qt.dialogs.chat_sources_dialog import ChatSourcesDialog
from studio_console.qt.dialogs.moderation_dialog import ModerationDialog
from studio_console.qt.dialogs.remote_dialog import RemoteControlDialog
from studio_console.settings.model import ChatSettings, ChatSourceConfig, RemoteControlSettings
from studio_console.settings.secrets import REMOTE_TOKEN, SecretStore


@pytest.fixture
def secrets(tmp_path: Path) -> SecretStore:
    return SecretStore.open(tmp_path)


# -- chat sources ---------------------------------------------------------------------------------


def test_a_first_set_up_adds_the_chosen_sources(qtbot: QtBot, secrets: SecretStore) -> None:
    dialog = ChatSourcesDialog([], secrets)
    qtbot.addWidget(dialog)
    dialog.twitch_box.enabled.setChecked(True)
    dialog.twitch_channel.setText("#MyShop")
    dialog.youtube_box.enabled.setChecked(True)
    dialog.youtube_video.setText("dQw4w9WgXcQ")
    dialog.youtube_key.setText("AIza-test-key")
    assert dialog.youtube_key.echoMode() == QLineEdit.EchoMode.Password
    with qtbot.waitSignal(dialog.sources_accepted) as accepted:
        dialog.accept()
    sources = accepted.args[0]
    assert [(s.kind, s.enabled, s.options) for s in sources] == [
        ("twitch", True, {"channel": "MyShop"}),
        ("youtube", True, {"video_id": "dQw4w9WgXcQ"}),
    ]
    assert secrets.get(YOUTUBE_API_KEY_SECRET) == "AIza-test-key"
    assert "AIza" not in ChatSettings(sources=sources).model_dump_json()


def test_editing_keeps_other_sources_and_options_and_disables_in_place(qtbot: QtBot, secrets: SecretStore) -> None:
    rehearsal = ChatSourceConfig(kind="rehearsal", options={"rate": 5})
    twitch = ChatSourceConfig(kind="twitch", options={"channel": "old", "host": "127.0.0.1", "tls": False})
    second_twitch = ChatSourceConfig(kind="twitch", options={"channel": "other", "source_id": "twitch-2"})
    tiktok = ChatSourceConfig(kind="tiktok", options={"unique_id": "shop"})
    dialog = ChatSourcesDialog([rehearsal, twitch, second_twitch, tiktok], secrets)
    qtbot.addWidget(dialog)
    assert dialog.twitch_channel.text() == "old" and dialog.twitch_box.enabled.isChecked()
    assert dialog.tiktok_user.text() == "shop"
    dialog.twitch_channel.setText("new_channel")
    dialog.tiktok_box.enabled.setChecked(False)
    sources = dialog.sources()
    assert sources[0] == rehearsal and sources[2] == second_twitch
    assert sources[1].options == {"channel": "new_channel", "host": "127.0.0.1", "tls": False}
    assert sources[3].kind == "tiktok" and not sources[3].enabled and sources[3].options == {"unique_id": "shop"}


@pytest.mark.parametrize(
    ("setup", "problem"),
    [
        (
            lambda d: (d.twitch_box.enabled.setChecked(True), d.twitch_channel.setText("bad channel!")),
            "Twitch: channel",
        ),
        (lambda d: d.twitch_box.enabled.setChecked(True), "Twitch: channel"),
        (lambda d: d.youtube_box.enabled.setChecked(True), "YouTube: enter the live video id or the live chat id"),
        (
            lambda d: (d.youtube_box.enabled.setChecked(True), d.youtube_video.setText("abc")),
            "YouTube: enter an API key",
        ),
        (lambda d: d.tiktok_box.enabled.setChecked(True), "TikTok: unique_id"),
    ],
)
def test_bad_fields_are_named_and_nothing_is_accepted(
    qtbot: QtBot, secrets: SecretStore, setup: object, problem: str
) -> None:
    dialog = ChatSourcesDialog([], secrets)
    qtbot.addWidget(dialog)
    setup(dialog)  # type: ignore[operator]
    with qtbot.assertNotEmitted(dialog.sources_accepted):
        dialog.accept()
    assert dialog.problem_label.text().startswith(problem)
    assert dialog.result() == 0


# -- blocked words and users ----------------------------------------------------------------------


def test_blocked_lists_add_paste_dedupe_remove(qtbot: QtBot) -> None:
    rules = ChatRules(blocked_words=("spam",), blocked_users=("twitch:troll",), top_gifters=7)
    dialog = ModerationDialog(rules)
    qtbot.addWidget(dialog)
    assert dialog.words.values() == ["spam"]
    dialog.words.entry.setText("  free   money ")
    with qtbot.waitSignal(dialog.words.changed):
        dialog.words.add_button.click()
    assert dialog.words.entry.text() == ""
    assert dialog.words.add("SPAM\nscam\n\nscam") == 1  # a pasted block: one new, case-insensitive de-dup
    assert dialog.words.values() == ["spam", "free money", "scam"]
    dialog.users.list.item(0).setSelected(True)
    dialog.users.remove_button.click()
    dialog.users.add("bot_account")
    with qtbot.waitSignal(dialog.rules_accepted) as accepted:
        dialog.accept()
    edited = accepted.args[0]
    assert isinstance(edited, ChatRules)
    assert edited.blocked_words == ("spam", "free money", "scam")
    assert edited.blocked_users == ("bot_account",)
    assert edited.top_gifters == 7 and edited.languages == rules.languages


def test_list_items_are_plain_text(qtbot: QtBot) -> None:
    dialog = ModerationDialog(ChatRules(blocked_words=("<b>bold</b>",)))
    qtbot.addWidget(dialog)
    assert dialog.words.list.item(0).text() == "<b>bold</b>"


# -- remote control -------------------------------------------------------------------------------


def test_remote_settings_and_a_kept_token(qtbot: QtBot, secrets: SecretStore) -> None:
    secrets.set(REMOTE_TOKEN, "the-current-token-123456")
    dialog = RemoteControlDialog(RemoteControlSettings(enabled=True, port=8765), secrets, bound_port=8765)
    qtbot.addWidget(dialog)
    assert dialog.token_edit.echoMode() == QLineEdit.EchoMode.Password
    dialog.show_token.setChecked(True)
    assert dialog.token_edit.text() == "the-current-token-123456"
    dialog.copy_button.click()
    assert QGuiApplication.clipboard().text() == "the-current-token-123456"
    dialog.enabled.setChecked(False)
    dialog.port_spin.setValue(9000)
    with qtbot.waitSignal(dialog.settings_accepted) as accepted, qtbot.assertNotEmitted(dialog.token_changed):
        dialog.accept()
    assert accepted.args[0] == RemoteControlSettings(enabled=False, port=9000)
    assert secrets.get(REMOTE_TOKEN) == "the-current-token-123456"


def test_regenerate_replaces_the_token_only_on_ok(qtbot: QtBot, secrets: SecretStore) -> None:
    secrets.set(REMOTE_TOKEN, "the-current-token-123456")
    cancelled = RemoteControlDialog(RemoteControlSettings(), secrets)
    qtbot.addWidget(cancelled)
    cancelled.regenerate_button.click()
    cancelled.reject()
    assert secrets.get(REMOTE_TOKEN) == "the-current-token-123456"

    dialog = RemoteControlDialog(RemoteControlSettings(), secrets)
    qtbot.addWidget(dialog)
    dialog.regenerate_button.click()
    fresh = dialog.token()
    assert fresh != "the-current-token-123456" and len(fresh) >= 24
    with qtbot.waitSignal(dialog.token_changed) as changed:
        dialog.accept()
    assert changed.args == [fresh]
    assert secrets.get(REMOTE_TOKEN) == fresh
