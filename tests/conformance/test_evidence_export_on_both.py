"""exportCase with evidence, on either store: the case's files and its test buys' (as the
exporter may read them) with their custody in evidence/custody.json and in STIX, the files
themselves with includeEvidence, and graph-api verify's checks over all of it."""

from __future__ import annotations

import hashlib
import json
import zipfile
from typing import Any

from stix2validator import ValidationOptions, validate_string

from graph_api.export.keys import load_or_create_signing_key, public_key_pem
from graph_api.export.verify import verify_package
from graph_api.services import Services
from graph_api.workflow import cases, testbuys
from graph_api.workflow.evidence import attach_evidence, evidence_folder, record_custody
from tests.conftest import add_orgs
from tests.support import gql
from tests.workflow.support import marketplace, role

EXPORT = """mutation($id: ID!, $e: Boolean!, $m: Marking) { exportCase(id: $id,
  recipient: "Det. Chen", includeEvidence: $e, maxMarking: $m) { id downloadUrl
  files { name sha256 bytes } } }"""


def _file(services: Services, scope: Any, target: str, data: bytes, name: str) -> str:
    staged = evidence_folder(services).stage(name, "image/jpeg", 10**9)
    staged.write(data)
    staged.finish()
    doc = attach_evidence(services, scope, target, staged, f"{name} of {target}")
    staged.discard()
    return str(doc["id"])


def test_a_case_package_carries_its_evidence_and_custody(services: Services) -> None:
    scopes = add_orgs(services)
    liaison = role(services, "police", "liaison")
    marketplace(services, scopes)
    load_or_create_signing_key(services.settings.secrets_dir)
    buy = testbuys.record_test_buy(services, scopes["acme"], "listing-1", "COUNTERFEIT",
                                   services.clock(), marking="AMBER")
    hidden = testbuys.record_test_buy(services, scopes["rival"], "listing-1", "COUNTERFEIT",
                                      services.clock(), marking="RED")
    case = cases.open_case(services, liaison, "Kicks", ["listing-1", "store-1"])
    photo, seized, secret = b"parcel photo" * 5000, b"seizure report" * 300, b"rival's own"
    on_buy = _file(services, scopes["acme"], buy["id"], photo, "parcel.jpg")
    record_custody(services, scopes["acme"], on_buy, "SAMPLE_RECEIVED", "J. Martin", "Lyon lab")
    record_custody(services, scopes["acme"], on_buy, "TRANSFERRED", "Det. Chen", "IPCU")
    on_case = _file(services, liaison, case["id"], seized, "seizure.pdf")
    record_custody(services, liaison, on_case, "STORED", "Evidence room", "IPCU, shelf 3")
    _file(services, scopes["rival"], hidden["id"], secret, "rival.jpg")  # not the police's

    answer = gql(services, liaison, EXPORT, {"id": case["id"], "e": True, "m": None})
    assert "errors" not in answer, answer
    package = answer["data"]["exportCase"]
    path = services.settings.secrets_dir / "exports" / f"{package['id']}.zip"
    key = public_key_pem(load_or_create_signing_key(services.settings.secrets_dir))
    assert verify_package(path, key) == []
    with zipfile.ZipFile(path) as archive:
        listing = json.loads(archive.read("evidence/custody.json"))["evidence"]
        custody = {e["id"]: e for e in listing}
        bundle = archive.read("bundle.stix.json").decode()
        names = set(archive.namelist())
        kept = {n: archive.read(n) for n in names if n.startswith("evidence/files/")}
    assert set(custody) == {on_buy, on_case}
    assert kept == {f"evidence/files/{hashlib.sha256(d).hexdigest()}": d for d in (photo, seized)}
    assert {f["name"] for f in package["files"]} == names
    assert custody[on_buy]["chain_verified"] and custody[on_case]["chain_verified"]
    assert [c["action"] for c in custody[on_buy]["custody"]] == ["SAMPLE_RECEIVED", "TRANSFERRED"]
    assert custody[on_buy]["marking"] == "AMBER" and custody[on_case]["marking"] == "AMBER_STRICT"
    assert "seq" not in json.dumps(custody)  # the ledger's numbers would tell its volume
    assert hashlib.sha256(secret).hexdigest() not in bundle + json.dumps(custody)
    results = validate_string(bundle, ValidationOptions(strict=True, enforce_refs=True))
    assert results.is_valid, [str(e) for e in results.errors or []]
    stix = json.loads(bundle)["objects"]
    assert {o["hashes"]["SHA-256"] for o in stix if o["type"] == "file"} == {
        hashlib.sha256(d).hexdigest() for d in (photo, seized)}

    # without includeEvidence: the hashes and custody, not the files
    plain = gql(services, liaison, EXPORT, {"id": case["id"], "e": False, "m": None})
    names = {f["name"] for f in plain["data"]["exportCase"]["files"]}
    assert "evidence/custody.json" in names
    assert not [n for n in names if n.startswith("evidence/files/")]
