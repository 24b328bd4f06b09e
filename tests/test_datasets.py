"""Listing labelled clips, UCF101 groups, group-wise splits and the tf.data pipelines."""

from __future__ import annotations

import numpy as np
import pytest

from vidclass.datasets import (
    LabelledClip,
    feature_dataset,
    frame_dataset,
    group_folds,
    group_key,
    list_csv,
    list_dataset,
    list_folder,
    split_by_group,
    ucf101_group,
)
from vidclass.errors import BadInputError
from vidclass.sampling import SamplingConfig


def _touch(path, data=b"x"):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def _ucf_clips(classes=("A", "B"), groups=range(8, 14), clips_per_group=3):
    return [
        LabelledClip(f"v_{label}_g{group:02d}_c{clip:02d}.mp4", label, group_key(f"v_{label}_g{group:02d}_c{clip:02d}.mp4", label))
        for label in classes
        for group in groups
        for clip in range(1, clips_per_group + 1)
    ]


def test_ucf101_group_parses_class_and_group():
    assert ucf101_group("v_ApplyEyeMakeup_g08_c01.mp4") == ("ApplyEyeMakeup", 8)
    assert ucf101_group("/x/y/v_Archery_g25_c07.avi") == ("Archery", 25)
    assert ucf101_group("holiday.mp4") is None
    assert group_key("v_Archery_g25_c07.avi", "Archery") == "Archery/g25"
    assert group_key("holiday.mp4", "Fun") == "Fun/holiday.mp4"


def test_list_folder_reads_classes_and_lists_what_it_leaves_out(tmp_path):
    for name in ("v_Cat_g01_c01.mp4", "v_Cat_g02_c01.mp4", "notes.txt"):
        _touch(tmp_path / "Cat" / name)
    for name in ("a.avi", "b.mov", "c.mkv"):
        _touch(tmp_path / "Dog" / name)
    _touch(tmp_path / "Lonely" / "only.mp4")
    _touch(tmp_path / "Dog" / "deeper" / "x.mp4")
    _touch(tmp_path / "stray.mp4")
    listing = list_folder(tmp_path)
    assert listing.class_names == ["Cat", "Dog"]
    assert listing.counts() == {"Cat": 2, "Dog": 3}
    assert listing.labels().tolist() == [0, 0, 1, 1, 1]
    reasons = dict(listing.ignored)
    assert "not inside a class folder" in reasons["stray.mp4"]
    assert "1 clip" in reasons["Lonely/"]
    assert "nested" in reasons["Dog/deeper/"]
    assert "not a video" in reasons["Cat/notes.txt"]
    assert listing.clips[0].group == "Cat/g01"


def test_list_folder_needs_two_usable_classes(tmp_path):
    _touch(tmp_path / "Cat" / "a.mp4")
    _touch(tmp_path / "Cat" / "b.mp4")
    _touch(tmp_path / "Empty" / "readme.txt")
    with pytest.raises(BadInputError, match="at least two class folders"):
        list_folder(tmp_path)
    with pytest.raises(BadInputError, match="does not exist"):
        list_folder(tmp_path / "missing")


def test_list_csv_finds_clips_beside_or_in_a_folder_named_like_the_csv(tmp_path):
    for name in ("v_Cat_g01_c01.mp4", "v_Cat_g02_c01.mp4", "v_Dog_g01_c01.mp4", "v_Dog_g03_c01.mp4"):
        _touch(tmp_path / "train" / name)
    (tmp_path / "train.csv").write_text(
        "video_name,tag\nv_Cat_g01_c01.mp4,Cat\nv_Cat_g02_c01.mp4,Cat\nv_Dog_g01_c01.mp4,Dog\n"
        "v_Dog_g03_c01.mp4,Dog\ngone.mp4,Dog\n"
    )
    listing = list_dataset(tmp_path / "train.csv")
    assert listing.class_names == ["Cat", "Dog"]
    assert len(listing.clips) == 4
    assert ("gone.mp4", "file not found") in listing.ignored
    (tmp_path / "bad.csv").write_text("name,label\nx,y\n")
    with pytest.raises(BadInputError, match="video_name and tag"):
        list_csv(tmp_path / "bad.csv")


