"""On-air chat graphics drawn with Pillow: the featured-comment card and gift/follow alerts, as PNG cropped to the card.

Qt-free. Viewer names and text are drawn as plain text only, with control and bidi-override
characters removed first; a flood of text is cut before it is laid out.
"""

from __future__ import annotations

from dataclasses import dataclass

from PIL import Image, ImageChops

from studio_console.domain.card import CardRect
from studio_console.domain.chat import ChatKind, ChatMessage
from studio_console.domain.chat_text import MAX_LAYOUT_CHARS, platform_badge
from studio_console.render.draw import (
    ELLIPSIS,
    PNG_COMPRESS_LEVEL,
    ceil_box,
    elide,
    fill_rect,
    fill_rounded,
    png,
    rgba,
    rounded_mask,
    text_in_box,
    wrap_lines,
)
from studio_console.render.fonts import DRAWING, face
from studio_console.render.text import drawable_text
from studio_console.services.overlay.ports import PlacedPicture


@dataclass(frozen=True)
class CommentCardStyle:
    """Colours as ``#RRGGBB`` or ``#AARRGGBB`` (alpha first, as Qt reads them)."""

    background: str = "#E112121C"
    accent: str = "#d81b60"
    name_colour: str = "#ffd54f"
    text_colour: str = "#ffffff"
    font_family: str = "DejaVu Sans"
    max_text_lines: int = 4
    # Card width as a share of the canvas width (landscape / vertical canvases).
    width_share: float = 0.62
    vertical_width_share: float = 0.9


DEFAULT_STYLE = CommentCardStyle()
_GIFT_ACCENT = "#ffb300"
_FOLLOW_ACCENT = "#43a047"


def _unit(canvas_w: int, canvas_h: int) -> float:
    """One text size unit: scales with the shorter canvas side, so 9:16 and 16:9 read alike."""
    return min(canvas_w, canvas_h) / 22.0


def _comment_box(
    canvas_w: int, canvas_h: int, lines: int, style: CommentCardStyle
) -> tuple[float, float, float, float]:
    unit = _unit(canvas_w, canvas_h)
    vertical = canvas_h > canvas_w
    share = style.vertical_width_share if vertical else style.width_share
    width = canvas_w * share
    margin = canvas_w * (0.05 if vertical else 0.04)
    height = unit * 0.6 * 2 + unit * 1.25 + max(1, lines) * unit * 1.3
    bottom = canvas_h * (0.78 if vertical else 0.93)
    return margin, bottom - height, width, height


def comment_card_rect(canvas_w: int, canvas_h: int, lines: int, style: CommentCardStyle = DEFAULT_STYLE) -> CardRect:
    """Where the featured comment sits: lower left, above the bottom margin, sized to its text (whole pixels)."""
    return CardRect(*ceil_box(*_comment_box(canvas_w, canvas_h, lines, style)))


def _comment_lines(message: ChatMessage, canvas_w: int, canvas_h: int, style: CommentCardStyle) -> tuple[str, ...]:
    unit = _unit(canvas_w, canvas_h)
    pad = unit * 0.6
    text_face = face(style.font_family, max(6, round(unit * 1.0)))
    _x, _y, width, _h = _comment_box(canvas_w, canvas_h, style.max_text_lines, style)
    text = message.text or " "
    # Only the start of a flood is laid out; the ellipsis says there was more.
    sample = drawable_text(text[:MAX_LAYOUT_CHARS]) + (ELLIPSIS if len(text) > MAX_LAYOUT_CHARS else "")
    return wrap_lines(text_face, sample, width - pad * 2 - unit * 0.3, style.max_text_lines)


def comment_card_image(
    message: ChatMessage, canvas_w: int, canvas_h: int, style: CommentCardStyle = DEFAULT_STYLE
) -> tuple[Image.Image, CardRect]:
    """The featured comment as an RGBA image of its own size, and where it sits on the canvas."""
    with DRAWING:
        return _comment_card_image(message, canvas_w, canvas_h, style)


def _comment_card_image(
    message: ChatMessage, canvas_w: int, canvas_h: int, style: CommentCardStyle
) -> tuple[Image.Image, CardRect]:
    unit = _unit(canvas_w, canvas_h)
    pad = unit * 0.6
    lines = _comment_lines(message, canvas_w, canvas_h, style)
    rect = comment_card_rect(canvas_w, canvas_h, len(lines), style)
    card = Image.new("RGBA", (rect.width, rect.height), rgba(style.background))
    # The accent strip is cut with the card's rounded corners below.
    fill_rect(card, 0, 0, unit * 0.3, rect.height, rgba(style.accent))

    left = pad + unit * 0.3
    top = pad
    badge_text, badge_colour = platform_badge(message.platform)
    badge_text = drawable_text(badge_text)  # an unknown platform's name comes from outside
    badge_face = face(style.font_family, max(6, round(unit * 0.6)), bold=True)
    badge_w = badge_face.length(badge_text) + unit * 0.5
    fill_rounded(card, left, top + unit * 0.15, badge_w, unit, unit * 0.2, rgba(badge_colour))
    text_in_box(
        card, badge_face, badge_text, left, top + unit * 0.15, badge_w, unit, (255, 255, 255, 255), centred=True
    )

    name_left = left + badge_w + unit * 0.4
    name_face = face(style.font_family, max(6, round(unit * 0.95)), bold=True)
    name = drawable_text(message.name[:200])
    text_in_box(
        card, name_face, name, name_left, top, rect.width - pad - name_left, unit * 1.25, rgba(style.name_colour)
    )

    text_face = face(style.font_family, max(6, round(unit * 1.0)))
    y = top + unit * 1.25
    for line in lines:
        text_face.draw(card, left, y + text_face.ascent, line, rgba(style.text_colour))
        y += unit * 1.3
    card.putalpha(ImageChops.multiply(card.getchannel("A"), rounded_mask(rect.width, rect.height, unit * 0.5)))
    return card, rect


