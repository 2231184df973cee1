"""What an operator relies on in deploy/k8s: probes, resources, non-root pods, pinned images, a GPU
for Triton, a network policy for every app, autoscalers and Services wired to the right pods.

No cluster here: the checks read the YAML files (base), and the output of `kubectl kustomize` for
base and the dev overlay when kubectl is installed.
"""

import functools
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from contracts.generation import STREAM
from services.generation.worker import WORKER_DURABLE
from tests.support.kustomize import rendered as kustomize_build

REPO_ROOT = Path(__file__).resolve().parents[2]
K8S = REPO_ROOT / "deploy" / "k8s"
KUSTOMIZATIONS = sorted(K8S.rglob("kustomization.yaml"))
WORKLOAD_KINDS = {"Deployment", "StatefulSet"}
APP_IMAGE = "atelier-app"
TRITON_IMAGE = "atelier-triton"
MODEL_DIR = REPO_ROOT / "model_repository" / "txt2img"
INGRESS_CONTROLLER_NAMESPACE = "ingress-nginx"

Manifest = dict[str, Any]


def parse(path: Path) -> list[Any]:
    return [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc is not None]


def listed_files(kustomization: Path, field: str) -> list[Path]:
    entries = parse(kustomization)[0].get(field, [])
    paths = [entry if isinstance(entry, str) else entry["path"] for entry in entries]
    return [kustomization.parent / path for path in paths]


@functools.cache
def base_files() -> list[Manifest]:
    resources = listed_files(K8S / "base" / "kustomization.yaml", "resources")
    return [doc for path in resources for doc in parse(path)]


VARIANTS = {
    "base files": base_files,
    "kustomize base": lambda: kustomize_build("base"),
    "kustomize dev": lambda: kustomize_build("dev"),
    "kustomize gpu": lambda: kustomize_build("gpu"),
}


@pytest.fixture(params=list(VARIANTS))
def manifests(request: pytest.FixtureRequest) -> list[Manifest]:
    return VARIANTS[request.param]()


@pytest.fixture(params=["base files", "kustomize base", "kustomize gpu"])
def production_manifests(request: pytest.FixtureRequest) -> list[Manifest]:
    return VARIANTS[request.param]()


# ---- helpers over parsed manifests


def of_kind(manifests: list[Manifest], *kinds: str) -> list[Manifest]:
    return [m for m in manifests if m["kind"] in kinds]


def named(manifests: list[Manifest], kind: str, name: str) -> Manifest:
    found = [m for m in of_kind(manifests, kind) if m["metadata"]["name"] == name]
    assert len(found) == 1, f"expected one {kind} {name}, found {len(found)}"
    return found[0]


def pod_spec(workload: Manifest) -> dict[str, Any]:
    return workload["spec"]["template"]["spec"]


def pod_labels(workload: Manifest) -> dict[str, str]:
    return workload["spec"]["template"]["metadata"]["labels"]


def containers(workload: Manifest, *, init: bool = True) -> Iterator[dict[str, Any]]:
    spec = pod_spec(workload)
    yield from spec["containers"]
    if init:
        yield from spec.get("initContainers", [])


def workloads(manifests: list[Manifest]) -> list[Manifest]:
    return of_kind(manifests, *WORKLOAD_KINDS)


def selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    """Kubernetes LabelSelector semantics."""
    if any(labels.get(key) != value for key, value in selector.get("matchLabels", {}).items()):
        return False
    for expression in selector.get("matchExpressions", []):
        key, operator, values = expression["key"], expression["operator"], expression.get("values", [])
        matched = {
            "In": key in labels and labels[key] in values,
            "NotIn": key not in labels or labels[key] not in values,
            "Exists": key in labels,
            "DoesNotExist": key not in labels,
        }[operator]
        if not matched:
            return False
    return True


