"""Storage-independent machinery of file datastores (POSIX, object stores): shared below the port.

Planning writes, streaming checksums, integrity checks, formatter choice and ingest planning
live here once; each file datastore adds only how its storage creates, reads and deletes bytes.
"""
