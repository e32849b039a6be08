"""Small text helpers of query synthesis: sentence and span splitting, word matching, and the key that decides
whether two texts are the same document."""

from __future__ import annotations

import re

__all__ = ["WORD_PATTERN", "split_sentences", "split_units", "text_key"]

WORD_PATTERN = re.compile(r"[^\W\d_]+")
"""A word: a run of letters (no digits, no underscores); punctuation and numbers are left out."""

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=\S)")


def text_key(text: str) -> str:
    """Return the form under which two texts count as the same document: case-folded, white space collapsed.

    Parameters
    ----------
    text : str
        Any text.

    Returns
    -------
    str

    Examples
    --------
    >>> text_key("  The Team   won.\\n") == text_key("the team won.")
    True
    """
    return " ".join(text.casefold().split())


def split_sentences(text: str) -> list[str]:
    """Split ``text`` after ``.``, ``!`` or ``?`` followed by white space.

    Parameters
    ----------
    text : str
        Any text.

    Returns
    -------
    list of str
        The sentences, stripped, none empty; an empty text gives an empty list.

    Examples
    --------
    >>> split_sentences("The team won. Fans cheered!  What a night")
    ['The team won.', 'Fans cheered!', 'What a night']
    """
    return [sentence.strip() for sentence in _SENTENCE_END.split(text.strip()) if sentence.strip()]


def split_units(text: str) -> list[str]:
    """Split ``text`` into the parts recombination exchanges: its sentences, or its words when it has only one.

    Parameters
    ----------
    text : str
        Any text.

    Returns
    -------
    list of str

    Examples
    --------
    >>> split_units("Stocks fell. Markets closed.")
    ['Stocks fell.', 'Markets closed.']
    >>> split_units("a dull , boring plot")
    ['a', 'dull', ',', 'boring', 'plot']
    """
    sentences = split_sentences(text)
    if len(sentences) >= 2:
        return sentences
    return text.split()
