"""How the command line phrases the fix an error carries: as flags and commands, never Python calls."""

from __future__ import annotations

import shlex

from ..domain.errors import DataButlerError
from ..domain.remedies import Action

CLI: dict[Action, str] = {
    Action.PASS_RUN: "name the run with --run",
    Action.PASS_COLLECTIONS: "name the collections to search with --collections/-c",
    Action.UNSTORE: "leave out --keep-artifacts, so that their files are deleted too",
    Action.REMOVE_RUNS: "remove it with `databutler remove-runs REPO {subject}`, which deletes its datasets",
    Action.REGISTER_DATASET_TYPE: ("register it with `databutler register-dataset-type REPO {subject} "
                                   "STORAGE_CLASS UNITS...`"),
    Action.REGISTER_COLLECTION: ("list the collections with `databutler query-collections REPO`; `ingest-files "
                                 "--run` makes RUNs, `associate` TAGGED and `collection-chain` CHAINED ones"),
    Action.UNCHAIN: "first redefine {value} without it: `databutler collection-chain REPO CHAIN CHILDREN...`",
    Action.INSERT_DATA_UNITS: "insert one with `databutler insert-data-units REPO {subject} FILE`",
    Action.GIVE_GOVERNOR: "add {subject} = {value} (or another) to --where, or pass -d {subject}={value}",
    Action.SKIP_EXISTING: "pass --skip-existing to accept identical records",
    Action.BIND_VALUE: "give its value with -b {subject}=VALUE",
    Action.BIND_WITHOUT_COLON: "give its value as -b {subject}=VALUE, without the colon",
    Action.OPEN_EXISTING: "use it as it is (every command takes its path, e.g. "
                          "`databutler query-collections {subject}`) or choose another location",
    Action.CREATE_REPO: "create one with `databutler create {subject}`",
    Action.REMOVE_ORPHANS: "delete that file, or all orphans while no other process writes to this repository "
                           "with `databutler verify {subject} --orphans --remove-orphans --older-than 0`; "
                           "then put again",
    Action.CREATE_REGISTRY: "create a repository with it: `databutler create NEW_REPO --config CONFIG`",
    Action.REGISTER_CONVERSION: ("install a plug-in that registers it under the entry-point group "
                                 "'databutler.converters'"),
}
"""How the command line phrases each action (every Action has an entry: a test checks it)."""


def cli_message(error: DataButlerError, repo: str | None = None) -> str:
    """The message of ``error`` with its remedy phrased for the command line (REPO filled in if known)."""
    if repo is None:
        return error.message(CLI)
    shown = shlex.quote(repo).replace("{", "{{").replace("}", "}}")
    return error.message({action: text.replace("REPO", shown) for action, text in CLI.items()})
