"""YouTube-8M explorer: filter the real validate videos by topic, see one video's true
labels beside the model's guesses, browse the 3,862-topic vocabulary.

The filters live in the link (``vertical``, ``entities``, ``match``, ``min_labels``,
``max_labels``, ``video``, ``entity``) so a shared link restores the view. Every data
string is shown as plain text (tables, ``st.text``, escaped markdown). TensorFlow is only
imported the very first time the shards are indexed; after that the index comes from the
cache and the model runs in numpy.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from app_pages import common
from vidclass.yt8m import MATCH_MODES

ALL_VERTICALS = "All topics"
MAX_VIDEO_CHOICES = 1000
SEED_VERTICAL, SEED_ENTITY = "Food & Drink", 22  # the starter's example: Cooking


# --- cached data ---------------------------------------------------------------------------


@st.cache_resource(show_spinner="Reading the YouTube-8M videos (once)…")
def explorer_data():
    """(vocabulary, index, label text per video, vertical text per video), loaded once per server."""
    from vidclass import yt8m

    vocabulary = yt8m.load_vocabulary()
    index = yt8m.load_index()
    names = vocabulary.names
    main_vertical = [entity.vertical for entity in vocabulary.entities]
    label_text, vertical_text = [], []
    for row in range(len(index)):
        labels = index.labels(row)
        label_text.append("; ".join(names[i] if i < len(names) else f"(unknown {i})" for i in labels))
        verticals = dict.fromkeys(main_vertical[i] for i in labels if i < len(main_vertical))
        vertical_text.append("; ".join(verticals))
    return vocabulary, index, np.array(label_text, dtype=object), np.array(vertical_text, dtype=object)


@st.cache_resource(show_spinner="Loading the YouTube-8M model (once)…")
def explorer_model():
    """The shipped video-level model (numpy and scipy, no TensorFlow), its kernel ridge stage solved up front."""
    from vidclass.yt8m_model import load_model

    model = load_model()
    model.warm_up()
    return model


@st.cache_data(ttl=3600, show_spinner=False)
def youtube_link(video_id: str):
    """The lookup service's answer for one video (1 s timeout, cached for an hour)."""
    from vidclass.yt8m import youtube_id

    return youtube_id(video_id, timeout=1.0)


# --- link <-> widgets --------------------------------------------------------------------------


def parse_entities(text: str | None, size: int) -> list[int]:
    """Entity indices from a link value like ``"22,11"``; anything else is ignored."""
    found: list[int] = []
    for part in str(text or "").split(","):
        part = part.strip()
        if part.isdigit() and int(part) < size and int(part) not in found:
            found.append(int(part))
    return found


def restore_filters_from_link(vocabulary, max_count: int) -> None:
    """On a session's first run, put the link's filters into the widgets' state."""
    if st.session_state.get("yt8m_restored"):
        return
    st.session_state["yt8m_restored"] = True
    st.session_state["yt8m_vertical"] = common.query_value("vertical", ALL_VERTICALS, choices=[ALL_VERTICALS, *vocabulary.verticals])
    st.session_state["yt8m_entities"] = parse_entities(st.query_params.get("entities"), len(vocabulary))
    st.session_state["yt8m_match"] = common.query_value("match", "any", choices=list(MATCH_MODES))
    low = common.query_value("min_labels", 1, cast=int)
    high = common.query_value("max_labels", max_count, cast=int)
    low, high = max(1, min(low, max_count)), max(1, min(high, max_count))
    st.session_state["yt8m_label_range"] = (min(low, high), max(low, high))


def use_seed_example() -> None:
    """Button callback: the starter's example, Food & Drink → Cooking."""
    st.session_state["yt8m_vertical"] = SEED_VERTICAL
    st.session_state["yt8m_entities"] = [SEED_ENTITY]
    st.session_state["yt8m_match"] = "any"


