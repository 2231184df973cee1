"""Every rendered overlay (base, dev, gpu) is schema-valid, strictly (no unknown field anywhere), for
the Kubernetes versions we support: built-in kinds against Kubernetes' own OpenAPI schemas
(kubernetes-validate), custom resources against the CRDs kept in deploy/k8s/crds. A kind with neither
fails: nothing is applied unchecked."""

import copy
import functools
import json
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

from tests.support.kustomize import K8S, rendered

# kubernetes-validate reads its schema files (a large _definitions.json among them) on every call: read
# each once per run.
kubernetes_validate.utils.schema_contents = functools.cache(kubernetes_validate.utils.schema_contents)

OVERLAYS = ["base", "dev", "gpu"]
KUBERNETES_VERSIONS = ["1.30.0", "1.32.0"]

Manifest = dict[str, Any]


def strict(schema: Any) -> Any:
    """A CRD's structural schema as JSON Schema that refuses unknown fields, as the API server's
    strict field validation does (preserve-unknown-fields subtrees excepted)."""
    if isinstance(schema, list):
        return [strict(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    converted = {key: strict(value) for key, value in schema.items() if not key.startswith("x-kubernetes-")}
    if "properties" in schema and "additionalProperties" not in schema:
        if not schema.get("x-kubernetes-preserve-unknown-fields"):
            converted["additionalProperties"] = False
    return converted


@functools.cache
def custom_resource_schemas() -> dict[tuple[str, str], dict[str, Any]]:
    """(apiVersion, kind) -> strict JSON Schema, from every CRD under deploy/k8s/crds."""
    schemas = {}
    for path in sorted((K8S / "crds").glob("*.yaml")):
        for crd in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            for version in crd["spec"]["versions"]:
                api_version = f"{crd['spec']['group']}/{version['name']}"
                schemas[(api_version, crd["spec"]["names"]["kind"])] = strict(version["schema"]["openAPIV3Schema"])
    return schemas


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
    schema = custom_resource_schemas().get((manifest["apiVersion"], manifest["kind"]))
    if schema is None:
        kubernetes_validate.validate(manifest, version, strict=True)
        return
    jsonschema.validate(manifest, schema)
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


def test_the_crds_themselves_are_valid() -> None:
    for path in sorted((K8S / "crds").glob("*.yaml")):
        for crd in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            kubernetes_validate.validate(crd, KUBERNETES_VERSIONS[-1], strict=True)


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
    (gateway,) = [m for m in rendered("base") if m["kind"] == "Deployment" and m["metadata"]["name"] == "gateway"]
    unknown = copy.deepcopy(gateway)
    unknown["spec"]["template"]["spec"]["containers"][0]["readinesProbe"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        validate(unknown, KUBERNETES_VERSIONS[-1])
