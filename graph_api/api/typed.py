"""strawberry's ``field`` and ``mutation`` decorators, typed for mypy.

Called with options (``description=...``) strawberry's overloads return ``Any``, so
mypy --strict calls the decorator untyped and the method it decorates becomes
untyped too. ``typed_field`` and ``typed_mutation`` make exactly the same call and
tell mypy the method keeps its own signature — which is how strawberry calls it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

import strawberry

__all__ = ["typed_field", "typed_mutation"]

Method = TypeVar("Method", bound=Callable[..., Any])


def typed_field(**options: Any) -> Callable[[Method], Method]:
    """``strawberry.field(**options)`` as a decorator that keeps the method's type."""
    return cast("Callable[[Method], Method]", strawberry.field(**options))


def typed_mutation(**options: Any) -> Callable[[Method], Method]:
    """``strawberry.mutation(**options)`` as a decorator that keeps the method's type."""
    return cast("Callable[[Method], Method]", strawberry.mutation(**options))