def sidebar_filters(vocabulary, max_count: int) -> dict:
    """The sidebar filter widgets; returns the chosen filters (and writes them into the link)."""
    restore_filters_from_link(vocabulary, max_count)
    with st.sidebar:
        st.header("Filter videos")
        vertical = st.selectbox("Topic area (vertical)", [ALL_VERTICALS, *vocabulary.verticals], key="yt8m_vertical")
        entities = st.multiselect(
            "Labels", options=list(range(len(vocabulary))), key="yt8m_entities",
            format_func=vocabulary.name, placeholder="Type a label, e.g. Cooking",
        )
        match = st.radio(
            "Videos must have", list(MATCH_MODES), key="yt8m_match", horizontal=True,
            format_func=lambda mode: "any of these labels" if mode == "any" else "all of these labels",
        )
        label_range = st.slider("Number of labels per video", 1, max_count, key="yt8m_label_range")
        st.button("Example: Food & Drink → Cooking", on_click=use_seed_example)
    filters = {
        "vertical": None if vertical == ALL_VERTICALS else vertical,
        "entities": list(entities),
        "match": match,
        "min_labels": int(label_range[0]),
        "max_labels": int(label_range[1]),
    }
    common.remember_in_link(
        vertical=vertical, entities=",".join(map(str, entities)), match=match,
        min_labels=filters["min_labels"], max_labels=filters["max_labels"],
    )
    return filters


# --- sections ---------------------------------------------------------------------------------


def results_table(index, rows, label_text, vertical_text) -> None:
    """The matching videos as a plain-text table."""
    import pandas as pd

    table = pd.DataFrame({
        "Video id": index.ids[rows],
        "Labels": label_text[rows],
        "Topic areas": vertical_text[rows],
        "Number of labels": index.label_counts[rows],
    })
    st.dataframe(table, hide_index=True, width="stretch", height=320)


def choose_video(index, rows) -> int | None:
    """A select box over the matching videos (remembered in the link); returns the chosen row."""
    row_of = {str(video_id): int(row) for video_id, row in zip(index.ids[rows], rows)}
    choices = list(row_of)[:MAX_VIDEO_CHOICES]
    if not choices:
        return None
    wanted = st.query_params.get("video")
    if wanted in row_of and wanted not in choices:  # a shared link names a video further down the list
        choices.insert(0, wanted)
    if "yt8m_video" not in st.session_state or st.session_state["yt8m_video"] not in choices:
        st.session_state["yt8m_video"] = wanted if wanted in choices else choices[0]
    video_id = st.selectbox("Look at one video", choices, key="yt8m_video")
    common.remember_in_link(video=video_id)
    return row_of[video_id]


def prediction_chart(predictions, truth: set, vocabulary):
    """Altair bar chart of the model's top guesses, true labels coloured."""
    import altair as alt
    import pandas as pd

    frame = pd.DataFrame({
        "label": [vocabulary.name(i) for i, _ in predictions],
        "score": [score for _, score in predictions],
        "correct": ["true label" if i in truth else "not a label of this video" for i, _ in predictions],
    })
    return (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            x=alt.X("score:Q", title="model's confidence", scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%")),
            y=alt.Y("label:N", sort=None, title=None),
            color=alt.Color("correct:N", title=None, scale=alt.Scale(
                domain=["true label", "not a label of this video"], range=["#2f855a", "#a0aec0"])),
            tooltip=["label", alt.Tooltip("score:Q", format=".1%"), "correct"],
        )
        .properties(height=28 * len(frame) + 40)
    )


def fair_guesses(model, index, row: int) -> tuple[list[tuple[int, float]], str]:
    """The model's top 10 guesses for one video and a sentence on how fair a test they are.

    For a video the model trained on (known by its id, so a renamed shard does not fool it), the
    guesses come from its training run's fold model that never saw the video's shard
    (``held_out_guesses``): a fair test, not a memory.
    """
    video_id = str(index.ids[row])
    shard = str(index.shard_names[index.shard_of(row)])
    held_out = model.held_out_guesses(video_id)
    if held_out is not None:
        guesses, fold = held_out
        folds = int(model.config.get("rerank_folds", 4))
        return guesses, (
            f"The full model learnt from this video, so these guesses come from a model trained without its "
            f"shard ({shard}; part {fold + 1} of {folds} of the training run's cross-check): a fair test.")
    guesses = model.top_predictions(index.features(np.array([row])), top=10)[0]
    learnt = bool(model.trained_on([video_id], [shard])[0])
    return guesses, fairness_note(index, shard, set(model.config.get("train_shards", [])), learnt)


