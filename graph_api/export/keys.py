"""The export signing key: Ed25519, made at first use, kept in the database's folder.

``export-signing-key.pem`` (PKCS#8, mode 0600) holds the private key and
``export-signing-key.pub.pem`` (SubjectPublicKeyInfo) the public key that
``GET /export-key`` and ``graph-api export-key`` hand out (``graph_api.keyfiles``).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from graph_api.keyfiles import SIGNING_KEY_FILE, SIGNING_PUBLIC_FILE, private_folder

__all__ = [
    "PRIVATE_KEY_FILE",
    "PUBLIC_KEY_FILE",
    "key_fingerprint",
    "load_or_create_signing_key",
    "load_public_key",
    "load_signing_key",
    "public_key_pem",
]

PRIVATE_KEY_FILE = SIGNING_KEY_FILE
PUBLIC_KEY_FILE = SIGNING_PUBLIC_FILE


def public_key_pem(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def key_fingerprint(public_pem: bytes) -> str:
    """SHA-256 of the raw 32-byte public key, hex: how a recipient names the key.
    ValueError for anything but an Ed25519 public key PEM."""
    public = serialization.load_pem_public_key(public_pem)
    if not isinstance(public, Ed25519PublicKey):
        raise ValueError("not an Ed25519 public key")
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()


def load_signing_key(directory: Path) -> Ed25519PrivateKey:
    """The signing key in ``directory``, never making one: ValueError when there is none."""
    path = directory / PRIVATE_KEY_FILE
    if not path.is_file():
        raise ValueError(f"no export signing key in {directory}: it is made when the server "
                         "first starts (graph-api serve)")
    return _load(path)


def load_public_key(directory: Path) -> bytes:
    """The public key PEM of the signing key in ``directory``, never making one:
    ValueError when there is none (a verifier must not check against a new key)."""
    public_path, private_path = directory / PUBLIC_KEY_FILE, directory / PRIVATE_KEY_FILE
    if public_path.is_file():
        pem = public_path.read_bytes()
        key_fingerprint(pem)  # readable, Ed25519
        return pem
    if private_path.is_file():
        return public_key_pem(_load(private_path))
    raise ValueError(f"no export signing key in {directory}: it is made when the server "
                     "first starts (graph-api serve)")


def _load(path: Path) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} holds a key that is not Ed25519")
    return key


def load_or_create_signing_key(directory: Path) -> Ed25519PrivateKey:
    """The signing key in `directory`, made (mode 0600) when there is none yet."""
    private_folder(directory)
    path = directory / PRIVATE_KEY_FILE
    if path.exists():
        key = _load(path)
    else:
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        # Written whole under a private name, then linked into place: a reader never
        # sees a half-written key, and of two processes starting together one wins.
        tmp = directory / f".{PRIVATE_KEY_FILE}.{os.getpid()}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:
            key = _load(path)
        finally:
            tmp.unlink()
    public_path = directory / PUBLIC_KEY_FILE
    expected = public_key_pem(key)
    if not public_path.exists() or public_path.read_bytes() != expected:
        tmp = public_path.with_suffix(".tmp")
        tmp.write_bytes(expected)
        with contextlib.suppress(OSError):
            tmp.chmod(0o644)
        tmp.replace(public_path)
    return key
