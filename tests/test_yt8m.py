"""YouTube-8M vocabulary, the columnar index over real shards, filters, frame-level reader,
bad inputs and the YouTube lookup (against a local server only)."""

from __future__ import annotations

import http.server
import json
import threading
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import require_asset
from vidclass import yt8m
from vidclass.errors import BadInputError

SHARDS = "data/yt8m/video"


@pytest.fixture(scope="module")
def vocabulary(shared_home):
    return yt8m.load_vocabulary(require_asset(shared_home, yt8m.VOCABULARY_PATH))


@pytest.fixture(scope="module")
def shard_paths(shared_home):
    folder = require_asset(shared_home, SHARDS)
    return sorted(folder.glob("validate00*.tfrecord"))


@pytest.fixture(scope="module")
def small_index(shard_paths):
    """Three real shards, read from the files (no cache)."""
    return yt8m.load_index(shard_paths[:3], use_cache=False)


def _tf():
    import tensorflow as tf

    return tf


# ----------------------------------------------------------------- vocabulary

def test_vocabulary_has_every_entity_and_readable_stand_ins(vocabulary):
    assert len(vocabulary) == yt8m.NUM_CLASSES
    assert vocabulary.name(22) == "Cooking"
    nameless = [e for e in vocabulary.entities if not e.has_name]
    assert len(nameless) == 56
    assert all(e.name == f"(unnamed entity {e.index})" for e in nameless)
    assert all(name for name in vocabulary.names)


def test_vocabulary_verticals_and_cooking_is_food(vocabulary):
    assert "Food & Drink" in vocabulary.verticals
    assert vocabulary.verticals[0] == "Games"  # the vertical with most entities
    assert vocabulary.vertical_mask("Food & Drink")[22]
    assert not vocabulary.vertical_mask("Games")[22]
    with pytest.raises(BadInputError, match="no vertical"):
        vocabulary.vertical_mask("Nope & Nothing")


def test_vocabulary_search_by_name_id_and_index(vocabulary):
    assert vocabulary.search("cooking")[0].index == 22
    cooking = vocabulary.entity(22)
    assert vocabulary.search(cooking.knowledge_graph_id)[0].index == 22
    assert vocabulary.search("22")[0].index == 22
    assert vocabulary.resolve("COOKING").index == 22
    assert vocabulary.resolve(cooking.knowledge_graph_id).index == 22
    assert vocabulary.search("zzzz-no-such-entity") == []


def test_vocabulary_odd_entity_names_give_plain_message(vocabulary):
    odd = "\"<b>&'%"
    assert vocabulary.search(odd) == []
    with pytest.raises(BadInputError) as caught:
        vocabulary.resolve(odd)
    assert "No YouTube-8M entity" in str(caught.value)
    with pytest.raises(BadInputError, match="index 99999"):
        vocabulary.entity(99999)


def test_vocabulary_missing_file(tmp_path):
    with pytest.raises(BadInputError, match="does not exist"):
        yt8m.load_vocabulary(tmp_path / "nope.csv")


def test_vocabulary_with_other_columns(tmp_path):
    path = tmp_path / "other.csv"
    path.write_text("id,label\n0,Game\n", encoding="utf-8")
    with pytest.raises(BadInputError, match="lacks the column"):
        yt8m.load_vocabulary(path)


