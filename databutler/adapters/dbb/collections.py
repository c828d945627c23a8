"""Collections in the Data Backbone: a RUN is a PFW_ATTEMPT, a TAGGED collection a PROCTAG tag, a chain a side row.

Names: an attempt registered through databutler keeps the name it was registered with (a
``DBB_COLLECTION`` row records which attempt it is); an attempt production made is named the
DESDM way, ``<UNITNAME>_r<REQNUM>p<ATTNUM>``. Files registered outside any attempt (DESFILE
rows with no PFW_ATTEMPT_ID, such as raw data the transfer system delivered) form one more RUN,
the ``delivered_run`` of the configuration, with attempt id 0. A TAGGED collection holds the
datasets of every attempt PROCTAG tags with its name plus the datasets tagged one by one
through databutler (``DBB_TAG``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import attrs
import sqlalchemy as sa

from ...domain.collection import Collection, CollectionKind
from ...domain.errors import CollectionError
from ...domain.remedies import Action, Remedy
from ..sql.dialect import chunks
from .catalog import Catalog, attempt_name

_ATTEMPT = re.compile(r"^(?P<unit>.+)_r(?P<req>\d+)p(?P<att>\d+)$")
DELIVERED = 0
"""The attempt id of the delivered run."""


@attrs.frozen
class CollectionRecord:
    """A collection as the adapter finds it: kind, and the attempt (RUN) or side row id (TAGGED, CHAINED)."""

    name: str
    kind: CollectionKind
    id: int
    """The attempt ID of a RUN (0: the delivered run), else the side row id (0 for a PROCTAG-only tag)."""
    doc: str = ""
    task_id: int | None = None
    """A RUN's attempt TASK_ID: parent of the tasks and files written in it."""


