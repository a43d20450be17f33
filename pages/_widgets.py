"""Page furniture and paper lists: titles, the filter note, the empty state, tables and cards of papers.

Paper and user text is shown as text: Markdown strings get it through
:func:`markdown_literal`, tables and ``st.text`` take it as it is.
"""

from __future__ import annotations

import re

import pandas as pd
import streamlit as st

from analysis import query
from analysis.text import LABEL_CHARS, isolate, label_text
from pages._view import View


def header(title: str, explanation: str) -> None:
    st.title(title)
    st.caption(explanation)


def filter_note(view: View) -> None:
    """'Showing 120 of 9,877 papers (2 themes · search “moe”)' under each page title."""
    total = len(view.run.papers)
    if view.filters.active:
        st.markdown(f"Showing **{len(view.papers):,}** of {total:,} papers · filters: "
                    f"{markdown_literal(view.filters.describe())}")
    else:
        st.markdown(f"Showing all **{total:,}** papers of run *{markdown_literal(view.name)}*")


def empty_state(view: View) -> bool:
    """Explain an empty selection; True when there is nothing to show."""
    if len(view.papers):
        return False
    st.info("No papers match these filters. Remove a theme or topic, widen the date range or clear the "
            "search in the sidebar (or press “Reset filters”).", icon=":material/filter_alt_off:")
    return True


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~<>$:&=^\"'])")


def markdown_literal(text: str) -> str:
    """Paper or user text inside a Markdown string, shown literally (every punctuation mark escaped)."""
    return _MD_SPECIAL.sub(r"\\\1", str(text)).replace("\n", " ")


def paper_table(papers: pd.DataFrame, *, key: str | None = None, height: int | str = "auto",
                hide: tuple[str, ...] = ()) -> None:
    """Papers as a sortable table: title, date, topic, themes, arXiv link (no abstracts)."""
    table = query.paper_list(papers)
    st.dataframe(
        table.drop(columns=[c for c in hide if c in table.columns]),
        hide_index=True, width="stretch", height=height, key=key,
        column_config={
            "title": st.column_config.TextColumn("Title", width="large"),
            "date": st.column_config.TextColumn("Date"),
            "topic": st.column_config.TextColumn("Topic", width="medium"),
            "themes": st.column_config.TextColumn("Themes", width="medium"),
            "arxiv": st.column_config.LinkColumn("arXiv", display_text=r"https://arxiv\.org/abs/(.*)"),
            "paper_id": st.column_config.TextColumn("Paper id"),
            "added": st.column_config.TextColumn("Added", help="In the build, or the addition that brought it."),
            "novel": st.column_config.CheckboxColumn("Novel", help="Fits no topic well (it still has its nearest "
                                                                   "topic); many of them call for a refit."),
            "representativeness": st.column_config.ProgressColumn(
                "Representativeness", min_value=0.0, max_value=1.0, format="%.2f",
                help="Cosine similarity of the paper to its topic's centre (1 = typical of the topic)."),
        },
    )


def paper_cards(papers: pd.DataFrame, *, key: str, page_size: int = 10) -> None:
    """Papers one by one, abstract behind an expander, paged so a 500-paper topic stays fast."""
    n = len(papers)
    pages = max(1, (n + page_size - 1) // page_size)
    page = 1
    if pages > 1:
        page = int(st.columns([1, 3])[0].number_input(
            f"Page (of {pages:,}; {page_size} papers each)", min_value=1, max_value=pages, value=1, step=1,
            key=f"{key}_page"))
    part = papers.iloc[(page - 1) * page_size: page * page_size]
    for row in part.itertuples(index=False):
        title, date = str(row.title), str(row.date) or "undated"
        with st.expander(f"{markdown_literal(label_text(title))} — {date}"):
            themes = str(row.themes) or "no theme"
            st.text(f"{date} · topic: {label_text(row.topic_label)} · themes: {isolate(themes)}")
            if len(title) > LABEL_CHARS:
                st.text(title)  # the whole title, in the box, as the label had to cut it
            st.text(str(row.abstract))
            link = query.arxiv_url(row.paper_id, row.url)
            if link:
                st.link_button("Open on arXiv", link, icon=":material/open_in_new:")