def test_vocabulary_bad_index_value(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(",".join(yt8m.VOCABULARY_COLUMNS) + "\nabc,1,/m/x,X,,,,,\n", encoding="utf-8")
    with pytest.raises(BadInputError, match="whole numbers"):
        yt8m.load_vocabulary(path)


def _vocabulary_rows(rows) -> str:
    """A vocabulary CSV: the header, then one line per (index, name, vertical)."""
    lines = [",".join(yt8m.VOCABULARY_COLUMNS)]
    lines += [f"{index},10,/m/{index},{name},,{vertical},,," for index, name, vertical in rows]
    return "\n".join(lines) + "\n"


def test_vocabulary_with_a_byte_order_mark_is_read(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_text(_vocabulary_rows([(0, "Game", "Games"), (1, "Video game", "Games")]), encoding="utf-8-sig")
    vocabulary = yt8m.load_vocabulary(path)
    assert vocabulary.names == ["Game", "Video game"]


def test_vocabulary_with_a_repeated_index_is_refused(tmp_path):
    path = tmp_path / "twice.csv"
    path.write_text(_vocabulary_rows([(0, "Game", "Games"), (1, "Car", "Autos & Vehicles"), (1, "Truck", "Autos & Vehicles")]),
                    encoding="utf-8")
    with pytest.raises(BadInputError, match="line 4: the Index 1 is already used on line 3"):
        yt8m.load_vocabulary(path)


def test_a_vocabulary_cut_short_filters_with_stand_in_names(small_index, shard_paths, tmp_path, monkeypatch, capsys):
    from vidclass import cli

    path = tmp_path / "short.csv"
    path.write_text(_vocabulary_rows([(0, "Game", "Games"), (1, "Video game", "Games"), (2, "Vehicle", "Autos & Vehicles")]),
                    encoding="utf-8")
    short = yt8m.load_vocabulary(path)
    rows = yt8m.filter_videos(small_index, short, vertical="Games")
    assert rows.tolist() == _brute_force(small_index, lambda labels: bool({0, 1} & set(labels))).tolist()
    assert short.name(3000) == "(unnamed entity 3000)"
    monkeypatch.setattr(yt8m, "vocabulary_path", lambda: path)
    code = cli.main(["yt8m", "filter", "--vertical", "Games", "--limit", "1", "--format", "json",
                     "--shards", *map(str, shard_paths[:3])])
    captured = capsys.readouterr()
    assert code == 0
    assert json.loads(captured.out)["matches"] == rows.size
    assert "has only 3 of the 3862 YouTube-8M entities" in captured.err


# ----------------------------------------------------------------- index on real shards

def test_real_shards_record_counts_labels_and_shapes(small_index, shard_paths):
    tf = _tf()
    expected = [sum(1 for _ in tf.data.TFRecordDataset(str(path))) for path in shard_paths[:3]]
    assert list(np.diff(small_index.shard_offsets)) == expected
    assert all(250 <= count <= 330 for count in expected)
    assert len(small_index) == sum(expected)
    assert small_index.mean_rgb.shape == (len(small_index), 1024)
    assert small_index.mean_audio.shape == (len(small_index), 128)
    assert small_index.label_values.min() >= 0 and small_index.label_values.max() < yt8m.NUM_CLASSES
    assert (small_index.label_counts >= 1).all()
    assert all(len(video_id) == 4 for video_id in small_index.ids)


def test_index_matches_a_per_record_parse(small_index, shard_paths):
    tf = _tf()
    records = list(tf.data.TFRecordDataset(str(shard_paths[1])).take(5))
    start = int(small_index.shard_offsets[1])
    for offset, record in enumerate(records):
        example = tf.train.Example.FromString(record.numpy())
        feature = example.features.feature
        row = start + offset
        assert small_index.ids[row] == feature["id"].bytes_list.value[0].decode()
        assert list(small_index.labels(row)) == list(feature["labels"].int64_list.value)
        np.testing.assert_allclose(small_index.mean_rgb[row].astype(np.float32),
                                   np.array(feature["mean_rgb"].float_list.value), atol=2e-3)


def test_label_matrix_matches_csr(small_index):
    rows = np.array([5, 0, 17])
    matrix = small_index.label_matrix(rows)
    for position, row in enumerate(rows):
        assert set(np.flatnonzero(matrix[position])) == set(small_index.labels(row))
    assert small_index.label_matrix(np.array([], dtype=np.int64)).shape == (0, yt8m.NUM_CLASSES)


def test_index_cache_second_load_comes_from_disk(shard_paths):
    first = yt8m.load_index(shard_paths[:2])
    yt8m._INDEX_MEMO.clear()
    second = yt8m.load_index(shard_paths[:2])
    assert not first.from_cache and second.from_cache
    np.testing.assert_array_equal(first.ids, second.ids)
    np.testing.assert_array_equal(first.label_values, second.label_values)
    assert Path(second.cache_path).is_file()


def test_truncated_and_foreign_shards_are_skipped_with_reasons(tmp_path, shard_paths):
    tf = _tf()
    truncated = tmp_path / "truncated.tfrecord"
    data = shard_paths[0].read_bytes()
    truncated.write_bytes(data[: len(data) // 2])
    foreign = tmp_path / "foreign.tfrecord"
    with tf.io.TFRecordWriter(str(foreign)) as writer:
        example = tf.train.Example(features=tf.train.Features(feature={
            "video_id": tf.train.Feature(bytes_list=tf.train.BytesList(value=[b"abcd"])),
            "score": tf.train.Feature(float_list=tf.train.FloatList(value=[0.5])),
        }))
        writer.write(example.SerializeToString())
    index = yt8m.load_index([truncated, shard_paths[2], foreign], use_cache=False)
    assert list(index.shard_names) == [shard_paths[2].name]
    reasons = {Path(item.path).name: item.reason for item in index.skipped}
    assert "truncated" in reasons["truncated.tfrecord"]
    assert "mean_rgb" in reasons["foreign.tfrecord"] and "video_id" in reasons["foreign.tfrecord"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["foreign.tfrecord", "truncated.tfrecord"]


def test_no_readable_shard_is_one_clear_error(tmp_path):
    junk = tmp_path / "junk.tfrecord"
    junk.write_bytes(b"not a tfrecord at all" * 10)
    with pytest.raises(BadInputError, match="None of the 1"):
        yt8m.load_index([junk], use_cache=False)
    with pytest.raises(BadInputError, match="No YouTube-8M shard file matches"):
        yt8m.load_index(str(tmp_path / "*.nothing"))


def _write_video_level(path, videos):
    """A video-level shard: one tf.train.Example per (id, labels or None for no key, rgb, audio)."""
    tf = _tf()
    with tf.io.TFRecordWriter(str(path)) as writer:
        for video_id, labels, rgb, audio in videos:
            feature = {
                "id": tf.train.Feature(bytes_list=tf.train.BytesList(value=[video_id.encode()])),
                "mean_rgb": tf.train.Feature(float_list=tf.train.FloatList(value=rgb)),
                "mean_audio": tf.train.Feature(float_list=tf.train.FloatList(value=audio)),
            }
            if labels is not None:
                feature["labels"] = tf.train.Feature(int64_list=tf.train.Int64List(value=labels))
            writer.write(tf.train.Example(features=tf.train.Features(feature=feature)).SerializeToString())
    return path


def _videos(count, labels=(22,), rgb_value=0.1, audio_value=0.1):
    return [(f"v{number:03d}", labels, np.full(yt8m.RGB_SIZE, rgb_value, np.float32),
             np.full(yt8m.AUDIO_SIZE, audio_value, np.float32)) for number in range(count)]


def test_shards_with_nan_or_infinite_features_are_skipped_naming_them(tmp_path, shard_paths):
    not_a_number = _write_video_level(tmp_path / "nan_rgb.tfrecord", _videos(2, rgb_value=np.nan))
    infinite = _write_video_level(tmp_path / "inf_audio.tfrecord", _videos(2, audio_value=np.inf))
    index = yt8m.load_index([not_a_number, shard_paths[0], infinite], use_cache=False)
    assert list(index.shard_names) == [shard_paths[0].name]
    reasons = {Path(item.path).name: item.reason for item in index.skipped}
    assert "mean_rgb features hold values that are not numbers" in reasons["nan_rgb.tfrecord"]
    assert "mean_audio features hold values that are not numbers" in reasons["inf_audio.tfrecord"]
    with pytest.raises(BadInputError, match="nan_rgb.tfrecord: its mean_rgb features"):
        yt8m.load_index([not_a_number], use_cache=False)


def test_unlabelled_shards_load_but_eval_and_train_refuse_them(tmp_path, shard_paths, capsys):
    from vidclass import cli

    unlabelled = _write_video_level(tmp_path / "test0000.tfrecord", _videos(3, labels=None))
    index = yt8m.load_index([unlabelled], use_cache=False)
    assert len(index) == 3 and index.label_values.size == 0
    assert yt8m.unlabelled_shards(index) == ["test0000.tfrecord"]
    assert cli.main(["yt8m", "eval", "--shards", str(unlabelled)]) == 2
    assert capsys.readouterr().err == "vidclass: These shards carry no labels, so there is nothing to score against.\n"
    out = tmp_path / "model"
    assert cli.main(["yt8m", "train", "--shards", str(unlabelled), "--out", str(out)]) == 2
    assert capsys.readouterr().err == "vidclass: These shards carry no labels, so there is nothing to train on.\n"
    assert cli.main(["yt8m", "train", "--shards", str(shard_paths[0]), str(unlabelled), "--out", str(out)]) == 2
    assert "test0000.tfrecord carries no labels" in capsys.readouterr().err
    assert not out.exists()


def test_yt8m_train_checks_out_before_reading_any_shard(tmp_path, monkeypatch, capsys):
    from vidclass import cli

    def reading_shards(*arguments, **options):
        raise RuntimeError("started reading the shards")

    monkeypatch.setattr(yt8m, "load_index", reading_shards)
    existing = tmp_path / "existing"
    existing.mkdir()
    (existing / "model.npz").write_bytes(b"the user's model")
    a_file = tmp_path / "notes.txt"
    a_file.write_text("keep me", encoding="utf-8")
    assert cli.main(["yt8m", "train", "--shards", "x.tfrecord", "--out", str(existing)]) == 2
    assert "already holds a trained model (model.npz): pass --overwrite" in capsys.readouterr().err
    assert cli.main(["yt8m", "train", "--shards", "x.tfrecord", "--out", str(a_file)]) == 2
    assert "is a file, not a folder" in capsys.readouterr().err
    assert (existing / "model.npz").read_bytes() == b"the user's model" and a_file.read_text(encoding="utf-8") == "keep me"
    assert cli.main(["yt8m", "train", "--shards", "x.tfrecord", "--out", str(existing), "--overwrite"]) == 1
    assert "started reading the shards" in capsys.readouterr().err


def test_yt8m_eval_refuses_a_cut_short_model(tmp_path, shard_paths, capsys):
    from vidclass import cli, yt8m_model

    folder = tmp_path / "model"
    folder.mkdir()
    shipped = Path(yt8m_model.SHIPPED_MODEL_FOLDER)
    (folder / "config.json").write_bytes((shipped / "config.json").read_bytes())
    (folder / "model.npz").write_bytes((shipped / "model.npz").read_bytes()[:100_000])
    assert cli.main(["yt8m", "eval", "--model", str(folder), "--shards", str(shard_paths[0])]) == 2
    error = capsys.readouterr().err
    assert error.startswith(f"vidclass: The YouTube-8M model in {folder} cannot be read") and error.count("\n") == 1


@pytest.mark.parametrize("arguments, option", [
    (["train", "--shards", "x", "--out", "y", "--hidden", "0"], "--hidden"),
    (["train", "--shards", "x", "--out", "y", "--epochs", "0"], "--epochs"),
    (["train", "--shards", "x", "--out", "y", "--hidden", "-4"], "--hidden"),
    (["vocab", "Cooking", "--limit", "0"], "--limit"),
    (["vocab", "Cooking", "--limit", "-1"], "--limit"),
    (["filter", "--limit", "-1"], "--limit"),
    (["filter", "--min-labels", "-2"], "--min-labels"),
])
def test_yt8m_number_arguments_out_of_range_are_one_line_errors(arguments, option, capsys):
    from vidclass import cli

    with pytest.raises(SystemExit) as stopped:
        cli.main(["yt8m", *arguments])
    error = capsys.readouterr().err
    assert stopped.value.code == 2
    assert error.startswith(f"vidclass: argument {option}: must be at least") and error.count("\n") == 1


def test_yt8m_filter_with_min_labels_above_max_labels_is_refused(capsys):
    from vidclass import cli

    assert cli.main(["yt8m", "filter", "--min-labels", "5", "--max-labels", "2"]) == 2
    assert capsys.readouterr().err == (
        "vidclass: --min-labels 5 is more than --max-labels 2, so no video could match.\n")


# ----------------------------------------------------------------- filters

def _brute_force(index, predicate):
    return np.array([row for row in range(len(index)) if predicate(set(index.labels(row).tolist()))], dtype=np.int64)


def test_cooking_filter_matches_brute_force_scan(small_index, vocabulary):
    rows = yt8m.filter_videos(small_index, vocabulary, vertical="Food & Drink", entities=[22])
    assert rows.size > 0
    np.testing.assert_array_equal(rows, _brute_force(small_index, lambda labels: 22 in labels))


def test_vertical_all_any_and_label_count_filters_match_brute_force(small_index, vocabulary):
    food = set(np.flatnonzero(vocabulary.vertical_mask("Food & Drink")).tolist())
    np.testing.assert_array_equal(
        yt8m.filter_videos(small_index, vocabulary, vertical="Food & Drink"),
        _brute_force(small_index, lambda labels: bool(labels & food)))
    np.testing.assert_array_equal(
        yt8m.filter_videos(small_index, entities=[22, 11], match="all"),
        _brute_force(small_index, lambda labels: {22, 11} <= labels))
    np.testing.assert_array_equal(
        yt8m.filter_videos(small_index, entities=[22, 11], match="any"),
        _brute_force(small_index, lambda labels: bool({22, 11} & labels)))
    counts = small_index.label_counts
    np.testing.assert_array_equal(
        yt8m.filter_videos(small_index, min_labels=3, max_labels=4), np.flatnonzero((counts >= 3) & (counts <= 4)))


def test_filter_matching_nothing_is_empty_not_an_error(small_index, vocabulary):
    assert yt8m.filter_videos(small_index, vocabulary, entities=[0, 22, 3861], match="all").size == 0
    assert yt8m.filter_videos(small_index, min_labels=100).size == 0
    with pytest.raises(BadInputError, match="match mode"):
        yt8m.filter_videos(small_index, entities=[22], match="some")


def test_co_occurring_counts_against_brute_force(small_index):
    pairs = yt8m.co_occurring(small_index, 22, top=5)
    assert pairs and all(entity != 22 for entity, _ in pairs)
    with_cooking = [set(small_index.labels(row).tolist()) for row in range(len(small_index)) if 22 in small_index.labels(row)]
    for entity, count in pairs:
        assert count == sum(entity in labels for labels in with_cooking)
    assert [count for _, count in pairs] == sorted((count for _, count in pairs), reverse=True)


# ----------------------------------------------------------------- frame level

def _write_frame_level(path, videos):
    assert yt8m.write_frame_level_shard(path, videos) == len(videos)


def test_frame_level_reader_dequantizes_like_the_starter(tmp_path):
    generator = np.random.default_rng(0)
    videos = [
        ("AbCd", [22, 11], generator.integers(0, 256, (7, 1024), dtype=np.uint8), generator.integers(0, 256, (7, 128), dtype=np.uint8)),
        ("xY_9", [3], generator.integers(0, 256, (3, 1024), dtype=np.uint8), generator.integers(0, 256, (3, 128), dtype=np.uint8)),
    ]
    path = tmp_path / "frames.tfrecord"
    _write_frame_level(path, videos)
    read = yt8m.read_frame_level(path, max_frames=5)
    assert [video.id for video in read] == ["AbCd", "xY_9"]
    assert list(read[0].labels) == [22, 11]
    assert read[0].rgb.shape == (5, 1024) and read[0].audio.shape == (5, 128)  # cut to max_frames
    assert read[1].rgb.shape == (3, 1024)
    # starter: x * 4/255 + 4/512 - 2
    expected = videos[0][2][:5].astype(np.float32) * (4 / 255) + 4 / 512 - 2
    np.testing.assert_allclose(read[0].rgb, expected, atol=1e-6)
    assert yt8m.dequantize(np.array([0]))[0] == pytest.approx(-2 + 4 / 512)
    assert yt8m.dequantize(np.array([255]))[0] == pytest.approx(2 + 4 / 512)


def test_quantize_inverts_dequantize():
    every_byte = np.arange(256, dtype=np.uint8)
    np.testing.assert_array_equal(yt8m.quantize(yt8m.dequantize(every_byte)), every_byte)
    values = np.linspace(-1.99, 1.99, 1001)
    assert np.abs(yt8m.dequantize(yt8m.quantize(values)) - values).max() <= 4 / 510 + 1e-6
    np.testing.assert_array_equal(yt8m.quantize([-5.0, 5.0]), [0, 255])


def test_frame_level_reader_rejects_video_level_shard(shard_paths):
    with pytest.raises(BadInputError, match="frame-level"):
        yt8m.read_frame_level(shard_paths[0], max_videos=1)


def test_index_reads_frame_level_shards_as_the_mean_of_their_dequantized_frames(tmp_path, shard_paths):
    generator = np.random.default_rng(1)
    videos = [(f"v{number:03d}", [number % 7, 100 + number], generator.integers(0, 256, (frames, 1024), dtype=np.uint8),
               generator.integers(0, 256, (frames, 128), dtype=np.uint8)) for number, frames in enumerate([1, 5, 300, 42])]
    videos[2] = (videos[2][0], [], videos[2][2], videos[2][3])  # a video without labels
    path = tmp_path / "frames.tfrecord"
    _write_frame_level(path, videos)
    index = yt8m.load_index([path, shard_paths[0]], use_cache=False, feature_dtype="float32")
    assert index.skipped == [] and list(index.shard_names) == ["frames.tfrecord", shard_paths[0].name]
    assert list(index.ids[:4]) == ["v000", "v001", "v002", "v003"]
    assert [list(index.labels(row)) for row in range(4)] == [[0, 100], [1, 101], [], [3, 103]]
    frames = yt8m.read_frame_level(path)  # the starter's dequantized frames, averaged
    np.testing.assert_allclose(index.mean_rgb[:4], [video.rgb.mean(axis=0) for video in frames], atol=1e-5)
    np.testing.assert_allclose(index.mean_audio[:4], [video.audio.mean(axis=0) for video in frames], atol=1e-5)
    video_level = yt8m.load_index([shard_paths[0]], use_cache=False, feature_dtype="float32")
    np.testing.assert_array_equal(index.features(np.arange(4, len(index))), video_level.features())


def test_frame_level_shard_with_an_empty_video_or_other_lists_is_skipped_with_the_reason(tmp_path, shard_paths):
    empty = tmp_path / "empty-video.tfrecord"
    _write_frame_level(empty, [("AbCd", [1], np.zeros((0, 1024), np.uint8), np.zeros((0, 128), np.uint8))])
    tf = _tf()
    other = tmp_path / "other-lists.tfrecord"
    with tf.io.TFRecordWriter(str(other)) as writer:
        writer.write(tf.train.SequenceExample(feature_lists=tf.train.FeatureLists(feature_list={
            "frames": tf.train.FeatureList(feature=[tf.train.Feature(float_list=tf.train.FloatList(value=[1.0]))])})).SerializeToString())
    index = yt8m.load_index([empty, other, shard_paths[0]], use_cache=False)
    reasons = {Path(item.path).name: item.reason for item in index.skipped}
    assert "no frames" in reasons["empty-video.tfrecord"]
    assert "SequenceExample" in reasons["other-lists.tfrecord"] and "frames" in reasons["other-lists.tfrecord"]
    assert list(index.shard_names) == [shard_paths[0].name]


# ----------------------------------------------------------------- YouTube lookup (local only)

class _LookupHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802
        if self.path == "/2/j/i/Ab/AbCd.js":
            body = b'i("AbCd","dQw4w9WgXcQ");'
            self.send_response(200)
            self.send_header("Content-Type", "application/javascript")
            self.end_headers()
            self.wfile.write(body)
        else:
            self.send_response(404)
            self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture()
def lookup_server():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _LookupHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/2/j/i"
    server.shutdown()
    server.server_close()


def test_youtube_lookup_against_local_server(lookup_server):
    yt8m._LINK_CACHE.clear()
    link = yt8m.youtube_id("AbCd", url_base=lookup_server)
    assert link.youtube_id == "dQw4w9WgXcQ"
    assert link.url == "https://www.youtube.com/watch?v=dQw4w9WgXcQ"
    missing = yt8m.youtube_id("ZzZz", url_base=lookup_server)
    assert missing.youtube_id is None and "no YouTube id" in missing.message
    assert yt8m.youtube_id("<b>", url_base=lookup_server).youtube_id is None


def test_youtube_lookup_offline_says_so_quickly():
    import socket
    import time

    with socket.socket() as probe:  # a closed local port: connection refused at once
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    yt8m._LINK_CACHE.clear()
    yt8m._OFFLINE_UNTIL.clear()
    started = time.monotonic()
    link = yt8m.youtube_id("AbCd", url_base=f"http://127.0.0.1:{port}/2/j/i", timeout=0.5)
    assert link.youtube_id is None and link.message.startswith("Offline")
    assert time.monotonic() - started < 2.0


def test_warm_index_and_model_need_no_tensorflow(shard_paths, tmp_path):
    import os
    import subprocess
    import sys

    yt8m.load_index(shard_paths[:2])  # writes the cache of this test session
    script = (
        "import sys; from vidclass import yt8m, yt8m_model\n"
        f"index = yt8m.load_index({[str(p) for p in shard_paths[:2]]!r})\n"
        "assert index.from_cache, 'cache missed'\n"
        "print('tensorflow' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                            cwd=Path(__file__).resolve().parents[1], env={**os.environ})
    assert result.returncode == 0, result.stderr[-500:]
    assert result.stdout.strip() == "False"
