"""Queries of the SQL registry: where expressions compiled to SQLAlchemy Core, and SQL SELECT.

One concept per module: ``plan`` (join planning over the universe), ``expressions`` (the AST
to a condition), ``constraints`` (where + data ID + inferred governors), ``sources`` (the
dataset relation of a search path), ``ordering``, ``executor`` (streaming), ``data_ids``,
``datasets``, ``records``, ``select_sql`` and ``views`` (the SQL SELECT interface).
"""
