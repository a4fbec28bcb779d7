"""On-air chat cards drawn with Pillow: featured comment and alerts cropped to their card, viewer text literal."""

from __future__ import annotations

import io
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from PIL import Image

from studio_console.domain.card import CardLayout, CardRect, CardState
from studio_console.domain.chat import ChatKind
from studio_console.domain.chat_text import platform_badge
from studio_console.render import chat_cards, fonts
from studio_console.render.card_renderer import CardRenderer
from studio_console.render.chat_cards import (
    DEFAULT_STYLE,
    PillowChatCards,
    alert_card_rect,
    alert_text,
    comment_card_image,
    comment_card_rect,
    render_alert_card,
    render_comment_card,
)
from studio_console.render.draw import ELLIPSIS, rgba
from studio_console.services.overlay.ports import ChatCardRenderer, PlacedPicture
from tests.helpers.chat import HOSTILE_NAMES, message

CANVASES = [(1280, 720), (720, 1280), (640, 360)]


def decode(png: bytes) -> Image.Image:
    assert png.startswith(b"\x89PNG")
    return Image.open(io.BytesIO(png)).convert("RGBA")


def has_magenta(image: Image.Image) -> bool:
    counted = image.getcolors(image.width * image.height) or []
    return any(colour == (255, 0, 255, 255) for _n, colour in counted)


def inside(rect: CardRect, width: int, height: int) -> bool:
    return rect.x >= 0 and rect.x + rect.width <= width and rect.y >= 0 and rect.y + rect.height <= height