def render_comment_card(
    message: ChatMessage, canvas_w: int, canvas_h: int, style: CommentCardStyle = DEFAULT_STYLE
) -> tuple[bytes, CardRect]:
    """The featured comment as PNG cropped to its card, and the card's (x, y, width, height) on the canvas."""
    image, rect = comment_card_image(message, canvas_w, canvas_h, style)
    return png(image, PNG_COMPRESS_LEVEL), rect


def alert_text(message: ChatMessage) -> tuple[str, str]:
    """Headline and detail of an on-air alert for a gift, cheer or follow."""
    if message.kind is ChatKind.GIFT:
        count = message.gift_count or 1
        return "THANK YOU!", f"{message.name} sent {message.gift_name or 'a gift'}" + (
            f" x{count}" if count > 1 else ""
        )
    if message.bits:
        return "THANK YOU!", f"{message.name} cheered {message.bits} bits"
    if message.kind is ChatKind.FOLLOW:
        return "NEW FOLLOWER", f"{message.name} followed"
    return "HELLO", message.name


def alert_card_rect(canvas_w: int, canvas_h: int) -> CardRect:
    """Where alerts sit: a banner at the top centre (lower on a vertical canvas, below the platform's header)."""
    unit = _unit(canvas_w, canvas_h)
    vertical = canvas_h > canvas_w
    width = canvas_w * (0.8 if vertical else 0.5)
    return CardRect(*ceil_box((canvas_w - width) / 2, canvas_h * (0.12 if vertical else 0.06), width, unit * 3.4))


def alert_card_image(
    message: ChatMessage, canvas_w: int, canvas_h: int, style: CommentCardStyle = DEFAULT_STYLE
) -> tuple[Image.Image, CardRect]:
    """A short alert banner for a gift, cheer or follow as an RGBA image of its own size, and where it sits."""
    with DRAWING:
        return _alert_card_image(message, canvas_w, canvas_h, style)


def _alert_card_image(
    message: ChatMessage, canvas_w: int, canvas_h: int, style: CommentCardStyle
) -> tuple[Image.Image, CardRect]:
    unit = _unit(canvas_w, canvas_h)
    headline, detail = alert_text(message)
    rect = alert_card_rect(canvas_w, canvas_h)
    accent = rgba(_GIFT_ACCENT if message.kind is ChatKind.GIFT or message.bits else _FOLLOW_ACCENT)
    card = Image.new("RGBA", (rect.width, rect.height), (0, 0, 0, 0))
    fill_rounded(card, 0, 0, rect.width, rect.height, unit * 0.6, rgba(style.background))
    fill_rounded(card, 0, 0, rect.width, unit * 0.3, unit * 0.15, accent)
    left, top = unit * 0.6, unit * 0.5
    inner_w = rect.width - unit * 1.2
    head_face = face(style.font_family, max(6, round(unit * 0.8)), bold=True)
    text_in_box(card, head_face, headline, left, top, inner_w, unit * 1.1, accent, centred=True)
    detail_face = face(style.font_family, max(6, round(unit * 1.05)), bold=True)
    shown = elide(detail_face, drawable_text(detail[:300]), inner_w)
    text_in_box(
        card, detail_face, shown, left, top + unit * 1.2, inner_w, unit * 1.5, rgba(style.text_colour), centred=True
    )
    return card, rect


def render_alert_card(
    message: ChatMessage, canvas_w: int, canvas_h: int, style: CommentCardStyle = DEFAULT_STYLE
) -> tuple[bytes, CardRect]:
    """The alert banner as PNG cropped to its card, and the card's (x, y, width, height) on the canvas."""
    image, rect = alert_card_image(message, canvas_w, canvas_h, style)
    return png(image, PNG_COMPRESS_LEVEL), rect


class PillowChatCards:
    """The chat-card port of ``services/overlay/ports.py``: featured comment and alerts, cropped to their cards.

    Safe to call from worker threads (``ChatOnAir`` draws with ``asyncio.to_thread``).
    """

    def __init__(self, style: CommentCardStyle = DEFAULT_STYLE) -> None:
        self.style = style

    def comment(self, message: ChatMessage, canvas_w: int, canvas_h: int) -> PlacedPicture:
        png_data, rect = render_comment_card(message, canvas_w, canvas_h, self.style)
        return PlacedPicture(png_data, *rect)

    def alert(self, message: ChatMessage, canvas_w: int, canvas_h: int) -> PlacedPicture:
        png_data, rect = render_alert_card(message, canvas_w, canvas_h, self.style)
        return PlacedPicture(png_data, *rect)
