"""The web console (`/` on http.listeners) in headless Chromium, driven through selenium and chromium-driver, on a
three-broker cluster with a topic, a producer and a consumer group: the page renders without script errors, shows
the brokers, the topic, the group, per-partition lag equal to `needletail consumer-groups --describe`, and the
group's rebalance timeline; a new rebalance appears without a reload (server-sent events). Its JSON API answers
errors as JSON and refuses anything but GET/HEAD.

Set CONSOLE_SCREENSHOT=path to keep a screenshot of the page (docs/console.png is made that way).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
import urllib.error
import urllib.request

import pytest
from confluent_kafka import Consumer, Producer
from confluent_kafka.admin import AdminClient

from conftest import HOST, NEEDLETAIL_BIN, ReplicatedCluster, create_topic, free_port, wait_until

pytestmark = pytest.mark.needletail_only

HANG_S = 60.0  # an upper bound that means "hung", never a performance expectation
TOPIC = "console-orders"
GROUP = "console-readers"
PARTITIONS = 3
PRODUCED = 300
COMMITTED = 120  # the first member commits this many records, then pauses: the lag stays put


class ConsoleCluster(ReplicatedCluster):
    """conftest's three-broker cluster, each broker with its own HTTP listener."""

    def broker(self, broker_id=1, overrides=None, env=None, start=True):
        o = dict(overrides or {})
        o.setdefault("http.listeners", f"HTTP://{HOST}:{free_port()}")
        return super().broker(broker_id, o, env, start)


def http_port(b) -> int:
    return int(b.props["http.listeners"].rsplit(":", 1)[1])


class Member:
    """A confluent-kafka group member on its own thread: commits each record it reads until `limit`, then pauses
    its partitions and only keeps polling (heartbeats), so the group's committed offsets stop moving."""

    def __init__(self, bootstrap: str, client_id: str, limit: int):
        self.consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": GROUP, "client.id": client_id,
                                  "enable.auto.commit": False, "auto.offset.reset": "earliest",
                                  "session.timeout.ms": 6000, "heartbeat.interval.ms": 500})
        self.consumer.subscribe([TOPIC])
        self.limit = limit
        self.read = 0
        self.stop = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.stop:
            msg = self.consumer.poll(0.2)
            if msg is None or msg.error():
                continue
            if self.read < self.limit:
                self.consumer.commit(message=msg, asynchronous=False)
                self.read += 1
            elif self.consumer.assignment():
                self.consumer.pause(self.consumer.assignment())

    def close(self):
        self.stop = True
        self.thread.join(10)
        self.consumer.close()


@pytest.fixture(scope="module")
def console_cluster(zookeeper_ensemble):
    c = ConsoleCluster("test-console", zookeeper_ensemble)
    try:
        c.start()
        yield c
    finally:
        c.teardown()


@pytest.fixture(scope="module")
def chromium():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    binary = shutil.which("chromium")
    driver_binary = shutil.which("chromedriver")
    if not binary or not driver_binary:
        pytest.fail("chromium and chromedriver are required (Debian chromium, chromium-driver; tools/test installs them)")
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for arg in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=1400,1100"]:
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(driver_binary), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def cli_lags(bootstrap: str) -> dict[int, str]:
    """`consumer-groups --describe`'s LAG column keyed by partition, for partitions with a committed offset."""
    out = subprocess.run([str(NEEDLETAIL_BIN), "consumer-groups", "--bootstrap-server", bootstrap, "--describe",
                          "--group", GROUP], capture_output=True, timeout=HANG_S)
    assert out.returncode == 0, out.stderr.decode(errors="replace")
    lines = out.stdout.decode().splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("GROUP "))
    columns = lines[header].split()
    lags = {}
    for line in lines[header + 1:]:
        cells = dict(zip(columns, line.split()))
        if cells.get("TOPIC") == TOPIC and cells.get("LAG", "-") != "-":
            lags[int(cells["PARTITION"])] = cells["LAG"]
    return lags


def http(port: int, path: str, method: str = "GET") -> tuple[int, dict]:
    request = urllib.request.Request(f"http://{HOST}:{port}{path}", method=method)
    try:
        with urllib.request.urlopen(request, timeout=HANG_S) as r:
            return r.status, json.load(r)
    except urllib.error.HTTPError as e:
        return e.code, json.load(e)