def runs_a_service(container: dict[str, Any]) -> bool:
    """A Python service of the app image (`python -m services...`), as opposed to the other images."""
    image_name = container["image"].rsplit("/", 1)[-1].split(":")[0]
    return image_name == APP_IMAGE and container.get("args", [])[:1] == ["-m"]


def image_tag(image: str) -> str | None:
    last_part = image.rsplit("/", 1)[-1]  # a registry host may carry a :port
    return last_part.split(":", 1)[1] if ":" in last_part else None


def service_selects(service: Manifest, workload: Manifest) -> bool:
    return selects({"matchLabels": service["spec"]["selector"]}, pod_labels(workload))


def container_port(workload: Manifest, port: int | str) -> int | None:
    """The number of a container port given by number or name."""
    for container in containers(workload, init=False):
        for declared in container.get("ports", []):
            if port in (declared["containerPort"], declared.get("name")):
                return declared["containerPort"]
    return None


def ingress_rules_for(manifests: list[Manifest], labels: dict[str, str]) -> list[dict[str, Any]]:
    return [
        rule
        for policy in of_kind(manifests, "NetworkPolicy")
        if policy["spec"]["podSelector"] and selects(policy["spec"]["podSelector"], labels)
        for rule in policy["spec"].get("ingress", [])
    ]


def rule_allows_port(rule: dict[str, Any], workload: Manifest, port: int) -> bool:
    ports = rule.get("ports")
    return not ports or any(container_port(workload, allowed["port"]) == port for allowed in ports)


# ---- the files


@pytest.mark.parametrize("path", sorted(K8S.rglob("*.yaml")), ids=lambda p: str(p.relative_to(K8S)))
def test_every_yaml_file_parses(path: Path) -> None:
    assert parse(path), f"{path} holds no YAML document"


@pytest.mark.parametrize("kustomization", KUSTOMIZATIONS, ids=lambda p: p.parent.name)
def test_every_file_beside_a_kustomization_is_part_of_it(kustomization: Path) -> None:
    listed = {path.resolve() for field in ("resources", "patches") for path in listed_files(kustomization, field)}
    for path in listed:
        assert path.exists(), f"{kustomization} lists {path}, which does not exist"
    beside = {path.resolve() for path in kustomization.parent.glob("*.yaml")} - {kustomization.resolve()}
    assert beside <= listed, f"not applied by {kustomization}: {sorted(map(str, beside - listed))}"


# ---- workloads


def test_every_workload_has_liveness_and_readiness_probes(manifests: list[Manifest]) -> None:
    for workload in workloads(manifests):
        for container in containers(workload, init=False):
            where = f"{workload['metadata']['name']}/{container['name']}"
            assert "livenessProbe" in container, f"{where} has no liveness probe"
            assert "readinessProbe" in container, f"{where} has no readiness probe"


def test_grpc_services_use_native_grpc_probes(manifests: list[Manifest]) -> None:
    """On the plaintext health port: the gRPC port asks for a client certificate kubelet lacks."""
    grpc_services = 0
    for workload in workloads(manifests):
        for container in containers(workload, init=False):
            grpc_port = container_port(workload, "grpc")
            if not runs_a_service(container) or grpc_port is None:
                continue
            grpc_services += 1
            health_port = container_port(workload, "health")
            assert health_port is not None and health_port != grpc_port
            for probe in ("livenessProbe", "readinessProbe"):
                assert container[probe].get("grpc", {}).get("port") == health_port, (
                    f"{workload['metadata']['name']}: {probe} does not use the gRPC health service"
                )
    assert grpc_services == 5  # generation-api, visibility, feed, billing, webhooks


def test_each_app_pod_mounts_its_own_service_identity_and_no_other(manifests: list[Manifest]) -> None:
    apps = 0
    for workload in workloads(manifests):
        if not any(runs_a_service(container) for container in containers(workload, init=False)):
            continue
        apps += 1
        name = workload["metadata"]["name"]
        volumes = workload["spec"]["template"]["spec"].get("volumes", [])
        identity_secrets = [
            v["secret"]["secretName"]
            for v in volumes
            if "secret" in v and v["secret"]["secretName"].startswith("atelier-identity-")
        ]
        assert identity_secrets == [f"atelier-identity-{name}"], name
    assert apps >= 6  # gateway, generation-api, generation-worker, visibility, feed, billing


