"""Evidence in the signed package: ``evidence/custody.json`` with every file's hashes and
custody, the files themselves when asked (streamed into the zip, listed in the manifest
with their SHA-256), ``graph-api verify``'s checks over them, and the STIX objects."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import zipfile
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from graph_api.export.common import export
from graph_api.export.keys import load_or_create_signing_key, public_key_pem
from graph_api.export.package import (
    CUSTODY_FILE,
    MANIFEST_FILE,
    build_package,
    zip_bytes,
)
from graph_api.export.stix import STIX_FILE, StixWriter
from graph_api.export.verify import verify_package
from graph_api.export.view import CaseView

ALL = ["STIX21", "GRAPHML", "I2_CSV", "FTM_JSONL"]


@pytest.fixture
def key(tmp_path: Path) -> Ed25519PrivateKey:
    return load_or_create_signing_key(tmp_path / "keys")


def with_files(view: CaseView, folder: Path) -> CaseView:
    """The view's evidence with files on disk whose bytes match their hashes."""
    folder.mkdir(parents=True, exist_ok=True)
    items = []
    for n, item in enumerate(view.evidence):
        data = f"file {n} of {item.id}".encode() * (1000 * (n + 1))
        path = folder / item.id
        path.write_bytes(data)
        items.append(dataclasses.replace(item, sha256=hashlib.sha256(data).hexdigest(),
                                         bytes=len(data), path=path))
    return dataclasses.replace(view, evidence=tuple(items))


def test_custody_is_listed_and_signed_without_the_files(
    view: CaseView, tmp_path: Path, key: Ed25519PrivateKey
) -> None:
    package = build_package(view, ["STIX21"], tmp_path / "out", key)
    assert verify_package(package.path, public_key_pem(key)) == []
    with zipfile.ZipFile(package.path) as archive:
        custody = json.loads(archive.read(CUSTODY_FILE))["evidence"]
        manifest = json.loads(archive.read(MANIFEST_FILE))
        names = archive.namelist()
    assert not [n for n in names if n.startswith("evidence/files/")]
    assert manifest["evidence"] == {"custody": CUSTODY_FILE, "files_included": False}
    assert manifest["counts"]["evidence"] == 2
    parcel = next(e for e in custody if e["id"] == "evd-parcel")
    assert parcel["sha256"] == "ef" * 32 and parcel["file"] is None
    assert parcel["chain_verified"] and "audit" not in parcel
    assert [(c["action"], c["org"]) for c in parcel["custody"]] == [
        ("SAMPLE_RECEIVED", "org-brand-a"), ("TRANSFERRED", "org-brand-a"),
        ("STORED", "org-police")]


def test_the_files_go_in_when_asked_and_verify_checks_them(
    view: CaseView, tmp_path: Path, key: Ed25519PrivateKey
) -> None:
    view = with_files(view, tmp_path / "evidence")
    package = build_package(view, ALL, tmp_path / "out", key, include_evidence=True)
    assert verify_package(package.path, public_key_pem(key)) == []
    with zipfile.ZipFile(package.path) as archive:
        manifest = json.loads(archive.read(MANIFEST_FILE))
        listed = {f["name"]: f for f in manifest["files"]}
        for item in view.evidence:
            name = f"evidence/files/{item.sha256}"
            assert listed[name] == {"name": name, "sha256": item.sha256, "bytes": item.bytes}
            assert archive.read(name) == item.path.read_bytes()  # type: ignore[union-attr]
            assert archive.getinfo(name).compress_type == zipfile.ZIP_STORED
        custody = json.loads(archive.read(CUSTODY_FILE))["evidence"]
    assert {e["file"] for e in custody} == {f"evidence/files/{e.sha256}" for e in view.evidence}
    assert manifest["evidence"]["files_included"] is True
    assert {n for n, _, _ in package.files} >= set(listed)
    again = build_package(view, ALL, tmp_path / "again", key, include_evidence=True)
    assert again.path.read_bytes() == package.path.read_bytes()  # deterministic

    # an evidence file changed inside the package: verify names it
    with zipfile.ZipFile(package.path) as archive:
        members = [(n, archive.read(n)) for n in archive.namelist()]
    target = f"evidence/files/{view.evidence[0].sha256}"
    tampered = [(n, d[:-1] + b"X" if n == target else d) for n, d in members]
    bad = tmp_path / "bad.zip"
    bad.write_bytes(zip_bytes(tampered))
    assert verify_package(bad, public_key_pem(key)) == [
        f"hash mismatch: {target} (its SHA-256 differs from the manifest)"]
    dropped = tmp_path / "dropped.zip"
    dropped.write_bytes(zip_bytes([(n, d) for n, d in members if n != target]))
    assert verify_package(dropped, public_key_pem(key)) == [f"missing file: {target}"]


def test_a_file_that_no_longer_matches_its_hash_is_not_exported(
    view: CaseView, tmp_path: Path, key: Ed25519PrivateKey
) -> None:
    view = with_files(view, tmp_path / "evidence")
    path = view.evidence[0].path
    assert path is not None
    path.write_bytes(b"swapped")
    with pytest.raises(ValueError, match="does not match its SHA-256"):
        build_package(view, ["STIX21"], tmp_path / "out", key, include_evidence=True)
    assert list((tmp_path / "out").glob("*")) == []  # no half package left


def test_stix_has_the_files_hashes_and_custody_notes(view: CaseView) -> None:
    bundle = json.loads(export(view, StixWriter)[STIX_FILE])
    objects = {o["id"]: o for o in bundle["objects"]}
    files = [o for o in objects.values() if o["type"] == "file"]
    assert sorted(f["hashes"]["SHA-256"] for f in files) == sorted(
        e.sha256 for e in view.evidence)
    observed = [o for o in objects.values() if o["type"] == "observed-data"
                and any(objects[r]["type"] == "file" for r in o["object_refs"])]
    assert len(observed) == 2
    notes = [o for o in objects.values() if o["type"] == "note"
             and any(r in {x["id"] for x in observed} for r in o["object_refs"])]
    assert sorted(n["abstract"] for n in notes) == ["SAMPLE_RECEIVED", "STORED", "TRANSFERRED"]
    related = [o for o in objects.values() if o["type"] == "relationship"
               and o["source_ref"] in {x["id"] for x in observed}]
    assert len(related) == 1  # the parcel photo to its test buy's observed-data
    assert objects[related[0]["target_ref"]]["type"] == "observed-data"