def test_featured_comment_card_fits_the_canvas(tmp_path: Path) -> None:
    probe = tmp_path / "probe.png"
    Image.new("RGB", (32, 32), (255, 0, 255)).save(probe)
    hostile = message(f'<img src="{probe}"> does A1 come in blue? ' * 30, display_name=f"<img src='{probe}'>")
    for width, height in CANVASES:
        png, rect = render_comment_card(hostile, width, height)
        image = decode(png)
        assert image.size == (rect.width, rect.height)
        assert inside(rect, width, height)
        assert image.getpixel((0, 0))[3] == 0  # type: ignore[index]  # rounded corner: transparent
        bottom_middle = image.getpixel((rect.width // 2, rect.height - 3))
        assert bottom_middle[3] > 200  # type: ignore[index]
        assert not has_magenta(image)
        # The accent strip down the left edge, the platform badge's colour beside it.
        assert image.getpixel((1, rect.height // 2)) == rgba(DEFAULT_STYLE.accent)
        colours = {c for _n, c in image.getcolors(image.width * image.height) or []}
        assert rgba(platform_badge(hostile.platform)[1]) in colours
    # The card grows with its text, up to the line limit.
    _png, short_rect = render_comment_card(message("hi"), 1280, 720)
    _png, long_rect = render_comment_card(hostile, 1280, 720)
    assert short_rect.height < long_rect.height
    assert long_rect == comment_card_rect(1280, 720, DEFAULT_STYLE.max_text_lines)
    assert short_rect == comment_card_rect(1280, 720, 1)


def test_comment_card_placement_keeps_the_rules() -> None:
    # Lower left, above a bottom margin; vertical canvases keep the lowest fifth free for the platform.
    landscape = comment_card_rect(1280, 720, 2)
    assert landscape.x == round(1280 * 0.04) and landscape.y + landscape.height <= 0.93 * 720 + 1
    assert abs(landscape.width - 1280 * 0.62) <= 1
    vertical = comment_card_rect(720, 1280, 2)
    assert vertical.y + vertical.height <= 0.78 * 1280 + 1 and abs(vertical.width - 720 * 0.9) <= 1


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_hostile_names_are_drawn_as_text_without_their_controls(name: str) -> None:
    png, rect = render_comment_card(message("is this in stock?", display_name=name), 1280, 720)
    assert decode(png).size == (rect.width, rect.height)
    cleaned = name.replace("\u202e", "").replace("\ufeff", "")
    same, _ = comment_card_image(message("is this in stock?", display_name=cleaned), 1280, 720)
    assert decode(png).tobytes() == same.tobytes()


def test_a_right_to_left_override_does_not_reverse_the_comment() -> None:
    hostile, _ = comment_card_image(message("\u202eyub ot 1A tnemmoc"), 1280, 720)
    plain, _ = comment_card_image(message("yub ot 1A tnemmoc"), 1280, 720)
    assert hostile.tobytes() == plain.tobytes()


def test_a_flood_of_text_is_cut_and_elided() -> None:
    flood = message("spam " * 5000)
    _png, rect = render_comment_card(flood, 1280, 720)
    assert rect == comment_card_rect(1280, 720, DEFAULT_STYLE.max_text_lines)
    lines = chat_cards._comment_lines(flood, 1280, 720, DEFAULT_STYLE)
    assert len(lines) == DEFAULT_STYLE.max_text_lines and lines[-1].endswith(ELLIPSIS)
    # One word longer than the first 600 characters: cut there, and still marked as cut.
    lines = chat_cards._comment_lines(message("x" * 700), 1280, 720, DEFAULT_STYLE)
    assert lines[-1].endswith(ELLIPSIS) and sum(len(line) for line in lines) < 610
    # Newlines and tabs in a comment never add lines of their own.
    _png, lines_rect = render_comment_card(message("a\nb\nc\nd\ne\nf"), 1280, 720)
    assert lines_rect == comment_card_rect(1280, 720, 1)


@pytest.mark.skipif(fonts.emoji_font() is None, reason="fonts-noto-color-emoji is not installed")
def test_emoji_in_a_comment_are_drawn_in_colour() -> None:
    image, _ = comment_card_image(message("so hot \U0001f525\U0001f525"), 1280, 720)
    colours = {c[:3] for _n, c in image.getcolors(image.width * image.height) or [] if c[3] == 255}
    assert any(r > 200 and 80 < g < 180 and b < 60 for r, g, b in colours)


def test_alert_cards_for_gifts_follows_and_cheers() -> None:
    gift = message("", kind=ChatKind.GIFT, display_name="Anna", gift_name="Rose", gift_count=5)
    assert alert_text(gift) == ("THANK YOU!", "Anna sent Rose x5")
    follow = message("", kind=ChatKind.FOLLOW, display_name="<b>Ben</b>")
    assert alert_text(follow) == ("NEW FOLLOWER", "<b>Ben</b> followed")
    assert alert_text(message("Cheer100", bits=100, display_name="Cy")) == ("THANK YOU!", "Cy cheered 100 bits")
    for width, height in CANVASES:
        png, rect = render_alert_card(gift, width, height)
        image = decode(png)
        assert image.size == (rect.width, rect.height) and rect.y >= 0 and inside(rect, width, height)
        assert rect == alert_card_rect(width, height)
        assert image.getpixel((rect.width // 2, rect.height // 2))[3] > 200  # type: ignore[index]
        # Gifts get the amber bar along the top, follows the green one.
        assert image.getpixel((rect.width // 2, 1)) == rgba("#ffb300")
        follow_image = decode(render_alert_card(follow, width, height)[0])
        assert follow_image.getpixel((rect.width // 2, 1)) == rgba("#43a047")
    # Centred at the top; lower on a vertical canvas.
    landscape, vertical = alert_card_rect(1280, 720), alert_card_rect(720, 1280)
    assert abs(landscape.x + landscape.width / 2 - 640) <= 1 and landscape.y == round(720 * 0.06)
    assert vertical.y == int(1280 * 0.12)


def test_the_chat_card_port_places_the_cropped_pictures() -> None:
    cards: ChatCardRenderer = PillowChatCards()
    comment = message("does A1 come in blue?", platform="twitch")
    placed = cards.comment(comment, 1280, 720)
    assert isinstance(placed, PlacedPicture)
    png, rect = render_comment_card(comment, 1280, 720)
    assert placed == PlacedPicture(png, rect.x, rect.y, rect.width, rect.height)
    follow = message("", kind=ChatKind.FOLLOW, display_name="Ben")
    alert = cards.alert(follow, 720, 1280)
    assert decode(alert.png).size == (alert.width, alert.height)
    assert (alert.x, alert.y, alert.width, alert.height) == tuple(alert_card_rect(720, 1280))


def test_cards_drawn_on_several_threads_at_once_equal_those_drawn_alone() -> None:
    # ChatOnAir draws on worker threads while ProductShow draws on the loop: the shared fonts must hold.
    cards = PillowChatCards()
    products = CardRenderer()
    comments = [
        message(f"comment {i}: does A1 come in blue? \U0001f525", display_name=f"Viewer {i}") for i in range(12)
    ]
    states = [
        CardState(sku="A", title=f"Shirt {i}", price="19.99", short_code="A1", flash_seconds_left=i, layout=layout)
        for i, layout in enumerate([CardLayout.LOWER_THIRD, CardLayout.SIDE_PANEL] * 6)
    ]
    alone = [cards.comment(m, 1280, 720) for m in comments], [products(s, 720, 1280) for s in states]
    with ThreadPoolExecutor(max_workers=6) as pool:
        comment_jobs = [pool.submit(cards.comment, m, 1280, 720) for m in comments]
        product_jobs = [pool.submit(products, s, 720, 1280) for s in states]
        together = [job.result() for job in comment_jobs], [job.result() for job in product_jobs]
    assert together == alone