def test_every_container_declares_cpu_and_memory(manifests: list[Manifest]) -> None:
    for workload in workloads(manifests):
        for container in containers(workload):
            resources = container.get("resources", {})
            where = f"{workload['metadata']['name']}/{container['name']}"
            assert {"cpu", "memory"} <= set(resources.get("requests", {})), f"{where}: requests"
            assert "memory" in resources.get("limits", {}), f"{where}: no memory limit"


def test_every_pod_runs_as_non_root_on_a_read_only_root_filesystem(manifests: list[Manifest]) -> None:
    for workload in workloads(manifests):
        pod_security = pod_spec(workload).get("securityContext", {})
        for container in containers(workload):
            security = {**pod_security, **container.get("securityContext", {})}
            where = f"{workload['metadata']['name']}/{container['name']}"
            assert security.get("runAsNonRoot") is True, f"{where} may run as root"
            assert security.get("runAsUser", 0) != 0, f"{where} runs as uid 0"
            assert security.get("readOnlyRootFilesystem") is True, f"{where} has a writable root filesystem"
            assert security.get("allowPrivilegeEscalation") is False, f"{where} may escalate privileges"
            assert "ALL" in security.get("capabilities", {}).get("drop", []), f"{where} keeps capabilities"


def test_every_image_is_pinned(manifests: list[Manifest]) -> None:
    for workload in workloads(manifests):
        for container in containers(workload):
            image = container["image"]
            assert "@sha256:" in image or image_tag(image) not in (None, "latest"), f"{image} is not pinned"


def test_triton_runs_on_a_gpu_node_and_reports_its_health(production_manifests: list[Manifest]) -> None:
    triton = named(production_manifests, "Deployment", "triton")
    spec = pod_spec(triton)
    # The Triton image: nvcr.io/nvidia/tritonserver with the model repository (Dockerfile target `triton`).
    (server,) = (c for c in spec["containers"] if c["image"].split(":")[0] == TRITON_IMAGE)
    assert str(server["resources"]["limits"].get("nvidia.com/gpu")) == "1", "Triton must request one GPU"
    assert any(t["key"] == "nvidia.com/gpu" for t in spec.get("tolerations", [])), "no GPU taint toleration"
    assert spec.get("nodeSelector"), "Triton must be scheduled on the GPU node pool"
    assert server["livenessProbe"]["httpGet"]["path"] == "/v2/health/live"
    assert server["readinessProbe"]["httpGet"]["path"] == "/v2/health/ready"
    assert container_port(triton, "metrics") is not None


def test_every_deployment_has_a_disruption_budget(manifests: list[Manifest]) -> None:
    budgets = of_kind(manifests, "PodDisruptionBudget")
    for deployment in of_kind(manifests, "Deployment"):
        assert any(selects(b["spec"]["selector"], pod_labels(deployment)) for b in budgets), (
            f"{deployment['metadata']['name']} has no PodDisruptionBudget"
        )


def test_workloads_read_only_config_maps_and_secrets_that_exist(manifests: list[Manifest]) -> None:
    config_maps = {m["metadata"]["name"] for m in of_kind(manifests, "ConfigMap")}
    secrets = {m["metadata"]["name"] for m in of_kind(manifests, "Secret")}
    for workload in workloads(manifests):
        for container in containers(workload, init=False):
            for source in container.get("envFrom", []):
                if "configMapRef" in source:
                    assert source["configMapRef"]["name"] in config_maps
                # The base leaves the credentials Secret to the operator; the dev overlay makes it.
                if "secretRef" in source and secrets:
                    assert source["secretRef"]["name"] in secrets


# ---- traffic


