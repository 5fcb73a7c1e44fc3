"""The compose files: the cluster file's topology, and every KAFKA_* variable names a broker setting that the broker
accepts and applies (only addresses are rewritten for loopback)."""

import re
from pathlib import Path

import pytest

from conftest import ROOT, free_port

# The ZooKeeper-mode files. The secured file (SASL_SSL, JKS stores from compose/secrets, Confluent's *_FILENAME /
# *_CREDENTIALS variables that are image conventions rather than broker settings) has its own test,
# test_security_compose.py; the KRaft files (docker-compose.kraft-*.yml) have test_kraft_compose.py.
COMPOSE_FILES = sorted(p for p in (ROOT / "compose").glob("docker-compose*.yml")
                       if p.name != "docker-compose-secured.yml" and ".kraft-" not in p.name)


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


def _compose(name: str) -> dict:
    import yaml

    return yaml.safe_load((ROOT / "compose" / name).read_text())["services"]


def _env(service: dict) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {k: str(v) for k, v in env.items()}


def _property_name(variable: str) -> str:
    """The Confluent images' rule, as the broker applies it: drop KAFKA_, lower-case, "_" -> ".", "..." -> "-",
    ".." -> "_"."""
    raw = variable.removeprefix("KAFKA_").lower()
    return raw.replace("_", ".").replace("...", "-").replace("..", "_")


def test_the_cluster_compose_file_runs_three_zookeepers_and_three_brokers_that_know_each_other():
    services = _compose("docker-compose.cluster.yml")
    zks = {name: s for name, s in services.items() if s["image"].startswith("zookeeper")}
    brokers = {name: s for name, s in services.items() if "KAFKA_BROKER_ID" in _env(s)}
    assert len(zks) == 3 and len(brokers) == 3 and len(services) == 7, sorted(services)
    # The seventh service is Prometheus, scraping every broker's /metrics.
    import yaml

    scrape = yaml.safe_load((ROOT / "compose" / "prometheus.yml").read_text())["scrape_configs"][0]
    assert scrape["static_configs"][0]["targets"] == [f"{brokers[b]['hostname']}:9404" for b in sorted(brokers)]

    by_id = {int(_env(s)["ZOO_MY_ID"]): s["hostname"] for s in zks.values()}
    assert sorted(by_id) == [1, 2, 3]
    servers = " ".join(f"server.{k}={by_id[k]}:2888:3888;2181" for k in sorted(by_id))
    assert all(_env(s)["ZOO_SERVERS"] == servers for s in zks.values()), "every node must list the same ensemble"
    connect = ",".join(f"{by_id[k]}:2181" for k in sorted(by_id))

    host_ports = set()
    for name, s in brokers.items():
        env = _env(s)
        assert env["KAFKA_ZOOKEEPER_CONNECT"] == connect, name
        assert sorted(s["depends_on"]) == sorted(zks), name
        published, _, container = s["ports"][0].partition(":")
        host_ports.add(published)
        advertised = dict(item.split("://", 1) for item in env["KAFKA_ADVERTISED_LISTENERS"].split(","))
        assert advertised["PLAINTEXT_HOST"] == f"localhost:{published}", name
        assert advertised["PLAINTEXT"] == f"{s['hostname']}:29092", name
        assert f"PLAINTEXT_HOST://0.0.0.0:{container}" in env["KAFKA_LISTENERS"], name
        assert env["KAFKA_INTER_BROKER_LISTENER_NAME"] == "PLAINTEXT"
        assert int(env["KAFKA_DEFAULT_REPLICATION_FACTOR"]) == 3 and int(env["KAFKA_MIN_INSYNC_REPLICAS"]) == 2
        assert int(env["KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR"]) == 3
    assert sorted(int(_env(s)["KAFKA_BROKER_ID"]) for s in brokers.values()) == [1, 2, 3]
    assert host_ports == {"9092", "9093", "9094"}
    volumes = [s["volumes"][0].split(":")[0] for s in brokers.values()]
    assert len(set(volumes)) == 3, "each broker needs its own data volume"


@pytest.mark.needletail_only
def test_every_kafka_variable_of_the_compose_files_names_a_known_broker_setting(cluster):
    """Checked against the broker's own list of settings (DescribeConfigs of a running broker)."""
    from confluent_kafka.admin import AdminClient, ConfigResource

    b = cluster.broker(90)
    admin = AdminClient({"bootstrap.servers": b.bootstrap})
    resource = ConfigResource(ConfigResource.Type.BROKER, str(b.broker_id))
    known = set(admin.describe_configs([resource])[resource].result(timeout=30))
    unknown = sorted({(file, var, _property_name(var)) for file, _, env in (p.values for p in _broker_services())
                      for var in env if _property_name(var) not in known})
    assert not unknown, f"KAFKA_* variables that name no broker setting: {unknown}"


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
    if "KAFKA_HTTP_LISTENERS" in out:
        out["KAFKA_HTTP_LISTENERS"] = f"HTTP://127.0.0.1:{free_port()}"
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
        assert "isn't a known config" not in b.log_tail(), b.log_tail()
        # Each variable's value is what the broker reports for its setting.
        from confluent_kafka.admin import AdminClient, ConfigResource

        admin = AdminClient({"bootstrap.servers": b.bootstrap})
        resource = ConfigResource(ConfigResource.Type.BROKER, str(broker_id))
        entries = admin.describe_configs([resource])[resource].result(timeout=30)
        for var, value in local.items():
            name = _property_name(var)
            assert name in entries, f"{var}: the broker has no setting {name}"
            assert entries[name].value == value, f"{var}={value}: the broker reports {name}={entries[name].value}"
    finally:
        assert b.stop() == 0
