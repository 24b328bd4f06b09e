"""`vidclass yt8m …`: explore YouTube-8M and train/evaluate the video-level model.

Sub-commands:
  index   read the shards into the cached index; print counts and skipped shards
  vocab   search the vocabulary by name, Knowledge Graph id or index
  filter  list videos by vertical / entities (any or all) / label count
  train   train the video-level model on shards, save it to a folder (an existing
          model there is replaced only with --overwrite)
  eval    GAP@20 and hit@1 of a model (default: the shipped one) on shards

``train`` and ``eval`` refuse shards without labels (the test partition's, say): there is
nothing to learn from or to score against.
"""

from __future__ import annotations

import json
import sys

NAME = "yt8m"
HELP = "Explore YouTube-8M; train and evaluate the video-level model."


def add_arguments(parser):
    """Register the yt8m sub-commands."""
    from vidclass.cli import whole_number_at_least
    from vidclass.yt8m import MATCH_MODES

    positive = whole_number_at_least(1)
    not_negative = whole_number_at_least(0)
    actions = parser.add_subparsers(dest="yt8m_action", metavar="ACTION", required=True)

    index = actions.add_parser("index", help="Read the shards into the cached index and report counts.")
    index.add_argument("--shards", nargs="+", default=None, help="globs of video-level or frame-level shards (default: the asset store's)")
    index.add_argument("--format", choices=("text", "json"), default="text")

    vocab = actions.add_parser("vocab", help="Search the vocabulary (name, Knowledge Graph id or index).")
    vocab.add_argument("query", help="e.g. Cooking, /m/01yrx or 22")
    vocab.add_argument("--limit", type=positive, default=10, help="most entities to show (default 10)")
    vocab.add_argument("--format", choices=("text", "json"), default="text")

    filtering = actions.add_parser("filter", help="List videos by vertical, entities and label count.")
    filtering.add_argument("--shards", nargs="+", default=None, help="globs of shards (default: the asset store's)")
    filtering.add_argument("--vertical", default=None, help='e.g. "Food & Drink"')
    filtering.add_argument("--entity", action="append", default=[], help="name, KG id or index; repeat for several")
    filtering.add_argument("--match", choices=MATCH_MODES, default="any")
    filtering.add_argument("--min-labels", type=not_negative, default=None)
    filtering.add_argument("--max-labels", type=not_negative, default=None)
    filtering.add_argument("--limit", type=not_negative, default=20, help="most videos to list (0: only count them; default 20)")
    filtering.add_argument("--format", choices=("text", "json"), default="text")

    train = actions.add_parser("train", help="Train the video-level model and save it to a folder.")
    train.add_argument("--shards", nargs="+", required=True, help="globs of training shards")
    train.add_argument("--out", required=True, help="folder to write model.npz, config.json, metrics.json")
    train.add_argument("--overwrite", action="store_true", help="replace a model already in --out")
    train.add_argument("--eval-shards", nargs="+", default=None, help="globs of held-out shards: measured and written to metrics.json")
    train.add_argument("--epochs", type=positive, default=None)
    train.add_argument("--hidden", type=positive, default=None)
    train.add_argument("--seed", type=int, default=None)
    train.add_argument("--no-neighbours", action="store_true", help="MLP only (no nearest-neighbour bank)")
    train.add_argument("--no-ridge", action="store_true", help="no kernel ridge regression stage")
    train.add_argument("--weights", choices=("int8", "float16"), default="int8")
    train.add_argument("--metrics-from", default=None,
                       help="metrics.json of a split run to copy as this model's held-out metrics")

    evaluate = actions.add_parser("eval", help="GAP@20 and hit@1 of a model on shards.")
    evaluate.add_argument("--shards", nargs="+", required=True, help="globs of shards to evaluate on (video-level, or frame-level: each video's frames averaged)")
    evaluate.add_argument("--model", default=None, help="model folder (default: the shipped assets/yt8m_model)")
    evaluate.add_argument("--format", choices=("text", "json"), default="text")


def _progress(fraction: float, message: str) -> None:
    print(f"\r{message} ({fraction:.0%})", end="" if fraction < 1 else "\n", file=sys.stderr, flush=True)


def _skipped_note(index) -> None:
    for item in index.skipped:
        print(f"vidclass: skipped {item.message()}", file=sys.stderr)


def _short_vocabulary_note(vocabulary) -> None:
    """A warning on stderr when the vocabulary names fewer entities than YouTube-8M has."""
    from pathlib import Path

    from vidclass.yt8m import NUM_CLASSES

    if len(vocabulary) < NUM_CLASSES:
        print(f"vidclass: warning: {Path(vocabulary.source).name} has only {len(vocabulary)} of the {NUM_CLASSES} "
              "YouTube-8M entities (is it cut short?), so later labels show as '(unnamed entity N)' and belong to "
              "no vertical; `vidclass fetch yt8m` gets the whole file", file=sys.stderr)


