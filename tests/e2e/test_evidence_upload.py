"""Evidence uploads over real HTTP: the GraphQL multipart request spec against a running
``graph-api serve`` (httpx by hand, and the ``gql`` client's own file upload), the
download, the CSRF rule, the limits, and that a refused upload leaves nothing behind.

The server's evidence limit is 3 MB here: a 2.5 MB file is over the general body limit
(2 MiB) and must go through all the same; 3 MB and more is refused with 413.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from gql import Client, FileVar, GraphQLRequest
from gql.transport.httpx import HTTPXTransport

from graph_api.keyfiles import database_folder
from tests.e2e.server import Server

pytestmark = pytest.mark.e2e

LIMIT = 3_000_000
BIG = bytes(range(256)) * (2_500_000 // 256)  # over the 2 MiB body limit, under LIMIT
ATTACH = """mutation($to: ID!, $f: Upload!, $d: String) {
  attachEvidence(to: $to, file: $f, description: $d) {
    id name mediaType bytes sha256 attachedTo chainVerified downloadUrl } }"""
READ = "query($id: ID!) { evidence(id: $id) { id sha256 chainVerified custody { action } } }"
PREFLIGHT = {"GraphQL-Require-Preflight": "1"}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    db = tmp_path_factory.mktemp("evidence") / "graph.db"
    server = Server(db, "--demo", env={"GRAPH_API_EVIDENCE_MAX_BYTES": str(LIMIT)}).start()
    tokens = server.demo_tokens()
    liaison, brand = tokens[("ipcu", "liaison")], tokens[("stridewell", "investigator")]
    opened = server.gql(liaison, """mutation { openCase(input: {title: "Aeropace parcels",
        entities: ["listing-sw-aeropace-01"]}) { id marking } }""")
    assert "errors" not in opened, opened
    yield {"server": server, "liaison": liaison, "brand": brand,
           "case": opened["data"]["openCase"]["id"], "folder": database_folder(db) / "evidence"}
    server.kill()


def post_upload(world: dict[str, Any], token: str | None, to: str, data: bytes,
                headers: dict[str, str] | None = None, name: str = "parcel.jpg",
                **kw: Any) -> httpx.Response:
    """One attachEvidence as the multipart spec sends it: operations, map, the file."""
    operations = {"query": ATTACH, "variables": {"to": to, "f": None, "d": "parcel photo"}}
    files = [("operations", (None, orjson.dumps(operations), "application/json")),
             ("map", (None, b'{"0": ["variables.f"]}', "application/json")),
             ("0", (name, data, "image/jpeg"))]
    auth = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.post(world["server"].url + "/graphql", files=files,
                      headers={**auth, **PREFLIGHT, **(headers or {})}, timeout=60, **kw)


def left_behind(world: dict[str, Any]) -> tuple[list[str], list[str]]:
    """(staged uploads, kept files) in the server's evidence folder."""
    folder: Path = world["folder"]
    staged = sorted(p.name for p in (folder / "staging").glob("*"))
    kept = sorted(p.name for p in (folder / "sha256").glob("*/*"))
    return staged, kept


