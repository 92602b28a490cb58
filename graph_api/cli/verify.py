"""What a third party checks: ``export-key`` and ``verify`` (a case package's hashes
and signature), ``audit verify`` and ``audit head`` (the ledger's hash chain and its
signed checkpoints)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from graph_api.cli.common import _require_database, _services, _settings, _store


def cmd_export_key(args: argparse.Namespace) -> int:
    from graph_api.export.keys import key_fingerprint, load_public_key

    settings = _settings(args)
    _require_database(settings)
    pem = load_public_key(settings.secrets_dir)
    print(pem.decode(), end="")
    print(f"fingerprint {key_fingerprint(pem)}", file=sys.stderr)
    return 0


def _verifying_key(args: argparse.Namespace) -> tuple[bytes, str]:
    """The public key a package is checked against, and where it came from: named by the
    verifier (``--key``, ``--url``, ``--db`` or ``$GRAPH_API_DB``), never made up."""
    from graph_api.export.keys import key_fingerprint, load_public_key
    from graph_api.export.verify import fetch_public_key

    named = [flag for flag, value in (("--key", args.key), ("--url", args.url),
                                      ("--db", args.db)) if value]
    if len(named) > 1:
        raise ValueError(f"give one key to check against, not {' and '.join(named)}")
    if args.key:
        try:
            pem = Path(args.key).read_bytes()
            key_fingerprint(pem)
        except OSError as exc:
            raise ValueError(f"cannot read --key {args.key}: {exc.strerror}") from None
        except ValueError:
            raise ValueError(f"--key {args.key} is not an Ed25519 public key PEM") from None
        return pem, f"--key {args.key}"
    if args.url:
        return fetch_public_key(args.url), f"--url {args.url}"
    if args.db or os.environ.get("GRAPH_API_DB"):
        settings = _settings(args)
        _require_database(settings)
        return load_public_key(settings.secrets_dir), f"the signing key of {settings.db}"
    raise ValueError(
        "verify needs the public key the package was signed with: --key PEM (the "
        "exporter's, from `graph-api export-key` or GET /export-key), --db of the "
        "exporting server's database, or --url of its /export-key; nothing was checked")


def cmd_verify(args: argparse.Namespace) -> int:
    from graph_api.export.keys import key_fingerprint
    from graph_api.export.verify import verify_package

    pem, source = _verifying_key(args)
    print(f"checking against key {key_fingerprint(pem)} ({source})")
    problems = verify_package(Path(args.package), pem)
    for problem in problems:
        print(problem)
    if problems:
        print(f"FAILED: {len(problems)} problem(s) in {args.package}")
        return 1
    print(f"OK: every file hash and the signature of {args.package} hold")
    return 0


def cmd_audit_verify(args: argparse.Namespace) -> int:
    from graph_api.audit import verify_chain
    from graph_api.checkpoints import anchor_problems, fetch_checkpoint, load_checkpoints
    from graph_api.export.keys import load_public_key

    checkpoints = [c for path in args.checkpoint or [] for c in load_checkpoints(Path(path))]
    if args.url:
        token = args.token or os.environ.get("GRAPH_API_METRICS_TOKEN")
        checkpoints.append(fetch_checkpoint(args.url, token))
    store = _store(args)
    try:
        records = store.audit_records()
    finally:
        store.close()
    checked, broken = verify_chain(records)
    if broken is not None:
        print(f"audit chain BROKEN at record {broken} ({checked} records before it hold)")
        return 1
    if not checkpoints:
        print(f"audit chain intact: {checked} records")
        return 0
    problems = anchor_problems(records, checkpoints,
                               load_public_key(_settings(args).secrets_dir))
    for problem in problems:
        print(problem)
    if problems:
        print(f"audit chain CUT OR REWRITTEN: {len(problems)} of {len(checkpoints)} "
              f"checkpoint(s) do not hold ({checked} records)")
        return 1
    print(f"audit chain intact: {checked} records; {len(checkpoints)} checkpoint(s) hold")
    return 0


def cmd_audit_head(args: argparse.Namespace) -> int:
    """Sign a checkpoint of the ledger's head now and keep it in the server's file."""
    import orjson

    from graph_api.checkpoints import take_checkpoint
    from graph_api.export.keys import load_signing_key

    services = _services(args, with_graph=False)
    try:
        key = load_signing_key(services.settings.secrets_dir)
        checkpoint = take_checkpoint(services, key)
    finally:
        services.close()
    print(f"the ledger's head: record {checkpoint['seq']} ({checkpoint['at']}), signed by "
          f"key {checkpoint['key']}; keep this line where the ledger's writers cannot reach",
          file=sys.stderr)
    print(orjson.dumps(checkpoint).decode())
    return 0
