"""The one loader of ``cypher/*.cypher``: a query per file, values only as $parameters.

A query marks where the visibility rule goes with ``/*visible:VAR*/``; the
loader puts ``cypher/_visible.cypher`` there with VAR for its ``x``, so the
rule is written once and every read that needs it says so.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

__all__ = ["CYPHER_DIR", "VISIBLE_MARK", "query", "schema_statements"]

CYPHER_DIR = Path(__file__).resolve().parent.parent.parent / "cypher"
VISIBLE_MARK = re.compile(r"/\*visible:([a-z]\w*)\*/")
_COMMENT = re.compile(r"^\s*//.*$", re.MULTILINE)


def _read(name: str) -> str:
    path = CYPHER_DIR / f"{name}.cypher"
    if not path.is_file():
        raise KeyError(f"no query cypher/{name}.cypher")
    return _COMMENT.sub("", path.read_text()).strip()


@functools.cache
def visible_fragment(var: str) -> str:
    """The visibility rule for the assertion bound to ``var``."""
    return re.sub(r"\bx\.", f"{var}.", _read("_visible"))


@functools.cache
def query(name: str) -> str:
    """The text of ``cypher/NAME.cypher`` with its visibility marks filled in."""
    return VISIBLE_MARK.sub(lambda m: visible_fragment(m.group(1)), _read(name))


def schema_statements() -> list[str]:
    return [s.strip() for s in _read("schema").split(";") if s.strip()]
