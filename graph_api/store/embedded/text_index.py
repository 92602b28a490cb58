"""The embedded store's text index: which entities a search text may be found in.

`entities(search: ...)` finds the text, case-folded, anywhere in an entity's id,
its name as the caller sees it, or the properties (their JSON text) of a fact the
caller sees (``reads.search_rank``). Scanning every text for it took seconds at
a million entities. Here every text is a *segment* (an entity's id; a fact's
name; a fact's properties, with the fact's report key and visibility class),
cut into *words* (runs of ASCII letters, digits, ``_`` and non-ASCII bytes of
its case-folded UTF-8), and each distinct word lists the segments it occurs in.

A text without a separator lies inside one word of any segment it is found in,
so the segments of the distinct words containing it are exactly the segments
containing it. A text with separators holds whole words between them, and a
word that ends or starts it is the end or the start of a word (`patterns`): the
segments of the words showing them are a superset, checked against the text
itself. Words are found from their trigrams: each distinct word (a million at a
million entities, 15 MB, against 84 MB of texts) is listed under every trigram
of its bytes, and a word of the text is looked for among the words holding all
of its trigrams (a text word shorter than three bytes: in every distinct word).

Words are kept in *levels* (`_Level`: the distinct words, the trigram lists and
the segments of each word in one array); the words of recent writes in a
dictionary, made a level when it grows, and the levels merged into one when
there are many. Which segments the
caller may see, and whether a name is the one the caller sees, is decided by the
view's columns (`graph_api.store.embedded.entity_index.EntityView`).
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable

import numpy as np
import numpy.typing as npt

__all__ = ["ID", "NAME", "PROPERTIES", "TextIndex", "patterns", "words_of"]

I32 = npt.NDArray[np.int32]
I64 = npt.NDArray[np.int64]

ID, NAME, PROPERTIES = 0, 1, 2  # what a segment is
SEP = 0x20
WORD_BYTES = bytes(
    b if (48 <= b <= 57 or 65 <= b <= 90 or 97 <= b <= 122 or b == 95 or b >= 128) else SEP
    for b in range(256)
)
CHUNK = 100_000  # segments cut into words at once
SHORT = 3  # bytes of a word below which it has no trigram (every word is read for it)
CHECKED = 50_000  # words checked against a text at once
DELTA_AT_MOST = 50_000  # word occurrences kept in the dictionary before it is a level
LEVELS_AT_MOST = 24  # levels before they are merged into one


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


class _Level:
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
              ) -> _Level:
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


class TextIndex:
    """Segments and their words (see the module's docstring).

    Segments are only listed as they are added (what a store pays while it loads);
    they are cut into words when first searched, then as they come.

    Examples
    --------
    >>> index = TextIndex()
    >>> index.add(0, -1, -1, ID, "seller-1")
    >>> index.add(0, 7, 2, NAME, "Golden Dragon Trading")
    >>> index.add(1, 8, 3, PROPERTIES, '{"url": "https://m.example/l/0001"}')
    >>> index.flush()
    >>> sorted(index.candidates("dragon").tolist()), sorted(index.candidates("l/00").tolist())
    ([1], [2])
    >>> index.segment(1)
    (0, 7, 2, 1)

    Notes
    -----
    Cost: the first ``candidates`` cuts every segment into words and lists each
    distinct word under its trigrams (the bulk of the cost: C-level passes and
    numpy sorts); later ones read the trigram lists of the text's words, check the
    words found, then read their segments; ``add`` appends, ``flush`` cuts what was
    added since (once searched).
    """

    def __init__(self) -> None:
        self.node = array("i")
        self.seq = array("i")
        self.vclass = array("i")
        self.part = array("b")
        # ids and names case-folded (UTF-8), for ranking: where each segment's is in
        # ``heads`` (-1 for properties); a name's text once however often stated
        self.head_at = array("q")
        self.head_len = array("i")
        self.heads = np.zeros(1 << 16, dtype=np.uint8)
        self._head_end = 0
        self._names: dict[str, tuple[int, int]] = {}
        self._added: list[tuple[int, int, int, int, str]] = []  # not yet in the arrays
        self._pending: list[str] = []
        self._first_pending = 0
        self._searched = False  # cut into words only once someone searches
        # a bulk of segments being cut into one level: its words, and per chunk cut the
        # word and the segment of each occurrence
        self._vocabulary: dict[bytes, int] = {}
        self._cuts: list[tuple[I64, I32]] = []
        self._levels: list[_Level] = []
        self._delta: dict[bytes, list[int]] = {}
        self._delta_size = 0

    def __len__(self) -> int:
        return len(self.node) + len(self._added)

    def add(self, node: int, seq: int, vclass: int, part: int, text: str) -> None:
        """A segment: an entity's id (``seq`` and ``vclass`` -1), a fact's name or
        properties. Searchable after ``flush``."""
        self._added.append((node, seq, vclass, part, text))

    def _list_added(self) -> None:
        """The segments added since into the arrays, their texts pending."""
        added, self._added = self._added, []
        if added:
            nodes, seqs, classes, parts, texts = zip(*added, strict=True)
            self.node.extend(nodes)
            self.seq.extend(seqs)
            self.vclass.extend(classes)
            self.part.extend(parts)
            self._pending.extend(texts)

    def _heads_of(self, texts: list[str], first: int) -> None:
        """The case-folded ids and names of the segments ``first``... (``texts``)."""
        parts = self.part
        names = self._names
        folded: list[bytes] = []
        end = self._head_end
        at_of, length_of = [], []
        for i, text in enumerate(texts, first):
            part = parts[i]
            at, length = -1, -1
            if part != PROPERTIES:
                found = names.get(text) if part == NAME else None
                if found is None:
                    head = text.casefold().encode()
                    folded.append(head)
                    found = (end, len(head))
                    end += len(head)
                    if part == NAME:
                        names[text] = found
                at, length = found
            at_of.append(at)
            length_of.append(length)
        self.head_at.extend(at_of)
        self.head_len.extend(length_of)
        self._head(b"".join(folded))

    def _head(self, folded: bytes) -> tuple[int, int]:
        end = self._head_end + len(folded)
        if end > len(self.heads):
            grown = np.zeros(max(end, 2 * len(self.heads)), dtype=np.uint8)
            grown[: self._head_end] = self.heads[: self._head_end]
            self.heads = grown
        self.heads[self._head_end : end] = np.frombuffer(folded, dtype=np.uint8)
        at, self._head_end = self._head_end, end
        return at, len(folded)

    def head(self, i: int) -> bytes:
        """The case-folded id or name of segment ``i`` (UTF-8)."""
        at = self.head_at[i]
        return bytes(self.heads[at : at + self.head_len[i]])

    def ranks(self, segments: I32, text: str) -> npt.NDArray[np.int64]:
        """``reads.search_rank`` of id and name segments that hold ``text``: 0 where
        the id or name is the text, 1 where it starts with it, else 2."""
        needle = np.frombuffer(text.casefold().encode(), dtype=np.uint8)
        at = np.frombuffer(self.head_at, dtype=np.int64)[segments]
        length = np.frombuffer(self.head_len, dtype=np.int32)[segments]
        prefix = np.ones(len(segments), dtype=bool)
        for k in range(len(needle)):  # they hold it: as long as it, or longer
            prefix &= self.heads[at + k] == needle[k]
        out = np.full(len(segments), 2, dtype=np.int64)
        out[prefix] = 1
        out[prefix & (length == len(needle))] = 0
        return out

    def segment(self, i: int) -> tuple[int, int, int, int]:
        """(node, report key, class, part) of segment ``i``."""
        return self.node[i], self.seq[i], self.vclass[i], self.part[i]

    def flush(self) -> None:
        """Make the segments added since searchable (once someone searched: until then
        they wait, listed): a bulk of them one level of their own, a few into the
        dictionary of recent words."""
        self._list_added()
        if not self._searched or not self._pending:
            return
        pending, first = self._pending, self._first_pending
        self._pending, self._first_pending = [], first + len(pending)
        self._heads_of(pending, first)
        if len(pending) > DELTA_AT_MOST // 4:
            for at in range(0, len(pending), CHUNK):
                self._cut(pending[at : at + CHUNK], first + at)
            words = list(self._vocabulary)
            word_of = np.concatenate([w for w, _ in self._cuts])
            segment_of = np.concatenate([s for _, s in self._cuts])
            self._vocabulary, self._cuts = {}, []
            self._levels.append(_Level.build((words, word_of, segment_of)))
        else:
            delta = self._delta
            for i, text in enumerate(pending, first):
                for word in set(words_of(text)):
                    delta.setdefault(word, []).append(i)
                    self._delta_size += 1
            if self._delta_size > DELTA_AT_MOST:
                self._levels.append(_Level.build(delta))
                self._delta, self._delta_size = {}, 0
        if len(self._levels) > LEVELS_AT_MOST:
            self._merge()

    def _cut(self, texts: list[str], first: int) -> None:
        """Segments' words, in a few C-level passes, into the bulk's."""
        marker = b"\xff"  # a word of its own between segments: no UTF-8 text holds 0xFF
        joined = b" \xff ".join(t.casefold().encode() for t in texts)
        words = joined.translate(WORD_BYTES).split()
        vocabulary = self._vocabulary
        for word in dict.fromkeys(words):  # the new ones numbered, in a loop over them
            if word not in vocabulary:
                vocabulary[word] = len(vocabulary)
        word_of = np.fromiter(map(vocabulary.__getitem__, words), dtype=np.int64,
                              count=len(words))
        between = word_of == vocabulary.get(marker, -1)
        segment_of = (np.cumsum(between) + first).astype(np.int32)
        keep = ~between  # the marker stays a word listing no segment (no text holds it)
        self._cuts.append((word_of[keep], segment_of[keep]))

    def _merge(self) -> None:
        """Every level as one."""
        merged: dict[bytes, list[I32]] = {}
        for level in self._levels:
            for word, segments in level.words():
                merged.setdefault(word, []).append(segments)
        words = list(merged)
        parts = [np.concatenate(merged[w]) for w in words]
        counts = np.fromiter((len(p) for p in parts), dtype=np.int64, count=len(parts))
        ptr = np.concatenate(([0], np.cumsum(counts))).astype(np.int64)
        segments = np.concatenate(parts).astype(np.int32) if parts else np.zeros(0, np.int32)
        self._levels = [_Level(words, ptr, segments)]

    def prepare(self) -> None:
        """Cut every segment into words now, as the first search would (a server about to
        fork its workers does it once for all of them: graph_api.prefork)."""
        if not self._searched:
            self._searched = True
            self.flush()

    def candidates(self, text: str) -> I32:
        """Segments that may hold ``text`` (every one that does; exactly those when the
        text is one word: `exact`), each once, ascending."""
        self.prepare()
        runs = patterns(text)
        if not runs:
            return np.arange(len(self.node), dtype=np.int32)  # separators only: all
        # a segment holding the text shows every pattern: the segments of the pattern
        # listing the fewest (words shorter than SHORT only when there is nothing else:
        # every distinct word is read for them)
        usable = [p for p in runs if len(p.strip(b"\n")) >= SHORT] or runs[:1]
        best: tuple[int, list[tuple[_Level, I64]], bytes] | None = None
        for pattern in usable:
            words = [(level, level.words_showing(pattern)) for level in self._levels]
            listed = sum(level.listed(w) for level, w in words)
            if best is None or listed < best[0]:
                best = (listed, words, pattern)
        assert best is not None
        _, words, pattern = best
        return np.concatenate([level.segments_of(w) for level, w in words]
                              + [self._find_recent(pattern)])

    def _find_recent(self, pattern: bytes) -> I32:
        """The segments, not yet in a level, of the words where ``pattern`` (as for
        `_Level.find`) is found."""
        word = pattern.strip(b"\n")
        starts, ends = pattern.startswith(b"\n"), pattern.endswith(b"\n")

        def holds(w: bytes) -> bool:
            if starts and ends:
                return w == word
            if starts:
                return w.startswith(word)
            return w.endswith(word) if ends else word in w

        found = [np.array(v, dtype=np.int32) for w, v in self._delta.items() if holds(w)]
        pending = [i for i, t in enumerate(self._pending, self._first_pending)
                   if any(holds(w) for w in words_of(t))]
        found.append(np.array(pending, dtype=np.int32))
        return np.concatenate(found)

    @staticmethod
    def exact(text: str) -> bool:
        """Whether `candidates` of ``text`` all hold it (it is one word, nothing else)."""
        return patterns(text) == [text.casefold().encode()]

    def arrays(self) -> tuple[I32, I32, I32, npt.NDArray[np.int8]]:
        """node, report key, class and part of every segment, as arrays (shared)."""
        return (np.frombuffer(self.node, dtype=np.int32), np.frombuffer(self.seq, dtype=np.int32),
                np.frombuffer(self.vclass, dtype=np.int32),
                np.frombuffer(self.part, dtype=np.int8))
