"""A throwaway installed distribution with entry points, for testing plug-in loading without pip.

``importlib.metadata`` finds distributions through ``*.dist-info`` directories on ``sys.path``, so
writing one (and the modules it names) into a temporary directory and prepending that directory
to ``sys.path`` is, to databutler, the same as ``pip install``::

    path = fake_distribution(tmp_path, "my-plugin", {"my_mod": "X = 1"},
                             {"databutler.formatters": {"csv": "my_mod:CsvFormatter"}})
    monkeypatch.syspath_prepend(str(path))
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path


def fake_distribution(directory: Path, name: str, modules: Mapping[str, str],
                      entry_points: Mapping[str, Mapping[str, str]]) -> Path:
    """Write distribution ``name`` (its ``modules``' sources and ``entry_points`` by group) under ``directory``."""
    root = directory / f"site-{name}"
    dist_info = root / f"{name.replace('-', '_')}-0.0.0.dist-info"
    dist_info.mkdir(parents=True)
    (dist_info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.0.0\n", encoding="utf-8")
    groups = [f"[{group}]\n" + "".join(f"{key} = {value}\n" for key, value in entries.items())
              for group, entries in entry_points.items()]
    (dist_info / "entry_points.txt").write_text("\n".join(groups), encoding="utf-8")
    for module, source in modules.items():
        (root / f"{module}.py").write_text(source, encoding="utf-8")
    return root