def test_every_service_reaches_pods_on_ports_they_declare(manifests: list[Manifest]) -> None:
    for service in of_kind(manifests, "Service"):
        name = service["metadata"]["name"]
        backends = [w for w in workloads(manifests) if service_selects(service, w)]
        assert backends, f"Service {name} selects no workload"
        for port in service["spec"]["ports"]:
            assert container_port(backends[0], port["targetPort"]) is not None, f"{name}: {port}"


def test_traffic_is_denied_unless_a_policy_allows_it(manifests: list[Manifest]) -> None:
    default_deny = [
        p["spec"]
        for p in of_kind(manifests, "NetworkPolicy")
        if p["spec"]["podSelector"] == {} and not p["spec"].get("ingress") and not p["spec"].get("egress")
    ]
    assert any(set(spec["policyTypes"]) == {"Ingress", "Egress"} for spec in default_deny)


def test_every_app_has_a_policy_saying_who_may_reach_it(manifests: list[Manifest]) -> None:
    ingress_policies = [
        p
        for p in of_kind(manifests, "NetworkPolicy")
        if p["spec"]["podSelector"] and "Ingress" in p["spec"]["policyTypes"]
    ]
    for workload in workloads(manifests):
        assert any(selects(p["spec"]["podSelector"], pod_labels(workload)) for p in ingress_policies), (
            f"{workload['metadata']['name']} has no ingress policy of its own"
        )


def test_every_service_port_is_open_to_someone(manifests: list[Manifest]) -> None:
    for service in of_kind(manifests, "Service"):
        for workload in workloads(manifests):
            if not service_selects(service, workload):
                continue
            rules = ingress_rules_for(manifests, pod_labels(workload))
            for port in service["spec"]["ports"]:
                number = container_port(workload, port["targetPort"])
                assert any(rule_allows_port(rule, workload, number) for rule in rules), (
                    f"{service['metadata']['name']}:{port['port']} is unreachable under the network policies"
                )


def test_only_the_gateway_is_reachable_from_the_ingress_controller(manifests: list[Manifest]) -> None:
    reachable = set()
    for workload in workloads(manifests):
        for rule in ingress_rules_for(manifests, pod_labels(workload)):
            for peer in rule.get("from", []):
                namespace = peer.get("namespaceSelector", {}).get("matchLabels", {})
                if namespace.get("kubernetes.io/metadata.name") == INGRESS_CONTROLLER_NAMESPACE:
                    reachable.add(workload["metadata"]["name"])
    assert reachable == {"gateway"}, f"reachable from {INGRESS_CONTROLLER_NAMESPACE}: {sorted(reachable)}"

    (ingress,) = of_kind(manifests, "Ingress")
    backends = {
        path["backend"]["service"]["name"] for rule in ingress["spec"]["rules"] for path in rule["http"]["paths"]
    }
    assert backends == {"gateway"}


def test_the_gateway_counts_rate_limits_per_client_behind_the_one_ingress_hop(manifests: list[Manifest]) -> None:
    # Without it every client would share the ingress controller's address, and one abuser's
    # limit would be everyone's; with more hops a client could name itself in X-Forwarded-For.
    (gateway,) = [c for c in containers(named(manifests, "Deployment", "gateway"), init=False)]
    env = {variable["name"]: variable.get("value") for variable in gateway.get("env", [])}
    assert env["ATELIER_RATE_TRUSTED_PROXY_HOPS"] == "1"


# ---- autoscaling


