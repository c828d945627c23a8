"""Creating the side tables of a DBB registry in a DESDM database, and opening one.

``create`` checks that the database holds a DESDM catalog (it never makes one) and that the
configured archive is in OPS_ARCHIVE, then creates the ``DBB_`` side tables and records the
universe. ``open`` reads the universe back. Both reflect the site's metadata tables (those
OPS_FILETYPE names, plus any the configuration lists) and map their columns to DataUnits.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

import attrs
import sqlalchemy as sa

from ...domain.errors import ConfigError, ConflictingDefinitionError, RegistryError, UniverseError
from ...domain.remedies import Action, Remedy
from ...domain.suggestions import hint
from ...domain.universe import Universe
from ..sql.engine import begin, create_sql_engine, parse_url
from ..sql.errors import translated
from ..sql.layout import Layout
from ..sql.schema import build_schema
from ..sql.session import dispose
from .catalog import Catalog
from .mapping import OWN_TABLE, MetadataTable, describe_table, unit_mapping
from .tables import PREFIX, SIDE_VERSION, Desdm, desdm_tables, meta_table, side_tables, upper


@attrs.frozen
class Settings:
    """The registry's options from butler.yaml (see ``factory``)."""

    url: str
    namespace: str | None = None
    units: Mapping[str, str] = attrs.field(factory=dict)
    """Metadata column -> DataUnit name, as given (checked against the universe when it is known)."""
    archive: str | None = None
    reqnum: int = 0
    delivered_run: str = "delivered"
    metadata_tables: Sequence[str] = ()
    busy_timeout_s: float = 30.0


@attrs.frozen
class Opened:
    """A DESDM database with its side tables, ready for a DbbRegistry."""

    engine: sa.Engine
    connection: sa.Connection
    universe: Universe
    layout: Layout
    catalog: Catalog
    url: str
    shown: str


def create(settings: Settings, universe: Universe) -> Opened:
    """Create the side tables for ``universe`` in the DESDM database of ``settings``."""
    return _open(settings, universe)


def open_existing(settings: Settings) -> Opened:
    """Open the DBB registry (side tables) in the DESDM database of ``settings``."""
    return _open(settings, None)


def _open(settings: Settings, universe: Universe | None) -> Opened:
    parsed = parse_url(settings.url)
    shown = parsed.render_as_string(hide_password=True)
    engine = create_sql_engine(parsed, busy_timeout_s=settings.busy_timeout_s)
    connection = None
    try:
        with translated(f"open the Data Backbone catalog at {shown}"):
            connection = engine.connect()
            desdm = desdm_tables(settings.namespace)
            with begin(connection, write=universe is not None):
                inspector = sa.inspect(connection)
                tables = {t.upper() for t in inspector.get_table_names(schema=settings.namespace)}
                missing = [str(t.name).upper() for t in desdm.metadata.sorted_tables
                           if str(t.name).upper() not in tables]
                if missing:
                    raise RegistryError(f"the database at {shown} is not a Data Backbone catalog: it lacks the DESDM "
                                        f"tables {missing}")
                _check_archive(connection, desdm.ops_archive, settings.archive)
                meta_name = f"{PREFIX}META".upper()
                if universe is not None:
                    if meta_name in tables:
                        raise ConflictingDefinitionError(
                            f"a databutler registry already exists in the Data Backbone catalog at {shown}",
                            remedy=Remedy(Action.OPEN_EXISTING, shown, "DbbRegistry.open"))
                    side = side_tables(universe, settings.namespace)
                    side.metadata.create_all(connection)
                    connection.execute(side.meta.insert(), [
                        {"key": "side_version", "value": SIDE_VERSION},
                        {"key": "universe", "value": json.dumps(universe.to_mapping())}])
                else:
                    if meta_name not in tables:
                        raise RegistryError(f"the Data Backbone catalog at {shown} has no databutler side tables; "
                                            "create them once with `databutler create --config <dbb butler.yaml>`")
                    universe = _stored_universe(connection, settings.namespace, shown)
                    side = side_tables(universe, settings.namespace)
                mapping = unit_mapping(universe, settings.units)
                metadata = _metadata_tables(connection, desdm, settings, universe, mapping=mapping,
                                            own=side.own_metadata)
    except BaseException:
        dispose(engine, connection)
        raise
    assert connection is not None
    schema = attrs.evolve(build_schema(universe, settings.namespace), elements=side.elements, skypix=side.skypix,
                            spatial_pairs=side.spatial_pairs)
    catalog = Catalog(desdm, side, metadata, settings.namespace, settings.reqnum, settings.delivered_run,
                      settings.archive)
    return Opened(engine, connection, universe, Layout.single(schema), catalog, settings.url, shown)


def _check_archive(connection: sa.Connection, archives: sa.Table, name: str | None) -> None:
    if name is None:
        return
    known = list(connection.execute(sa.select(archives.c.NAME).order_by(archives.c.NAME)).scalars())
    if name not in known:
        close = hint(name, known)
        raise ConfigError(f"archive {name!r} is not in OPS_ARCHIVE{'; ' + close if close else ''} "
                          f"(archives: {known})")


def _stored_universe(connection: sa.Connection, namespace: str | None, shown: str) -> Universe:
    meta = meta_table(namespace)
    stored = dict(connection.execute(sa.select(meta.c.key, meta.c.value)).all())
    if stored.get("side_version") != SIDE_VERSION:
        raise RegistryError(f"the databutler side tables at {shown} have version {stored.get('side_version')!r}; "
                            f"this databutler reads version {SIDE_VERSION!r}")
    try:
        return Universe.from_mapping(json.loads(stored["universe"]))
    except (KeyError, ValueError, UniverseError) as err:
        raise RegistryError(f"the universe stored in the side tables at {shown} is unreadable: {err}") from None


def _metadata_tables(connection: sa.Connection, desdm: Desdm, settings: Settings, universe: Universe, *,
                     mapping: Mapping[str, str], own: sa.Table) -> dict[str, MetadataTable]:
    """The site's metadata tables (reflected, keys upper case) and the adapter's own, described."""
    filetype = desdm.ops_filetype
    named = {str(n).upper() for n in connection.execute(
        sa.select(filetype.c.METADATA_TABLE).where(filetype.c.METADATA_TABLE.is_not(None)).distinct()).scalars()}
    named |= {n.upper() for n in settings.metadata_tables}
    named.discard(OWN_TABLE)
    present = {t.upper(): t for t in sa.inspect(connection).get_table_names(schema=settings.namespace)}
    result: dict[str, MetadataTable] = {}
    md = sa.MetaData(schema=settings.namespace)
    for name in sorted(named):
        if name not in present:
            continue  # a file type naming a missing table is refused when someone registers it
        reflected = sa.Table(present[name], sa.MetaData(schema=settings.namespace), autoload_with=connection)
        columns = [sa.Column(upper(str(c.name).upper()), c.type, key=str(c.name).upper(),
                             primary_key=c.primary_key) for c in reflected.columns]
        if "FILENAME" not in {c.key for c in columns}:
            continue
        result[name] = describe_table(universe, sa.Table(upper(name), md, *columns), mapping, own=False)
    result[OWN_TABLE] = describe_table(universe, own, mapping, own=True)
    return result
