"""Every rendered overlay (base, dev, gpu) is schema-valid, strictly (no unknown field anywhere), for
the Kubernetes versions we support: built-in kinds against Kubernetes' own OpenAPI schemas
(kubernetes-validate), custom resources against the upstream schemas kept in deploy/k8s/crds (see
its README). A kind with neither fails: nothing is applied unchecked."""

import copy
import functools
import json
from typing import Any

import jsonschema
import jsonschema.protocols
import kubernetes_validate
import pytest

from tests.support.kustomize import K8S, rendered

# kubernetes-validate reads its schema files (a large _definitions.json among them) on every call: read
# each once per run.
kubernetes_validate.utils.schema_contents = functools.cache(kubernetes_validate.utils.schema_contents)

OVERLAYS = ["base", "dev", "gpu"]
KUBERNETES_VERSIONS = ["1.30.0", "1.32.0"]

Manifest = dict[str, Any]


@functools.cache
def custom_resource_schemas() -> dict[tuple[str, str], jsonschema.protocols.Validator]:
    """(apiVersion, kind) -> validator, from the upstream schemas under deploy/k8s/crds (generated from
    the operators' own API types by tools/fetch_crd_schemas.py; every object refuses unknown fields)."""
    validators = {}
    for path in sorted((K8S / "crds").glob("*.schema.json")):
        schema = json.loads(path.read_text(encoding="utf-8"))
        key = (schema["properties"]["apiVersion"]["const"], schema["properties"]["kind"]["const"])
        validators[key] = jsonschema.Draft202012Validator(schema)
    return validators


def hpa_behaviors(scaled_object: Manifest) -> list[Manifest]:
    """A ScaledObject's HPA behavior, wrapped in the HPA KEDA makes of it, for Kubernetes' schema."""
    config = scaled_object["spec"].get("advanced", {}).get("horizontalPodAutoscalerConfig", {})
    if "behavior" not in config:
        return []
    return [
        {
            "apiVersion": "autoscaling/v2",
            "kind": "HorizontalPodAutoscaler",
            "metadata": {"name": scaled_object["metadata"]["name"]},
            "spec": {
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "x"},
                "maxReplicas": 1,
                "behavior": copy.deepcopy(config["behavior"]),
            },
        }
    ]


@functools.cache
def _validate_once(manifest_json: str, version: str) -> None:
    """Overlays share most manifests with base: each distinct one is validated once per version."""
    validate(json.loads(manifest_json), version)


def validate(manifest: Manifest, version: str) -> None:
    validator = custom_resource_schemas().get((manifest["apiVersion"], manifest["kind"]))
    if validator is None:
        kubernetes_validate.validate(manifest, version, strict=True)
        return
    validator.validate(manifest)
    for behavior in hpa_behaviors(manifest):
        kubernetes_validate.validate(behavior, version, strict=True)


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_rendered_manifest_is_strictly_valid(overlay: str, version: str) -> None:
    failures = []
    for manifest in rendered(overlay):
        try:
            _validate_once(json.dumps(manifest, sort_keys=True), version)
        except Exception as error:  # collect them all: one run names every problem
            failures.append(f"{manifest['kind']}/{manifest['metadata']['name']}: {error}")
    assert not failures, "\n".join(failures)


def test_the_upstream_schemas_are_valid_and_strict() -> None:
    expected = {
        ("monitoring.coreos.com/v1", "ServiceMonitor"),
        ("monitoring.coreos.com/v1", "PodMonitor"),
        ("monitoring.coreos.com/v1", "PrometheusRule"),
        ("keda.sh/v1alpha1", "ScaledObject"),
    }
    assert set(custom_resource_schemas()) == expected
    for (api_version, kind), validator in custom_resource_schemas().items():
        jsonschema.Draft202012Validator.check_schema(validator.schema)
        unknown = {"apiVersion": api_version, "kind": kind, "metadata": {"name": "x"}, "spec": {"notAField": 1}}
        errors = [e.message for e in validator.iter_errors(unknown)]
        assert any("notAField" in message for message in errors), (kind, errors)


def test_a_misspelt_field_is_caught() -> None:
    (triton_scaler,) = [
        m for m in rendered("base") if m["kind"] == "ScaledObject" and m["metadata"]["name"] == "triton"
    ]
    misspelt = copy.deepcopy(triton_scaler)
    misspelt["spec"]["minReplicas"] = misspelt["spec"].pop("minReplicaCount")
    with pytest.raises(jsonschema.ValidationError):
        validate(misspelt, KUBERNETES_VERSIONS[-1])
    numeric = copy.deepcopy(triton_scaler)
    numeric["spec"]["triggers"][0]["metadata"]["threshold"] = 4  # KEDA wants strings
    with pytest.raises(jsonschema.ValidationError):
        validate(numeric, KUBERNETES_VERSIONS[-1])
    flag = copy.deepcopy(triton_scaler)
    flag["spec"]["triggers"][0]["useCachedMetrics"] = "yes"  # a boolean upstream
    with pytest.raises(jsonschema.ValidationError):
        validate(flag, KUBERNETES_VERSIONS[-1])
    (gateway,) = [m for m in rendered("base") if m["kind"] == "Deployment" and m["metadata"]["name"] == "gateway"]
    unknown = copy.deepcopy(gateway)
    unknown["spec"]["template"]["spec"]["containers"][0]["readinesProbe"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        validate(unknown, KUBERNETES_VERSIONS[-1])
