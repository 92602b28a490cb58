"""Settings read once from the environment; a command-line flag wins over its variable."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path

from graph_api.keyfiles import database_folder
from graph_api.ratelimit import RateSettings

__all__ = ["Settings", "parse_duration", "parse_publish", "parse_seconds"]

_DURATION = re.compile(
    r"^P(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?$"
)


def parse_duration(text: str) -> timedelta:
    """Parse an ISO-8601 duration of weeks, days, hours, minutes and seconds.

    >>> parse_duration("P3D")
    datetime.timedelta(days=3)
    >>> parse_duration("PT90M").total_seconds()
    5400.0
    """
    match = _DURATION.match(text.strip())
    if not match or text.strip() in ("P", "PT"):
        raise ValueError(f"not an ISO-8601 duration: {text!r} (e.g. P3D, PT12H)")
    parts = {k: float(v) for k, v in match.groupdict().items() if v}
    return timedelta(**parts)


PUBLISH_WORDS = ("bans", "closures", "delistings")


def parse_publish(text: str) -> frozenset[str]:
    """The platform's publication policy: ``none`` or words among bans, closures, delistings.

    >>> sorted(parse_publish("bans, delistings")), parse_publish("none")
    (['bans', 'delistings'], frozenset())
    """
    words = {w.strip().lower() for w in text.split(",") if w.strip()}
    if words in ({"none"}, set()):
        return frozenset()
    unknown = words - set(PUBLISH_WORDS)
    if unknown:
        raise ValueError(f"GRAPH_API_PUBLISH: unknown {sorted(unknown)}; "
                         f"use none or {', '.join(PUBLISH_WORDS)}")
    return frozenset(words)


def parse_flag(name: str, text: str) -> bool:
    """A yes/no setting: 1, true, yes, on (any case) or 0, false, no, off, nothing.

    >>> parse_flag("X", "1"), parse_flag("X", ""), parse_flag("X", "Off")
    (True, False, False)
    """
    value = text.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("", "0", "false", "no", "off"):
        return False
    raise ValueError(f"{name}: {text!r} is not 1 or 0")


def parse_seconds(name: str, text: str) -> float:
    """A number of seconds, 0 or more.

    >>> parse_seconds("X", "30"), parse_seconds("X", "0.5")
    (30.0, 0.5)
    >>> parse_seconds("X", "-1")
    Traceback (most recent call last):
    ...
    ValueError: X: '-1' is not a number of seconds (0 or more)
    """
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value >= 0 or value == float("inf"):
        raise ValueError(f"{name}: {text!r} is not a number of seconds (0 or more)")
    return value


COST_PER_HOUR = 500_000  # GitHub's 5,000 points of 100 requests


def parse_choice(name: str, text: str, choices: tuple[str, ...]) -> str:
    """One of ``choices`` (case-insensitive), or a ValueError naming the variable.

    >>> parse_choice("X", "Optional", ("required", "optional"))
    'optional'
    """
    value = text.strip().lower()
    if value not in choices:
        raise ValueError(f"{name}: {text!r} is not one of {', '.join(choices)}")
    return value


@dataclass(frozen=True)
class Settings:
    db: Path = Path("data/graph.db")
    store: str = "memory"
    refutation_window: timedelta = timedelta(days=3)
    neo4j_uri: str = "bolt://127.0.0.1:7687"
    neo4j_user: str = "neo4j"
    neo4j_password: str = ""
    neo4j_database: str = "neo4j"
    # Request limits (DESIGN.md "Limits and errors").
    max_depth: int = 12
    max_aliases: int = 30
    max_tokens: int = 5_000
    max_body_bytes: int = 2 * 1024 * 1024
    request_seconds: float = 30.0
    rate: RateSettings = field(default_factory=RateSettings)  # per token
    # Cost per token per hour (docs/limits.md, graph_api.api.cost); 0: no budget. Unset,
    # it follows the rate limit: none when GRAPH_API_RATE_PER_SECOND=0 turns that off.
    cost_per_hour: int = COST_PER_HOUR
    # Only documents registered by their SHA-256 run (graph_api.api.persisted).
    persisted_only: bool = False
    # Transports (README "From a script"; docs/security.md "Transports").
    metrics_token: str = ""  # besides a PLATFORM admin's token, the one that reads /metrics
    # The server signs a checkpoint of the audit chain's head at least every this many
    # records (and at every export): graph_api.checkpoints.
    audit_checkpoint_records: int = 1000
    ws_recheck_seconds: float = 2.0  # open WebSockets' tokens looked up again this often
    # What the platform's policy publishes (graph_api.workflow.publication).
    publish: frozenset[str] = frozenset({"bans", "delistings"})
    # Rights a notice must cite: "required" (a VERIFIED right and a reason code) or
    # "optional" (cited rights must still be VERIFIED); graph_api.workflow.rights.
    notice_rights: str = "required"
    # The good-faith policy over the last 180 days (graph_api.workflow.notifiers).
    trust_min_listings: int = 50
    trust_min_accuracy: float = 0.95
    # Evidence files (graph_api.workflow.evidence): the most one upload request may carry,
    # and the folder they are kept in (None: ``evidence/`` in the database's own folder;
    # a folder every machine mounts when several serve one Neo4j database).
    evidence_max_bytes: int = 100 * 1024 * 1024
    evidence_dir: Path | None = None
    # Whole-graph work (rings, rankings, chokepoints, exports): threads it runs on, off
    # the request loop (0: on the loop), and per token the requests that may run or wait
    # for it at once and that may queue behind them (graph_api.offload; docs/limits.md).
    whole_graph_workers: int = 2
    whole_graph_per_token: int = 2
    whole_graph_queued: int = 8
    # Seconds a whole-graph answer may be older than the caller's view: answered at
    # once while its view's newer version is computed in the background (0: always
    # exact; graph_api.kept_answers, docs/link-analysis.md).
    analytics_max_age: float = 0.0

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        env = os.environ
        rate = RateSettings.from_env()
        settings = cls(
            db=Path(env.get("GRAPH_API_DB", "data/graph.db")),
            store=env.get("GRAPH_API_STORE", "memory"),
            refutation_window=parse_duration(env.get("GRAPH_API_REFUTATION_WINDOW", "P3D")),
            neo4j_uri=env.get("GRAPH_API_NEO4J_URI", "bolt://127.0.0.1:7687"),
            neo4j_user=env.get("GRAPH_API_NEO4J_USER", "neo4j"),
            neo4j_password=env.get("GRAPH_API_NEO4J_PASSWORD", ""),
            neo4j_database=env.get("GRAPH_API_NEO4J_DATABASE", "neo4j"),
            request_seconds=float(env.get("GRAPH_API_REQUEST_SECONDS", "30")),
            rate=rate,
            cost_per_hour=int(env.get("GRAPH_API_COST_PER_HOUR",
                                      COST_PER_HOUR if rate.rate > 0 else 0)),
            persisted_only=parse_flag("GRAPH_API_PERSISTED_ONLY",
                                      env.get("GRAPH_API_PERSISTED_ONLY", "")),
            metrics_token=env.get("GRAPH_API_METRICS_TOKEN", ""),
            audit_checkpoint_records=int(env.get("GRAPH_API_AUDIT_CHECKPOINT_RECORDS", "1000")),
            ws_recheck_seconds=float(env.get("GRAPH_API_WS_RECHECK_SECONDS", "2")),
            publish=parse_publish(env.get("GRAPH_API_PUBLISH", "bans,delistings")),
            notice_rights=parse_choice("GRAPH_API_NOTICE_RIGHTS",
                                       env.get("GRAPH_API_NOTICE_RIGHTS", "required"),
                                       ("required", "optional")),
            trust_min_listings=int(env.get("GRAPH_API_TRUST_MIN_LISTINGS", "50")),
            trust_min_accuracy=float(env.get("GRAPH_API_TRUST_MIN_ACCURACY", "0.95")),
            evidence_max_bytes=int(env.get("GRAPH_API_EVIDENCE_MAX_BYTES", str(100 * 1024 * 1024))),
            evidence_dir=Path(env["GRAPH_API_EVIDENCE_DIR"]) if env.get("GRAPH_API_EVIDENCE_DIR")
            else None,
            whole_graph_workers=int(env.get("GRAPH_API_WHOLE_GRAPH_WORKERS", "2")),
            whole_graph_per_token=int(env.get("GRAPH_API_WHOLE_GRAPH_PER_TOKEN", "2")),
            whole_graph_queued=int(env.get("GRAPH_API_WHOLE_GRAPH_QUEUE", "8")),
            analytics_max_age=parse_seconds("GRAPH_API_ANALYTICS_MAX_AGE",
                                            env.get("GRAPH_API_ANALYTICS_MAX_AGE", "0")),
        )
        given = {k: v for k, v in overrides.items() if v is not None}
        return replace(settings, **given)  # type: ignore[arg-type]

    @property
    def secrets_dir(self) -> Path:
        """The database's own folder (``graph.db.d`` beside ``graph.db``): its secrets,
        mode 0600, and its export packages (``graph_api.keyfiles``)."""
        return database_folder(self.db)

    @property
    def evidence_folder(self) -> Path:
        """Where evidence files are kept, by SHA-256: ``GRAPH_API_EVIDENCE_DIR``, else
        ``evidence/`` in the database's own folder (``graph.db.d/evidence``)."""
        return self.evidence_dir if self.evidence_dir is not None else self.secrets_dir / "evidence"
