"""Signed packages: build, verify, and every tampering named for what it touched."""

from __future__ import annotations

import json
import stat
import zipfile
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from graph_api.export.keys import (
    PRIVATE_KEY_FILE,
    PUBLIC_KEY_FILE,
    key_fingerprint,
    load_or_create_signing_key,
    public_key_pem,
)
from graph_api.export.package import (
    FORMATS,
    MANIFEST_FILE,
    SIGNATURE_FILE,
    PackageInfo,
    build_package,
    zip_bytes,
)
from graph_api.export.verify import verify_package
from graph_api.export.view import CaseView, counts, highest_marking
from graph_api.model import Marking

ALL = ["STIX21", "GRAPHML", "I2_CSV", "FTM_JSONL"]


@pytest.fixture
def key(tmp_path: Path) -> Ed25519PrivateKey:
    return load_or_create_signing_key(tmp_path / "keys")


@pytest.fixture
def package(view: CaseView, tmp_path: Path, key: Ed25519PrivateKey) -> PackageInfo:
    return build_package(view, ALL, tmp_path / "out", key)


def _members(path: Path) -> list[tuple[str, bytes]]:
    with zipfile.ZipFile(path) as archive:
        return [(n, archive.read(n)) for n in archive.namelist()]


def _rewrite(path: Path, members: list[tuple[str, bytes]]) -> None:
    path.write_bytes(zip_bytes(members))


def _flip(data: bytes, at: int) -> bytes:
    return data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1 :]


def test_key_is_made_once_with_mode_0600(tmp_path: Path) -> None:
    first = load_or_create_signing_key(tmp_path)
    mode = stat.S_IMODE((tmp_path / PRIVATE_KEY_FILE).stat().st_mode)
    assert mode == 0o600
    assert (tmp_path / PUBLIC_KEY_FILE).read_bytes() == public_key_pem(first)
    again = load_or_create_signing_key(tmp_path)
    assert public_key_pem(again) == public_key_pem(first)


def test_package_verifies_and_its_manifest_describes_it(
    view: CaseView, package: PackageInfo, key: Ed25519PrivateKey
) -> None:
    assert verify_package(package.path, public_key_pem(key)) == []
    members = dict(_members(package.path))
    manifest = json.loads(members[MANIFEST_FILE])
    assert len(members[SIGNATURE_FILE]) == 64
    assert manifest["case"]["id"] == view.case_id
    assert manifest["case"]["title"] == view.title
    assert manifest["exporter"] == {
        "org": {"id": "org-police", "name": "Fujian EconCrime", "type": "REGULATOR"},
        "principal": view.exporter_principal,
    }
    assert manifest["recipient"] == view.recipient
    assert manifest["created_at"] == "2026-03-21T09:30:00.000Z"
    assert manifest["highest_marking"] == highest_marking(view).value == Marking.RED.value
    assert manifest["counts"] == counts(view)
    assert manifest["formats"] == ALL
    listed = {f["name"] for f in manifest["files"]}
    assert listed == set(members) - {MANIFEST_FILE, SIGNATURE_FILE}
    assert listed == {
        "bundle.stix.json", "network.graphml", "i2/entities.csv", "i2/links.csv",
        "i2/assertions.csv", "entities.ftm.json", "evidence/custody.json",
    }  # fmt: skip
    assert {name for name, _, _ in package.files} == set(members)
    assert package.path.name == f"{package.id}.zip"


def test_package_is_deterministic(
    view: CaseView, tmp_path: Path, key: Ed25519PrivateKey, package: PackageInfo
) -> None:
    again = build_package(view, ALL, tmp_path / "again", key)
    assert again.path.read_bytes() == package.path.read_bytes()
    assert again.manifest_sha256 == package.manifest_sha256


def test_one_format_alone(view: CaseView, tmp_path: Path, key: Ed25519PrivateKey) -> None:
    info = build_package(view, ["GRAPHML"], tmp_path, key)
    assert {n for n, _, _ in info.files} == {"network.graphml", "evidence/custody.json",
                                             MANIFEST_FILE, SIGNATURE_FILE}
    assert verify_package(info.path, public_key_pem(key)) == []
    with pytest.raises(ValueError, match="unknown export format"):
        build_package(view, ["PDF"], tmp_path, key)
    assert set(FORMATS) == set(ALL)


