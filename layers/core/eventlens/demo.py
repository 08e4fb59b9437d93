"""The demo gallery's photos, built from real photos that ship inside installed packages.

Sources: insightface's sample images (MIT-licensed package data; `t1.jpg` has six faces) and
scikit-image's data images (public domain / CC0, see skimage/data/README.txt). Two of them get
a rendered sign or badge so text search has something to read, and one near duplicate and one
exact copy (the same bytes under another name: one photo, two files) are added so the review
screens have work to show. Nothing is downloaded.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

DEJAVU_BOLD = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")

# (folder, file name, package, resource path)
SOURCES: list[tuple[str, str, str, str]] = [
    ("Keynote", "team-on-stage.jpg", "insightface", "data/images/t1.jpg"),
    ("Keynote", "speaker-portrait.jpg", "skimage", "data/astronaut.png"),
    ("Networking", "guest-portrait.jpg", "insightface", "data/images/Tom_Hanks_54745.png"),
    ("Networking", "photographer.jpg", "skimage", "data/camera.png"),
    ("Networking", "coffee-break.jpg", "skimage", "data/coffee.png"),
    ("Expo", "rocket-exhibit.jpg", "skimage", "data/rocket.jpg"),
    ("Expo", "motorbike-booth.jpg", "skimage", "data/motorcycle_left.png"),
    ("Expo", "office-cat.jpg", "skimage", "data/chelsea.png"),
    ("Expo", "space-poster.jpg", "skimage", "data/hubble_deep_field.jpg"),
]


def _font(size: int):
    from PIL import ImageFont

    if DEJAVU_BOLD.exists():  # installed by scripts/install-system-deps.sh
        return ImageFont.truetype(str(DEJAVU_BOLD), size)
    return ImageFont.load_default(size=size)


def _with_sign(image, lines: list[str], box: tuple[int, int, int, int]):
    """A white sign with black text drawn onto the photo, like a badge or a stage banner."""
    from PIL import ImageDraw

    image = image.copy()
    draw = ImageDraw.Draw(image)
    x0, y0, _, y1 = box
    draw.rectangle(box, fill="white", outline="black", width=3)
    size = max(14, (y1 - y0) // (len(lines) + 1))
    font = _font(size)
    for i, line in enumerate(lines):
        draw.text((x0 + 12, y0 + 8 + i * int(size * 1.25)), line, fill="black", font=font)
    return image


def demo_photos(folder: Path) -> Path:
    """Write the demo photos under `folder` (once) and return it."""
    from PIL import Image, ImageEnhance

    marker = folder / ".complete"
    if marker.exists():
        return folder
    images: dict[str, Image.Image] = {}
    for sub, name, package, path in SOURCES:
        with resources.as_file(resources.files(package) / path) as source:
            image = Image.open(source).convert("RGB")
        target = folder / sub / name
        target.parent.mkdir(parents=True, exist_ok=True)
        image.save(target, quality=90)
        images[name] = image
    stage = images["team-on-stage.jpg"]
    w, h = stage.size
    banner = _with_sign(stage, ["KEYNOTE: Serverless at Scale"], (w // 8, 4, w - w // 8, h // 9))
    banner.save(folder / "Keynote" / "keynote-banner.jpg", quality=90)
    badge_base = images["speaker-portrait.jpg"]
    bw, bh = badge_base.size
    badge = _with_sign(
        badge_base, ["HELLO my name is", "DuckBot", "Harvard"], (bw // 2, bh - bh // 3, bw - 10, bh - 10)
    )
    badge.save(folder / "Networking" / "name-badge.jpg", quality=90)
    ImageEnhance.Brightness(stage).enhance(1.08).save(folder / "Keynote" / "team-on-stage-2.jpg", quality=88)
    (folder / "Networking" / "coffee-break-copy.jpg").write_bytes(
        (folder / "Networking" / "coffee-break.jpg").read_bytes()
    )
    marker.touch()
    return folder


VIDEOS: list[tuple[str, str, str, list[str]]] = [
    # (folder, file name, codec, demo photos it shows): H.264 plays as it is; MPEG-4 Part 2 (an
    # old camera's codec) plays in no browser, so the pipeline transcodes it (media/video.py).
    (
        "Highlights",
        "keynote-recap.mp4",
        "libx264",
        ["Keynote/team-on-stage.jpg", "Keynote/keynote-banner.jpg"],
    ),
    ("Highlights", "expo-walkthrough.mp4", "mpeg4", ["Expo/rocket-exhibit.jpg", "Expo/motorbike-booth.jpg"]),
]


def demo_videos(folder: Path) -> Path:
    """Write the demo's two short videos, made from the demo photos under `folder` (once)."""
    from PIL import Image

    from eventlens.media.video import slideshow

    marker = folder / ".videos-complete"
    if marker.exists():
        return folder
    for sub, name, codec, photos in VIDEOS:
        target = folder / sub / name
        target.parent.mkdir(parents=True, exist_ok=True)
        images = [Image.open(folder / photo).convert("RGB") for photo in photos]
        slideshow(images, target, codec=codec, seconds_each=3.0)
    marker.touch()
    return folder
