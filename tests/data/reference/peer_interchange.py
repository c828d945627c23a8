"""Run by the reference system's Python (lsst-daf-butler): import or export a file, print its answers as JSON.

``import ROOT FILE [DIRECTORY]``: a new repository at ROOT, FILE imported (files copied from
DIRECTORY, default FILE's directory), then every dataset (type, run, required DataId, content),
every collection's kind, chain and members, and the records of the elements asked in $ELEMENTS.
``import-registry ROOT FILE...``: the files imported in order without their files (registry only).
``queries ROOT FILE...``: the files imported in order without their files, then the answers to
the queries in $QUERIES (JSON: a list of [kind, what, where], kind "data_ids" with a list of
dimensions or "records" with an element): data IDs as their required values, records as dicts
without timespans and regions, each list sorted.
``spatial ROOT FILE...``: the files imported registry only, then the DataIds of each dimension group
in $GROUPS (``visit+patch;visit+detector+tract``; ``visit|WHERE`` adds a where expression), as sorted
lists of required values.
``export ROOT OUT``: a new repository with a few StructuredDataDict datasets, exported with copies to
OUT/export.yaml; prints the datasets.
"""

import json
import os
import sys

from lsst.daf.butler import Butler, CollectionType, DatasetType


def plain(key, value):
    """A record value as JSON: timespans as UTC ISO pairs, regions and bytes as hex."""
    if key == "timespan" and value is not None:
        return [None if value.begin is None else value.begin.utc.isot,
                None if value.end is None else value.end.utc.isot]
    if key == "region" and value is not None:
        return value.encode().hex()
    return value.hex() if isinstance(value, bytes) else value


def answers(butler, elements):
    registry = butler.registry
    out = {"datasets": {}, "collections": {}, "records": {}}
    for name in registry.queryCollections():
        kind = registry.getCollectionType(name)
        entry = {"kind": kind.name}
        if kind is CollectionType.CHAINED:
            entry["children"] = list(registry.getCollectionChain(name))
        if kind is CollectionType.TAGGED:
            entry["members"] = sorted(str(r.id) for r in registry.queryDatasets(..., collections=name))
        out["collections"][name] = entry
    for ref in registry.queryDatasets(..., collections=..., findFirst=False):
        content = butler.get(ref) if butler._datastore.knows(ref) else None
        out["datasets"][str(ref.id)] = [ref.datasetType.name, ref.run, dict(ref.dataId.required), content]
    for element in elements:
        rows = []
        for record in registry.queryDimensionRecords(element):
            rows.append({key: plain(key, value) for key, value in record.toDict().items()})
        out["records"][element] = rows
    return out


def query_answers(registry, queries):
    out = []
    for kind, what, where in queries:
        if kind == "data_ids":
            rows = [dict(d.required) for d in registry.queryDataIds(what, where=where)]
        else:
            rows = [{k: plain(k, v) for k, v in r.toDict().items() if k not in ("timespan", "region")}
                    for r in registry.queryDimensionRecords(what, where=where)]
        out.append(sorted(rows, key=lambda row: json.dumps(row, sort_keys=True)))
    return out


def main():
    command, root = sys.argv[1], sys.argv[2]
    elements = [e for e in os.environ.get("ELEMENTS", "").split(",") if e]
    Butler.makeRepo(root)
    butler = Butler.from_config(root, writeable=True, run="peer_run" if command == "export" else None)
    if command == "import":
        path = sys.argv[3]
        directory = sys.argv[4] if len(sys.argv) > 4 else os.path.dirname(path)
        butler.import_(directory=directory, filename=path, transfer="copy")
    elif command == "import-registry":
        for path in sys.argv[3:]:
            butler.import_(filename=path, without_datastore=True)
    elif command == "queries":
        for path in sys.argv[3:]:
            butler.import_(filename=path, without_datastore=True)
        print(json.dumps(query_answers(butler.registry, json.loads(os.environ["QUERIES"]))))
        return
    elif command == "spatial":
        for path in sys.argv[3:]:
            butler.import_(filename=path, without_datastore=True)
        found = {}
        for group in os.environ["GROUPS"].split(";"):
            names, _, where = group.partition("|")
            ids = [dict(d.required) for d in butler.registry.queryDataIds(names.split("+"), where=where)]
            found[group] = sorted(ids, key=lambda d: sorted(d.items()))
        print(json.dumps(found))
        return
    elif command == "export":
        out = sys.argv[3]
        os.makedirs(out, exist_ok=True)
        registry = butler.registry
        registry.insertDimensionData("instrument", {"name": "PeerCam", "detector_max": 4, "visit_max": 10,
                                                    "exposure_max": 10, "class_name": "x.Y", "visit_system": 0})
        registry.insertDimensionData("detector", *[{"instrument": "PeerCam", "id": i, "full_name": f"D{i}",
                                                    "purpose": "SCIENCE"} for i in (1, 2, 3)])
        registry.registerDatasetType(DatasetType("bias", ("instrument", "detector"), "StructuredDataDict",
                                                 universe=butler.dimensions))
        refs = [butler.put({"detector": i, "values": [i, i * 2]}, "bias", instrument="PeerCam", detector=i)
                for i in (1, 2, 3)]
        with butler.export(filename=os.path.join(out, "export.yaml"), directory=out, transfer="copy") as export:
            export.saveDatasets(refs)
    print(json.dumps(answers(butler, elements)))


if __name__ == "__main__":
    main()
