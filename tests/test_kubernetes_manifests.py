"""deploy/kubernetes/, validated offline: every resource Kustomize applies, and the ConfigMap and
Secrets its generators make, against the Kubernetes API's own schemas (kubernetes-validate
bundles them), strictly (an unknown or misspelt field fails); then what the schemas cannot
know: every name a pod reads exists and holds what production settings require, the migration
runs as the tables' owner and the app servers as the application role, the probes ask under
the public host, and only the ingress controller reaches the app servers."""

from __future__ import annotations

import ipaddress
import re
import shlex
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from django.conf import settings
from django.core.management import get_commands

from tests.test_container_stack import DOCKERFILE, GUNICORN, _production_required_variables

DEPLOY = Path(settings.BASE_DIR) / "deploy" / "kubernetes"
KUSTOMIZATION: dict[str, Any] = yaml.safe_load((DEPLOY / "kustomization.yaml").read_text())
# The oldest Kubernetes minor version its project still supports, and the newest schemas.
KUBERNETES_VERSIONS = ("1.32.0", kubernetes_validate.utils.latest_version())
KUSTOMIZATION_FIELDS = {
    "apiVersion",
    "kind",
    "namespace",
    "labels",
    "resources",
    "images",
    "configMapGenerator",
    "secretGenerator",
}


def _env_file(path: Path) -> dict[str, str]:
    """A Kustomize env file: NAME=value lines; blank lines and # comments skipped."""
    pairs = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            pairs[name.strip()] = value
    return pairs


def _secret_source(relative: str) -> Path:
    """A secret's file is the operator's and never committed; its example stands in."""
    return DEPLOY / f"{relative}.example" if relative.startswith("secrets/") else DEPLOY / relative


def _generated() -> list[dict[str, Any]]:
    """The ConfigMaps and Secrets Kustomize's generators make, as Kustomize makes them."""
    made: list[dict[str, Any]] = []
    for kind, generators in (
        ("ConfigMap", KUSTOMIZATION["configMapGenerator"]),
        ("Secret", KUSTOMIZATION["secretGenerator"]),
    ):
        for generator in generators:
            data: dict[str, str] = {}
            for env in generator.get("envs", []):
                data.update(_env_file(_secret_source(env)))
            for entry in generator.get("files", []):
                key = entry.partition("=")[0]
                data[key] = "example"
            resource = {
                "apiVersion": "v1",
                "kind": kind,
                "metadata": {"name": generator["name"], "namespace": KUSTOMIZATION["namespace"]},
                ("stringData" if kind == "Secret" else "data"): data,
            }
            made.append(resource)
    return made


def _resources() -> list[dict[str, Any]]:
    resources = []
    for relative in KUSTOMIZATION["resources"]:
        resources += [doc for doc in yaml.safe_load_all((DEPLOY / relative).read_text()) if doc]
    return resources


RESOURCES = _resources()
GENERATED = _generated()


def _one(kind: str, name: str | None = None) -> dict[str, Any]:
    found = [
        resource
        for resource in RESOURCES
        if resource["kind"] == kind and (name is None or resource["metadata"]["name"] == name)
    ]
    assert len(found) == 1, f"{kind} {name}: {len(found)}"
    return found[0]


def _generated_data(name: str) -> dict[str, str]:
    resource = next(made for made in GENERATED if made["metadata"]["name"] == name)
    data: dict[str, str] = resource.get("data") or resource["stringData"]
    return data


DEPLOYMENT = _one("Deployment", "portal")
POD = DEPLOYMENT["spec"]["template"]["spec"]
PORTAL = POD["containers"][0]
JOB = _one("Job", "portal-migrate")
JOB_POD = JOB["spec"]["template"]["spec"]
SETTINGS = _generated_data("portal-settings")


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
@pytest.mark.parametrize(
    "resource",
    RESOURCES + GENERATED,
    ids=lambda resource: f"{resource['kind']}/{resource['metadata']['name']}",
)
def test_every_resource_is_valid_for_kubernetes(resource: dict[str, Any], version: str) -> None:
    kubernetes_validate.validate(resource, version, strict=True)


def test_the_validation_fails_a_misspelt_field() -> None:
    """The schemas are strict: a typo is an error, not a field Kubernetes silently drops."""
    broken = yaml.safe_load((DEPLOY / "deployment.yaml").read_text())
    broken["spec"]["template"]["spec"]["containers"][0]["readinesProbe"] = {}

    with pytest.raises(kubernetes_validate.ValidationError, match="readinesProbe"):
        kubernetes_validate.validate(broken, KUBERNETES_VERSIONS[0], strict=True)