@pytest.mark.parametrize(
    "name",
    ["bundle.stix.json", "network.graphml", "i2/entities.csv", "i2/links.csv",
     "i2/assertions.csv", "entities.ftm.json"],
)  # fmt: skip
def test_a_flipped_byte_in_a_file_is_reported_for_that_file(
    package: PackageInfo, key: Ed25519PrivateKey, name: str
) -> None:
    members = _members(package.path)
    _rewrite(package.path, [(n, _flip(d, len(d) // 2) if n == name else d) for n, d in members])
    problems = verify_package(package.path, public_key_pem(key))
    assert len(problems) == 1
    assert problems[0].startswith("hash mismatch") and name in problems[0]


def test_a_flipped_byte_in_the_manifest_breaks_the_signature(
    package: PackageInfo, key: Ed25519PrivateKey
) -> None:
    members = _members(package.path)
    manifest = dict(members)[MANIFEST_FILE]
    at = manifest.index(b"Inspector Lin")  # still valid JSON: only the signature can tell
    _rewrite(package.path, [(n, _flip(d, at) if n == MANIFEST_FILE else d) for n, d in members])
    problems = verify_package(package.path, public_key_pem(key))
    assert len(problems) == 1
    assert problems[0].startswith("bad signature") and MANIFEST_FILE in problems[0]


def test_a_manifest_broken_beyond_reading_is_named(
    package: PackageInfo, key: Ed25519PrivateKey
) -> None:
    members = _members(package.path)
    _rewrite(package.path, [(n, _flip(d, 0) if n == MANIFEST_FILE else d) for n, d in members])
    problems = verify_package(package.path, public_key_pem(key))
    assert problems and all(MANIFEST_FILE in p for p in problems)


def test_a_flipped_byte_in_the_signature_is_a_bad_signature(
    package: PackageInfo, key: Ed25519PrivateKey
) -> None:
    members = _members(package.path)
    _rewrite(package.path, [(n, _flip(d, 10) if n == SIGNATURE_FILE else d) for n, d in members])
    problems = verify_package(package.path, public_key_pem(key))
    assert len(problems) == 1 and problems[0].startswith("bad signature")


def test_wrong_key_is_a_bad_signature(package: PackageInfo, key: Ed25519PrivateKey) -> None:
    """... and named as another key than the manifest's, not as a tampered package."""
    other = public_key_pem(Ed25519PrivateKey.generate())
    problems = verify_package(package.path, other)
    assert len(problems) == 2 and problems[1].startswith("bad signature")
    assert problems[0].startswith("another key: manifest.json names signing key "
                                  f"{key_fingerprint(public_key_pem(key))}")


def test_missing_and_extra_files_are_named(package: PackageInfo, key: Ed25519PrivateKey) -> None:
    members = [(n, d) for n, d in _members(package.path) if n != "i2/links.csv"]
    _rewrite(package.path, [*members, ("notes.txt", b"planted")])
    problems = verify_package(package.path, public_key_pem(key))
    assert sorted(problems) == [
        "extra file not in manifest: notes.txt",
        "missing file: i2/links.csv",
    ]


def test_missing_signature_and_manifest(package: PackageInfo, key: Ed25519PrivateKey) -> None:
    members = _members(package.path)
    _rewrite(package.path, [(n, d) for n, d in members if n != SIGNATURE_FILE])
    assert verify_package(package.path, public_key_pem(key)) == ["missing file: manifest.sig"]
    _rewrite(package.path, [(n, d) for n, d in members if n != MANIFEST_FILE])
    assert verify_package(package.path, public_key_pem(key)) == ["missing file: manifest.json"]


def test_unreadable_zip(tmp_path: Path, key: Ed25519PrivateKey) -> None:
    path = tmp_path / "junk.zip"
    path.write_bytes(b"not a zip at all")
    problems = verify_package(path, public_key_pem(key))
    assert len(problems) == 1 and problems[0].startswith("unreadable zip")
    assert verify_package(tmp_path / "absent.zip", public_key_pem(key))[0].startswith(
        "unreadable zip"
    )
