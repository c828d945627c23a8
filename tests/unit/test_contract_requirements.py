"""requires/refuses marks decided at collection from a contract class's declared capabilities, and checked back."""

from __future__ import annotations

import re

import pytest

pytest_plugins = ["pytester"]

MODULE = '''
import pytest
from databutler.adapters.memory import make_datastore
from databutler.adapters.formats import default_formatter_set
from databutler.domain import StorageClassRegistry
from databutler.ports import DatastoreCapability
from databutler.testing.datastore import DatastoreDeclarationsContract, DatastoreIngestContract

BUILT = []


class TestMemory(DatastoreDeclarationsContract, DatastoreIngestContract):
    {declaration}

    @pytest.fixture
    def make_datastore(self):
        def make():
            BUILT.append(1)
            return make_datastore({{"adapter": "memory"}}, storage_classes=StorageClassRegistry(),
                                  formatters=default_formatter_set(), create=True, writeable=True)
        return make


def test_zz_built(request):
    print("BUILT", len(BUILT))
'''
MEMORY = "{DatastoreCapability.WRITE, DatastoreCapability.REMOVE, DatastoreCapability.LIST}"


def built(result: pytest.RunResult) -> int:
    """How many datastores the contract tests of the run built."""
    found = re.search(r"BUILT (\d+)", result.stdout.str())
    assert found, "the module's last test prints how many datastores were built"
    return int(found.group(1))


def test_tests_a_declaration_does_not_meet_are_skipped_at_collection_before_building(
        pytester: pytest.Pytester) -> None:
    pytester.makepyfile(MODULE.format(declaration=f"capabilities = {MEMORY}"))
    result = pytester.runpytest("-s", "-rs")
    outcomes = result.parseoutcomes()
    assert outcomes.get("failed", 0) == 0
    result.stdout.fnmatch_lines(["*TestMemory does not declare the capability 'ingest'*"])
    # every ingest test and the refusals of what memory declares were skipped without a datastore
    assert built(result) == outcomes["passed"] - 1  # one datastore per contract test that ran (test_zz excluded)


def test_a_declared_capability_the_adapter_does_not_report_fails_naming_it(pytester: pytest.Pytester) -> None:
    declaration = "capabilities = {DatastoreCapability.WRITE, DatastoreCapability.REMOVE, DatastoreCapability.LIST, " \
                  "DatastoreCapability.CHECKSUMS}"
    pytester.makepyfile(MODULE.format(declaration=declaration))
    result = pytester.runpytest("-k", "declares_what")
    result.assert_outcomes(failed=1)
    expected = "declared but not reported ['checksums'], reported but not declared []"
    result.stdout.re_match_lines([".*" + re.escape(expected)])


def test_a_reported_capability_the_class_does_not_declare_fails_naming_it(pytester: pytest.Pytester) -> None:
    declaration = "capabilities = {DatastoreCapability.WRITE, DatastoreCapability.LIST}"
    pytester.makepyfile(MODULE.format(declaration=declaration))
    result = pytester.runpytest()
    expected = "declared but not reported [], reported but not declared ['remove']"
    result.stdout.re_match_lines([".*" + re.escape(expected)])
    assert result.parseoutcomes()["failed"] >= 1


def test_a_class_without_a_declaration_is_decided_once_its_adapter_is_built(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(MODULE.format(declaration="pass"))
    result = pytester.runpytest("-rs")
    assert result.parseoutcomes().get("failed", 0) == 0
    result.stdout.fnmatch_lines(["*MemoryDatastore does not declare the capability 'ingest'*"])
