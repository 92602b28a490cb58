"""The one loader of ``cypher/*.cypher``: a query per file, values only as $parameters.

A query marks where the visibility rule goes with ``/*visible:VAR*/``; the
loader puts ``cypher/_visible.cypher`` there with VAR for its ``x``, so the
rule is written once and every read that needs it says so.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

__all__ = ["AUDIT_COLUMN", "CYPHER_DIR", "VISIBLE_MARK", "carrying_audit", "query",
           "schema_statements"]

# graph_api/cypher is the repository's cypher/ folder (a link in the source tree, the
# files themselves in a built wheel: package data), so an installed package has them.
CYPHER_DIR = Path(__file__).resolve().parents[2] / "cypher"
VISIBLE_MARK = re.compile(r"/\*visible:([a-z]\w*)\*/")
_COMMENT = re.compile(r"^\s*//.*$", re.MULTILINE)
_UNION = "\nUNION ALL\n"
_ALIAS = re.compile(r"\bAS\s+(\w+)\s*(?:,|$)")
AUDIT_COLUMN = "audit_seq"  # what append_audit returns: the record's seq


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


def _returned(branch: str, name: str) -> list[str]:
    """The columns a query's branch returns, in order; its RETURN must end it."""
    clause = branch.rpartition("RETURN ")[2]
    if re.search(r"\b(ORDER BY|SKIP|LIMIT)\b", clause):
        raise ValueError(f"cypher/{name}.cypher: a branch ends after its RETURN")
    return _ALIAS.findall(clause)


@functools.cache
def carrying_audit(name: str) -> str:
    """``query(name)`` that also appends an operation's audit record: each branch
    returns one more column (``AUDIT_COLUMN``, null) and ``append_audit`` follows as one
    more ``UNION ALL`` branch, null in the read's columns. One round trip for a query's
    first read and its record (`Neo4jStore` on a single server). ``name`` must be
    branches joined by ``UNION ALL``, each ending in a RETURN of the same columns."""
    branches = query(name).split(_UNION)
    columns = _returned(branches[0], name)
    if not columns or any(_returned(b, name) != columns for b in branches):
        raise ValueError(f"cypher/{name}.cypher: branches must return the same columns")
    body, _, returned = query("append_audit").rpartition("RETURN ")
    nulls = ", ".join(f"null AS {c}" for c in columns)
    return _UNION.join([*(f"{b}, null AS {AUDIT_COLUMN}" for b in branches),
                        f"{body}RETURN {nulls}, {returned}"])
