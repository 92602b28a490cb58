"""cypher/ tested as data: every file is used, its $parameters are passed, and every
read of assertions goes through the one visibility fragment."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from graph_api.store.neo4j.audit import CARRIERS
from graph_api.store.neo4j.cypher import (
    AUDIT_COLUMN,
    CYPHER_DIR,
    VISIBLE_MARK,
    carrying_audit,
    query,
)

STORE = Path(__file__).resolve().parent.parent / "graph_api" / "store" / "neo4j"
CODE = "\n".join(p.read_text() for p in sorted(STORE.glob("*.py")))
FILES = sorted(p.stem for p in CYPHER_DIR.glob("*.cypher") if not p.stem.startswith("_"))
# Reads that are not of assertions: orgs, principals, counters, the audit ledger, and
# provenance looked up by keys taken from facts the caller already sees, and the
# workflow records (their own access rules apply above the store).
NOT_ASSERTION_READS = {"count_org_clashes", "list_orgs", "find_principal",
                       "read_records", "list_records", "list_records_desc",
                       "find_records_by_term", "find_records_by_term_desc", "count_records",
                       "count_records_by_term", "read_record_versions", "read_kind_history",
                       "read_record_history", "count_record_versions",
                       "find_principal_by_token",
                       "read_counter", "find_reports", "read_envelopes",
                       "list_audit", "list_org_audit", "read_audit_heads", "find_meta",
                       "read_audit_head", "list_principals", "read_last_acted"}
# Parameters every call passes through a shared dict (see Neo4jStore._who).
SPREAD = {"org", "org_type", "markings", "as_of"}
PARAM = re.compile(r"\$([a-z_]\w*)")


def call_sites(name: str) -> list[str]:
    """The argument text of every ``query("name")`` / ``_read("name", ...)`` call."""
    sites = re.findall(r'(?:query|_read)\("%s"\)?(.*)' % re.escape(name), CODE)
    return sites


@pytest.mark.parametrize("name", FILES)
def test_every_query_file_is_used_by_the_store(name: str) -> None:
    if name == "schema":
        assert "schema_statements()" in CODE
        return
    assert call_sites(name), f"cypher/{name}.cypher is used nowhere"


@pytest.mark.parametrize("name", [f for f in FILES if f != "schema"])
def test_parameters_match_the_calls(name: str) -> None:
    text = query(name)
    wanted = set(PARAM.findall(text))
    at = re.search(r'(?:query|_read)\("%s"' % re.escape(name), CODE)
    assert at is not None, f"cypher/{name}.cypher is called nowhere"
    block = CODE[at.start():]
    call = block[: block.index(")\n") + 1] if ")\n" in block else block
    for param in wanted - SPREAD:
        assert re.search(rf"\b{param}=", call), f"{name}: ${param} is not passed at its call"


@pytest.mark.parametrize("name", [f for f in FILES if f.startswith(("read_", "list_", "find_",
                                                                      "count_"))])
def test_reads_of_assertions_filter_by_visibility(name: str) -> None:
    raw = (CYPHER_DIR / f"{name}.cypher").read_text()
    if name in NOT_ASSERTION_READS:
        assert not VISIBLE_MARK.search(raw)
        return
    assert VISIBLE_MARK.search(raw), f"{name} reads assertions without the visibility fragment"
    assert "$org" in query(name) and "$org_type" in query(name)


def test_no_cypher_is_built_from_strings_in_code() -> None:
    assert not re.search(r'\.run\(f"|execute_query\(f"', CODE)
    assert "MATCH" not in re.sub(r'""".*?"""', "", CODE, flags=re.S)


@pytest.mark.parametrize("name", sorted(CARRIERS))
def test_a_read_that_carries_a_record_appends_it_as_one_more_branch(name: str) -> None:
    text = carrying_audit(name)
    branches = text.split("\nUNION ALL\n")
    assert branches[:-1] == [f"{b}, null AS {AUDIT_COLUMN}"
                             for b in query(name).split("\nUNION ALL\n")]
    assert branches[-1].startswith(query("append_audit").rpartition("RETURN ")[0])
    assert branches[-1].endswith(f"a.seq AS {AUDIT_COLUMN}")


def test_only_reads_of_like_branches_carry_a_record() -> None:
    with pytest.raises(ValueError, match="ends after its RETURN"):
        carrying_audit("list_audit")  # ORDER BY ... LIMIT after its RETURN
    with pytest.raises(ValueError, match="same columns"):
        carrying_audit("create_audit")  # returns nothing
