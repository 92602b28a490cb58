"""The workflow follows a ``Services``: subscribed once, where services are opened.

Services import nothing above them (pyproject's import contracts); they offer hooks
instead. Starting the workflow subscribes alert detection to every report they
commit anew (`graph_api.workflow.alerts.on_report_committed`) and the workflow's
records to their close (`graph_api.workflow.runtime.close_workflow`). The records
themselves are opened on first use, as before.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from graph_api.workflow.alerts import on_report_committed
from graph_api.workflow.runtime import closes_with

if TYPE_CHECKING:
    from graph_api.services import Services

__all__ = ["start_workflow"]


def start_workflow(services: Services) -> Services:
    """Subscribe the workflow to ``services`` (where they are opened for work: the app,
    the command line); once, however often it is called. Returns the services."""
    if on_report_committed not in services.on_commit:
        services.on_commit.append(on_report_committed)
    closes_with(services)
    return services
