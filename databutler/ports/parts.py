"""Reading a composite stored in parts: which part files a read needs, with which parameters, and assembly.

A disassembled Dataset has one artifact per component (``StoredArtifact.component`` set) and no
whole-dataset artifact. A read of one component reads that part alone; a read of the whole reads
every recorded part and assembles them. Read parameters are checked against the composite's
StorageClass, then each part gets those its assembler routes to it (by default the parameters the
component's StorageClass accepts); a parameter no part takes is refused. A parameter the assembler
applies itself (``Assembler.own_parameters``) goes to no part: the parts are read without it,
assembled, and the assembler narrows the result; a component read with such a parameter reads
every part and takes the component from the narrowed composite (as a whole file would answer it).
A component the assembler declares optional (``optional_components``) and that has no part reads
nothing and gives the assembler's value for it. Every datastore that reads
artifacts one at a time uses ``plan_parts_read`` (the file datastores and the cache do).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import attrs

from ..domain.dataset import StoredArtifact
from ..domain.errors import DatastoreError, StorageClassError
from ..domain.storage_class import StorageClass, StorageClassRegistry, extract_component
from .assembler import Assembler, AssemblerSet
from .datastore import ReadRequest


@attrs.frozen
class PartsRead:
    """The reads of the part files one request needs, and how their results become its answer."""

    requests: Mapping[str, ReadRequest]
    """One request per component to read, each naming its part artifact and the component's parameters."""
    storage_class: StorageClass
    """The composite's StorageClass."""
    assembler: Assembler | None
    """None when one part answers alone (a component read), or nothing is read (``absent``)."""
    applied: Mapping[str, Any] = attrs.field(factory=dict)
    """Read parameters the assembler applies itself to the assembled composite (``own_parameters``)."""
    component: str | None = None
    """The component to take from the assembled composite (a component read with an ``applied`` parameter)."""
    absent: Any = None
    """The answer when there is no part to read: an optional component the composite lacks."""

    def finish(self, values: Mapping[str, Any]) -> Any:
        """The answer of the request from the values read for each of ``requests``."""
        if self.assembler is None:
            if not values:
                return self.absent
            (value,) = values.values()
            return value
        obj = self.assembler.assemble(values, self.storage_class)
        if self.applied:
            obj = self.assembler.apply_parameters(obj, self.applied, self.storage_class)
        return obj if self.component is None else extract_component(self.storage_class, obj, self.component)

    def run(self, read: Callable[[ReadRequest], Any]) -> Any:
        """Read each part with ``read`` and finish."""
        return self.finish({component: read(request) for component, request in self.requests.items()})


def plan_parts_read(request: ReadRequest, storage_classes: StorageClassRegistry,
                    assemblers: AssemblerSet) -> PartsRead | None:
    """The part reads ``request`` needs, or None when a whole-dataset artifact serves it."""
    parts = {a.component: a for a in request.artifacts if a.component is not None}
    whole = any(a.component is None for a in request.artifacts)
    if not parts or (request.component is None and whole):
        return None
    composite = storage_classes[request.ref.dataset_type.storage_class]
    assembler = assemblers.for_storage_class(composite.name)
    component = request.component
    if component is not None and component not in parts:
        composite.component(component)  # StorageClassError for a component the composite lacks
        optional = assembler.optional_components(composite) if assembler is not None and not whole else {}
        if component not in optional:
            return None  # a whole artifact serves it, or DatasetNotFoundError: this part is not stored
        composite.check_parameters(request.parameters)
        return PartsRead({}, composite, None, absent=optional[component])
    composite.check_parameters(request.parameters)
    own = assembler.own_parameters(composite) if assembler is not None else frozenset()
    parameters = dict(request.parameters or {})
    applied = {name: value for name, value in parameters.items() if name in own}
    routed = {name: value for name, value in parameters.items() if name not in own}
    if component is not None and not applied:
        alone = _part_request(request, parts[component], composite, assembler, parameters=routed,
                              storage_classes=storage_classes)
        return PartsRead({component: alone}, composite, None)
    if assembler is None:
        raise DatastoreError(f"{request.ref} is stored in parts ({sorted(parts)}) but storage class "
                             f"{composite.name!r} has no assembler here; read its components one by one, or "
                             "register its assembler (databutler.ports.assembler)")
    requests = {name: _part_request(request, artifact, composite, assembler, parameters=routed,
                                    storage_classes=storage_classes)
                for name, artifact in sorted(parts.items())}
    unused = set(routed) - {name for r in requests.values() for name in r.parameters or ()}
    if unused:
        raise StorageClassError(f"read parameters {sorted(unused)} apply to no component of {request.ref}, "
                                f"which is stored in parts {sorted(parts)}")
    return PartsRead(requests, composite, assembler, applied, component)


def _part_request(request: ReadRequest, artifact: StoredArtifact, composite: StorageClass,
                  assembler: Assembler | None, *, parameters: Mapping[str, Any],
                  storage_classes: StorageClassRegistry) -> ReadRequest:
    component = artifact.component
    assert component is not None
    part_class = storage_classes[artifact.storage_class]
    routed = (assembler.parameters_for(composite, component, part_class, parameters) if assembler is not None
              else {k: v for k, v in parameters.items() if k in part_class.parameters})
    return ReadRequest(request.ref, [artifact], routed or None, component)


def part_path(path: str, component: str) -> str:
    """The path (without extension) of the part holding ``component`` of a dataset whose whole file is ``path``."""
    return f"{path}.{component}"
