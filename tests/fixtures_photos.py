"""Test photos made from real photos shipped in installed wheels, plus every bad input we handle.

Real faces: insightface's `t1.jpg` (six people) and scikit-image's astronaut; scenes without
faces: scikit-image's coffee and cat. Everything is generated in memory, small by default.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont
from PIL.TiffImagePlugin import IFDRational

T1 = Path(__import__("insightface").__file__).parent / "data" / "images" / "t1.jpg"


def real_image(name: str) -> Image.Image:
    """'t1' (six faces), 'astronaut' (one face), 'coffee' or 'chelsea' (no face)."""
    if name == "t1":
        return Image.open(T1).convert("RGB")
    import skimage.data

    return Image.fromarray(getattr(skimage.data, name)()).convert("RGB")


def jpeg(image: Image.Image, quality: int = 90, **save: object) -> bytes:
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=quality, **save)
    return buf.getvalue()


def png(image: Image.Image, **save: object) -> bytes:
    buf = io.BytesIO()
    image.save(buf, "PNG", **save)
    return buf.getvalue()


def real_jpeg(name: str, size: tuple[int, int] | None = None, quality: int = 90) -> bytes:
    image = real_image(name)
    if size is not None:
        image = image.resize(size, Image.Resampling.BICUBIC)
    return jpeg(image, quality)


def text_photo(text: str = "WELCOME TO EVENTLENS", size: tuple[int, int] = (900, 600)) -> bytes:
    """A sign on a real photo: legible dark words on a light banner over the coffee scene."""
    image = real_image("coffee").resize(size)
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=size[1] // 9)
    left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
    x, y = (size[0] - (right - left)) // 2, size[1] // 8
    draw.rectangle((x - 20, y - 20, x + right - left + 20, y + bottom - top + 30), fill="white")
    draw.text((x - left, y - top), text, fill="black", font=font)
    return jpeg(image)


def exif_rotated_jpeg(
    name: str = "astronaut", orientation: int = 6, taken: str = "2024:05:02 14:10:00"
) -> bytes:
    """Pixels stored sideways with an Orientation tag, as phones write them; with a capture time."""
    image = (
        real_image(name).resize((480, 360)).transpose(Image.Transpose.ROTATE_90)
    )  # orientation 6 undoes it
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = "Canon"
    exif[0x0110] = "Canon EOS R5"
    exif.get_ifd(0x8769).update({0x9003: taken, 0x829D: IFDRational(28, 10)})
    return jpeg(image, exif=exif.tobytes())


def video_mp4(name: str = "chelsea", frames: int = 12, fps: int = 12, audio: bool = True) -> bytes:
    """A half-second H.264 clip of a real photo panning, with a silent AAC track."""
    import av

    base = np.asarray(real_image(name).resize((320, 240)))
    buf = io.BytesIO()
    with av.open(buf, "w", format="mp4") as out:
        stream = out.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = 320, 240, "yuv420p"
        sound = out.add_stream("aac", rate=44100) if audio else None
        for i in range(frames):
            frame = av.VideoFrame.from_ndarray(np.roll(base, i * 4, axis=1), format="rgb24")
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
        if sound is not None:
            samples = np.zeros((1, 1024), np.float32)
            for _ in range(20):
                chunk = av.AudioFrame.from_ndarray(samples, format="fltp", layout="mono")
                chunk.sample_rate = 44100
                for packet in sound.encode(chunk):
                    out.mux(packet)
            for packet in sound.encode():
                out.mux(packet)
    return buf.getvalue()


def bad_inputs(max_pixels: int) -> dict[str, bytes]:
    """Files that must each become an error item, by file name."""
    good = real_jpeg("chelsea")
    return {
        "empty.jpg": b"",
        "truncated.jpg": good[: len(good) // 3],
        "not-an-image.jpg": b"%PDF-1.4 this is not a photo\n" * 40,
        # 1-bit PNGs compress to almost nothing whatever their declared size.
        "bomb.png": png(Image.new("1", (int(max_pixels**0.5) * 2, int(max_pixels**0.5) * 2))),
        "huge-dimensions.png": png(Image.new("1", (40_000, 2))),
    }


def odd_but_good_inputs() -> dict[str, bytes]:
    """Unusual encodings of real photos that must each complete, by file name."""
    astronaut = real_image("astronaut").resize((256, 256))
    rgba = astronaut.convert("RGBA")
    rgba.putalpha(Image.linear_gradient("L").resize((256, 256)))
    grey16 = Image.fromarray(np.asarray(astronaut.convert("L"), "<u2") * 257)  # mode I;16
    frames = [real_image(n).resize((160, 120)) for n in ("coffee", "chelsea")]
    gif = io.BytesIO()
    frames[0].save(gif, "GIF", save_all=True, append_images=frames[1:], duration=200, loop=0)
    return {
        "cmyk.jpg": jpeg(real_image("coffee").resize((300, 200)).convert("CMYK")),
        "grey-16bit.png": png(grey16),
        "palette-alpha.png": png(_palette_alpha(rgba)),
        "rotated-exif.jpg": exif_rotated_jpeg(),
        "animated.gif": gif.getvalue(),
        "Café Zürich 東京.jpg": real_jpeg("chelsea", (300, 200)),
    }


def _palette_alpha(rgba: Image.Image) -> Image.Image:
    """A palette image with a transparent colour index (the PNG tRNS case)."""
    pal = rgba.convert("RGB").quantize(64)
    pal.info["transparency"] = 0
    return pal


def flat_photos(size: tuple[int, int] = (640, 480)) -> dict[str, bytes]:
    """Different scenes that carry no picture a dHash can see, by file name: all hash to (nearly) 0.

    A black frame, a white wall, a grey card, a lens-cap shot at high ISO (noise), a real photo
    underexposed to near black, a blank slide with one short title, and a dark frame whose only
    feature is lens vignetting (every row of its dHash alike).
    """
    rng = np.random.default_rng(11)
    w, h = size
    yy, xx = np.mgrid[0:h, 0:w]
    falloff = 40 * np.hypot((xx - w / 2) / w, (yy - h / 2) / h)
    astronaut = np.asarray(real_image("astronaut").resize(size), np.float32)
    slide = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(slide)
    draw.text((w // 12, h // 14), "Thank you!", fill="black", font=ImageFont.load_default(size=h // 14))
    return {
        "black.jpg": jpeg(Image.new("RGB", size, (0, 0, 0))),
        "white.jpg": jpeg(Image.new("RGB", size, (255, 255, 255))),
        "grey.jpg": jpeg(Image.new("RGB", size, (128, 128, 128))),
        "lens-cap.jpg": jpeg(_noise(rng, (h, w), mean=6, sd=4)),
        "underexposed.jpg": jpeg(
            Image.fromarray(
                (astronaut * 0.01 + rng.normal(0, 3, astronaut.shape)).clip(0, 255).astype(np.uint8)
            )
        ),
        "blank-slide.jpg": jpeg(slide),
        "vignetted.jpg": jpeg(
            Image.fromarray(
                (30 - falloff[..., None] + rng.normal(0, 2, (h, w, 3))).clip(0, 255).astype(np.uint8)
            )
        ),
    }


def _noise(rng: np.random.Generator, shape: tuple[int, int], mean: float, sd: float) -> Image.Image:
    return Image.fromarray(rng.normal(mean, sd, (*shape, 3)).clip(0, 255).astype(np.uint8))


def exif_jpeg(taken: str, offset: str | None = None, name: str = "coffee") -> bytes:
    """A real photo whose EXIF says it was taken at `taken` ("YYYY:MM:DD HH:MM:SS"), as cameras write it."""
    exif = Image.Exif()
    exif[0x010F] = "Canon"
    exif[0x0110] = "Canon EOS R5"
    fields: dict[int, object] = {0x9003: taken}
    if offset is not None:
        fields[0x9011] = offset
    exif.get_ifd(0x8769).update(fields)
    return jpeg(real_image(name).resize((320, 240)), exif=exif.tobytes())


def large_jpeg(side: int = 3600, seed: int = 7) -> bytes:
    """A real photo at `side` px with sensor-like noise, about 13 MB at 3600: a resumable upload's
    several parts."""
    rng = np.random.default_rng(seed)
    base = np.asarray(real_image("astronaut").resize((side, side)), dtype=np.int16)
    noisy = np.clip(base + rng.integers(-40, 41, base.shape), 0, 255).astype(np.uint8)
    return jpeg(Image.fromarray(noisy), quality=97)
