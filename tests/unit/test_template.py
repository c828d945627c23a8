"""FileTemplate: rendering Dataset paths that never leave the datastore root."""

from __future__ import annotations

import uuid

import pytest

from databutler.domain import (
    ConfigError,
    DataId,
    DatasetRef,
    DatasetType,
    FileTemplate,
    FileTemplates,
    PathTemplateError,
    check_relative_path,
)

CALEXP = DatasetType("calexp", ("instrument", "visit", "detector"), "StructuredData")


def ref(run: str = "u/alice/run1", dataset_type: DatasetType = CALEXP, **data_id: int | str) -> DatasetRef:
    values = data_id or {"instrument": "Cam1", "visit": 12, "detector": 3}
    return DatasetRef(dataset_type, DataId(values, {"physical_filter": "Cam1-r"}), run=run,
                      id=uuid.UUID(int=0xABC))


def test_default_template_renders_run_dataset_type_and_data_id() -> None:
    assert FileTemplate().render(ref()) == "u/alice/run1/calexp/instrument=Cam1_visit=12_detector=3"


def test_unit_fields_id_and_component() -> None:
    template = FileTemplate("{run}/{instrument}/{visit:?}/{physical_filter}/{id}_{component}")
    assert template.render(ref(), component="wcs") == f"u/alice/run1/Cam1/12/Cam1-r/{uuid.UUID(int=0xABC).hex}_wcs"


def test_optional_fields_vanish_with_their_separator() -> None:
    template = FileTemplate("{run}/{dataset_type}/{tract:?}/{data_id}_{component:?}")
    assert template.render(ref()) == "u/alice/run1/calexp/instrument=Cam1_visit=12_detector=3"
    assert template.render(ref(), "wcs") == "u/alice/run1/calexp/instrument=Cam1_visit=12_detector=3_wcs"


def test_a_missing_required_field_is_refused_with_the_fix() -> None:
    with pytest.raises(PathTemplateError, match=r"\{tract:\?\}"):
        FileTemplate("{run}/{tract}/{data_id}").render(ref())
    with pytest.raises(PathTemplateError, match="component"):
        FileTemplate("{run}/{data_id}.{component}").render(ref())


@pytest.mark.parametrize("template", ["../{data_id}", "{run}/../../{data_id}", "/etc/{data_id}", "C:{data_id}",
                                      "{run}//{data_id}", "{run}/./{data_id}", "{run}\\{data_id}"])
def test_templates_that_escape_or_are_absolute_are_refused(template: str) -> None:
    with pytest.raises(PathTemplateError):
        FileTemplate(template).render(ref())


@pytest.mark.parametrize("run", ["..", "../escape", "a/../../b", "/abs", "a\x00b", "a\\b", "a//b", "a/", "."])
def test_unsafe_run_values_are_refused(run: str) -> None:
    with pytest.raises(PathTemplateError):
        FileTemplate().render(ref(run=run))


@pytest.mark.parametrize("value", ["..", ".", "a\\b", "nul\x00", "tab\t", "line\u2028sep"])
def test_unsafe_data_id_values_are_refused(value: str) -> None:
    with pytest.raises(PathTemplateError):
        FileTemplate("{run}/{instrument}/{data_id}").render(ref(instrument=value, visit=1, detector=1))


@pytest.mark.parametrize(("value", "component"), [("discrete/ci_hsc", "discrete%2Fci_hsc"),
                                                  ("../../etc", "..%2F..%2Fetc"), ("50%", "50%25"),
                                                  ("a%2Fb", "a%252Fb")])
def test_a_slash_in_a_data_id_value_stays_inside_one_path_component(value: str, component: str) -> None:
    # Key values may contain '/' (the reference's skymap 'discrete/ci_hsc'); a path never gains a level from one.
    path = FileTemplate("{run}/{instrument}/{data_id}").render(ref(instrument=value, visit=1, detector=1))
    parts = path.split("/")
    assert parts[:3] == ["u", "alice", "run1"]
    assert parts[3] == component
    assert len(parts) == 5 and parts[4].startswith(f"instrument={component}_")


def test_non_ascii_values_are_allowed() -> None:
    path = FileTemplate("{run}/{instrument}").render(ref(instrument="Caméra-Ω", visit=1, detector=1))
    assert path == "u/alice/run1/Caméra-Ω"


@pytest.mark.parametrize("template", ["", "no fields", "{run}", "{run}/{dataset_type}", "{run", "{run}/{data_id"])
def test_templates_without_unique_fields_or_malformed_are_refused(template: str) -> None:
    with pytest.raises(PathTemplateError):
        FileTemplate(template)


@pytest.mark.parametrize("path", ["", "/a", "a/../b", "a//b", "a/./b", "a\\b", "a\x00b", "C:/x", "a/\x7f", "a/\ud800b"])
def test_check_relative_path_refuses_unsafe_paths(path: str) -> None:
    with pytest.raises(PathTemplateError):
        check_relative_path(path)


def test_check_relative_path_accepts_clean_paths() -> None:
    for path in ("a", "a/b.c/d", "run/with space/x=1_y=2", "é/ü", "...", "a..b"):
        assert check_relative_path(path) == path


def test_templates_per_dataset_type_fall_back_to_default() -> None:
    templates = FileTemplates.from_config({"default": "{run}/{data_id}", "calexp": "{run}/cx/{visit}/{detector}"})
    assert templates.render(ref()) == "u/alice/run1/cx/12/3"
    other = DatasetType("bias", ("instrument", "detector"), "StructuredData")
    assert templates.render(ref(dataset_type=other, instrument="Cam1", detector=3)) == \
        "u/alice/run1/instrument=Cam1_detector=3"
    assert FileTemplates.from_config(None).default == FileTemplate()
    assert FileTemplates.from_config("{id}").render(ref()) == uuid.UUID(int=0xABC).hex


@pytest.mark.parametrize("spec", [3, ["{id}"], {"calexp": 1}, {"default": "{run}"}])
def test_bad_template_configuration_is_a_config_error(spec: object) -> None:
    with pytest.raises(ConfigError):
        FileTemplates.from_config(spec)  # type: ignore[arg-type]
