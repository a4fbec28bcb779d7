"""Pixel checks on pictures the app received (JPEG thumbnails of the local test server)."""

from __future__ import annotations

import io

import av


def jpeg_rgb(jpeg: bytes) -> tuple[int, int, bytes, int]:
    """Decode a JPEG: (width, height, packed rgb24 rows, bytes per row)."""
    with av.open(io.BytesIO(jpeg)) as container:
        frame = next(container.decode(video=0)).reformat(format="rgb24")
    plane = frame.planes[0]
    return frame.width, frame.height, bytes(plane), plane.line_size


def pixel_at(jpeg: bytes, x_fraction: float, y_fraction: float) -> tuple[int, int, int]:
    """The colour at a point given as fractions of the width and height (0.5, 0.5 is the centre)."""
    width, height, data, stride = jpeg_rgb(jpeg)
    x = min(width - 1, int(width * x_fraction))
    y = min(height - 1, int(height * y_fraction))
    r, g, b = data[y * stride + 3 * x : y * stride + 3 * x + 3]
    return r, g, b


def close_to(colour: tuple[int, int, int], expected: tuple[int, int, int], tolerance: int = 40) -> bool:
    """Video and JPEG compression shift colours a little; a solid fill stays within ``tolerance``."""
    return all(abs(a - b) <= tolerance for a, b in zip(colour, expected, strict=True))
