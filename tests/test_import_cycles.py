"""No module of graph_api imports, however indirectly, a module that imports it back
(issue 20). import-linter's contracts (pyproject.toml, run first by `make test`) keep
the layers one way; this covers what they do not: modules within one layer or package.
Imports inside functions and under TYPE_CHECKING count too: a cycle hidden in a
function is still two modules that cannot be understood apart."""

from __future__ import annotations

import grimp


def test_no_module_imports_itself_back() -> None:
    graph = grimp.build_graph("graph_api")
    cycles = sorted(
        (module, imported)
        for module in graph.modules
        for imported in graph.find_modules_directly_imported_by(module)
        if graph.chain_exists(importer=imported, imported=module)
    )
    assert cycles == []
