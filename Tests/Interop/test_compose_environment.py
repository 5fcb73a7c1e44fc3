"""Every KAFKA_* variable in compose/*.yml is accepted by the broker (only addresses are rewritten for loopback)."""

import re
from pathlib import Path

import pytest

from conftest import ROOT, free_port

COMPOSE_FILES = sorted((ROOT / "compose").glob("docker-compose*.yml"))


def _broker_services():
    import yaml

    for path in COMPOSE_FILES:
        services = yaml.safe_load(path.read_text())["services"]
        for name, svc in services.items():
            env = svc.get("environment") or {}
            if isinstance(env, list):
                env = dict(item.split("=", 1) for item in env)
            kafka = {k: str(v) for k, v in env.items() if k.startswith("KAFKA_")}
            if kafka:
                yield pytest.param(path.name, name, kafka, id=f"{path.stem}-{name}")


def test_compose_files_exist_and_name_kafka_variables():
    assert {p.name for p in COMPOSE_FILES} >= {"docker-compose.single.yml", "docker-compose.cluster.yml"}
    assert len(list(_broker_services())) == 4


def _localize(env: dict[str, str], cluster, host_port: int, tmp: Path) -> dict[str, str]:
    out = dict(env)
    internal = free_port()
    out["KAFKA_ZOOKEEPER_CONNECT"] = cluster.zk_connect
    out["KAFKA_LOG_DIRS"] = str(tmp / "data")

    def rewrite(value: str) -> str:
        parts = []
        for item in value.split(","):
            listener, _, _ = item.partition("://")
            port = host_port if "HOST" in listener else internal
            parts.append(f"{listener}://127.0.0.1:{port}")
        return ",".join(parts)

    for key in ("KAFKA_LISTENERS", "KAFKA_ADVERTISED_LISTENERS"):
        if key in out:
            out[key] = rewrite(out[key])
    return out


@pytest.mark.needletail_only
@pytest.mark.parametrize("file,service,env", list(_broker_services()))
def test_broker_starts_with_the_compose_files_kafka_variables(cluster, tmp_path, file, service, env):
    broker_id = int(env["KAFKA_BROKER_ID"]) + 100 * (1 + sorted(COMPOSE_FILES).index(ROOT / "compose" / file))
    b = cluster.broker(broker_id, start=False)
    local = _localize(env, cluster, b.port, tmp_path)
    local["KAFKA_BROKER_ID"] = str(broker_id)
    assert re.fullmatch(r"PLAINTEXT://127\.0\.0\.1:\d+(,PLAINTEXT_HOST://127\.0\.0\.1:\d+)?", local["KAFKA_LISTENERS"])
    b.extra_env.update(local)
    b.start(timeout=60)
    try:
        assert b.running()
    finally:
        assert b.stop() == 0