def test_a_binary_csv_is_refused_as_not_text(tmp_path):
    binary = _touch(tmp_path / "data.csv", bytes(range(256)) * 4)
    with pytest.raises(BadInputError, match="data.csv is not a text CSV file"):
        list_dataset(binary)


def test_a_video_file_given_as_the_data_folder_is_named_a_file(tmp_path):
    clip = _touch(tmp_path / "holiday.mp4")
    with pytest.raises(BadInputError, match="holiday.mp4 is a file, not a folder"):
        list_dataset(clip)


def test_split_by_group_never_cuts_a_group_and_keeps_every_class_in_training():
    clips = _ucf_clips()
    train, validation = split_by_group(clips, validation_fraction=0.3, seed=1)
    assert len(train) + len(validation) == len(clips)
    assert set(train.tolist()).isdisjoint(validation.tolist())
    train_groups = {clips[i].group for i in train}
    validation_groups = {clips[i].group for i in validation}
    assert train_groups.isdisjoint(validation_groups)
    assert {clips[i].label for i in validation} == {"A", "B"}
    assert {clips[i].label for i in train} == {"A", "B"}
    share = len(validation) / len(clips)
    assert 0.2 <= share <= 0.4


def test_split_by_group_keeps_a_single_group_class_in_training():
    clips = _ucf_clips(classes=("A",), groups=[8]) + _ucf_clips(classes=("B",))
    train, validation = split_by_group(clips, 0.3)
    assert all(clips[i].label == "B" for i in validation)
    assert sum(clips[i].label == "A" for i in train) == 3


def test_group_folds_hold_out_whole_group_numbers():
    clips = _ucf_clips(groups=range(8, 26), clips_per_group=2)
    folds = group_folds(clips, folds=3)
    assert len(folds) == 3
    seen = []
    for train, held in folds:
        held_numbers = {clips[i].group.split("/g")[1] for i in held}
        train_numbers = {clips[i].group.split("/g")[1] for i in train}
        assert held_numbers.isdisjoint(train_numbers)
        assert len(held_numbers) == 6
        seen.extend(held.tolist())
    assert sorted(seen) == list(range(len(clips)))


def test_feature_dataset_batches_features_masks_and_labels():
    features = np.arange(5 * 4 * 3, dtype=np.float32).reshape(5, 4, 3)
    masks = np.ones((5, 4), dtype=bool)
    labels = np.array([0, 1, 0, 1, 1])
    batches = list(feature_dataset(features, masks, labels, batch_size=2))
    assert [len(batch[1]) for batch in batches] == [2, 2, 1]
    inputs, first_labels = batches[0]
    assert inputs["features"].shape == (2, 4, 3)
    assert inputs["mask"].dtype.name == "bool"
    assert first_labels.numpy().tolist() == [0, 1]


def test_frame_dataset_yields_sampled_frames_and_skips_unreadable_clips(synthetic_clip, tmp_path):
    good = synthetic_clip("gen_a.mp4", 12)
    short = synthetic_clip("gen_b.mp4", 3)
    broken = _touch(tmp_path / "broken.mp4", b"not a video at all")
    clips = [LabelledClip(good, "A", "A/1"), LabelledClip(broken, "B", "B/1"), LabelledClip(short, "B", "B/2")]
    sampling = SamplingConfig(num_frames=4, size=32)
    batches = list(frame_dataset(clips, ["A", "B"], sampling, batch_size=4))
    (frames, mask), labels = batches[0]
    assert frames.shape == (2, 4, 32, 32, 3)
    assert frames.dtype.name == "uint8"
    assert labels.numpy().tolist() == [0, 1]
    assert mask.numpy().tolist() == [[True] * 4, [True, True, True, False]]


