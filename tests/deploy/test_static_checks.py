"""The deployment files pass the real validators: hadolint, docker-compose, kubectl kustomize +
kubernetes-validate, systemd-analyze. Offline; a missing tool skips (fails under CI=true)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy.tools import DEPLOY, DOCKERFILE, DOORS, ROOT, final_stage, tool

pytestmark = pytest.mark.integration

ENV = {"POSTGRES_PASSWORD": "pw-pg", "REDIS_PASSWORD": "pw-redis", "PHANTOMNET_SECRET_KEY": "k"}


def run(*args: str, env: dict[str, str] | None = None, cwd: Path = ROOT) -> str:
    proc = subprocess.run(args, capture_output=True, text=True, env=env, cwd=cwd, timeout=60)
    assert proc.returncode == 0, f"{args[0]} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


def test_dockerfile_passes_hadolint() -> None:
    run(tool("hadolint"), "--failure-threshold", "info", str(DOCKERFILE))


def test_image_runs_unprivileged_from_its_data_volume() -> None:
    image = final_stage()
    assert image.user.split(":")[0] not in ("", "0", "root")
    assert image.env["PHANTOMNET_DATA_DIR"] == image.workdir == image.env["HOME"]
    assert f'VOLUME ["{image.workdir}"]' in DOCKERFILE.read_text()
    assert image.copies[image.entrypoint[0].join(("/usr/local/bin/", ""))].endswith(
        "docker-entrypoint.sh"
    )
    assert image.cmd == ["up"]
    ignored = (ROOT / ".dockerignore").read_text().splitlines()
    for copied in image.copies.values():  # what the image copies is in the build context
        assert f"!{copied}" in ignored


def compose(*files: str, profile: str | None = None, env: dict[str, str] | None = None) -> str:
    args = [tool("docker-compose")]
    for f in files:
        args += ["-f", str(DEPLOY / f)]
    if profile:
        args += ["--profile", profile]
    base = {"PATH": "/usr/bin:/bin", "HOME": "/tmp"}
    return run(*args, "config", env={**base, **(ENV if env is None else env)}, cwd=DEPLOY)


def services(*files: str, profile: str | None = None) -> dict[str, Any]:
    """The services ``up`` starts (docker-compose 1.29's ``config`` lists every profile's)."""
    parsed: dict[str, dict[str, Any]] = yaml.safe_load(compose(*files, profile=profile))
    return {
        name: s
        for name, s in parsed["services"].items()
        if not s.get("profiles") or profile in s["profiles"]
    }


def test_compose_config_brings_up_the_platform() -> None:
    svc = services("compose.yaml")
    assert set(svc) == {"postgres", "redis", "server", "sensor"}
    for name, s in svc.items():
        assert s["restart"] == "unless-stopped", name
        assert "healthcheck" in s or name == "server", name  # server: the image's HEALTHCHECK
        assert s["mem_limit"] and s["cpus"], name
    for name in ("server", "sensor"):
        s = svc[name]
        assert s["read_only"] is True and s["cap_drop"] == ["ALL"], name
        assert "no-new-privileges:true" in s["security_opt"], name
        assert s["volumes"][0].startswith(f"{name}data:/var/lib/phantomnet"), name  # named
        assert s["environment"]["PHANTOMNET_BUS__URL"] == "redis://:pw-redis@redis:6379/0"
    assert "cap_add" not in svc["server"]
    assert svc["sensor"]["cap_add"] == ["NET_BIND_SERVICE"]
    assert svc["server"]["command"] == ["server"] and svc["sensor"]["command"] == ["sensor"]
    assert svc["server"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert (
        svc["server"]["environment"]["PHANTOMNET_DATABASE__URL"]
        == "postgresql://phantomnet:pw-pg@postgres:5432/phantomnet"
    )
    assert svc["server"]["ports"] == ["127.0.0.1:8000:8000/tcp"]  # loopback: TLS proxy in front
    published = {p["target"] for p in svc["sensor"]["ports"]}
    assert published == {2222, 2323, 8080, 8443, 2121, 2525, 3307, 5433}


def test_compose_refuses_to_start_without_secrets() -> None:
    proc = subprocess.run(
        [tool("docker-compose"), "-f", str(DEPLOY / "compose.yaml"), "config", "-q"],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "HOME": "/tmp"},
        cwd=DEPLOY,
        timeout=60,
    )
    assert proc.returncode != 0
    assert "set REDIS_PASSWORD" in proc.stderr or "set POSTGRES_PASSWORD" in proc.stderr


def test_only_the_monitor_and_response_get_raw_and_admin_capabilities() -> None:
    monitor = services("compose.yaml", profile="monitor")["monitor"]
    assert monitor["network_mode"] == "host" and monitor["cap_add"] == ["NET_RAW"]
    assert monitor["cap_drop"] == ["ALL"] and monitor["read_only"] is True
    assert monitor["environment"]["PHANTOMNET_CONFIG"] == "/etc/phantomnet/monitor.toml"
    response = services("compose.yaml", "compose.response.yaml")["server"]
    assert response["network_mode"] == "host" and response["cap_add"] == ["NET_ADMIN"]
    assert response["environment"]["PHANTOMNET_RESPONSE__BACKEND"] == "nftables"
    for s in services("compose.yaml").values():
        assert not {"NET_RAW", "NET_ADMIN"} & set(s.get("cap_add", []))


def test_monitor_config_switches_every_door_off() -> None:
    out = run(
        str(Path(sys.executable).parent / "phantomnet"),
        "config",
        "check",
        str(DEPLOY / "config" / "monitor.toml"),
        env={"PATH": "/usr/bin:/bin", "HOME": "/tmp"},
    )
    assert "monitor   eth0" in out
    assert "sensor " not in out  # no door


def kustomize_render(tmp_path: Path) -> list[Path]:
    """The rendered kustomization (kubectl kustomize), else each plain manifest."""
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        return sorted(p for p in (DEPLOY / "k8s").glob("*.yaml") if p.name != "kustomization.yaml")
    out = tmp_path / "rendered.yaml"
    out.write_text(run(kubectl, "kustomize", str(DEPLOY / "k8s")))
    return [out]


def test_kubernetes_manifests_validate(tmp_path: Path) -> None:
    validator = tool("kubernetes-validate")
    files = kustomize_render(tmp_path)
    run(validator, "--strict", "--quiet", *map(str, files))
    docs = [d for f in files for d in yaml.safe_load_all(f.read_text()) if d]
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for d in docs:
        by_kind.setdefault(d["kind"], []).append(d)
    deployments = {d["metadata"]["name"]: d for d in by_kind["Deployment"]}
    assert set(deployments) == {"phantomnet-server", "phantomnet-sensor"}
    for d in deployments.values():
        pod = d["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        c = pod["containers"][0]
        assert c["securityContext"]["readOnlyRootFilesystem"] is True
        assert c["securityContext"]["capabilities"]["drop"] == ["ALL"]
        assert c["resources"]["limits"] and c["readinessProbe"] and c["livenessProbe"]
    doors = {
        s["metadata"]["labels"]["phantomnet.io/door"]: s
        for s in by_kind["Service"]
        if "phantomnet.io/door" in s["metadata"].get("labels", {})
    }
    assert set(doors) == set(DOORS)  # one Service per door
    sensor_ports = {
        p["name"] for p in deployments["phantomnet-sensor"]["spec"]["template"]["spec"]
        ["containers"][0]["ports"]
    }  # fmt: skip
    for s in doors.values():
        assert s["spec"]["externalTrafficPolicy"] == "Local"  # keeps the attacker's address
        assert {p["targetPort"] for p in s["spec"]["ports"]} <= sensor_ports


def test_systemd_unit_verifies(tmp_path: Path) -> None:
    analyze = tool("systemd-analyze")
    unit = (DEPLOY / "systemd" / "phantomnet.service").read_text()
    for line in (
        "ExecStart=/opt/phantomnet/bin/phantomnet up",
        "User=phantomnet",
        "Restart=on-failure",
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "CapabilityBoundingSet=CAP_NET_BIND_SERVICE",
        "StateDirectory=phantomnet",
    ):
        assert line in unit.splitlines(), line
    # verify checks that ExecStart exists: point it at this checkout's real `phantomnet`
    real = Path(sys.executable).parent / "phantomnet"
    copy = tmp_path / "phantomnet.service"
    copy.write_text(unit.replace("/opt/phantomnet/bin/phantomnet", str(real)))
    good = subprocess.run([analyze, "verify", str(copy)], capture_output=True, text=True)
    assert good.returncode == 0 and good.stderr == "", good.stderr  # not even a warning
    broken = tmp_path / "broken.service"  # and the check can fail: a bad value is a warning
    broken.write_text(copy.read_text().replace("ProtectSystem=strict", "ProtectSystem=sideways"))
    bad = subprocess.run([analyze, "verify", str(broken)], capture_output=True, text=True)
    assert "protect system value" in bad.stderr
