"""Commands that only read or verify make nothing (issue 22, item 1).

A mistyped ``--db`` is refused with a clear error by every command but ``serve``,
``org add``/``org load``, ``import`` and ``restore``, and nothing is made: no
database, no folder, no key. ``verify`` checks a package only against a key the
verifier names (``--key``, ``--db``, ``--url``), says which, and without one
answers no verdict.
"""

from __future__ import annotations

import http.server
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from graph_api.cli import main
from graph_api.config import Settings
from graph_api.export.keys import key_fingerprint, load_or_create_signing_key, public_key_pem
from graph_api.export.package import build_package
from graph_api.store import open_backend
from tests.conftest import NEO4J_URI, MakeServices
from tests.export.case import build_view

Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Iterator[Run]:
    """``run(*argv)``: (exit status, stdout, stderr) of ``graph-api argv`` in process."""
    monkeypatch.delenv("GRAPH_API_DB", raising=False)
    monkeypatch.delenv("GRAPH_API_STORE", raising=False)

    def call(*argv: str) -> tuple[int, str, str]:
        status = main(list(argv))
        out, err = capsys.readouterr()
        return status, out, err

    yield call


def everything_under(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


MISSING_DB_COMMANDS = [
    ["token", "issue", "--org", "acme", "--role", "admin"],
    ["token", "revoke", "p-0123"],
    ["org", "list"],
    ["sweep"],
    ["export-key"],
    ["audit", "verify"],
    ["backup", "{tmp}/backup"],
    ["verify", "{tmp}/case.zip"],
]


@pytest.mark.parametrize("argv", MISSING_DB_COMMANDS, ids=lambda a: " ".join(a[:2]))
def test_a_missing_database_is_refused_and_nothing_is_made(
    run: Run, tmp_path: Path, argv: list[str]
) -> None:
    (tmp_path / "case.zip").write_bytes(b"not read")
    before = everything_under(tmp_path)
    missing = tmp_path / "typo" / "grpah.db"
    args = [a.format(tmp=tmp_path) for a in argv]
    status, out, err = run(*args, "--db", str(missing))
    assert status == 2
    assert f"no database at {missing}" in err
    assert "OK" not in out and "FAILED" not in out and "intact" not in out
    assert everything_under(tmp_path) == before  # no database, no folder, no key


def test_a_file_that_is_not_a_database_is_refused_untouched(run: Run, tmp_path: Path) -> None:
    other = tmp_path / "notes.db"
    other.write_bytes(b"SQLite format 3\x00" + bytes(84) + b"not really")
    data = other.read_bytes()
    status, _, err = run("audit", "verify", "--db", str(other))
    assert status == 2 and "not a graph_api database" in err
    assert other.read_bytes() == data


def test_the_commands_that_make_a_database_still_do(run: Run, tmp_path: Path) -> None:
    db = tmp_path / "new" / "graph.db"
    assert run("org", "add", "Acme", "--type", "BRAND", "--db", str(db))[0] == 0
    status, out, _ = run("audit", "verify", "--db", str(db))
    assert status == 0 and out.strip().endswith("audit chain intact: 1 records")


# -- verify: against the key the verifier names -------------------------------------
@pytest.fixture
def exported(make_services: MakeServices, tmp_path: Path) -> tuple[Path, Path, bytes]:
    """(package, the exporting server's database, its public key PEM)."""
    server = make_services(name="exporter")
    key = load_or_create_signing_key(server.settings.secrets_dir)  # as the server makes it
    package = build_package(build_view(), ["GRAPHML"], tmp_path / "out", key)
    return package.path, server.settings.db, public_key_pem(key)


@pytest.fixture
def key_server(exported: tuple[Path, Path, bytes]) -> Iterator[str]:
    """A server answering the exporter's key at /export-key, as graph-api serve does."""
    pem = exported[2]

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the standard library's name
            found = self.path == "/export-key"
            self.send_response(200 if found else 404)
            self.end_headers()
            self.wfile.write(pem if found else b"not found")

        def log_message(self, *args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_verify_without_a_key_gives_no_verdict_and_makes_nothing(
    run: Run, exported: tuple[Path, Path, bytes], tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Issue 22: run outside the server's folder it made ./data/export-signing-key.pem and
    called a genuine package tampered with."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    status, out, err = run("verify", str(exported[0]))
    assert status == 2
    assert "--key" in err and "--db" in err and "--url" in err and "nothing was checked" in err
    assert out == ""
    assert everything_under(elsewhere) == []


def test_verify_names_the_key_it_used(
    run: Run, exported: tuple[Path, Path, bytes], key_server: str, tmp_path: Path
) -> None:
    package, db, pem = exported
    pem_file = tmp_path / "exporter.pem"
    pem_file.write_bytes(pem)
    fingerprint = key_fingerprint(pem)
    for given, source in (
        (["--key", str(pem_file)], f"--key {pem_file}"),
        (["--db", str(db)], f"the signing key of {db}"),
        (["--url", key_server], f"--url {key_server}"),
        (["--url", key_server + "/export-key"], f"--url {key_server}/export-key"),
    ):
        status, out, err = run("verify", str(package), *given)
        assert status == 0, err
        lines = out.splitlines()
        assert lines[0] == f"checking against key {fingerprint} ({source})"
        assert lines[-1].startswith("OK: ")


def test_verify_against_another_key_says_so(
    run: Run, exported: tuple[Path, Path, bytes], make_services: MakeServices,
    tmp_path: Path,
) -> None:
    other = make_services(name="other-server")
    other_pem = public_key_pem(load_or_create_signing_key(other.settings.secrets_dir))
    pem_file = tmp_path / "other.pem"
    pem_file.write_bytes(other_pem)
    status, out, _ = run("verify", str(exported[0]), "--key", str(pem_file))
    assert status == 1
    assert f"checking against key {key_fingerprint(other_pem)}" in out
    assert f"names signing key {key_fingerprint(exported[2])}" in out
    assert out.splitlines()[-1].startswith("FAILED")


def test_verify_refuses_what_is_not_a_key_without_a_verdict(
    run: Run, exported: tuple[Path, Path, bytes], key_server: str, tmp_path: Path,
) -> None:
    package, db, _ = exported
    junk = tmp_path / "junk.pem"
    junk.write_text("-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----\n")
    for given, said in (
        (["--key", str(junk)], "is not an Ed25519 public key"),
        (["--key", str(tmp_path / "absent.pem")], "cannot read --key"),
        (["--url", key_server + "/elsewhere"], "HTTP 404"),
        (["--url", "ftp://example.org/key"], "http(s) address"),
        (["--key", str(junk), "--db", str(db)], "give one key"),
    ):
        status, out, err = run("verify", str(package), *given)
        assert status == 2 and said in err, (given, err)
        assert out == ""


def test_export_key_never_makes_the_key(run: Run, make_services: MakeServices) -> None:
    services = make_services(name="no-key-yet")  # a database whose server never exported
    folder = services.settings.secrets_dir
    before = everything_under(folder)
    status, out, err = run("export-key", "--db", str(services.settings.db))
    assert status == 2 and "no export signing key" in err and out == ""
    assert everything_under(folder) == before
    pem = public_key_pem(load_or_create_signing_key(folder))  # the server's first start
    status, out, err = run("export-key", "--db", str(services.settings.db))
    assert status == 0 and out.encode() == pem
    assert err.strip() == f"fingerprint {key_fingerprint(pem)}"


@pytest.mark.skipif(not NEO4J_URI, reason="needs the Bolt server (make test)")
def test_a_neo4j_database_never_opened_is_refused_untouched(
    make_services: MakeServices,
) -> None:
    services = make_services("neo4j")
    services.store.reset()  # type: ignore[attr-defined]  # not even the layout mark
    settings: Settings = services.settings
    with pytest.raises(ValueError, match="no graph_api database"):
        open_backend(settings, create=False)
    nodes = services.store._run("READ", "MATCH (n) RETURN count(n) AS n")  # type: ignore[attr-defined]
    assert nodes[0]["n"] == 0
    store = open_backend(settings).store  # serve, org add, import: made
    try:
        assert store.audit_records() == []
    finally:
        store.close()
    again = open_backend(settings, create=False).store
    try:
        assert again.audit_records() == []
    finally:
        again.close()
