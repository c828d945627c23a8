"""How to fix an error, named once and phrased by each front end in its own terms.

An error that tells the user what to do next carries a ``Remedy`` (an ``Action`` plus the names
it needs) instead of baking Python calls into its text: ``str(error)`` phrases it for Python
callers (``PYTHON``), and the command line phrases the same action as flags and commands
(``databutler.cli.remedies``), so a CLI user is never told to call ``set_chain``.
"""

from __future__ import annotations

import enum

import attrs


class Action(enum.Enum):
    """Something the user can do to get past an error."""

    PASS_RUN = "pass_run"
    PASS_COLLECTIONS = "pass_collections"
    UNSTORE = "unstore"
    REMOVE_RUNS = "remove_runs"
    REGISTER_DATASET_TYPE = "register_dataset_type"
    REGISTER_COLLECTION = "register_collection"
    UNCHAIN = "unchain"
    INSERT_DATA_UNITS = "insert_data_units"
    GIVE_GOVERNOR = "give_governor"
    SKIP_EXISTING = "skip_existing"
    BIND_VALUE = "bind_value"
    BIND_WITHOUT_COLON = "bind_without_colon"
    OPEN_EXISTING = "open_existing"
    CREATE_REPO = "create_repo"
    CREATE_REGISTRY = "create_registry"
    REMOVE_ORPHANS = "remove_orphans"
    REGISTER_CONVERSION = "register_conversion"


@attrs.frozen
class Remedy:
    """``action`` applied to ``subject`` (a name: a run, a chain, a bind parameter...) and ``value``."""

    action: Action
    subject: str = ""
    value: str = ""

    def phrase(self, phrases: dict[Action, str]) -> str:
        """This remedy in the words of ``phrases`` (a template per action, filled with subject and value)."""
        return phrases[self.action].format(subject=self.subject, value=self.value)


PYTHON: dict[Action, str] = {
    Action.PASS_RUN: "pass run= to Butler(...) or to this call",
    Action.PASS_COLLECTIONS: "pass collections= to Butler(...) or to this call",
    Action.UNSTORE: "pass unstore=True",
    Action.REMOVE_RUNS: "remove it with remove_runs, which deletes its datasets",
    Action.REGISTER_DATASET_TYPE: "register it with register_dataset_type",
    Action.REGISTER_COLLECTION: "register it with register_collection",
    Action.UNCHAIN: "remove it from them with set_chain first",
    Action.INSERT_DATA_UNITS: "insert one with insert_data_units({subject!r}, ...)",
    Action.GIVE_GOVERNOR: "add {subject} = {value} (or another) to the where expression or data_id",
    Action.SKIP_EXISTING: "pass skip_existing=True to accept identical records",
    Action.BIND_VALUE: "pass it as bind={{'{subject}': value}}",
    Action.BIND_WITHOUT_COLON: "give its value as bind={{'{subject}': ...}}, without the colon",
    Action.OPEN_EXISTING: "open it with {value} or choose another location",
    Action.CREATE_REPO: "create one with Butler.create({subject!r})",
    Action.CREATE_REGISTRY: "create one with {value}",
    Action.REMOVE_ORPHANS: "delete that file, or all orphans while no other process writes to this repository "
                           "with butler.remove_orphans(butler.find_orphans(older_than_s=0)); then put again",
    Action.REGISTER_CONVERSION: ("register one with ConverterRegistry.register(Conversion({subject!r}, {value!r}, "
                                 "function)) or under the entry-point group 'databutler.converters'"),
}
"""How the Python API phrases each action."""
