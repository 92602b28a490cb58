"""The former name of `graph_api.analytics.walks`, kept for `analytics.snapshot` alone.

issue 20: snapshot.py is being rewritten (VisibleGraph) in another change, which
imports `graph_api.analytics.walks` instead; this module goes with it.
"""

from __future__ import annotations

from graph_api.analytics.walks import confidence_of, plain

__all__ = ["confidence_of", "plain"]
