"""The non-interference proof (test_noninterference.py) with the regulator as C: it sees
more than a brand (AMBER), so what it may not see is another set of facts."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.security.noninterference_machine import REGULATOR, REGULATOR_EXAMPLES, run_machine
from tests.security.support import Ids

# The suite starts these first (tests/conftest.py): the longest files of the run.
pytestmark = pytest.mark.first


def test_nothing_the_regulator_may_not_see_changes_any_answer_it_gets(ids: Ids, tmp_path: Path
                                                                      ) -> None:
    run_machine(ids, tmp_path, REGULATOR_EXAMPLES, REGULATOR)