def test_console_shows_cluster_topics_lag_and_rebalances_live_in_headless_chromium(console_cluster, chromium):
    from selenium.webdriver.common.by import By

    rc = console_cluster
    bootstrap = rc.bootstrap
    create_topic(bootstrap, TOPIC, partitions=PARTITIONS, replication=3)
    producer = Producer({"bootstrap.servers": bootstrap})
    for i in range(PRODUCED):
        producer.produce(TOPIC, value=b"order-%d" % i, partition=i % PARTITIONS)
    assert producer.flush(HANG_S) == 0
    first = Member(bootstrap, "console-reader-1", COMMITTED)
    second = None
    try:
        wait_until(lambda: first.read >= COMMITTED, HANG_S, "the first member commits its records")
        admin = AdminClient({"bootstrap.servers": bootstrap})
        coordinator = admin.describe_consumer_groups([GROUP])[GROUP].result(timeout=HANG_S).coordinator.id
        port = http_port(rc.brokers[coordinator])

        # The JSON API: errors are JSON with an HTTP status, and nothing but GET/HEAD is served.
        status, body = http(port, "/api/groups/no-such-group")
        assert status == 404 and body["error"] is True
        status, body = http(port, "/api/console", method="POST")
        assert status == 405 and body["error"] is True
        status, body = http(port, "/api/cluster")
        assert status == 200 and len(body["brokers"]) == 3 and body["controller"] == rc.controller_id()

        # The push channel the page reads: a text/event-stream whose data lines are the console's JSON.
        with urllib.request.urlopen(f"http://{HOST}:{port}/api/events", timeout=HANG_S) as stream:
            assert stream.headers["Content-Type"].startswith("text/event-stream")
            line = b""
            while not line.startswith(b"data: "):
                line = stream.readline()
            state = json.loads(line[len(b"data: "):])
            assert {b["id"] for b in state["cluster"]["brokers"]} == {1, 2, 3}
            assert GROUP in {g["group"] for g in state["groups"]}

        chromium.get(f"http://{HOST}:{port}/")
        chromium.execute_script("window.loadedOnce = 'yes';")

        def rows(selector: str):
            return chromium.find_elements(By.CSS_SELECTOR, selector)

        # The page re-renders its tables on every pushed state, so an element found by one WebDriver call can be
        # gone by the next (StaleElementReferenceException): read what a check needs in one script, atomically.
        def texts(selector: str) -> list[str]:
            return chromium.execute_script(
                "return Array.from(document.querySelectorAll(arguments[0]), e => e.innerText);", selector)

        wait_until(lambda: len(rows("#brokers tr")) == 3, HANG_S, "three brokers on the page")
        assert {r.get_attribute("data-broker") for r in rows("#brokers tr")} == {"1", "2", "3"}
        assert chromium.find_element(By.ID, "controller").text == str(rc.controller_id())
        wait_until(lambda: rows(f'#topics tr[data-topic="{TOPIC}"]'), HANG_S, "the topic on the page")
        topic_row = rows(f'#topics tr[data-topic="{TOPIC}"]')[0]
        assert topic_row.find_elements(By.TAG_NAME, "td")[1].text == str(PARTITIONS)
        wait_until(lambda: rows(f'#groups tr[data-group="{GROUP}"]'), HANG_S, "the group on the page")

        detail = f'[data-group-detail="{GROUP}"]'

        def page_lags() -> dict[int, str]:
            pairs = chromium.execute_script(
                "return Array.from(document.querySelectorAll(arguments[0]),"
                " r => [r.getAttribute('data-partition'), (r.querySelector('td.lag') || {}).innerText]);",
                f'{detail} tr[data-topic="{TOPIC}"]')
            return {int(p): lag for p, lag in pairs}

        cli = {}

        def lags_agree() -> bool:
            cli.clear()
            cli.update(cli_lags(bootstrap))
            return bool(cli) and page_lags() == cli

        wait_until(lags_agree, HANG_S, lambda: f"page lag {page_lags()} == CLI lag {cli}", interval=1.0)
        # Partitions the member never committed on have no lag (LAG "-" in the CLI, no row on the page).
        assert 0 < sum(int(v) for v in cli.values()) < PRODUCED
        total = texts(f'#groups tr[data-group="{GROUP}"] td.lag-total')[0]
        assert total == str(sum(int(v) for v in cli.values()))

        wait_until(lambda: rows(f"{detail} ol.timeline li"), HANG_S, "the first rebalance on the timeline")
        before = len(rows(f"{detail} ol.timeline li"))
        assert rows(f'{detail} ol.timeline li[data-trigger="member_joined"]')

        # A second member joins: the new generation appears without a reload.
        second = Member(bootstrap, "console-reader-2", 0)
        wait_until(lambda: any("console-reader-2" in t for t in texts(f"{detail} ol.timeline li")), HANG_S,
                   "the second member's rebalance on the timeline")
        assert len(rows(f"{detail} ol.timeline li")) > before
        assert chromium.execute_script("return window.loadedOnce;") == "yes", "the page reloaded"

        screenshot = os.environ.get("CONSOLE_SCREENSHOT")
        if screenshot:
            chromium.save_screenshot(screenshot)
        severe = [e for e in chromium.get_log("browser") if e["level"] == "SEVERE"]
        assert severe == [], severe
    finally:
        for m in (first, second):
            if m is not None:
                m.close()
