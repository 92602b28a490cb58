"""The words of the text index's segments (`graph_api.store.embedded.text_index`) and
the levels that list them.

A segment is cut into *words* (`words_of`: runs of ASCII letters, digits, ``_`` and
non-ASCII bytes of its case-folded UTF-8), and each distinct word lists the segments
it occurs in.

A text without a separator lies inside one word of any segment it is found in,
so the segments of the distinct words containing it are exactly the segments
containing it. A text with separators holds whole words between them, and a
word that ends or starts it is the end or the start of a word (`patterns`): the
segments of the words showing them are a superset, checked against the text
itself. Words are found from their trigrams: each distinct word (a million at a
million entities, 15 MB, against 84 MB of texts) is listed under every trigram
of its bytes, and a word of the text is looked for among the words holding all
of its trigrams (a text word shorter than three bytes: in every distinct word).

A `Level` holds the distinct words, the trigram lists and the segments of each word
in one array.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import numpy.typing as npt

__all__ = ["I32", "I64", "SHORT", "WORD_BYTES", "Level", "patterns", "words_of"]


I32 = npt.NDArray[np.int32]
I64 = npt.NDArray[np.int64]

SEP = 0x20
WORD_BYTES = bytes(
    b if (48 <= b <= 57 or 65 <= b <= 90 or 97 <= b <= 122 or b == 95 or b >= 128) else SEP
    for b in range(256)
)
SHORT = 3  # bytes of a word below which it has no trigram (every word is read for it)
CHECKED = 50_000  # words checked against a text at once


def words_of(text: str) -> list[bytes]:
    """The words of a text as the index cuts them.

    >>> words_of("Foshan Long-Sheng Straße №1")
    [b'foshan', b'long', b'sheng', b'strasse', b'\\xe2\\x84\\x961']
    """
    return text.casefold().encode().translate(WORD_BYTES).split()


def patterns(text: str) -> list[bytes]:
    """What a segment's words must show for the segment to hold ``text``, most telling
    first: each word of the text, with ``\n`` where a word must start (after a
    separator in the text) or end (before one). The whole words first, then longer
    ones, the words of fewer than ``SHORT`` characters last.

    >>> patterns("seller-012345"), patterns("golden"), patterns(" Yiwu Xinyu")
    ([b'seller\\n', b'\\n012345'], [b'golden'], [b'\\nyiwu\\n', b'\\nxinyu'])
    """
    folded = text.casefold().encode().translate(WORD_BYTES)
    words = folded.split()
    out = []
    for i, word in enumerate(words):
        start = i > 0 or folded[:1] == b" "
        end = i < len(words) - 1 or folded[-1:] == b" "
        out.append((b"\n" if start else b"") + word + (b"\n" if end else b""))
    return sorted(out, key=lambda p: (len(p.strip(b"\n")) < SHORT,
                                      not (p[:1] == b"\n" and p[-1:] == b"\n"), -len(p)))


def _trigrams(word: bytes) -> list[int]:
    return sorted({word[i] << 16 | word[i + 1] << 8 | word[i + 2] for i in range(len(word) - 2)})


class Level:
    """Distinct words (one blob, ``\n`` around each), the segments of each word, and
    for each trigram of their bytes the words holding it."""

    def __init__(self, words: list[bytes], ptr: I64, segments: I32) -> None:
        self.ptr, self.segments = ptr, segments
        self.blob = b"\n" + b"".join(w + b"\n" for w in words)
        lengths = np.fromiter((len(w) + 1 for w in words), dtype=np.int64, count=len(words))
        self.at = np.concatenate(([0], np.cumsum(lengths))).astype(np.int64)  # their "\n"
        b = np.frombuffer(self.blob, dtype=np.uint8).astype(np.int32)
        codes = (b[:-2] << 16) | (b[1:-1] << 8) | b[2:]
        newline = b == 10
        at = np.flatnonzero(~(newline[:-2] | newline[1:-1] | newline[2:]))
        word = (np.searchsorted(self.at, at, side="right") - 1).astype(np.int32)
        code = codes[at]
        order = np.argsort(code, kind="stable")  # by trigram, each one's words ascending
        self.holders = word[order]  # a word twice where it holds a trigram twice
        code = code[order]
        firsts = np.flatnonzero(np.concatenate(([True], code[1:] != code[:-1]))) if len(
            code) else np.zeros(0, dtype=np.int64)
        self.trigrams = code[firsts]
        self.firsts = np.concatenate((firsts, [len(code)])).astype(np.int64)

    @classmethod
    def build(cls, occurrences: dict[bytes, list[int]] | tuple[list[bytes], I64, I32]
              ) -> Level:
        """From words and their segments: a dictionary, or (words, word index per
        occurrence, segment per occurrence)."""
        if isinstance(occurrences, dict):
            words = list(occurrences)
            counts = np.fromiter((len(v) for v in occurrences.values()), dtype=np.int64,
                                 count=len(words))
            segments = np.fromiter((s for v in occurrences.values() for s in v),
                                   dtype=np.int32, count=int(counts.sum()))
            ptr = np.concatenate(([0], np.cumsum(counts))).astype(np.int64)
            return cls(words, ptr, segments)
        words, word_of, segment_of = occurrences
        order = np.argsort(word_of.astype(np.int32), kind="stable")
        ptr = np.searchsorted(word_of[order], np.arange(len(words) + 1)).astype(np.int64)
        return cls(words, ptr, segment_of[order].astype(np.int32))

    def word(self, i: int) -> bytes:
        return self.blob[self.at[i] + 1 : self.at[i + 1]]

    def words(self) -> Iterable[tuple[bytes, I32]]:
        for i, word in enumerate(self.blob[1:-1].split(b"\n") if len(self.at) > 1 else ()):
            yield word, self.segments[self.ptr[i] : self.ptr[i + 1]]

    def _holding(self, word: bytes) -> I64:
        """Words holding every trigram of ``word`` (3 bytes or more), ascending."""
        lists = [np.arange(len(self.at) - 1, dtype=np.int32)] if len(word) < 3 else []
        for code in _trigrams(word):
            i = int(np.searchsorted(self.trigrams, code))
            if i == len(self.trigrams) or self.trigrams[i] != code:
                return np.zeros(0, dtype=np.int64)
            lists.append(self.holders[self.firsts[i] : self.firsts[i + 1]])
        lists.sort(key=len)
        found = lists[0]
        for more in lists[1:4]:  # the rarest trigrams narrow it; the words are checked
            if len(found) <= 64:
                break
            at = np.minimum(np.searchsorted(more, found), len(more) - 1)
            found = found[more[at] == found]
        return np.unique(found).astype(np.int64)

    def find(self, pattern: bytes) -> I32:
        """The segments of the words ``pattern`` is found in: a word's text, with
        ``\n`` before it where it must start the word, after it where it must end it."""
        return self.segments_of(self.words_showing(pattern))

    def listed(self, words: I64) -> int:
        """How many segments ``words`` list together."""
        return int((self.ptr[words + 1] - self.ptr[words]).sum())

    def words_showing(self, pattern: bytes) -> I64:
        """The words ``pattern`` (as for `find`) is found in."""
        word = pattern.strip(b"\n")
        if len(word) >= 3:
            held = self._holding(word)
            starts, ends = pattern[:1] == b"\n", pattern[-1:] == b"\n"
            shown = np.zeros(len(held), dtype=bool)
            for at in range(0, len(held), CHECKED):  # the words as fixed-width strings
                texts = self._texts(held[at : at + CHECKED])
                shown[at : at + CHECKED] = (
                    texts == word if starts and ends
                    else np.strings.startswith(texts, word) if starts
                    else np.strings.endswith(texts, word) if ends
                    else np.strings.find(texts, word) >= 0)
            hits = held[shown]
        else:  # too short for a trigram: every word is read
            lead = 1 if pattern.startswith(b"\n") else 0
            found = []
            pos = self.blob.find(pattern)
            while pos >= 0:
                found.append(pos + lead)
                pos = self.blob.find(b"\n", pos + lead)  # the end of this word, and
                pos = self.blob.find(pattern, pos)       # the start of the next one
            hits = np.searchsorted(self.at, np.array(found, dtype=np.int64) - 1,
                                   side="right") - 1
        return hits

    def _texts(self, words: I64) -> npt.NDArray[np.bytes_]:
        """The words as one array of fixed-width byte strings."""
        first = self.at[words] + 1
        length = self.at[words + 1] - first
        width = max(int(length.max(initial=0)), 1)
        blob = np.frombuffer(self.blob, dtype=np.uint8)
        at = np.minimum(first[:, None] + np.arange(width), len(blob) - 1)
        chars = np.where(np.arange(width) < length[:, None], blob[at], 0).astype(np.uint8)
        texts: npt.NDArray[np.bytes_] = np.ascontiguousarray(chars).view(f"S{width}").ravel()
        return texts

    def segments_of(self, words: I64) -> I32:
        """The segments of ``words``, one array (a segment once per word listing it)."""
        first, last = self.ptr[words], self.ptr[words + 1]
        lengths = last - first
        total = int(lengths.sum())
        shift = np.repeat(first - (np.cumsum(lengths) - lengths), lengths)
        out: I32 = self.segments[shift + np.arange(total, dtype=np.int64)]
        return out