def test_an_upload_over_the_body_limit_is_streamed_kept_and_downloaded(
    world: dict[str, Any]
) -> None:
    response = post_upload(world, world["liaison"], world["case"], BIG)
    assert response.status_code == 200, response.text
    made = response.json()["data"]["attachEvidence"]
    digest = hashlib.sha256(BIG).hexdigest()
    assert (made["sha256"], made["bytes"], made["attachedTo"]) == (digest, len(BIG),
                                                                    world["case"])
    assert made["chainVerified"] is True
    staged, kept = left_behind(world)
    assert staged == [] and digest in kept
    assert (world["folder"] / "sha256" / digest[:2] / digest).read_bytes() == BIG
    server = world["server"]
    got = httpx.get(server.url + made["downloadUrl"],
                    headers={"Authorization": f"Bearer {world['liaison']}"}, timeout=60)
    assert got.status_code == 200 and got.content == BIG
    assert got.headers["repr-digest"] == \
        f"sha-256=:{base64.b64encode(hashlib.sha256(BIG).digest()).decode()}:"
    assert got.headers["content-type"].startswith("image/jpeg")
    assert got.headers["content-disposition"].startswith("attachment")
    assert got.headers["x-content-type-options"] == "nosniff"
    # a brand that may not read the case: exactly as for an evidence id of nothing
    hidden = httpx.get(server.url + made["downloadUrl"],
                       headers={"Authorization": f"Bearer {world['brand']}"})
    missing = httpx.get(server.url + "/evidence/evd-00000000000000000000",
                        headers={"Authorization": f"Bearer {world['brand']}"})
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["errors"][0]["extensions"] == missing.json()["errors"][0]["extensions"]
    assert httpx.get(server.url + made["downloadUrl"]).status_code == 401
    read = server.gql(world["brand"], READ, {"id": made["id"]})
    assert read == {"data": {"evidence": None}}


