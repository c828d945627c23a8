"""Schema migrations of the SQL registry, run with Alembic from code (no alembic.ini, no env.py).

Alembic revision ids are the registry's schema versions (``meta.schema_version``): revision
``"1"`` is the base (the schema as databutler created it before migrations existed), and each
later revision upgrades the fixed tables by one version and records the new version in ``meta``.
A new registry is stamped at the current version in ``VERSION_TABLE``; a registry made before
Alembic has no version table and is stamped from ``meta`` when it is first migrated.
"""

from .runner import migrate_database, script_directory, stamp_new_registry, version_error

__all__ = ["migrate_database", "script_directory", "stamp_new_registry", "version_error"]
