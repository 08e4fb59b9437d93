"""Images drawn for tests: text whose content and position are known."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

FONT_DIR = Path("/usr/share/fonts")


def render_text(lines: list[str], size: tuple[int, int], font_px: int, origin=(40, 50)) -> np.ndarray:
    """Black text on white, with a real TTF when the machine has one."""
    fonts = sorted(FONT_DIR.rglob("DejaVuSans.ttf")) if FONT_DIR.exists() else []
    font = ImageFont.truetype(str(fonts[0]), font_px) if fonts else ImageFont.load_default(size=font_px)
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    x, y = origin
    for line in lines:
        draw.text((x, y), line, fill="black", font=font)
        y += int(font_px * 1.8)
    return np.asarray(image)