def test_the_kustomization_lists_every_manifest_and_only_known_fields() -> None:
    manifests = {path.name for path in DEPLOY.glob("*.yaml")} - {"kustomization.yaml"}

    assert set(KUSTOMIZATION) <= KUSTOMIZATION_FIELDS
    assert KUSTOMIZATION["apiVersion"] == "kustomize.config.k8s.io/v1beta1"
    assert set(KUSTOMIZATION["resources"]) == manifests
    assert {image["name"] for image in KUSTOMIZATION["images"]} == {
        container["image"]
        for pod in (POD, JOB_POD)
        for container in pod.get("initContainers", []) + pod["containers"]
    }


def test_every_secret_and_setting_a_pod_reads_is_made() -> None:
    made = {(resource["kind"], resource["metadata"]["name"]) for resource in GENERATED}
    read: set[tuple[str, str]] = set()
    for pod in (POD, JOB_POD):
        for container in pod.get("initContainers", []) + pod["containers"]:
            for source in container.get("envFrom", []):
                if "configMapRef" in source:
                    read.add(("ConfigMap", source["configMapRef"]["name"]))
                if "secretRef" in source:
                    read.add(("Secret", source["secretRef"]["name"]))
            for variable in container.get("env", []):
                reference = variable.get("valueFrom", {}).get("secretKeyRef")
                if reference:
                    read.add(("Secret", reference["name"]))
                    assert reference["key"] in _generated_data(reference["name"])
        for volume in pod.get("volumes", []):
            if "secret" in volume:
                read.add(("Secret", volume["secret"]["secretName"]))

    assert read == made


def test_the_app_servers_are_given_every_variable_production_requires() -> None:
    given = set(SETTINGS) | set(_generated_data("portal-app"))

    assert _production_required_variables() <= given
    assert SETTINGS["DJANGO_SETTINGS_MODULE"] == "citizen_portal.settings.production"
    assert SETTINGS["PORTAL_BASE_URL"].startswith("https://")
    key_mount = next(mount for mount in PORTAL["volumeMounts"] if mount["name"] == "nhs-login-key")
    assert SETTINGS["NHS_LOGIN_PRIVATE_KEY_PATH"] == f"{key_mount['mountPath']}/private_key.pem"
    assert key_mount["readOnly"] is True
    assert "private_key.pem" in _generated_data("portal-nhs-login-key")


def test_no_secret_value_is_committed() -> None:
    """The secrets' files are the operator's (and may be beside these, on the machine that
    deploys): git ignores everything there but the examples, which are empty."""
    for example in ("portal-app.env.example", "portal-migrate.env.example"):
        assert set(_env_file(DEPLOY / "secrets" / example).values()) == {""}
    ignored = (DEPLOY / "secrets" / ".gitignore").read_text().split()
    assert ignored[-3:] == ["*", "!.gitignore", "!*.example"]
    # What Kubernetes reads as plain configuration holds nothing secret.
    assert not {"SECRET_KEY", "LINKAGE_ENCRYPTION_KEYS", "DATABASE_URL", "REDIS_URL"} & set(
        SETTINGS
    )


def _shell_steps(container: dict[str, Any]) -> list[list[str]]:
    command = container["command"]
    assert command[:2] == ["sh", "-c"]
    return [shlex.split(step) for step in command[2].split("&&")]


def test_the_migration_job_migrates_then_grants_as_the_owner() -> None:
    """docs/operations.md, "Database roles": the Job alone connects as the owner."""
    migrate = JOB_POD["containers"][0]
    owner_url = next(variable for variable in migrate["env"] if variable["name"] == "DATABASE_URL")

    assert _shell_steps(migrate) == [
        ["python", "manage.py", "migrate", "--no-input"],
        ["python", "manage.py", "database_app_role_grant", "--role", "portal_app", "--apply"],
    ]
    assert {"migrate", "database_app_role_grant"} <= set(get_commands())
    assert owner_url["valueFrom"]["secretKeyRef"]["name"] == "portal-migrate"
    assert JOB_POD["restartPolicy"] == "Never"
    # The application role's URL is the app servers'; the owner's is only the Job's.
    for container in POD.get("initContainers", []) + POD["containers"]:
        assert "env" not in container or all(
            variable["name"] != "DATABASE_URL" for variable in container["env"]
        )


