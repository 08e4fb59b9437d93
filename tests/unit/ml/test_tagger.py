"""The offline image tagger: EfficientNet-Lite0 from its wheel, run in numpy, on real photos."""

from __future__ import annotations

import pickle
from importlib import resources

import numpy as np
import pytest
import skimage.data
from eventlens.ml import tagger as tagger_module
from eventlens.ml._torch_legacy import MAGIC, load_state_dict
from eventlens.ml.describe import DescribeContext, LocalDescriber, scene_line
from eventlens.ml.errors import ModelUnavailableError, UnknownModelError
from eventlens.ml.tagger import GROUPS, Tag, class_names, image_tagger
from PIL import Image


def _skimage_photo(name: str) -> np.ndarray:
    with resources.as_file(resources.files("skimage") / "data" / name) as path:
        return np.asarray(Image.open(path).convert("RGB"))


@pytest.fixture(scope="module")
def lite0():
    return image_tagger("efficientnet-lite0")


@pytest.mark.parametrize(
    ("photo", "word", "classes"),
    [
        ("chelsea.png", "cat", {"tabby", "tiger cat", "Egyptian cat"}),
        ("coffee.png", "coffee", {"espresso"}),
        ("rocket.jpg", "rocket", {"missile", "projectile"}),
        ("motorcycle_left.png", "motorcycle", {"moped"}),
    ],
)
def test_tagger_names_what_a_real_photo_shows_in_everyday_words(lite0, photo, word, classes):
    tags = lite0.tags(_skimage_photo(photo))

    assert tags[0].word == word
    assert tags[0].score >= 0.5
    assert classes <= set(tags[0].classes)


def test_tagger_writes_nothing_for_photos_it_has_no_class_for(lite0):
    assert lite0.tags(skimage.data.astronaut()) == []
    assert lite0.tags(skimage.data.hubble_deep_field()) == []


def test_tagger_accepts_grey_and_tiny_photos(lite0):
    assert lite0.probabilities(skimage.data.camera()).shape == (1000,)  # 2-D grey
    assert lite0.probabilities(skimage.data.chelsea()[:40, :30]).sum() == pytest.approx(1.0, abs=1e-4)


def test_every_group_word_covers_real_imagenet_classes():
    names = [n.split(",")[0].strip() for n in class_names()]
    assert len(names) == 1000
    assert (names[281], names[967], names[657]) == ("tabby", "espresso", "missile")
    missing = [m for members in GROUPS.values() for m in members if m not in names]
    assert missing == []


def test_factory_loads_once_offers_none_and_rejects_unknown_names(lite0):
    assert image_tagger("efficientnet-lite0") is lite0
    assert image_tagger("none") is None
    with pytest.raises(UnknownModelError):
        image_tagger("clip")


def test_local_describer_puts_the_tags_in_the_scene_line(lite0, reader):
    context = DescribeContext("office-cat.jpg", "Expo", face_count=0)

    description = LocalDescriber(reader, tagger=lite0).describe(skimage.data.chelsea(), context)

    assert description.scene_description.startswith("Photo of cat (")
    assert description.scene_description.endswith("), in folder 'Expo'")
    assert "people" not in description.scene_description


def test_scene_line_lists_tags_before_people_and_place():
    tags = [Tag("coffee", 0.97, ("espresso",)), Tag("tripod", 0.3)]
    line = scene_line(DescribeContext("a.jpg", "Breaks", face_count=2), tags)
    assert line == "Photo of coffee (espresso), tripod, with 2 people, in folder 'Breaks'"
    assert scene_line(DescribeContext("a.jpg", ""), tags[1:]) == "Photo of tripod"


def test_checkpoint_reader_refuses_anything_but_tensors(tmp_path):
    class Payload:
        def __reduce__(self):
            return (print, ("ran code from a weights file",))

    path = tmp_path / "evil.pth"
    with path.open("wb") as f:
        for part in (MAGIC, 1001, {"little_endian": True}, Payload()):
            pickle.dump(part, f, protocol=2)
    with pytest.raises(ModelUnavailableError, match=r"refusing .*print"):
        load_state_dict(path)


def test_checkpoint_reader_rejects_a_file_that_is_not_a_checkpoint(tmp_path):
    path = tmp_path / "other.pth"
    path.write_bytes(pickle.dumps(12345, protocol=2))
    with pytest.raises(ValueError, match="not a legacy PyTorch checkpoint"):
        load_state_dict(path)


def test_tagger_weights_come_from_the_installed_wheel():
    path = tagger_module._weights_path()
    assert path.name == "efficientnet-lite0-57934424.pth"
    state = load_state_dict(path)
    assert state["_fc.weight"].shape == (1000, 1280)
    assert state["_conv_stem.weight"].dtype.name == "float32"
