"""On-air chat cards: the featured comment and alerts render to canvas-sized images, viewer text drawn literally."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSize
from PySide6.QtGui import QColor, QImage
from pytestqt.qtbot import QtBot

from studio_console.domain.chat import ChatKind
from studio_console.qt.render.comment_card import alert_text, render_alert_card, render_comment_card
from tests.helpers.chat import has_magenta, message


def test_featured_comment_card_fits_the_canvas(qtbot: QtBot, tmp_path: Path) -> None:
    probe = tmp_path / "probe.png"
    swatch = QImage(32, 32, QImage.Format.Format_RGB32)
    swatch.fill(QColor(255, 0, 255))
    swatch.save(str(probe))
    hostile = message(f'<img src="{probe}"> does A1 come in blue? ' * 30, display_name=f"<img src='{probe}'>")
    for canvas in (QSize(1280, 720), QSize(720, 1280), QSize(640, 360)):
        image, rect = render_comment_card(hostile, canvas)
        assert image.size() == canvas
        assert 0 <= rect.left() < rect.right() <= canvas.width() and 0 <= rect.top() < rect.bottom() <= canvas.height()
        assert image.pixelColor(2, 2).alpha() == 0  # transparent outside the card
        inside = image.pixelColor(int(rect.center().x()), int(rect.bottom() - 3))
        assert inside.alpha() > 200
        assert not has_magenta(image)
    # The card grows with its text, up to the line limit.
    _image, short_rect = render_comment_card(message("hi"), QSize(1280, 720))
    _image, long_rect = render_comment_card(hostile, QSize(1280, 720))
    assert short_rect.height() < long_rect.height()


def test_alert_cards_for_gifts_follows_and_cheers(qtbot: QtBot) -> None:
    gift = message("", kind=ChatKind.GIFT, display_name="Anna", gift_name="Rose", gift_count=5)
    assert alert_text(gift) == ("THANK YOU!", "Anna sent Rose x5")
    follow = message("", kind=ChatKind.FOLLOW, display_name="<b>Ben</b>")
    assert alert_text(follow) == ("NEW FOLLOWER", "<b>Ben</b> followed")
    assert alert_text(message("Cheer100", bits=100, display_name="Cy")) == ("THANK YOU!", "Cy cheered 100 bits")
    image, rect = render_alert_card(gift, QSize(1280, 720))
    assert image.size() == QSize(1280, 720) and rect.top() >= 0
    assert image.pixelColor(int(rect.center().x()), int(rect.center().y())).alpha() > 200
