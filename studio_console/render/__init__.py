"""Qt-free on-air graphics drawn with Pillow: product cards, featured comments and alerts, as PNG for OBS."""
