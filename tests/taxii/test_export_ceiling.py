"""exportCase(maxMarking): nothing above the ceiling leaves, nothing points at what was
cut, and the manifest records the ceiling; a case marked above it is refused."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

from stix2validator import ValidationOptions, validate_string

from graph_api.api.export_fields import package_for
from graph_api.export.stix_mapping import TLP2_MARKING_IDS, stix_id
from graph_api.model import EntityKind, Marking
from tests.support import gql
from tests.taxii.support import build, open_world, report

EXPORT = """mutation($id: ID!, $m: Marking) { exportCase(id: $id, recipient: "Court",
  maxMarking: $m) { id } }"""


def _package(services: Any, scope: Any, case_id: str, ceiling: str | None) -> dict[str, Any]:
    answer = gql(services, scope, EXPORT, {"id": case_id, "m": ceiling})
    assert "errors" not in answer, answer
    path = package_for(services, scope, answer["data"]["exportCase"]["id"])
    assert path is not None
    with zipfile.ZipFile(path) as archive:
        return {"manifest": json.loads(archive.read("manifest.json")),
                "bundle": json.loads(archive.read("bundle.stix.json")),
                "text": "".join(archive.read(n).decode("utf-8", "replace")
                                for n in archive.namelist() if n != "manifest.sig")}


def test_a_ceiling_cuts_what_is_above_it_and_every_reference_to_it(tmp_path: Path) -> None:
    services, scopes = open_world("memory", tmp_path)
    case_id = build(services, scopes)
    police = services.operator_scope(services.find_org("police"))
    report(services, police, "informant", "RED", [
        {"id": "wh-1", "kind": "WAREHOUSE", "name": "Informant's name for it"},
        {"id": "seller-7", "kind": "SELLER", "name": "The informant's target"},
    ], [("seller-7", "OPERATES", "wh-1")])
    liaison = scopes["police"]
    whole = _package(services, liaison, case_id, None)
    assert "Informant's name for it" in whole["text"]  # without a ceiling: the RED view
    assert whole["manifest"]["max_marking"] is None
    capped = _package(services, liaison, case_id, "AMBER")
    assert capped["manifest"]["max_marking"] == "AMBER"
    assert capped["manifest"]["highest_marking"] in ("CLEAR", "GREEN", "AMBER")
    text = capped["text"]
    assert "Informant's name for it" not in text and "The informant's target" not in text
    assert "seller-7" not in text and stix_id(EntityKind.SELLER, "seller-7") not in text
    assert TLP2_MARKING_IDS[Marking.RED] not in text
    objects = capped["bundle"]["objects"]
    ids = {o["id"] for o in objects}
    for obj in objects:
        refs = [v for k, v in obj.items() if k.endswith("_ref")]
        refs += [r for k, v in obj.items() if k.endswith("_refs") for r in v]
        assert set(refs) <= ids, obj["id"]
    warehouse = next(o for o in objects if o["id"] == stix_id(EntityKind.WAREHOUSE, "wh-1"))
    assert warehouse["name"] == "Putian 3"
    results = validate_string(json.dumps(capped["bundle"]),
                              ValidationOptions(strict=True, enforce_refs=True))
    assert results.is_valid, [str(e) for e in results.errors]
    refused = gql(services, liaison, EXPORT, {"id": case_id, "m": "GREEN"})
    assert refused["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "maxMarking" in refused["errors"][0]["message"]
    services.close()
