"""``GET /evidence/{id}``: an evidence file's bytes, to whoever may read its record.

The caller's bearer token, as for ``/exports/{id}``; the file's record must be one
the caller may read (``workflow.evidence.get_evidence``: the record it is attached
to decides), else 404 exactly as for an id of no file. Every download is audited.
The answer is an attachment (never shown inline by a browser, sandboxed, not
sniffed) of the media type recorded, with ``Repr-Digest`` (RFC 9530) carrying its
SHA-256.
"""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response

from graph_api.api.exchange import envelope
from graph_api.errors import GraphAPIError
from graph_api.services import Services
from graph_api.workflow.evidence import evidence_folder, get_evidence

__all__ = ["evidence_download"]


def evidence_download(services: Services) -> Callable[[Request], Awaitable[Response]]:
    folder = evidence_folder(services)

    async def download(request: Request) -> Response:
        evidence_id = request.path_params["evidence_id"]
        try:
            scope = services.authenticate(request.headers.get("authorization"))
        except GraphAPIError as exc:
            return JSONResponse(envelope(exc.message, exc.code), status_code=401)
        label = f"GET /evidence/{evidence_id}"[:200]
        services.store.append_audit(services.audit_entry(scope, label, {"id": evidence_id}))
        doc = get_evidence(services, scope, evidence_id)
        if doc is None:
            return JSONResponse(envelope(f"no evidence {evidence_id!r}", "NOT_FOUND"),
                                status_code=404)
        path = folder.path_of(doc["sha256"])
        if not path.is_file():  # the folder is not this machine's, or not mounted
            return JSONResponse(envelope(
                f"the file of evidence {evidence_id!r} is not in this server's evidence "
                "folder (GRAPH_API_EVIDENCE_DIR)", "UNAVAILABLE"), status_code=503)
        digest = base64.b64encode(bytes.fromhex(doc["sha256"])).decode()
        return FileResponse(
            path, media_type=doc["mediaType"], filename=doc["name"],
            content_disposition_type="attachment",
            headers={"Repr-Digest": f"sha-256=:{digest}:", "X-Content-Type-Options": "nosniff",
                     "Content-Security-Policy": "sandbox", "Cache-Control": "no-store"},
        )

    return download
