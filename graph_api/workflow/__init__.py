"""Notices, penalties, alerts, test buys and cases: the alliance's workflows.

Workflow state lives in a ``RecordStore`` (``graph_api.store.records``); every
effect on the graph is an ordinary report by the acting org.
"""

from __future__ import annotations

from graph_api.workflow.alerts import on_report_committed
from graph_api.workflow.runtime import close_workflow, workflow_for
from graph_api.workflow.start import start_workflow
from graph_api.workflow.sweep import sweep, sweep_command, sweep_forever

__all__ = [
    "close_workflow",
    "on_report_committed",
    "start_workflow",
    "sweep",
    "sweep_command",
    "sweep_forever",
    "workflow_for",
]