def _refuse_unlabelled(index, purpose: str, option: str) -> None:
    """``BadInputError`` when shards of ``index`` carry no labels (nothing to ``purpose``)."""
    from vidclass import yt8m
    from vidclass.errors import BadInputError

    names = yt8m.unlabelled_shards(index)
    if len(names) == len(index.shard_names):
        raise BadInputError(f"These shards carry no labels, so there is nothing to {purpose}.")
    if names:
        shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
        verb, pronoun = ("carries", "it") if len(names) == 1 else ("carry", "them")
        raise BadInputError(f"{shown} {verb} no labels, so there is nothing to {purpose} in {pronoun}: "
                            f"leave {pronoun} out of {option}.")


def run(args) -> int:
    """Dispatch to the chosen action."""
    return {"index": _run_index, "vocab": _run_vocab, "filter": _run_filter, "train": _run_train, "eval": _run_eval}[
        args.yt8m_action
    ](args)


def _run_index(args) -> int:
    from vidclass import yt8m

    index = yt8m.load_index(args.shards)
    _skipped_note(index)
    summary = {
        "videos": len(index),
        "shards": len(index.shard_names),
        "labels": int(index.label_values.size),
        "skipped": [item.message() for item in index.skipped],
        "from_cache": index.from_cache,
        "cache": index.cache_path,
    }
    if args.format == "json":
        print(json.dumps(summary))
    else:
        print(f"{summary['videos']} videos from {summary['shards']} shards, {summary['labels']} labels "
              f"({'from cache' if index.from_cache else 'read now'}; cache {index.cache_path})")
    return 0


def _run_vocab(args) -> int:
    from vidclass import yt8m

    vocabulary = yt8m.load_vocabulary()
    _short_vocabulary_note(vocabulary)
    found = vocabulary.search(args.query, limit=args.limit)
    rows = [{"index": e.index, "name": e.name, "knowledge_graph_id": e.knowledge_graph_id,
             "train_video_count": e.train_video_count, "verticals": list(e.verticals)} for e in found]
    if args.format == "json":
        print(json.dumps(rows))
    elif not rows:
        print(f"No entity matches {args.query!r}.")
    else:
        for row in rows:
            print(f"{row['index']:5d}  {row['name']}  {row['knowledge_graph_id']}  "
                  f"{row['train_video_count']} train videos  {' / '.join(row['verticals'])}")
    return 0


def _run_filter(args) -> int:
    from vidclass import yt8m
    from vidclass.errors import BadInputError

    if args.min_labels is not None and args.max_labels is not None and args.min_labels > args.max_labels:
        raise BadInputError(f"--min-labels {args.min_labels} is more than --max-labels {args.max_labels}, "
                            "so no video could match.")
    vocabulary = yt8m.load_vocabulary()
    _short_vocabulary_note(vocabulary)
    entities = [vocabulary.resolve(token).index for token in args.entity]
    index = yt8m.load_index(args.shards)
    _skipped_note(index)
    rows = yt8m.filter_videos(index, vocabulary, vertical=args.vertical, entities=entities, match=args.match,
                              min_labels=args.min_labels, max_labels=args.max_labels)
    shown = [{"id": str(index.ids[row]), "labels": [vocabulary.name(i) for i in index.labels(row)]}
             for row in rows[: args.limit]]
    if args.format == "json":
        print(json.dumps({"matches": int(rows.size), "videos": shown}))
    else:
        print(f"{rows.size} of {len(index)} videos match.")
        for item in shown:
            print(f"{item['id']}  {'; '.join(item['labels'])}")
    return 0


