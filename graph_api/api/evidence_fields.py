"""GraphQL for evidence files and their chain of custody (contract-next.graphql):
``evidence(id)``, ``evidenceFiles(attachedTo)``, ``attachEvidence`` and ``recordCustody``.

Thin adapters over ``graph_api.workflow.evidence``. The ``Upload`` scalar takes only
a file of a multipart request (``graph_api.api.uploads`` puts it into the variables
as the GraphQL multipart request spec says): a JSON value or a literal in its place
is refused like any value of the wrong type.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, NewType

import strawberry
from graphql import GraphQLError, ValueNode

from graph_api.access import Action
from graph_api.api.typed import typed_field, typed_mutation
from graph_api.api.value_types import Info, Org, OrgType, Principal
from graph_api.store.evidence_files import Staged
from graph_api.workflow import evidence as wf_evidence
from graph_api.workflow.custody_chain import verify_custody
from graph_api.workflow.model import from_key

__all__ = ["UPLOAD_SCALAR", "CustodyAction", "CustodyEvent", "EvidenceFile", "EvidenceMutation",
           "EvidenceQuery", "Upload"]

_NOT_A_FILE = ("Upload: send the file as a part of a multipart/form-data request (the GraphQL "
               "multipart request spec), its variable null in operations and named in map")


def _parse_upload(value: object) -> Staged:
    if not isinstance(value, Staged):
        raise GraphQLError(_NOT_A_FILE)
    return value


def _no_literal(node: ValueNode, variables: dict[str, Any] | None = None) -> Staged:
    raise GraphQLError(_NOT_A_FILE)


def _no_output(value: object) -> str:
    raise GraphQLError("Upload is an input only")


Upload = NewType("Upload", Staged)
UPLOAD_SCALAR = strawberry.scalar(
    name="Upload",
    description="A file sent as a part of a multipart request (the GraphQL multipart "
                "request spec: https://github.com/jaydenseric/graphql-multipart-request-spec).",
    serialize=_no_output,
    parse_value=_parse_upload,
    parse_literal=_no_literal,
)
"""The schema's ``scalar_map`` entry for ``Upload`` (``schema.build_schema``)."""

strawberry.enum(wf_evidence.CustodyAction)
CustodyAction = wf_evidence.CustodyAction


def _principal(info: Info, principal_id: str) -> Principal:
    found = info.context.store.principal(principal_id)
    if found is None:  # an operator's record names no stored principal
        org = Org(id=strawberry.ID(""), name="", type=OrgType.PLATFORM, trusted=False)
        return Principal(id=strawberry.ID(principal_id), org=org, role="")
    return Principal(id=strawberry.ID(found.id), org=Org.from_model(found.org), role=found.role)


@strawberry.type
class CustodyEvent:
    action: CustodyAction
    at: datetime
    holder: str
    location: str
    note: str | None
    _recorded_by: strawberry.Private[str]

    @strawberry.field
    def recorded_by(self, info: Info) -> Principal:
        return _principal(info, self._recorded_by)


@strawberry.type
class EvidenceFile:
    id: strawberry.ID
    name: str
    media_type: str
    bytes: int
    sha256: str
    attached_to: strawberry.ID
    description: str | None
    attached_at: datetime
    custody: list[CustodyEvent]
    _doc: strawberry.Private[dict[str, Any]]

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> EvidenceFile:
        return cls(
            id=strawberry.ID(doc["id"]), name=doc["name"], media_type=doc["mediaType"],
            bytes=doc["bytes"], sha256=doc["sha256"],
            attached_to=strawberry.ID(doc["attachedTo"]), description=doc.get("description"),
            attached_at=from_key(doc["attachedAt"]),
            custody=[CustodyEvent(action=wf_evidence.CustodyAction(e["action"]),
                                  at=from_key(e["at"]), holder=e["holder"],
                                  location=e["location"], note=e.get("note"),
                                  _recorded_by=e["recordedBy"]) for e in doc["custody"]],
            _doc=doc,
        )

    @strawberry.field
    def attached_by(self, info: Info) -> Principal:
        return _principal(info, self._doc["attachedBy"])

    @typed_field(
        description="Whether the attachment and every custody event are in the audit hash "
                    "chain as recorded, and the chain verifies around each of them."
    )
    def chain_verified(self, info: Info) -> bool:
        return verify_custody(info.context.services, self._doc)

    @typed_field(
        description="Where whoever may read it downloads the file, with its token: GET, "
                    "Authorization: Bearer TOKEN."
    )
    def download_url(self) -> str:
        return f"/evidence/{self.id}"


@strawberry.type
class EvidenceQuery:
    @typed_field(
        description="An evidence file, for whoever may read the record it is attached to; "
                    "null otherwise, as for an id of no file."
    )
    def evidence(self, info: Info, id: strawberry.ID) -> EvidenceFile | None:
        scope = info.context.require(Action.READ)
        doc = wf_evidence.get_evidence(info.context.services, scope, str(id))
        return None if doc is None else EvidenceFile.from_doc(doc)

    @typed_field(
        description="The files attached to a notice, counter-notice, test buy, case or "
                    "right the caller may read (empty otherwise), oldest first."
    )
    def evidence_files(self, info: Info, attached_to: strawberry.ID) -> list[EvidenceFile]:
        scope = info.context.require(Action.READ)
        docs = wf_evidence.list_evidence(info.context.services, scope, str(attached_to))
        return [EvidenceFile.from_doc(d) for d in docs]


@strawberry.type
class EvidenceMutation:
    @typed_mutation(
        description="Attach an uploaded file (multipart request) to a notice, counter-notice, "
                    "test buy, case or right the caller acts on; kept by its SHA-256."
    )
    def attach_evidence(
        self, info: Info, to: strawberry.ID, file: Upload, description: str | None = None,
    ) -> EvidenceFile:
        doc = wf_evidence.attach_evidence(info.context.services, info.context.scope, str(to),
                                          file, description)
        return EvidenceFile.from_doc(doc)

    @typed_mutation(
        description="Append a custody event to an evidence file's history, and to the "
                    "audit hash chain."
    )
    def record_custody(
        self, info: Info, evidence: strawberry.ID,
        action: CustodyAction,
        holder: str, location: str, note: str | None = None,
    ) -> EvidenceFile:
        step = wf_evidence.CustodyAction(action).value
        doc = wf_evidence.record_custody(info.context.services, info.context.scope,
                                         str(evidence), step, holder, location, note)
        return EvidenceFile.from_doc(doc)
