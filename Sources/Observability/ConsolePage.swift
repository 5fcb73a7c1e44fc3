/// The web console served at `/`: one static, read-only page (HTML, CSS and JavaScript in one string, so the
/// binary carries it and no Node toolchain builds it). It subscribes to `/api/events` (server-sent events; the
/// browser's EventSource reconnects by itself) and redraws from each pushed state, so it updates without
/// reloading. It only ever issues GETs. Names from the cluster are inserted as text, never as HTML.
public enum ConsolePage {
    public static let html = #"""
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <link rel="icon" href="data:,">
        <title>Needletail console</title>
        <style>
        body { font: 14px/1.4 system-ui, sans-serif; margin: 0; color: #1d2329; background: #f4f6f8; }
        header { background: #12324a; color: #fff; padding: 10px 20px; display: flex; gap: 24px; align-items: baseline; }
        header h1 { font-size: 18px; margin: 0; }
        header .live { margin-left: auto; font-size: 12px; }
        main { padding: 12px 20px; }
        section { background: #fff; border: 1px solid #d8dee4; border-radius: 6px; margin-bottom: 14px; padding: 10px 14px; }
        h2 { font-size: 15px; margin: 0 0 8px; }
        h3 { font-size: 14px; margin: 12px 0 6px; }
        table { border-collapse: collapse; width: 100%; }
        th, td { text-align: left; padding: 3px 8px; border-bottom: 1px solid #eef1f4; white-space: nowrap; }
        th { font-weight: 600; color: #57606a; font-size: 12px; }
        td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
        .stats { display: flex; gap: 28px; }
        .stat b { display: block; font-size: 20px; }
        .bad { color: #b42318; font-weight: 600; }
        .ok { color: #1a7f37; }
        .warn { color: #9a6700; font-weight: 600; }
        .muted { color: #8c959f; }
        .group { border-top: 1px solid #d8dee4; padding-top: 8px; margin-top: 8px; }
        ol.timeline { margin: 0; padding-left: 20px; }
        ol.timeline li { margin: 2px 0; }
        svg.spark { vertical-align: middle; }
        </style>
        </head>
        <body>
        <header><h1>Needletail</h1><span id="cluster-id"></span><span id="served-by"></span>
        <span class="live" id="live">connecting…</span></header>
        <main>
        <section id="cluster"><h2>Cluster</h2>
        <div class="stats">
        <div class="stat">Brokers<b id="broker-count">–</b></div>
        <div class="stat">Controller<b id="controller">–</b></div>
        <div class="stat">Topics<b id="topic-count">–</b></div>
        <div class="stat">Partitions<b id="partition-count">–</b></div>
        <div class="stat">Under-replicated<b id="under-replicated">–</b></div>
        <div class="stat">Offline<b id="offline">–</b></div>
        </div>
        <h3>Brokers</h3>
        <table><thead><tr><th>ID</th><th>Host</th><th>Port</th><th>Rack</th><th>Role</th></tr></thead>
        <tbody id="brokers"></tbody></table>
        </section>
        <section><h2>Topics</h2>
        <table><thead><tr><th>Topic</th><th class="num">Partitions</th><th>Leaders</th><th>ISR</th>
        <th class="num">Size here</th><th class="num">Msgs/s</th><th>Throughput (led here)</th></tr></thead>
        <tbody id="topics"></tbody></table>
        </section>
        <section><h2>Consumer groups <span class="muted" id="groups-note"></span></h2>
        <table><thead><tr><th>Group</th><th>State</th><th class="num">Members</th><th class="num">Lag</th>
        <th class="num">Lag (s)</th><th>Trend</th><th>Status</th><th class="num">Rebalances</th></tr></thead>
        <tbody id="groups"></tbody></table>
        <div id="group-details"></div>
        </section>
        </main>
        <script>
        "use strict";
        const $ = (id) => document.getElementById(id);
        function el(tag, attrs, ...children) {
          const e = document.createElement(tag);
          for (const [k, v] of Object.entries(attrs || {})) {
            if (k === "class") e.className = v; else e.setAttribute(k, v);
          }
          for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(c == null ? "" : String(c)));
          return e;
        }
        function fill(tbody, rows) { tbody.replaceChildren(...rows); }
        function bytes(n) {
          if (n == null) return "–";
          const u = ["B", "KiB", "MiB", "GiB", "TiB"]; let i = 0;
          while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
          return (i ? n.toFixed(1) : n) + " " + u[i];
        }
        function time(ms) { return ms == null ? "–" : new Date(ms).toLocaleTimeString(); }
        const arrows = { rising: "↑ rising", falling: "↓ falling", steady: "→ steady", unknown: "·" };
        function spark(points) {
          const w = 160, h = 22;
          const s = document.createElementNS("http://www.w3.org/2000/svg", "svg");
          s.setAttribute("class", "spark"); s.setAttribute("width", w); s.setAttribute("height", h);
          if (points.length < 2) return s;
          const max = Math.max(1, ...points.map((p) => p.messages_per_sec));
          const step = w / (points.length - 1);
          const line = document.createElementNS("http://www.w3.org/2000/svg", "polyline");
          line.setAttribute("fill", "none"); line.setAttribute("stroke", "#0969da");
          line.setAttribute("points", points.map((p, i) =>
            (i * step).toFixed(1) + "," + (h - 1 - (h - 2) * p.messages_per_sec / max).toFixed(1)).join(" "));
          s.append(line);
          return s;
        }
        function renderCluster(c) {
          $("cluster-id").textContent = "cluster " + c.cluster_id;
          $("served-by").textContent = "served by broker " + c.served_by;
          $("broker-count").textContent = c.brokers.length;
          $("controller").textContent = c.controller < 0 ? "none" : c.controller;
          $("topic-count").textContent = c.topic_count;
          $("partition-count").textContent = c.partition_count;
          $("under-replicated").textContent = c.under_replicated_partitions;
          $("under-replicated").className = c.under_replicated_partitions ? "bad" : "ok";
          $("offline").textContent = c.offline_partitions;
          $("offline").className = c.offline_partitions ? "bad" : "ok";
          fill($("brokers"), c.brokers.map((b) => el("tr", { "data-broker": b.id },
            el("td", {}, b.id), el("td", {}, b.host), el("td", {}, b.port), el("td", {}, b.rack || "–"),
            el("td", {}, b.is_controller ? "controller" : ""))));
        }
        function renderTopics(topics) {
          fill($("topics"), topics.map((t) => {
            const leaders = t.partitions.map((p) => p.leader < 0 ? "none" : p.leader).join(" ");
            const isr = t.under_replicated || t.offline
              ? el("span", { class: "bad" }, t.under_replicated + " under-replicated, " + t.offline + " offline")
              : el("span", { class: "ok" }, "all in sync");
            const last = t.throughput.length ? t.throughput[t.throughput.length - 1].messages_per_sec : null;
            return el("tr", { "data-topic": t.name },
              el("td", {}, t.name + (t.is_internal ? " (internal)" : "")), el("td", { class: "num" }, t.partitions.length),
              el("td", {}, leaders), el("td", {}, isr), el("td", { class: "num" }, bytes(t.size_bytes)),
              el("td", { class: "num" }, last == null ? "–" : last.toFixed(1)), el("td", {}, spark(t.throughput)));
          }));
        }
        function statusClass(s) { return s === "OK" ? "ok" : s === "WARN" ? "warn" : "bad"; }
        function renderGroups(groups, servedBy) {
          $("groups-note").textContent = "(coordinated by broker " + servedBy + ")";
          fill($("groups"), groups.map((g) => el("tr", { "data-group": g.group },
            el("td", {}, g.group), el("td", {}, g.state), el("td", { class: "num" }, g.members.length),
            el("td", { class: "num lag-total" }, g.total_lag == null ? "–" : g.total_lag),
            el("td", { class: "num" }, g.max_lag_seconds == null ? "–" : g.max_lag_seconds.toFixed(1)),
            el("td", {}, arrows[g.trend]), el("td", { class: statusClass(g.status) }, g.status),
            el("td", { class: "num" }, g.rebalances.length))));
          $("group-details").replaceChildren(...groups.map((g) => {
            const parts = el("table", {}, el("thead", {}, el("tr", {}, el("th", {}, "Topic"), el("th", { class: "num" }, "Partition"),
              el("th", { class: "num" }, "Committed"), el("th", { class: "num" }, "Lag"), el("th", { class: "num" }, "Lag (s)"),
              el("th", {}, "Trend"))),
              el("tbody", {}, ...g.partitions.map((p) => el("tr", { "data-topic": p.topic, "data-partition": p.partition },
                el("td", {}, p.topic), el("td", { class: "num" }, p.partition), el("td", { class: "num" }, p.committed_offset),
                el("td", { class: "num lag" }, p.lag == null ? "–" : p.lag),
                el("td", { class: "num" }, p.lag_seconds == null ? "–" : p.lag_seconds.toFixed(1)),
                el("td", {}, arrows[p.trend])))));
            const timeline = el("ol", { class: "timeline" }, ...g.rebalances.map((r) => {
              const who = r.client_id ? " — " + r.client_id + (r.client_host ? " on " + r.client_host : "") : "";
              const took = r.in_progress ? " (in progress)"
                : " (preparing " + r.preparing_ms + " ms, completing " + r.completing_ms + " ms)";
              const reason = r.client_reason ? " — reason: " + r.client_reason : "";
              return el("li", { "data-generation": r.generation, "data-trigger": r.trigger || "" },
                time(r.started_at) + " generation " + r.generation + ": " + (r.trigger || "unknown") + who + reason
                + took + ", " + r.members + " members, " + r.partitions_moved + " partitions moved");
            }));
            return el("div", { class: "group", "data-group-detail": g.group },
              el("h3", {}, g.group + " — " + g.state + ", " + g.members.map((m) => m.client_id + "@" + m.host).join(", ")),
              parts, el("h3", {}, "Rebalance timeline"),
              g.rebalances.length ? timeline : el("p", { class: "muted" }, "no rebalance recorded"),
              g.verdict ? el("p", { class: "warn" }, g.verdict) : el("span", {}));
          }));
        }
        function render(state) {
          renderCluster(state.cluster);
          renderTopics(state.topics);
          renderGroups(state.groups, state.cluster.served_by);
          $("live").textContent = "live, updated " + new Date().toLocaleTimeString();
        }
        const source = new EventSource("/api/events");
        source.onmessage = (event) => render(JSON.parse(event.data));
        source.onerror = () => { $("live").textContent = "disconnected, retrying…"; };
        </script>
        </body>
        </html>
        """#
}
