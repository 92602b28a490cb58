"""The embedded store's text index: which entities a search text may be found in.

`entities(search: ...)` finds the text, case-folded, anywhere in an entity's id,
its name as the caller sees it, or the properties (their JSON text) of a fact the
caller sees (``reads.search_rank``). Scanning every text for it took seconds at
a million entities. Here every text is a *segment* (an entity's id; a fact's
name; a fact's properties, with the fact's report key and visibility class),
cut into *words* (runs of ASCII letters, digits, ``_`` and non-ASCII bytes of
its case-folded UTF-8), and each distinct word lists the segments it occurs in.

Words are kept in *levels* (`graph_api.store.embedded.word_levels`, which also says
how words are cut and a text's words found from their trigrams); the words of recent
writes in a dictionary, made a level when it grows, and the levels merged into one
when there are many. Which segments the caller may see, and whether a name is the
one the caller sees, is decided by the view's columns
(`graph_api.store.embedded.entity_index.EntityView`).
"""

from __future__ import annotations

from array import array

import numpy as np
import numpy.typing as npt

from graph_api.store.embedded.word_levels import (
    I32,
    I64,
    SHORT,
    WORD_BYTES,
    Level,
    patterns,
    words_of,
)

__all__ = ["ID", "NAME", "PROPERTIES", "TextIndex"]


ID, NAME, PROPERTIES = 0, 1, 2  # what a segment is
CHUNK = 100_000  # segments cut into words at once
DELTA_AT_MOST = 50_000  # word occurrences kept in the dictionary before it is a level
LEVELS_AT_MOST = 24  # levels before they are merged into one


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
        self._levels: list[Level] = []
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
            self._levels.append(Level.build((words, word_of, segment_of)))
        else:
            delta = self._delta
            for i, text in enumerate(pending, first):
                for word in set(words_of(text)):
                    delta.setdefault(word, []).append(i)
                    self._delta_size += 1
            if self._delta_size > DELTA_AT_MOST:
                self._levels.append(Level.build(delta))
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
        self._levels = [Level(words, ptr, segments)]

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
        best: tuple[int, list[tuple[Level, I64]], bytes] | None = None
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
        `Level.find`) is found."""
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