class Collections:
    """Finds, lists, registers and removes collections (see the module docstring)."""

    def __init__(self, catalog: Catalog) -> None:
        self._catalog = catalog
        self._names: dict[int, str] = {}
        self._records: dict[str, CollectionRecord] = {}

    def clear_cache(self) -> None:
        """Forget remembered collections and attempt names (after a rollback or a change of collections)."""
        self._names.clear()
        self._records.clear()

    # -- lookup -------------------------------------------------------------------------------

    def find(self, connection: sa.Connection, names: Sequence[str]) -> dict[str, CollectionRecord]:
        """The collections among ``names`` that exist, by name (remembered once found)."""
        side, desdm = self._catalog.side, self._catalog.desdm
        found: dict[str, CollectionRecord] = {n: self._records[n] for n in names if n in self._records}
        wanted = [n for n in dict.fromkeys(names) if n not in found]
        if not wanted:
            return found
        c, a = side.collection.c, desdm.pfw_attempt.c
        for part in chunks(wanted):
            query = sa.select(c.name, c.kind, c.id, c.doc, c.attempt_id, a.TASK_ID).select_from(
                side.collection.outerjoin(desdm.pfw_attempt, a.ID == c.attempt_id)).where(c.name.in_(part))
            for name, stored_kind, row_id, doc, attempt, task in connection.execute(query):
                kind = CollectionKind(stored_kind)
                found[name] = CollectionRecord(name, kind, attempt if kind is CollectionKind.RUN else row_id, doc,
                                               task)
        for name in (n for n in wanted if n not in found):
            record = self._production(connection, name)
            if record is not None:
                found[name] = record
        self._records.update((n, found[n]) for n in wanted if n in found)
        return found

    def _production(self, connection: sa.Connection, name: str) -> CollectionRecord | None:
        if name == self._catalog.delivered_run:
            return CollectionRecord(name, CollectionKind.RUN, DELIVERED, "files delivered outside any attempt")
        desdm, side = self._catalog.desdm, self._catalog.side
        match = _ATTEMPT.match(name)
        if match:
            a, c = desdm.pfw_attempt.c, side.collection.c
            claimed = sa.exists().where(c.attempt_id == a.ID)  # then it is named as registered, not like this
            row = connection.execute(sa.select(a.ID, a.TASK_ID).where(
                a.UNITNAME == match["unit"], a.REQNUM == int(match["req"]), a.ATTNUM == int(match["att"]),
                ~claimed)).first()
            if row is not None:
                return CollectionRecord(name, CollectionKind.RUN, row[0], "", row[1])
        p = desdm.proctag.c
        if connection.execute(sa.select(p.TAG).where(p.TAG == name).limit(1)).first() is not None:
            return CollectionRecord(name, CollectionKind.TAGGED, 0, "PROCTAG tag")
        return None

    def get(self, connection: sa.Connection, name: str) -> CollectionRecord:
        """Collection ``name`` (RegistryBase checked that it exists)."""
        found = self.find(connection, [name])
        if name not in found:
            raise CollectionError(f"there is no collection {name!r}")
        return found[name]

    def run_names(self, connection: sa.Connection, attempts: set[int]) -> dict[int, str]:
        """The RUN name of each attempt id (remembered once read)."""
        missing = sorted(a for a in attempts if a not in self._names)
        if missing:
            side, desdm = self._catalog.side, self._catalog.desdm
            c, a = side.collection.c, desdm.pfw_attempt.c
            if DELIVERED in missing:
                self._names[DELIVERED] = self._catalog.delivered_run
            for part in chunks(missing):
                query = sa.select(a.ID, a.UNITNAME, a.REQNUM, a.ATTNUM, c.name).select_from(
                    desdm.pfw_attempt.outerjoin(side.collection, c.attempt_id == a.ID)).where(a.ID.in_(part))
                for attempt, unit, req, att, claimed in connection.execute(query):
                    self._names[attempt] = claimed or attempt_name(unit, req, att)
        return {a: self._names[a] for a in attempts if a in self._names}

    def describe(self, connection: sa.Connection, names: Sequence[str] | None) -> list[Collection]:
        """The collections with these names (all if None), sorted by name, chains with their children."""
        records = list(self.find(connection, names).values()) if names is not None else self._all(connection)
        chains = [r.name for r in records if r.kind is CollectionKind.CHAINED]
        children: dict[str, list[str]] = {n: [] for n in chains}
        ch = self._catalog.side.chain.c
        for part in chunks(chains):
            for parent, child in connection.execute(sa.select(ch.parent, ch.child).where(ch.parent.in_(part))
                                                    .order_by(ch.parent, ch.position)):
                children[parent].append(child)
        return sorted((Collection(r.name, r.kind, r.doc, tuple(children.get(r.name, ()))) for r in records),
                      key=lambda c: c.name)

    def _all(self, connection: sa.Connection) -> list[CollectionRecord]:
        side, desdm = self._catalog.side, self._catalog.desdm
        c, a, p = side.collection.c, desdm.pfw_attempt.c, desdm.proctag.c
        records = [CollectionRecord(name, CollectionKind(kind), row_id, doc) for name, kind, row_id, doc in
                   connection.execute(sa.select(c.name, c.kind, c.id, c.doc))]
        taken = {r.name for r in records}
        claimed = sa.select(c.attempt_id).where(c.attempt_id.is_not(None))
        for attempt, unit, req, att, task in connection.execute(
                sa.select(a.ID, a.UNITNAME, a.REQNUM, a.ATTNUM, a.TASK_ID).where(a.ID.not_in(claimed))):
            name = attempt_name(unit, req, att)
            if name not in taken:
                records.append(CollectionRecord(name, CollectionKind.RUN, attempt, "", task))
                taken.add(name)
        for (tag,) in connection.execute(sa.select(p.TAG).distinct()):
            if tag not in taken:
                records.append(CollectionRecord(tag, CollectionKind.TAGGED, 0, "PROCTAG tag"))
                taken.add(tag)
        f = self._catalog.desdm.desfile.c
        delivered = connection.execute(sa.select(f.ID).where(f.PFW_ATTEMPT_ID.is_(None)).limit(1)).first()
        if delivered is not None and self._catalog.delivered_run not in taken:  # listed once it holds files
            records.append(CollectionRecord(self._catalog.delivered_run, CollectionKind.RUN, DELIVERED,
                                            "files delivered outside any attempt"))
        return records

    # -- writes -------------------------------------------------------------------------------

    def register(self, connection: sa.Connection, name: str, kind: CollectionKind, doc: str) -> CollectionKind | None:
        """Register ``name``; if it exists, register nothing and return its kind."""
        existing = self.find(connection, [name]).get(name)
        if existing is not None:
            return existing.kind
        self._records.pop(name, None)
        attempt = None
        if kind is CollectionKind.RUN:
            attempt = self._new_attempt(connection, name)
        connection.execute(self._catalog.side.collection.insert().values(
            name=name, kind=kind.value, doc=doc, attempt_id=attempt))
        return None

    def _new_attempt(self, connection: sa.Connection, name: str) -> int:
        """A PFW_ATTEMPT (and its TASK) for a RUN databutler registers: REQNUM from the configuration."""
        catalog = self._catalog
        a = catalog.desdm.pfw_attempt
        attnum = 1 + int(connection.execute(sa.select(sa.func.coalesce(sa.func.max(a.c.ATTNUM), 0)).where(
            a.c.REQNUM == catalog.reqnum, a.c.UNITNAME == name)).scalar_one())
        task = catalog.new_task(connection, "attempt", parent=None, root=None, label=name)
        attempt = catalog.next_id(connection, "PFW_ATTEMPT_SEQ", a)
        connection.execute(a.insert().values(REQNUM=catalog.reqnum, UNITNAME=name, ATTNUM=attnum, TASK_ID=task,
                                             ID=attempt, DATA_STATE="ACTIVE"))
        return attempt

    def set_chain(self, connection: sa.Connection, name: str, children: Sequence[str]) -> None:
        """Replace the children of chain ``name`` (RegistryBase checked the chain rules)."""
        chain = self._catalog.side.chain
        self._records.pop(name, None)
        connection.execute(chain.delete().where(chain.c.parent == name))
        if children:
            connection.execute(chain.insert(), [{"parent": name, "position": i, "child": c}
                                                for i, c in enumerate(children)])

    def remove(self, connection: sa.Connection, name: str, datasets_in_run: int) -> None:
        """Remove ``name`` unless it is a chain's child, a non-empty RUN, or production's."""
        side, desdm = self._catalog.side, self._catalog.desdm
        record = self.get(connection, name)
        self._records.pop(name, None)
        ch = side.chain.c
        parents = sorted(set(connection.execute(sa.select(ch.parent).where(ch.child == name)).scalars()))
        if parents:
            raise CollectionError(f"collection {name!r} is still a child of chains {parents}",
                                  remedy=Remedy(Action.UNCHAIN, name, ", ".join(parents)))
        c = side.collection.c
        own = connection.execute(sa.select(c.id).where(c.name == name)).first()
        if own is None:
            raise CollectionError(f"collection {name!r} is production's (a processing attempt or a PROCTAG tag), "
                                  "not one registered through databutler; the Data Backbone's operators remove it")
        if record.kind is CollectionKind.RUN:
            if datasets_in_run:
                raise CollectionError(f"run {name!r} still holds {datasets_in_run} datasets; remove them first")
            a, p, t = desdm.pfw_attempt, desdm.proctag, desdm.task
            connection.execute(side.collection.delete().where(c.name == name))
            connection.execute(p.delete().where(p.c.PFW_ATTEMPT_ID == record.id))
            connection.execute(a.delete().where(a.c.ID == record.id))
            if record.task_id is not None:  # kept while quanta of the run name it as their parent
                child = t.alias("child")
                connection.execute(t.delete().where(t.c.ID == record.task_id, ~sa.exists().where(
                    child.c.PARENT_TASK_ID == record.task_id)))
            self._names.pop(record.id, None)
            return
        if record.kind is CollectionKind.TAGGED:
            connection.execute(side.tag.delete().where(side.tag.c.tag == name))
        else:
            connection.execute(side.chain.delete().where(ch.parent == name))
        connection.execute(side.collection.delete().where(c.name == name))
