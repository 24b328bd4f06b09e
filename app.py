"""vidclass — classify video in the browser. Run with ``streamlit run app.py``.

The router: ``st.navigation`` over the pages in ``app_pages/``. Heavy libraries
(TensorFlow, the models) are imported only by the pages that need them.
"""

import streamlit as st

from app_pages import common

st.set_page_config(page_title="vidclass — classify video", page_icon="🎬", layout="wide")

HOME = "app_pages/home.py"


def home_alias() -> None:
    """A hand-typed ``/home`` opens Home (served at ``/``) instead of "Page not found"."""
    st.switch_page(HOME)


PAGES = {
    "Start": [
        st.Page(HOME, title="Home", icon="🏠", default=True, url_path="start"),  # served at /
        st.Page("app_pages/upload.py", title="Upload", icon="⬆️", url_path="upload"),
        st.Page("app_pages/frames.py", title="Frames", icon="🎞️", url_path="frames"),
    ],
    "Classify": [
        st.Page("app_pages/classify.py", title="Classify", icon="🏷️", url_path="classify"),
        st.Page("app_pages/compare.py", title="Compare models", icon="⚖️", url_path="compare"),
        st.Page("app_pages/batch.py", title="Batch", icon="📚", url_path="batch"),
        st.Page("app_pages/train.py", title="Train your own", icon="🧪", url_path="train"),
    ],
    "Explore": [
        st.Page("app_pages/youtube8m.py", title="YouTube-8M", icon="📺", url_path="youtube8m"),
        st.Page("app_pages/about.py", title="About the models", icon="📄", url_path="about"),
        st.Page(home_alias, title="Home", url_path="home", visibility="hidden"),
    ],
}

page = st.navigation(PAGES)
common.restore_clip_from_link()
badge = st.sidebar.container()  # filled after the page ran, so a clip it just set shows at once
try:
    page.run()
finally:
    with badge:
        common.show_current_clip_badge()
        st.page_link(HOME, label="Example gallery", icon="🎬")