def fairness_note(index, shard: str, trained_on: set, learnt: bool) -> str:
    """Whether the model learnt from the video (then its guesses are no fair test)."""
    if not learnt:
        return f"The model never saw this video (shard {shard} was held out): a fair test."
    unseen = [str(name) for name in index.shard_names if str(name) not in trained_on]
    if unseen:
        where = f"pick a video from a shard it never saw ({', '.join(unseen[:3])}{', …' if len(unseen) > 3 else ''})"
    else:
        where = "its fair score is on the Model tab, measured by the same recipe trained without some shards"
    return f"The model learnt from this video (shard {shard} was part of its training), so this is not a fair test: {where}."


def video_panel(index, row: int, vocabulary) -> None:
    """One video: its true labels beside the model's top predictions, and its YouTube link."""
    import pandas as pd

    video_id = str(index.ids[row])
    labels = [int(i) for i in index.labels(row)]
    st.subheader("Video")
    st.text(f"YouTube-8M id: {video_id}")
    truth_column, model_column = st.columns([2, 3])
    with truth_column:
        st.markdown("**True labels**")
        st.dataframe(
            pd.DataFrame({"Label": [vocabulary.name(i) for i in labels],
                          "Topic area": [vocabulary.entity(i).vertical if i < len(vocabulary) else "" for i in labels]}),
            hide_index=True, width="stretch",
        )
    with model_column:
        st.markdown("**The model's top guesses**")
        with common.guarded("running the YouTube-8M model"):
            model = explorer_model()
            predictions, note = fair_guesses(model, index, row)
            hits = sum(1 for i, _ in predictions if i in set(labels))
            st.altair_chart(prediction_chart(predictions, set(labels), vocabulary), width="stretch")
            st.caption(f"{hits} of the model's top 10 guesses are true labels of this video (green). " + note)
    link = youtube_link(video_id)
    if link.youtube_id:
        st.link_button("Watch on YouTube", link.url)
        st.video(link.url)
    else:
        st.info(link.message, icon="📡")


def co_occurrence_section(index, vocabulary, filters) -> None:
    """For one entity: the labels most often found with it (chart) and its topic area."""
    import altair as alt
    import pandas as pd

    from vidclass import yt8m

    default = filters["entities"][0] if filters["entities"] else SEED_ENTITY
    if "yt8m_entity" not in st.session_state:
        st.session_state["yt8m_entity"] = common.query_value("entity", default, cast=int)
        if not 0 <= st.session_state["yt8m_entity"] < len(vocabulary):
            st.session_state["yt8m_entity"] = default
    entity_index = st.selectbox("Label", list(range(len(vocabulary))), key="yt8m_entity", format_func=vocabulary.name)
    common.remember_in_link(entity=entity_index)
    entity = vocabulary.entity(entity_index)
    st.text(f"Topic areas: {' / '.join(entity.verticals) or '(unknown)'}    Knowledge Graph id: {entity.knowledge_graph_id}")
    pairs = yt8m.co_occurring(index, entity_index, top=12)
    with_entity = int(yt8m.filter_videos(index, entities=[entity_index]).size)
    if not pairs:
        st.info(f"No loaded video carries this label together with another one ({with_entity} videos carry it).")
        return
    st.caption(f"{with_entity} loaded videos carry this label. The labels most often found with it:")
    frame = pd.DataFrame({"label": [vocabulary.name(i) for i, _ in pairs], "videos": [n for _, n in pairs]})
    chart = alt.Chart(frame).mark_bar().encode(
        x=alt.X("videos:Q", title="videos with both labels"), y=alt.Y("label:N", sort=None, title=None),
        tooltip=["label", "videos"],
    ).properties(height=26 * len(frame) + 40)
    st.altair_chart(chart, width="stretch")


