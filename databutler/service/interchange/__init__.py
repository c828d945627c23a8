"""Interchange with the reference system (lsst-daf-butler): its export YAML, read and written."""
