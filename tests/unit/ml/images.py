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


def banner_photo(photo: np.ndarray, text: str, font_px: int, size=(4000, 3000)) -> np.ndarray:
    """`photo` upscaled to 12 MP with a white banner of `text` across its lower third."""
    fonts = sorted(FONT_DIR.rglob("DejaVuSans.ttf")) if FONT_DIR.exists() else []
    font = ImageFont.truetype(str(fonts[0]), font_px) if fonts else ImageFont.load_default(size=font_px)
    image = Image.fromarray(photo).resize(size, Image.Resampling.BICUBIC)
    draw = ImageDraw.Draw(image)
    origin = (size[0] // 10, size[1] * 2 // 3)
    left, top, right, bottom = draw.textbbox(origin, text, font=font)
    draw.rectangle((left - 20, top - 20, right + 20, bottom + 20), fill="white")
    draw.text(origin, text, fill="black", font=font)
    return np.asarray(image)