def test_the_gateway_scales_on_cpu(manifests: list[Manifest]) -> None:
    (autoscaler,) = of_kind(manifests, "HorizontalPodAutoscaler")
    assert autoscaler["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "gateway"}
    assert [metric["resource"]["name"] for metric in autoscaler["spec"]["metrics"]] == ["cpu"]
    gateway = named(manifests, "Deployment", "gateway")
    # A fixed count in the Deployment would fight the autoscaler on every apply.
    assert "replicas" not in gateway["spec"]
    assert all("cpu" in c["resources"]["requests"] for c in containers(gateway, init=False))


def test_the_worker_scales_on_its_jetstream_backlog(manifests: list[Manifest]) -> None:
    scaled = named(manifests, "ScaledObject", "generation-worker")
    assert scaled["spec"]["scaleTargetRef"]["name"] == "generation-worker"
    assert "replicas" not in named(manifests, "Deployment", "generation-worker")["spec"]
    (trigger,) = scaled["spec"]["triggers"]
    assert trigger["type"] == "nats-jetstream"
    assert trigger["metadata"]["stream"] == STREAM
    assert trigger["metadata"]["consumer"] == WORKER_DURABLE


# ---- credentials


def _unhashed(name: str) -> str:
    """A generated Secret's name without the content hash kustomize appends."""
    return re.sub(r"-[a-z0-9]{10}$", "", name) if "-credentials-" in name else name


def test_each_process_reads_only_its_own_secret(manifests: list[Manifest]) -> None:
    for workload in workloads(manifests):
        app = workload["metadata"]["name"]
        for container in containers(workload, init=False):
            refs = {s["secretRef"]["name"] for s in container.get("envFrom", []) if "secretRef" in s}
            refs |= {
                e["valueFrom"]["secretKeyRef"]["name"]
                for e in container.get("env", [])
                if "secretKeyRef" in e.get("valueFrom", {})
            }
            atelier_refs = {_unhashed(name) for name in refs if name.startswith("atelier-")}
            assert atelier_refs <= {f"atelier-{app}-credentials"}, (app, atelier_refs)


def test_only_the_processes_that_need_a_secret_hold_it() -> None:
    secrets = {_unhashed(m["metadata"]["name"]): m.get("data", {}) for m in of_kind(kustomize_build("dev"), "Secret")}
    holders = {
        key: {
            name.removeprefix("atelier-").removesuffix("-credentials") for name, data in secrets.items() if key in data
        }
        for key in ("ATELIER_S3_SECRET_KEY", "ATELIER_BILLING_WEBHOOK_SECRET")
    }
    assert holders["ATELIER_S3_SECRET_KEY"] == {"gateway", "generation-api", "generation-worker"}
    assert holders["ATELIER_BILLING_WEBHOOK_SECRET"] == {"billing"}


# ---- Triton: device, weights, scaling


def triton_server(manifests: list[Manifest]) -> dict[str, Any]:
    (server,) = [c for c in containers(named(manifests, "Deployment", "triton"), init=False) if c["name"] == "triton"]
    return server


def model_config(server: dict[str, Any]) -> str:
    """The model config tritonserver loads: configs/<name>.pbtxt with --model-config-name, else config.pbtxt."""
    words = [*server.get("command", []), *server.get("args", [])]
    names = [word.split("=", 1)[1] for word in words if word.startswith("--model-config-name=")]
    path = MODEL_DIR / "configs" / f"{names[0]}.pbtxt" if names else MODEL_DIR / "config.pbtxt"
    return path.read_text(encoding="utf-8")


def test_triton_runs_its_model_on_the_gpu_exactly_where_it_holds_one(manifests: list[Manifest]) -> None:
    server = triton_server(manifests)
    has_gpu = "nvidia.com/gpu" in server["resources"].get("limits", {})
    kinds = set(re.findall(r"kind:\s*(KIND_\w+)", model_config(server)))
    assert kinds == ({"KIND_GPU"} if has_gpu else {"KIND_CPU"}), (has_gpu, kinds)


def test_triton_keeps_serving_through_rollouts_drains_and_load(production_manifests: list[Manifest]) -> None:
    triton = named(production_manifests, "Deployment", "triton")
    assert "replicas" not in triton["spec"], "the ScaledObject owns the replica count"
    assert triton["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    scaled = named(production_manifests, "ScaledObject", "triton")
    assert scaled["spec"]["scaleTargetRef"]["name"] == "triton"
    minimum = scaled["spec"]["minReplicaCount"]
    assert minimum >= 2 and scaled["spec"]["maxReplicaCount"] > minimum
    queries = [t["metadata"]["query"] for t in scaled["spec"]["triggers"] if t["type"] == "prometheus"]
    assert any("nv_inference_pending_request_count" in q for q in queries)
    assert any("nv_inference_queue_duration_us" in q for q in queries)
    (budget,) = [
        b
        for b in of_kind(production_manifests, "PodDisruptionBudget")
        if selects(b["spec"]["selector"], pod_labels(triton))
    ]
    # Never all of them: at least one stays, whatever the count.
    assert budget["spec"].get("minAvailable", 0) >= 1 or budget["spec"].get("maxUnavailable", minimum) < minimum


def test_the_gpu_overlay_serves_stable_diffusion_from_a_read_only_weights_volume() -> None:
    manifests = kustomize_build("gpu")
    server = triton_server(manifests)
    env = {variable["name"]: variable.get("value") for variable in server.get("env", [])}
    assert env["ATELIER_TXT2IMG_PIPELINE"] == "stable-diffusion"
    volumes = {volume["name"]: volume for volume in pod_spec(named(manifests, "Deployment", "triton"))["volumes"]}
    (mount,) = [
        m for m in server["volumeMounts"] if env["ATELIER_TXT2IMG_WEIGHTS_DIR"].startswith(m["mountPath"] + "/")
    ]
    assert mount.get("readOnly") is True
    claim = volumes[mount["name"]]["persistentVolumeClaim"]
    pvc = named(manifests, "PersistentVolumeClaim", claim["claimName"])
    assert "ReadOnlyMany" in pvc["spec"]["accessModes"], "every replica mounts the same weights"
    startup = server["startupProbe"]
    assert startup["periodSeconds"] * startup["failureThreshold"] >= 15 * 60, "loading SD takes minutes"
    assert str(server["resources"]["limits"]["nvidia.com/gpu"]) == "1"


# ---- the edge


def test_metrics_are_never_reachable_through_the_ingress(manifests: list[Manifest]) -> None:
    config = {
        k: v
        for m in of_kind(manifests, "ConfigMap")
        if m["metadata"]["name"] == "atelier-config"
        for k, v in m["data"].items()
    }
    metrics_port = int(config["ATELIER_METRICS_PORT"])
    for ingress in of_kind(manifests, "Ingress"):
        for rule in ingress["spec"]["rules"]:
            for path in rule["http"]["paths"]:
                backend = path["backend"]["service"]
                service = named(manifests, "Service", backend["name"])
                (port,) = [p for p in service["spec"]["ports"] if backend["port"].get("name") in (None, p.get("name"))]
                workload = next(w for w in workloads(manifests) if service_selects(service, w))
                assert container_port(workload, port["targetPort"]) != metrics_port
                for container in containers(workload, init=False):
                    env = {variable["name"]: variable.get("value") for variable in container.get("env", [])}
                    # The gateway serves /metrics on its http port unless told not to.
                    assert env.get("ATELIER_METRICS_ON_HTTP_PORT") == "false", workload["metadata"]["name"]


def test_only_the_gateway_mounts_the_user_token_signing_key(manifests: list[Manifest]) -> None:
    signers, verifiers = set(), set()
    for workload in workloads(manifests):
        volumes = pod_spec(workload).get("volumes", [])
        if any(v.get("secret", {}).get("secretName") == "atelier-user-token-signer" for v in volumes):
            signers.add(workload["metadata"]["name"])
        if any(v.get("configMap", {}).get("name") == "atelier-user-token" for v in volumes):
            verifiers.add(workload["metadata"]["name"])
    assert signers == {"gateway"}
    # Every gRPC server verifies the tokens with the public key (a ConfigMap: it is no secret).
    assert verifiers == {"generation-api", "visibility", "feed", "billing", "webhooks"}
