"""exportCase: a signed case package for police liaison, downloadable by its exporter.

The case view is read on the request loop (the store is the loop's), in steps
between which other requests are served, and kept only if nothing the caller sees
was written meanwhile; the package (every format, zipped and signed: seconds for a
10,000-entity case) is written off the loop, on the whole-graph pool
(``WholeGraph.off_loop``), in the caller's turn."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import orjson
import strawberry

from graph_api import model
from graph_api.access import Action, Scope
from graph_api.api.value_types import Info, Marking
from graph_api.api.workflow_types import Case
from graph_api.checkpoints import org_checkpoint, take_checkpoint
from graph_api.errors import BadUserInput, Forbidden, NotFound
from graph_api.export.case_view import build_case_view, case_view_steps
from graph_api.export.keys import load_or_create_signing_key
from graph_api.export.package import build_package
from graph_api.export.view import CaseView
from graph_api.model import OrgType
from graph_api.offload import in_slices
from graph_api.services import Services
from graph_api.workflow.cases import get_case

__all__ = ["ExportMutation", "export_dir", "package_for"]

MAX_RECIPIENT = 500


@strawberry.enum
class ExportFormat(Enum):
    STIX21 = "STIX21"
    GRAPHML = "GRAPHML"
    I2_CSV = "I2_CSV"
    FTM_JSONL = "FTM_JSONL"


ALL_FORMATS = [ExportFormat.STIX21, ExportFormat.GRAPHML, ExportFormat.I2_CSV,
               ExportFormat.FTM_JSONL]


@strawberry.type
class ExportFile:
    name: str
    sha256: str
    bytes: int


@strawberry.type
class ExportPackage:
    id: strawberry.ID
    case: Case
    created_at: datetime
    files: list[ExportFile]
    download_url: str
    manifest_sha256: str


def export_dir(services: Services) -> Path:
    return services.settings.secrets_dir / "exports"


def may_export(scope: Scope) -> bool:
    """REGULATOR liaison officers, and the platform's admins and reviewers."""
    if scope.can(Action.EXPORT):
        return True
    return scope.org_type is OrgType.PLATFORM and scope.role in ("admin", "reviewer")


def package_for(services: Services, scope: Scope, package_id: str) -> Path | None:
    """The zip of an export made by the caller's org, else None (as if it did not exist)."""
    if not package_id.replace("-", "").isalnum():
        return None
    meta_path = export_dir(services) / f"{package_id}.json"
    if not meta_path.is_file():
        return None
    meta: dict[str, Any] = orjson.loads(meta_path.read_bytes())
    if meta["org"] != scope.org_id:
        return None
    return export_dir(services) / f"{package_id}.zip"


READS = 2
"""Times a case view is read in steps before it is read at once (writes kept coming)."""


async def _case_view(services: Services, scope: Scope, case: dict[str, Any], recipient: str,
                     ceiling: model.Marking | None) -> CaseView:
    """The case view read in steps (the loop serves others between them), kept if the
    caller's view has the same version after as before (nothing it sees was written
    meanwhile: one moment's view), else read again; read at once after ``READS``."""
    capped = scope.capped(ceiling)
    for _ in range(READS):
        version = services.store.view_version(capped)
        view = await in_slices(case_view_steps(services, scope, case, recipient, ceiling))
        if services.store.view_version(capped) == version:
            return view
    return build_case_view(services, scope, case, recipient, ceiling)


@strawberry.type
class ExportMutation:
    @strawberry.mutation
    async def export_case(
        self,
        info: Info,
        id: strawberry.ID,
        recipient: str,
        formats: list[ExportFormat] = ALL_FORMATS,  # noqa: B006 - GraphQL default, never mutated
        max_marking: Annotated[Marking | None, strawberry.argument(
            description="The ceiling: nothing marked above it goes into the package (and "
                        "no reference to what was cut); the manifest records it. The "
                        "case itself must not be marked above it.")] = None,
        include_evidence: Annotated[bool, strawberry.argument(
            description="The evidence files themselves too (evidence/files/<sha256>): their "
                        "hashes and custody are in every package (evidence/custody.json).")
        ] = False,
        as_of: Annotated[datetime | None, strawberry.argument(
            description="The package as of this time: the case and all that goes in read as "
                        "they stood then, as a query @asOf reads; the manifest records it "
                        "(as_of).")] = None,
    ) -> ExportPackage:
        scope = info.context.scope
        if not may_export(scope):
            raise Forbidden("exports are for REGULATOR liaison and PLATFORM admins or reviewers")
        scope = scope.at(as_of)
        services = info.context.services
        case = get_case(services, scope, str(id))
        if case is None:
            raise NotFound(f"no case {id!r}", field="id")
        if not recipient.strip() or len(recipient) > MAX_RECIPIENT:
            raise BadUserInput("recipient: 1 to 500 characters", field="recipient")
        if not formats:
            raise BadUserInput("formats: name at least one", field="formats")
        ceiling = None if max_marking is None else model.Marking(max_marking.value)
        if ceiling is not None and model.Marking(case["marking"]).rank > ceiling.rank:
            raise BadUserInput(f"maxMarking: the case itself is marked {case['marking']}, "
                               f"above {ceiling.value}", field="maxMarking")
        view = await _case_view(services, scope, case, recipient.strip(), ceiling)
        key = load_or_create_signing_key(services.settings.secrets_dir)
        folder = export_dir(services)
        folder.mkdir(parents=True, exist_ok=True)
        take_checkpoint(services, key)  # the operator's anchor of the ledger, at every export
        checkpoint = org_checkpoint(services, scope.org_id, view.created_at, key)
        names = [f.value for f in formats]
        package = await services.whole_graph.off_loop(
            scope, lambda: build_package(view, names, folder, key, checkpoint,
                                         include_evidence=include_evidence),
            info.context.caller)
        (folder / f"{package.id}.json").write_bytes(orjson.dumps(
            {"id": package.id, "org": scope.org_id, "principal": scope.principal_id,
             "case": case["id"], "recipient": view.recipient,
             "createdAt": package.created_at.isoformat()}
        ))
        return ExportPackage(
            id=strawberry.ID(package.id),
            case=Case.from_doc(case),
            created_at=package.created_at,
            files=[ExportFile(name=n, sha256=h, bytes=b) for n, h, b in package.files],
            download_url=f"/exports/{package.id}",
            manifest_sha256=package.manifest_sha256,
        )