def test_the_app_servers_wait_for_the_migration_and_never_run_it() -> None:
    wait = POD["initContainers"][0]

    assert "python manage.py migrate --check" in wait["command"][2]
    assert "--no-input" not in wait["command"][2]
    assert "command" not in PORTAL  # the image's gunicorn
    assert DEPLOYMENT["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0


def test_the_probes_ask_under_the_public_host() -> None:
    """Django refuses any Host outside ALLOWED_HOSTS with 400, health checks included, and
    production's never names a pod's address: each probe names the public host."""
    allowed = SETTINGS["ALLOWED_HOSTS"].split(",")
    ingress = _one("Ingress", "portal")
    public = {rule["host"] for rule in ingress["spec"]["rules"]}

    assert public == set(allowed)
    assert SETTINGS["PORTAL_BASE_URL"] == f"https://{allowed[0]}"
    assert {host for tls in ingress["spec"]["tls"] for host in tls["hosts"]} == public
    for probe, path in (
        ("startupProbe", "/health/live"),
        ("livenessProbe", "/health/live"),
        ("readinessProbe", "/health/ready"),
    ):
        http = PORTAL[probe]["httpGet"]
        assert http["path"] == path
        assert http["httpHeaders"] == [{"name": "Host", "value": allowed[0]}]


def test_a_stopping_pod_finishes_its_requests() -> None:
    """The pause before SIGTERM lets the ingress controller stop sending; then gunicorn's
    graceful shutdown must end inside the pod's grace period."""
    pause = int(PORTAL["lifecycle"]["preStop"]["exec"]["command"][1])

    assert PORTAL["lifecycle"]["preStop"]["exec"]["command"][0] == "sleep"
    assert POD["terminationGracePeriodSeconds"] > pause + GUNICORN["graceful_timeout"]
    assert _one("PodDisruptionBudget")["spec"]["maxUnavailable"] == 1
    assert DEPLOYMENT["spec"]["replicas"] >= 2


def test_the_pods_run_as_the_images_user_who_cannot_write_the_code() -> None:
    uid = re.search(r"--uid (\d+)", DOCKERFILE)

    assert uid
    assert _one("Namespace")["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == (
        "restricted"
    )
    for pod in (POD, JOB_POD):
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["runAsUser"] == int(uid.group(1))
        assert pod["automountServiceAccountToken"] is False
        for container in pod.get("initContainers", []) + pod["containers"]:
            security = container["securityContext"]
            assert security["readOnlyRootFilesystem"] is True
            assert security["allowPrivilegeEscalation"] is False
            assert security["capabilities"]["drop"] == ["ALL"]
            # gunicorn's heartbeats and uploads need a writable /tmp on a read-only root.
            assert "/tmp" in {mount["mountPath"] for mount in container["volumeMounts"]}  # noqa: S108


def test_only_the_ingress_controller_reaches_the_app_servers() -> None:
    """TRUSTED_PROXIES names the pod network; the network policy makes the ingress
    controller the only pod on it that can connect, so that is the one hop believed."""
    policy = _one("NetworkPolicy")
    selected = policy["spec"]["podSelector"]["matchLabels"]
    sources = policy["spec"]["ingress"]

    assert selected == DEPLOYMENT["spec"]["selector"]["matchLabels"]
    assert policy["spec"]["policyTypes"] == ["Ingress"]
    assert len(sources) == 1
    assert [peer["namespaceSelector"]["matchLabels"] for peer in sources[0]["from"]] == [
        {"kubernetes.io/metadata.name": "ingress-nginx"}
    ]
    assert sources[0]["ports"] == [{"port": "http"}]
    for network in SETTINGS["TRUSTED_PROXIES"].split(","):
        assert ipaddress.ip_network(network).is_private


def test_the_ingress_takes_a_register_upload_and_waits_for_gunicorn() -> None:
    annotations = _one("Ingress", "portal")["metadata"]["annotations"]
    body = annotations["nginx.ingress.kubernetes.io/proxy-body-size"]

    assert int(body.removesuffix("m")) * 1024 * 1024 > settings.UPLOAD_MAX_BYTES
    assert (
        int(annotations["nginx.ingress.kubernetes.io/proxy-read-timeout"]) > (GUNICORN["timeout"])
    )