def test_a_standard_client_uploads_with_gql(world: dict[str, Any], tmp_path: Path) -> None:
    """Python's gql client, its httpx transport sending the multipart request itself."""
    path = tmp_path / "receipt.pdf"
    path.write_bytes(b"%PDF-1.7 receipt\n" * 1000)
    transport = HTTPXTransport(
        url=world["server"].url + "/graphql",
        headers={"Authorization": f"Bearer {world['liaison']}",
                 "Apollo-Require-Preflight": "true"})
    with Client(transport=transport) as session, path.open("rb") as handle:
        answer = session.execute(GraphQLRequest(ATTACH, variable_values={
            "to": world["case"], "f": FileVar(handle, filename="receipt.pdf",
                                              content_type="application/pdf")}),
            upload_files=True)
        made = answer["attachEvidence"]
        assert (made["name"], made["mediaType"]) == ("receipt.pdf", "application/pdf")
        assert made["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
        recorded = session.execute(GraphQLRequest("""mutation($e: ID!) {
            recordCustody(evidence: $e, action: SAMPLE_RECEIVED, holder: "Det. Chen",
              location: "IPCU store room") {
            chainVerified custody { action holder recordedBy { org { id } } } } }""",
            variable_values={"e": made["id"]}))["recordCustody"]
    assert recorded["chainVerified"] is True
    assert recorded["custody"] == [{"action": "SAMPLE_RECEIVED", "holder": "Det. Chen",
                                    "recordedBy": {"org": {"id": "ipcu"}}}]


def test_an_upload_without_a_preflight_header_is_refused_unread(world: dict[str, Any]) -> None:
    """The multipart spec's CSRF issue: a form post from any page is a simple request."""
    operations = {"query": ATTACH, "variables": {"to": world["case"], "f": None}}
    response = httpx.post(
        world["server"].url + "/graphql",
        files=[("operations", (None, orjson.dumps(operations))),
               ("map", (None, b'{"0": ["variables.f"]}')), ("0", ("a.jpg", b"x" * 1000))],
        headers={"Authorization": f"Bearer {world['liaison']}"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "Preflight" in response.json()["errors"][0]["message"]
    assert left_behind(world)[0] == []


def test_an_upload_without_a_valid_token_is_refused_unread(world: dict[str, Any]) -> None:
    for token in (None, "gapi_not-a-token"):
        response = post_upload(world, token, world["case"], b"x" * 1000)
        assert response.status_code == 401
        assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert left_behind(world)[0] == []


def test_an_upload_over_the_limit_is_refused_and_leaves_nothing(world: dict[str, Any]) -> None:
    before = left_behind(world)[1]
    listed = "query($to: ID!) { evidenceFiles(attachedTo: $to) { id } }"
    files_before = world["server"].gql(world["liaison"], listed, {"to": world["case"]})
    too_big = b"\x00" * (LIMIT + 1)
    declared = post_upload(world, world["liaison"], world["case"], too_big)  # Content-Length
    assert declared.status_code == 413
    assert declared.json()["errors"][0]["extensions"]["code"] == "LIMIT_EXCEEDED"

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it streams in
        boundary = b"xyzzy"
        operations = orjson.dumps({"query": ATTACH, "variables": {"to": world["case"],
                                                                   "f": None}})
        yield (b"--xyzzy\r\nContent-Disposition: form-data; name=\"operations\"\r\n\r\n"
               + operations + b"\r\n--xyzzy\r\nContent-Disposition: form-data; name=\"map\""
               b"\r\n\r\n{\"0\": [\"variables.f\"]}\r\n--xyzzy\r\nContent-Disposition: "
               b"form-data; name=\"0\"; filename=\"big.bin\"\r\n\r\n")
        for _ in range(LIMIT // 65536 + 2):
            yield b"\x01" * 65536
        yield b"\r\n--" + boundary + b"--\r\n"

    try:
        streamed = httpx.post(
            world["server"].url + "/graphql", content=chunks(),
            headers={"Authorization": f"Bearer {world['liaison']}", **PREFLIGHT,
                     "Content-Type": "multipart/form-data; boundary=xyzzy"}, timeout=60)
        assert streamed.status_code == 413
        assert streamed.json()["errors"][0]["extensions"]["code"] == "LIMIT_EXCEEDED"
    except httpx.WriteError:  # the server answered and closed before the last chunk
        pass
    assert left_behind(world) == ([], before)
    assert world["server"].gql(world["liaison"], listed, {"to": world["case"]}) == files_before


def test_a_refused_attachment_leaves_no_file(world: dict[str, Any]) -> None:
    """The brand may not read the case: NOT_FOUND, as for a case that does not exist, and
    nothing of its upload is kept."""
    before = left_behind(world)[1]
    secret = b"brand's photo, never kept" * 100
    for target in (world["case"], "case-00000000000000000000"):
        response = post_upload(world, world["brand"], target, secret)
        assert response.status_code == 200
        errors = response.json()["errors"]
        assert [e["extensions"]["code"] for e in errors] == ["NOT_FOUND"]
        assert errors[0]["message"] == f"no record {target!r}"
    assert left_behind(world) == ([], before)
    assert hashlib.sha256(secret).hexdigest() not in before


@pytest.mark.parametrize("problem", ["no-map", "map-names-nothing", "file-not-in-map",
                                     "file-first", "not-json", "batch", "not-null", "path"])
def test_a_request_not_of_the_spec_is_a_400(world: dict[str, Any], problem: str) -> None:
    operations: Any = {"query": ATTACH, "variables": {"to": world["case"], "f": None}}
    mapping: Any = {"0": ["variables.f"]}
    parts: list[tuple[str, Any]] = []
    if problem == "batch":
        operations = [operations]
    if problem == "not-null":
        operations["variables"]["f"] = "x"
    if problem == "path":
        mapping = {"0": ["query"]}
    if problem == "map-names-nothing":
        mapping = {"0": ["variables.f"], "1": ["variables.f"]}
    if problem == "file-not-in-map":
        mapping = {}
    ops = b"{" if problem == "not-json" else orjson.dumps(operations)
    file = ("0", ("a.jpg", b"x" * 100, "image/jpeg"))
    if problem == "file-first":
        parts.append(file)
    parts.append(("operations", (None, ops)))
    if problem != "no-map":
        parts.append(("map", (None, orjson.dumps(mapping))))
    if problem != "file-first":
        parts.append(file)
    response = httpx.post(world["server"].url + "/graphql", files=parts,
                          headers={"Authorization": f"Bearer {world['liaison']}", **PREFLIGHT})
    assert response.status_code == 400, response.text
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert left_behind(world)[0] == []
