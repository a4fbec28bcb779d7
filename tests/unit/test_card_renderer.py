"""Product cards drawn with Pillow: inside their rectangle, per layout and orientation, plain text only, no Qt."""

from __future__ import annotations

import io
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from PIL import Image, ImageChops

from studio_console.domain.card import CardLayout, CardRect, CardState, Theme, card_for, card_rect
from studio_console.domain.catalog import Product, Variant
from studio_console.render import fonts
from studio_console.render.card_renderer import CardRenderer
from studio_console.render.draw import ELLIPSIS, elide, rgba, wrap_lines
from studio_console.render.fonts import Face, face
from studio_console.render.text import drawable_text

ROOT = Path(__file__).resolve().parents[2]
CANVASES = [(640, 360), (1280, 720), (360, 640), (720, 1280)]
needs_dejavu = pytest.mark.skipif(fonts.font_path("DejaVu Sans") is None, reason="fonts-dejavu-core is not installed")
needs_emoji = pytest.mark.skipif(fonts.emoji_font() is None, reason="fonts-noto-color-emoji is not installed")


def solid_png(path: Path, colour: str, size: int = 64) -> str:
    Image.new("RGB", (size, size), colour).save(path)
    return str(path)


def product(image: str | None = None, title: str = "Linen Summer Shirt", currency: str = "USD") -> Product:
    return Product(
        sku="TEE",
        title=title,
        short_code="LINEN",
        image=image,
        currency=currency,
        variants=(
            Variant(
                sku="TEE-S", options={"Size": "S"}, price=Decimal("49.99"), compare_at_price=Decimal("69.99"), stock=3
            ),
            Variant(sku="TEE-M", options={"Size": "M"}, price=Decimal("49.99"), stock=0),
        ),
    )


def outside_is_transparent(image: Image.Image, rect: CardRect) -> bool:
    alpha = image.getchannel("A")
    alpha.paste(0, (rect.x, rect.y, rect.x + rect.width, rect.y + rect.height))
    return alpha.getbbox() is None


def region(image: Image.Image, rect: CardRect) -> Image.Image:
    return image.crop((rect.x, rect.y, rect.x + rect.width, rect.y + rect.height))


def colours_in(image: Image.Image) -> set[tuple[int, int, int]]:
    counted = image.convert("RGBA").getcolors(image.width * image.height) or []
    return {(r, g, b) for _n, (r, g, b, a) in counted if a == 255}


def exact_bbox(image: Image.Image, colour: str) -> tuple[int, int, int, int] | None:
    """The bounding box of the pixels that are exactly ``colour`` and opaque."""
    difference = ImageChops.difference(image.convert("RGBA"), Image.new("RGBA", image.size, rgba(colour)))
    mask = Image.new("L", image.size, 255)
    for band in difference.split():
        mask = ImageChops.multiply(mask, band.point(lambda v: 255 if v == 0 else 0))
    return mask.getbbox()


