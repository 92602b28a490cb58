"""Check a case package: every file against the manifest, the manifest against its signature.

The signature is checked against a public key the verifier names (a PEM file, the
exporting server's database, or the server's ``/export-key``): never one made up
on the spot. ``manifest.json`` names the fingerprint of the key that signed it, so
a package checked against another key is reported as such, not as tampered with.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from graph_api.export.keys import key_fingerprint
from graph_api.export.package import MANIFEST_FILE, SIGNATURE_FILE

__all__ = ["fetch_public_key", "verify_package"]

KEY_PATH = "/export-key"
BLOCK = 1 << 20


def fetch_public_key(url: str, timeout: float = 10.0) -> bytes:
    """The public key PEM that a server publishes at ``url`` (its ``/export-key``, or
    the server's address, to which ``/export-key`` is added). ValueError when it cannot
    be had or is no Ed25519 public key."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"--url {url!r}: give the server's http(s) address or its /export-key")
    if parts.path in ("", "/"):
        url = urlunsplit(parts._replace(path=KEY_PATH))
    try:
        answer = httpx.get(url, timeout=timeout, follow_redirects=False)
    except httpx.HTTPError as exc:
        raise ValueError(f"cannot fetch the key from {url}: {exc}") from None
    if answer.status_code != 200:
        raise ValueError(f"cannot fetch the key from {url}: HTTP {answer.status_code}")
    try:
        key_fingerprint(answer.content)
    except ValueError:
        raise ValueError(f"{url} did not answer an Ed25519 public key PEM") from None
    return answer.content


def _signature_problems(manifest: bytes, signature: bytes, public_key_pem: bytes) -> list[str]:
    try:
        key = serialization.load_pem_public_key(public_key_pem)
    except ValueError:
        return ["unreadable public key: not a PEM public key"]
    if not isinstance(key, Ed25519PublicKey):
        return ["unreadable public key: not an Ed25519 key"]
    problems = []
    named = _named_key(manifest)
    if named is not None and named != key_fingerprint(public_key_pem):
        problems.append(f"another key: {MANIFEST_FILE} names signing key {named}, not the key "
                        "given (ask the exporter for its key: graph-api export-key)")
    try:
        key.verify(signature, manifest)
    except InvalidSignature:
        problems.append(
            f"bad signature: {SIGNATURE_FILE} does not verify {MANIFEST_FILE} with this key")
    return problems


def _named_key(manifest: bytes) -> str | None:
    """The fingerprint of the signing key that the manifest names, if it names one."""
    try:
        named = json.loads(manifest.decode("utf-8"))["signature"]["public_key_sha256"]
    except (UnicodeDecodeError, ValueError, KeyError, TypeError):
        return None
    return named if isinstance(named, str) else None


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


def _digest(archive: zipfile.ZipFile, name: str) -> tuple[str, int]:
    """A member's SHA-256 and size, read in blocks (an evidence file may be large)."""
    digest, size = hashlib.sha256(), 0
    with archive.open(name) as member:
        while block := member.read(BLOCK):
            digest.update(block)
            size += len(block)
    return digest.hexdigest(), size


def verify_package(path: Path, public_key_pem: bytes) -> list[str]:
    """Every problem found in the package, in plain words; an empty list means valid.

    The signature is checked over the exact bytes of manifest.json, then every file
    the manifest lists is hashed (evidence files included: in blocks, never whole),
    and every member it does not list is reported.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            manifest = archive.read(MANIFEST_FILE) if MANIFEST_FILE in names else None
            signature = archive.read(SIGNATURE_FILE) if SIGNATURE_FILE in names else None
            problems = _check(archive, names, manifest, signature, public_key_pem)
    except (OSError, zipfile.BadZipFile, zipfile.LargeZipFile, EOFError) as error:
        return [f"unreadable zip: {path.name} ({error.__class__.__name__}: {error})"]
    except RuntimeError as error:  # encrypted members, bad CRC are reported this way
        return [f"unreadable zip: {path.name} ({error})"]
    return problems


def _check(archive: zipfile.ZipFile, names: list[str], manifest: bytes | None,
           signature: bytes | None, public_key_pem: bytes) -> list[str]:
    problems: list[str] = []
    duplicates = sorted({n for n in names if names.count(n) > 1})
    problems += [f"duplicate file in zip: {name}" for name in duplicates]
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
    present = set(names)
    for entry in entries:
        name = entry["name"]
        listed.add(name)
        if name not in present:
            problems.append(f"missing file: {name}")
            continue
        sha256, size = _digest(archive, name)
        if sha256 != entry["sha256"]:
            problems.append(f"hash mismatch: {name} (its SHA-256 differs from the manifest)")
        elif size != entry["bytes"]:
            problems.append(f"size mismatch: {name} ({size} bytes, manifest says {entry['bytes']})")
    problems += [f"extra file not in manifest: {n}" for n in sorted(present - listed)]
    return problems