def _zip(path, entries):
    import zipfile

    with zipfile.ZipFile(path, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return path


def test_extract_class_zip_never_writes_outside_its_folder(tmp_path):
    from vidclass.datasets import extract_class_zip

    archive = _zip(tmp_path / "up.zip", {
        "Cat/a.mp4": b"1", "Cat/b.mp4": b"2", "Dog/c.avi": b"3",
        "../evil.mp4": b"x", "Cat/../../evil2.mp4": b"x", "/abs.mp4": b"x", "C:/win.mp4": b"x",
        "loose.mp4": b"x", "Dog/deeper/d.mp4": b"x", "Dog/notes.txt": b"x",
        "__MACOSX/Cat/._a.mp4": b"x", "Cat/.hidden.mp4": b"x",
    })
    destination = tmp_path / "out"
    root, ignored = extract_class_zip(archive, destination)
    written = sorted(str(p.relative_to(destination)) for p in destination.rglob("*") if p.is_file())
    assert written == ["Cat/a.mp4", "Cat/b.mp4", "Dog/c.avi"]
    assert root == destination.resolve()
    assert not (tmp_path / "evil.mp4").exists() and not (tmp_path.parent / "evil2.mp4").exists()
    reasons = dict(ignored)
    for name in ("../evil.mp4", "Cat/../../evil2.mp4", "/abs.mp4", "C:/win.mp4"):
        assert "unsafe" in reasons[name]
    assert "not inside a class folder" in reasons["loose.mp4"]
    assert "nested" in reasons["Dog/deeper/d.mp4"]
    assert "not a video" in reasons["Dog/notes.txt"]


def test_extract_class_zip_strips_one_common_top_folder(tmp_path):
    from vidclass.datasets import extract_class_zip

    archive = _zip(tmp_path / "up.zip", {"mydata/Cat/a.mp4": b"1", "mydata/Dog/b.mp4": b"2"})
    root, ignored = extract_class_zip(archive, tmp_path / "out")
    assert sorted(p.name for p in root.iterdir()) == ["Cat", "Dog"]
    assert ignored == []


def test_extract_class_zip_refuses_a_file_that_is_not_a_zip(tmp_path):
    from vidclass.datasets import extract_class_zip

    (tmp_path / "fake.zip").write_bytes(b"hello")
    with pytest.raises(BadInputError, match="not a readable zip"):
        extract_class_zip(tmp_path / "fake.zip", tmp_path / "out")


def test_feature_dataset_frame_dropout_masks_real_frames_only_and_keeps_one():
    features = np.ones((50, 6, 2), dtype=np.float32)
    masks = np.zeros((50, 6), dtype=bool)
    masks[:, :4] = True  # 4 real frames, 2 padded
    labels = np.zeros(50, dtype=np.int64)
    batches = list(feature_dataset(features, masks, labels, batch_size=50, training=True, frame_dropout=0.5))
    dropped = batches[0][0]["mask"].numpy()
    assert not dropped[:, 4:].any()  # padding stays padding
    assert dropped.sum(axis=1).min() >= 1  # every clip keeps a frame
    assert 0.2 < dropped[:, :4].mean() < 0.8  # about half the real frames were dropped
    plain = list(feature_dataset(features, masks, labels, batch_size=50, frame_dropout=0.5))
    np.testing.assert_array_equal(plain[0][0]["mask"].numpy(), masks)  # never at evaluation


def test_feature_dataset_frame_dropout_draws_new_masks_every_epoch_under_a_global_seed():
    """With Keras' global seed set (as training does), a random op inside ``map`` would replay
    the same masks every epoch; the dataset draws new ones each time."""
    import keras

    keras.utils.set_random_seed(0)
    features = np.zeros((8, 40, 2), dtype=np.float32)
    dataset = feature_dataset(features, np.ones((8, 40), bool), np.zeros(8, np.int64), batch_size=8, training=True,
                              frame_dropout=0.5)
    epochs = [next(iter(dataset))[0]["mask"].numpy() for _ in range(4)]
    patterns = {mask.tobytes() for epoch in epochs for mask in epoch}
    assert len(patterns) == 32  # 32 different masks over 4 epochs of 8 clips
    again = feature_dataset(features, np.ones((8, 40), bool), np.zeros(8, np.int64), batch_size=8, training=True,
                            frame_dropout=0.5)
    np.testing.assert_array_equal(next(iter(again))[0]["mask"].numpy(), epochs[0])  # and the same seed repeats them