def vocabulary_section(vocabulary) -> None:
    """TrainVideoCount per vertical (chart), and a search over the 3,862 labels."""
    import altair as alt
    import pandas as pd

    summary = pd.DataFrame(vocabulary.vertical_summary())
    st.caption("How many of YouTube-8M's 3.9 million training videos carry a label of each topic area (a video counts once per label).")
    chart = alt.Chart(summary).mark_bar().encode(
        x=alt.X("train_videos:Q", title="training videos (summed over labels)"),
        y=alt.Y("vertical:N", sort="-x", title=None),
        tooltip=["vertical", "entities", "train_videos"],
    ).properties(height=22 * len(summary) + 40)
    st.altair_chart(chart, width="stretch")
    query = st.text_input("Search labels by name, Knowledge Graph id or number", key="yt8m_search", max_chars=100)
    found = vocabulary.search(query, limit=200) if query.strip() else vocabulary.entities_in_vertical(
        st.selectbox("…or list a topic area", vocabulary.verticals, key="yt8m_vocab_vertical"))[:200]
    if query.strip() and not found:
        st.info("No label matches that search.")
        return
    st.dataframe(pd.DataFrame({
        "Number": [e.index for e in found],
        "Label": [e.name for e in found],
        "Knowledge Graph id": [e.knowledge_graph_id for e in found],
        "Training videos": [e.train_video_count for e in found],
        "Topic areas": [" / ".join(e.verticals) for e in found],
    }), hide_index=True, width="stretch", height="auto" if len(found) <= 8 else 300)  # no empty rows under a few hits


def model_section() -> None:
    """The model's held-out GAP@20 and hit@1, read from its metrics file."""
    model = explorer_model()
    metrics = model.metrics or {}
    if "gap" not in metrics:
        st.info("The model's accuracy has not been measured on this installation.")
        return
    left, middle, right = st.columns(3)
    left.metric("GAP@20 on unseen videos", f"{metrics['gap']:.1%}")
    middle.metric("Top guess is a true label (hit@1)", f"{metrics['hit_at_1']:.1%}")
    right.metric("Unseen videos measured", f"{metrics.get('videos', 0):,}")
    if isinstance(metrics.get("measured_on"), str):
        st.caption(common.plain(metrics["measured_on"]))
    if isinstance(metrics.get("method"), str):
        st.caption(common.plain(metrics["method"]))
    cross_check = model.config.get("held_out_guesses")
    if isinstance(cross_check, dict) and "gap" in cross_check:
        st.markdown(
            f"**The guesses shown for each video** come from the training run's cross-check: over its "
            f"{cross_check['videos']:,} training videos they score GAP@20 {cross_check['gap']:.1%} and hit@1 "
            f"{cross_check['hit_at_1']:.1%}.")
        st.caption(common.plain(f"How: {cross_check['how']}."))


# --- page ----------------------------------------------------------------------------------------

st.title("📺 YouTube-8M explorer")
st.write("Real YouTube-8M videos (as the dataset's picture and sound summaries) with their topic labels. "
         "Filter them by topic on the left, pick one to compare its labels with the model's guesses.")

loaded = None
with common.guarded("reading the YouTube-8M data"):
    loaded = explorer_data()
if loaded is None:
    st.stop()
vocabulary_data, video_index, label_texts, vertical_texts = loaded
for skipped in video_index.skipped:
    st.warning(f"Skipped a shard: {skipped.message()}", icon="⚠️")

chosen = sidebar_filters(vocabulary_data, max(1, int(video_index.label_counts.max())))
videos_tab, together_tab, vocabulary_tab, model_tab = st.tabs(["Videos", "Labels that go together", "Vocabulary", "Model"])

with videos_tab, common.guarded("filtering the videos"):
    from vidclass import yt8m as _yt8m

    matching = _yt8m.filter_videos(video_index, vocabulary_data, **chosen)
    st.metric("Matching videos", f"{matching.size:,} of {len(video_index):,}")
    if matching.size == 0:
        st.info("No video matches these filters. Try fewer labels, 'any of these labels', or another topic area.")
    else:
        results_table(video_index, matching, label_texts, vertical_texts)
        chosen_row = choose_video(video_index, matching)
        if chosen_row is not None:
            video_panel(video_index, chosen_row, vocabulary_data)

with together_tab, common.guarded("counting labels that go together"):
    co_occurrence_section(video_index, vocabulary_data, chosen)

with vocabulary_tab, common.guarded("showing the vocabulary"):
    vocabulary_section(vocabulary_data)

with model_tab, common.guarded("showing the model's accuracy"):
    model_section()
