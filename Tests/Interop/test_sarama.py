"""Sarama (Go), as Debian packages it: built from Tests/Interop/sarama with the system's golang-go in GOPATH mode
against /usr/share/gocode, then run against a live broker. Sarama's default protocol version is 0.8.2, so this is
the client that exercises the magic-0 produce and fetch paths the way Go services and Burrow-era tools do."""
from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

SOURCE = Path(__file__).parent / "sarama"
GOPATH_SYSTEM = "/usr/share/gocode"


@pytest.fixture(scope="module")
def sarama_check(tmp_path_factory) -> Path:
    if shutil.which("go") is None or not Path(GOPATH_SYSTEM, "src/github.com/Shopify/sarama").is_dir():
        pytest.fail("golang-go and golang-github-shopify-sarama-dev are required (tools/test installs them)")
    work = tmp_path_factory.mktemp("sarama")
    package = work / "src" / "saramacheck"
    package.mkdir(parents=True)
    shutil.copy(SOURCE / "main.go", package / "main.go")
    binary = work / "sarama-check"
    env = dict(os.environ, GO111MODULE="off", GOPATH=f"{work}:{GOPATH_SYSTEM}", GOCACHE=str(work / "cache"),
               GOFLAGS="")
    built = subprocess.run(["go", "build", "-o", str(binary), "."], cwd=package, env=env, capture_output=True,
                           text=True, timeout=600)
    assert built.returncode == 0, built.stderr[-3000:]
    return binary


def test_sarama_round_trips_at_every_protocol_version_it_speaks_and_its_consumer_group_reads(broker, sarama_check):
    prefix = f"sarama-{uuid.uuid4().hex[:6]}"
    run = subprocess.run([str(sarama_check), broker.bootstrap, prefix], capture_output=True, text=True, timeout=180)
    lines = run.stdout.splitlines()
    assert run.returncode == 0 and not any(line.startswith("FAIL") for line in lines), run.stdout + run.stderr[-2000:]
    assert [line.split()[1] for line in lines if line.startswith("ok")] == \
        ["default", "default-gzip", "0.10-snappy", "1.0-lz4", "2.1-none", "group"]
