"""Check a case package: every file against the manifest, the manifest against its signature."""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from graph_api.export.package import MANIFEST_FILE, SIGNATURE_FILE

__all__ = ["verify_package"]


def _signature_problems(manifest: bytes, signature: bytes, public_key_pem: bytes) -> list[str]:
    try:
        key = serialization.load_pem_public_key(public_key_pem)
    except ValueError:
        return ["unreadable public key: not a PEM public key"]
    if not isinstance(key, Ed25519PublicKey):
        return ["unreadable public key: not an Ed25519 key"]
    try:
        key.verify(signature, manifest)
    except InvalidSignature:
        return [f"bad signature: {SIGNATURE_FILE} does not verify {MANIFEST_FILE} with this key"]
    return []


def _listed(manifest: bytes) -> tuple[list[dict[str, Any]], list[str]]:
    try:
        document = json.loads(manifest.decode("utf-8"))
        files = document["files"]
        entries = [
            {"name": str(f["name"]), "sha256": str(f["sha256"]), "bytes": int(f["bytes"])}
            for f in files
        ]
    except (UnicodeDecodeError, ValueError, KeyError, TypeError):
        return [], [f"{MANIFEST_FILE} is not a readable manifest (bad JSON or no file list)"]
    return entries, []


def verify_package(path: Path, public_key_pem: bytes) -> list[str]:
    """Every problem found in the package, in plain words; an empty list means valid.

    The signature is checked over the exact bytes of manifest.json, then every file
    the manifest lists is hashed, and every member it does not list is reported.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            contents = {name: archive.read(name) for name in names}
    except (OSError, zipfile.BadZipFile, zipfile.LargeZipFile, EOFError) as error:
        return [f"unreadable zip: {path.name} ({error.__class__.__name__}: {error})"]
    except RuntimeError as error:  # encrypted members, bad CRC are reported this way
        return [f"unreadable zip: {path.name} ({error})"]
    problems: list[str] = []
    duplicates = sorted({n for n in names if names.count(n) > 1})
    problems += [f"duplicate file in zip: {name}" for name in duplicates]
    manifest = contents.get(MANIFEST_FILE)
    signature = contents.get(SIGNATURE_FILE)
    if manifest is None:
        problems.append(f"missing file: {MANIFEST_FILE}")
    if signature is None:
        problems.append(f"missing file: {SIGNATURE_FILE}")
    if manifest is None:
        return problems
    if signature is not None:
        problems += _signature_problems(manifest, signature, public_key_pem)
    entries, manifest_problems = _listed(manifest)
    if manifest_problems:  # nothing to compare the files with
        return problems + manifest_problems
    listed = {MANIFEST_FILE, SIGNATURE_FILE}
    for entry in entries:
        name = entry["name"]
        listed.add(name)
        data = contents.get(name)
        if data is None:
            problems.append(f"missing file: {name}")
        elif hashlib.sha256(data).hexdigest() != entry["sha256"]:
            problems.append(f"hash mismatch: {name} (its SHA-256 differs from the manifest)")
        elif len(data) != entry["bytes"]:
            problems.append(
                f"size mismatch: {name} ({len(data)} bytes, manifest says {entry['bytes']})"
            )
    problems += [f"extra file not in manifest: {n}" for n in sorted(set(names) - listed)]
    return problems