def _run_train(args) -> int:
    from pathlib import Path

    import numpy as np

    from vidclass import yt8m, yt8m_model
    from vidclass.commands.train import checked_output_folder
    from vidclass.errors import BadInputError

    out = checked_output_folder(args.out, "model.npz", args.overwrite)
    config: dict = {}
    if args.epochs is not None:
        config["epochs"] = args.epochs
    if args.hidden is not None:
        config["hidden"] = args.hidden
    if args.seed is not None:
        config["seed"] = args.seed
    if args.no_neighbours:
        config["mlp_weight"] = 1.0
    if args.no_ridge:
        config["ridge"] = False
    index = yt8m.load_index(args.shards, feature_dtype="float32")
    _skipped_note(index)
    _refuse_unlabelled(index, "train on", "--shards")
    held_out_index = None
    if args.eval_shards:  # read (and check) the held-out shards before the long part
        held_out_index = yt8m.load_index(args.eval_shards, feature_dtype="float32")
        _skipped_note(held_out_index)
        _refuse_unlabelled(held_out_index, "score against", "--eval-shards")
        shared = np.isin(held_out_index.ids, index.ids)
        if shared.any():
            shards = sorted({str(held_out_index.shard_names[shard]) for shard in held_out_index.shard_of(np.flatnonzero(shared))})
            raise BadInputError(
                f"The evaluation shards overlap the training shards: {int(shared.sum())} of their videos are in both "
                f"({', '.join(shards[:3])}).")
    source_metrics = None
    if args.metrics_from:
        try:
            source_metrics = json.loads(Path(args.metrics_from).read_text(encoding="utf-8"))["held_out"]
        except (OSError, ValueError, KeyError):
            raise BadInputError(f"{args.metrics_from} is not a metrics.json with held-out metrics.") from None
    model = yt8m_model.train_model(index, config=config, progress=_progress)
    model.config["train_shards"] = [str(name) for name in index.shard_names]
    folder = model.save(out, weight_format=args.weights)
    saved = yt8m_model.load_model(folder)  # measure exactly what ships (quantized weights)

    held = None
    if held_out_index is not None:
        held = {
            **yt8m_model.evaluate_model(saved, held_out_index),
            "note": "measured on shards this model was not trained on",
            "train_shards": model.config["train_shards"],
            "eval_shards": [str(name) for name in held_out_index.shard_names],
        }
        print(json.dumps(held))
    elif source_metrics is not None:
        held = {**source_metrics,
                "note": "measured on held-out shards by the same recipe trained without them (split model); "
                        "this model was then retrained on all its shards"}
    metrics: dict = {}
    if held is not None:
        metrics = {
            "gap": held["gap"],
            "hit_at_1": held["hit_at_1"],
            "videos": held["videos"],
            "measured_on": (
                f"held-out shards {_shard_span(held['eval_shards'])}, {held['videos']} videos, by a model of this "
                f"recipe trained on {_shard_span(held['train_shards'])} only"
            ),
            "method": "GAP@20 as the YouTube-8M starter's calculate_gap (top 20 per video pooled, sorted by score, "
                      "precision at each hit over all true labels); hit@1 = top guess is a true label",
            "held_out": held,
        }
    metrics["model"] = {key: model.config.get(key) for key in
                        ("architecture", "members", "hidden", "epochs", "mlp_weight", "neighbours", "temperature",
                         "ridge", "ridge_tau", "ridge_lambda", "rerank", "rerank_candidates", "train_videos", "train_seconds")}
    metrics["model"]["trained_on"] = _shard_span(model.config["train_shards"])
    (Path(folder) / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n", encoding="utf-8")
    size = sum(path.stat().st_size for path in Path(folder).iterdir())
    print(f"Saved the model to {folder} ({size / 1e6:.1f} MB).", file=sys.stderr)
    return 0


def _trained_part(model, index) -> str:
    """Which part of ``index`` the model trained on, e.g. "297 of these 2,000 videos", or "" for
    none (``VideoLevelModel.trained_on``: by video id, so a renamed training shard is caught)."""
    import numpy as np

    shard_names = index.shard_names[index.shard_of(np.arange(len(index)))]
    count = int(model.trained_on(index.ids, shard_names).sum())
    return f"{count:,} of these {len(index):,} videos" if count else ""


def _shard_span(names) -> str:
    """``validate0000–0024``-style summary of shard file names."""
    stems = sorted(str(name).rsplit(".", 1)[0] for name in names)
    if not stems:
        return "(none)"
    if len(stems) == 1:
        return stems[0]
    prefix = stems[0].rstrip("0123456789")
    if all(stem.startswith(prefix) and stem[len(prefix):].isdigit() for stem in stems):
        return f"{stems[0]}–{stems[-1][len(prefix):]} ({len(stems)} shards)"
    return ", ".join(stems)


def _run_eval(args) -> int:
    from vidclass import yt8m, yt8m_model

    paths = yt8m.expand_shards(args.shards)
    model = yt8m_model.load_model(args.model)
    index = yt8m.load_index(paths)
    _skipped_note(index)
    _refuse_unlabelled(index, "score against", "--shards")
    seen = _trained_part(model, index)
    if seen:
        print(f"vidclass: note: the model was trained on {seen}, so this is not a held-out score "
              "(see the model's metrics.json for that)", file=sys.stderr)
    result = yt8m_model.evaluate_model(model, index)
    if args.format == "json":
        print(json.dumps({"gap": result["gap"], "hit_at_1": result["hit_at_1"], "videos": result["videos"]}))
    else:
        print(f"GAP@20 {result['gap']:.4f}   hit@1 {result['hit_at_1']:.4f}   on {result['videos']} videos "
              f"({result['predict_seconds']:.2f} s to predict)")
    return 0