@pytest.mark.parametrize("layout", list(CardLayout))
@pytest.mark.parametrize(("width", "height"), CANVASES)
def test_card_fills_its_rectangle_and_nothing_else(tmp_path: Path, layout: CardLayout, width: int, height: int) -> None:
    picture = solid_png(tmp_path / "p.png", "#2E7D5B")
    state = card_for(product(picture), product(picture).variants[0], layout=layout)
    rendered = CardRenderer().render(state, width, height)
    assert rendered.image.size == (width, height)
    assert rendered.rect == card_rect(layout, width, height)
    assert outside_is_transparent(rendered.image, rendered.rect)
    inside = region(rendered.image, rendered.rect)
    assert inside.getpixel((inside.width // 2, inside.height // 2))[3] > 0  # type: ignore[index]
    # The product picture is on the card, the corners are rounded off, the panel shows at the edge.
    assert (0x2E, 0x7D, 0x5B) in colours_in(inside)
    assert inside.getpixel((0, 0))[3] == 0  # type: ignore[index]
    assert inside.getpixel((inside.width - 1, inside.height // 2)) == rgba(state.theme.panel)


def test_vertical_canvas_gets_the_vertical_layout() -> None:
    state = card_for(product(), layout=CardLayout.LOWER_THIRD)
    renderer = CardRenderer()
    landscape = renderer.render(state, 640, 360).rect
    vertical = renderer.render(state, 360, 640).rect
    assert landscape.width / landscape.height > 3.5  # a strip along the bottom
    assert vertical.width / vertical.height < 3  # taller: texts stacked beside the picture
    assert vertical.width > 0.9 * 360 and vertical.y + vertical.height < 0.8 * 640


def test_vertical_lower_third_puts_the_countdown_on_the_picture(tmp_path: Path) -> None:
    picture = solid_png(tmp_path / "p.png", "#2E7D5B")
    p = product(picture)
    accent = "#00C8FF"
    theme = Theme(accent=accent)
    # Regular price, plenty of stock: the countdown is the only thing in the accent colour.
    regular = p.variants[0].model_copy(update={"compare_at_price": None, "stock": 50})
    plain = p.model_copy(update={"variants": (regular,)})
    sale = card_for(plain, plain.variants[0], theme=theme, deal_price=Decimal("29.99"), flash_seconds_left=90)
    assert sale.stock_text is None
    card, rect = CardRenderer().render_card(sale.model_copy(update={"struck_price": None}), 360, 640)
    box = exact_bbox(card, accent)
    assert box is not None
    pad = max(3.0, 0.08 * rect.height)
    picture_right = pad + rect.height - 2 * pad
    assert box[0] >= pad - 1 and box[2] <= picture_right + 1  # within the picture's column


def test_flash_sale_sold_out_and_regular_cards_differ() -> None:
    p = product()
    renderer = CardRenderer()
    regular = card_for(p, p.variants[0])
    sale = card_for(p, p.variants[0], deal_price=Decimal("29.99"), flash_seconds_left=133)
    later = sale.model_copy(update={"flash_seconds_left": 132})
    sold = card_for(p, p.variants[1])
    images = [renderer.render(s, 640, 360) for s in (regular, sale, later, sold)]
    rect = images[0].rect
    regions = [region(r.image, rect).tobytes() for r in images]
    assert len(set(regions)) == 4  # each second of a countdown is a new picture
    assert renderer.render(sale, 640, 360).image.tobytes() == images[1].image.tobytes()  # equal states, equal pictures


def test_struck_price_and_discount_badge_only_when_discounted(tmp_path: Path) -> None:
    accent = "#00C8FF"
    p = product(solid_png(tmp_path / "p.png", "#2E7D5B"))  # a picture: the lettered tile is muted too
    discounted = card_for(p, p.variants[0], theme=Theme(accent=accent)).model_copy(update={"stock": 50})
    assert discounted.discount_text == "-28%" and discounted.stock_text is None
    regular = discounted.model_copy(update={"struck_price": None})
    for layout, (w, h) in ((CardLayout.LOWER_THIRD, (1280, 720)), (CardLayout.SIDE_PANEL, (720, 1280))):
        with_badge, _ = CardRenderer().render_card(discounted.model_copy(update={"layout": layout}), w, h)
        without, _ = CardRenderer().render_card(regular.model_copy(update={"layout": layout}), w, h)
        assert exact_bbox(with_badge, accent) is not None
        assert exact_bbox(without, accent) is None
        # The struck price is drawn in the muted colour; without a discount nothing is muted.
        assert exact_bbox(with_badge, discounted.theme.muted_text) is not None
        assert exact_bbox(without, discounted.theme.muted_text) is None


def test_price_follows_the_product_currency() -> None:
    euro = product(currency="EUR")
    state = card_for(euro, euro.variants[0])
    assert "€" in state.price_text
    dollar = card_for(product(), product().variants[0])
    renderer = CardRenderer()
    assert renderer.render_card(state, 1280, 720)[0].tobytes() != renderer.render_card(dollar, 1280, 720)[0].tobytes()


def test_product_text_is_drawn_as_plain_text(tmp_path: Path) -> None:
    magenta = solid_png(tmp_path / "m.png", "#FF00FF", 200)
    title = f'<img src="{magenta}" width=200 height=200><b>Shirt</b>'
    p = product(title=title)
    rendered = CardRenderer().render(card_for(p, p.variants[0]), 640, 360)
    assert (255, 0, 255) not in colours_in(region(rendered.image, rendered.rect))


def test_control_and_bidi_override_characters_are_not_drawn() -> None:
    renderer = CardRenderer()
    clean = card_for(product(title="Shirt evil"), layout=CardLayout.SIDE_PANEL)
    # Straight into the card state: the catalog's own cleaning must not be what this test sees.
    hostile = clean.model_copy(update={"title": "Shirt\u202e\x07\x1b[31m evil\u2066"})
    cleaned = drawable_text(hostile.title)
    assert cleaned == "Shirt[31m evil"
    plain = clean.model_copy(update={"title": cleaned})
    assert renderer.render_card(hostile, 720, 1280)[0].tobytes() == renderer.render_card(plain, 720, 1280)[0].tobytes()
    assert renderer.render_card(clean, 720, 1280)[0].tobytes() != renderer.render_card(plain, 720, 1280)[0].tobytes()


@pytest.mark.parametrize("layout", list(CardLayout))
@pytest.mark.parametrize(("width", "height"), [(1280, 720), (720, 1280)])
def test_long_texts_stay_inside_the_card_padding(layout: CardLayout, width: int, height: int) -> None:
    text_colour = "#00FF80"
    title = "Extraordinarily Comfortable Handwoven Organic Linen Summer Shirt With Pockets " * 3
    p = product(title=title)
    state = card_for(p, p.variants[0], theme=Theme(text=text_colour), layout=layout).model_copy(
        update={"variant_label": "Size S / Colour Sand / Fit Relaxed" * 3}
    )
    card, rect = CardRenderer().render_card(state, width, height)
    box = exact_bbox(card, text_colour)
    assert box is not None
    pad = max(3.0, 0.08 * rect.height) if layout is CardLayout.LOWER_THIRD else max(4.0, 0.06 * rect.width)
    assert box[2] <= rect.width - pad + 1 and box[0] >= pad - 1


@needs_dejavu
def test_title_wraps_to_two_lines_and_elides() -> None:
    title_face = face("DejaVu Sans", 24, bold=True)
    text = "Linen Summer Shirt with Pockets and a Long Name that Goes On"
    lines = wrap_lines(title_face, text, 200, 2)
    assert len(lines) == 2 and lines[-1].endswith(ELLIPSIS)
    assert all(title_face.length(line) <= 200 for line in lines)
    assert lines[0].startswith("Linen")
    assert elide(title_face, "Short", 200) == "Short"
    cut = elide(title_face, "A" * 100, 120)
    assert cut.endswith(ELLIPSIS) and title_face.length(cut) <= 120
    # A word wider than a line is broken inside the word.
    assert wrap_lines(title_face, "W" * 60, 200, 3)[0].startswith("WWW")


def test_missing_remote_and_broken_pictures_get_a_lettered_tile(tmp_path: Path) -> None:
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not a png")
    renderer = CardRenderer()
    for image in (None, str(tmp_path / "gone.png"), "https://example.invalid/x.png", str(broken)):
        p = product(image)
        state = card_for(p)
        rendered = renderer.render(state, 640, 360)
        assert outside_is_transparent(rendered.image, rendered.rect)
        tile = rgba(state.theme.muted_text)[:3]
        assert tile in colours_in(region(rendered.image, rendered.rect))


def test_sold_out_darkens_the_picture(tmp_path: Path) -> None:
    picture = solid_png(tmp_path / "p.png", "#FFFFFF")
    p = product(picture)
    sold, _ = CardRenderer().render_card(card_for(p, p.variants[1]), 1280, 720)
    available, _ = CardRenderer().render_card(card_for(p, p.variants[0]), 1280, 720)
    assert (255, 255, 255) in colours_in(available)
    assert (105, 105, 105) in colours_in(sold)  # white under black at alpha 150


def test_theme_colours_font_and_logo(tmp_path: Path) -> None:
    p = product()
    logo = solid_png(tmp_path / "logo.png", "#0000FF", 40)
    plain = CardRenderer().render(card_for(p, p.variants[0]), 1280, 720)
    branded_state = card_for(p, p.variants[0], theme=Theme(panel="#FF102030", price="#00FF00", logo_path=logo))
    branded = CardRenderer().render(branded_state, 1280, 720)
    colours = colours_in(region(branded.image, branded.rect))
    assert (0x10, 0x20, 0x30) in colours and (0, 0, 255) in colours and (0, 255, 0) in colours
    assert (0, 0, 255) not in colours_in(region(plain.image, plain.rect))


def test_picture_is_cover_fitted(tmp_path: Path) -> None:
    # A wide picture, red on its outer thirds and green in the middle: cover-fit crops the sides.
    wide = Image.new("RGB", (300, 100), "#FF0000")
    wide.paste((0, 255, 0), (100, 0, 200, 100))
    wide.save(tmp_path / "wide.png")
    p = product(str(tmp_path / "wide.png"))
    card, _ = CardRenderer().render_card(card_for(p, p.variants[0]), 1280, 720)
    assert (0, 255, 0) in colours_in(card)
    assert (255, 0, 0) not in colours_in(card)


def test_png_is_the_card_alone_as_placed_on_the_canvas() -> None:
    state: CardState = card_for(product(), layout=CardLayout.SIDE_PANEL)
    renderer = CardRenderer()
    png = renderer(state, 360, 640)
    assert png.startswith(b"\x89PNG")
    decoded = Image.open(io.BytesIO(png))
    rect = card_rect(CardLayout.SIDE_PANEL, 360, 640)
    assert decoded.size == (rect.width, rect.height) and decoded.mode == "RGBA"
    on_canvas = renderer.render(state, 360, 640)
    assert decoded.tobytes() == region(on_canvas.image, rect).tobytes()


@needs_emoji
def test_emoji_in_a_title_are_drawn_in_colour() -> None:
    fire = card_for(product(title="Hot Deal \U0001f525\U0001f525\U0001f525"))
    card, _ = CardRenderer().render_card(fire, 1280, 720)
    # Noto's flame is orange: a colour no other part of the default card uses.
    assert any(r > 200 and 80 < g < 180 and b < 60 for r, g, b in colours_in(card))


@needs_dejavu
def test_without_an_emoji_font_emoji_are_left_out_not_drawn_as_boxes() -> None:
    font = face("DejaVu Sans", 30).font
    bare = Face(font, 30, emoji=None)
    assert [piece for piece, _emoji in bare.runs("hi \U0001f525\ufe0f there \U0001f469\u200d\U0001f467")] == [
        "hi ",
        "",
        " there ",
        "",
    ]
    with_emoji = Image.new("RGBA", (300, 50), (0, 0, 0, 255))
    without = Image.new("RGBA", (300, 50), (0, 0, 0, 255))
    bare.draw(with_emoji, 0, 40, "ok \u2764\ufe0f\U0001f525", (255, 255, 255, 255))
    bare.draw(without, 0, 40, "ok \u2764", (255, 255, 255, 255))
    assert with_emoji.tobytes() == without.tobytes()


@pytest.fixture
def no_font_files(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    face.cache_clear()
    fonts._fontconfig_match.cache_clear()
    monkeypatch.setattr(fonts, "font_files", dict)
    monkeypatch.setattr(fonts.shutil, "which", lambda _name: None)
    yield
    face.cache_clear()
    fonts._fontconfig_match.cache_clear()


def test_without_any_font_file_pillow_s_own_font_draws_the_card(no_font_files: None) -> None:
    assert fonts.font_path("DejaVu Sans") is None
    state = card_for(product(), product().variants[0])
    card, rect = CardRenderer().render_card(state, 1280, 720)
    assert card.size == (rect.width, rect.height)
    assert rgba(state.theme.price)[:3] in colours_in(card)


@needs_dejavu
def test_fonts_are_found_by_file_and_cached() -> None:
    regular, bold = fonts.font_path("DejaVu Sans"), fonts.font_path("DejaVu Sans", bold=True)
    assert regular is not None and regular.name == "DejaVuSans.ttf"
    assert bold is not None and bold.name == "DejaVuSans-Bold.ttf"
    unknown = fonts.font_path("No Such Family")  # fontconfig's substitute, else DejaVu Sans
    assert unknown is not None and unknown.is_file()
    assert face("DejaVu Sans", 20) is face("DejaVu Sans", 20)
    assert face("DejaVu Sans", 20).length("Shirt") < face("DejaVu Sans", 20, bold=True).length("Shirt")


@needs_dejavu
def test_without_fontconfig_unknown_families_fall_back_to_dejavu(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fonts.shutil, "which", lambda _name: None)
    fonts._fontconfig_match.cache_clear()
    try:
        assert fonts.font_path("No Such Family") == fonts.font_path("DejaVu Sans")
        assert fonts.font_path("No Such Family", bold=True) == fonts.font_path("DejaVu Sans", bold=True)
    finally:
        fonts._fontconfig_match.cache_clear()


@pytest.mark.skipif("liberationsans-regular.ttf" not in fonts.font_files(), reason="fonts-liberation is not installed")
def test_a_theme_font_family_is_found_by_file() -> None:
    liberation = fonts.font_path("Liberation Sans", bold=True)
    assert liberation is not None and liberation.name == "LiberationSans-Bold.ttf"
    dejavu = card_for(product(), product().variants[0])
    branded = dejavu.model_copy(update={"theme": Theme(font_family="Liberation Sans")})
    renderer = CardRenderer()
    assert renderer.render_card(dejavu, 1280, 720)[0].tobytes() != renderer.render_card(branded, 1280, 720)[0].tobytes()


def test_drawable_text_strips_controls_and_bidi_overrides() -> None:
    assert drawable_text("a\tb\nc\r\nd") == "a b c d"
    assert drawable_text("\u202eevil\u202c \u2067x\u2069\u200f\ufeff") == "evil x"
    # Zero-width joiners stay: emoji sequences need them.
    assert drawable_text("\U0001f469\u200d\U0001f467") == "\U0001f469\u200d\U0001f467"


def test_the_renderer_imports_and_draws_without_qt() -> None:
    program = textwrap.dedent(
        """
        import sys
        import studio_console.render
        from studio_console.domain.card import CardState
        from studio_console.domain.chat import ChatKind, ChatMessage
        from studio_console.render.card_renderer import CardRenderer
        from studio_console.render.chat_cards import render_alert_card, render_comment_card

        card = CardState(sku="A", title="Shirt", price="9.99", short_code="A1", flash_seconds_left=30)
        assert CardRenderer()(card, 1280, 720).startswith(b"\\x89PNG")
        comment = ChatMessage(source_id="s", platform="tiktok", message_id="1", display_name="Anna", text="hi")
        assert render_comment_card(comment, 720, 1280)[0].startswith(b"\\x89PNG")
        follow = comment.model_copy(update={"kind": ChatKind.FOLLOW})
        assert render_alert_card(follow, 1280, 720)[0].startswith(b"\\x89PNG")
        leaked = sorted(m for m in sys.modules if m.split(".")[0] in ("PySide6", "qasync", "shiboken6"))
        assert not leaked, leaked
        print("rendered without Qt")
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", program], cwd=ROOT, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "rendered without Qt" in result.stdout
