#include "gateway/server/status_page.h"

#include <algorithm>

#include "gateway/common/json_text.h"

namespace streamgate {
namespace {

// Rendered with textContent only (never innerHTML), so module ids, errors
// and event types cannot inject markup. Rates are the change of the
// counters between two polls, so the first poll shows "-".
constexpr char kPage[] = R"html(<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>streamgate status</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#1d2430;background:#f7f8fa}
h1{font-size:1.4em;margin:0 0 .2em}h2{font-size:1.1em;margin:1.4em 0 .4em}
#meta{color:#5a6474}table{border-collapse:collapse;background:#fff;min-width:60%}
th,td{border:1px solid #d5dae1;padding:.3em .6em;text-align:left;vertical-align:top}
th{background:#eef1f5}td.n{text-align:right;font-variant-numeric:tabular-nums}
.running,.serving,.connected{color:#147a2e;font-weight:600}
.failing,.disconnected{color:#b3261e;font-weight:600}.stopped{color:#7a5a00;font-weight:600}
.err{color:#b3261e;max-width:40em;word-break:break-word}#problem{color:#b3261e}
</style></head><body>
<h1>streamgate</h1><div id="meta">loading&hellip;</div><div id="problem"></div>
<h2>Modules</h2>
<table id="modules"><thead><tr><th>module</th><th>state</th><th>sink</th>
<th>in/s</th><th>delivered/s</th><th>queue</th><th>accepted</th>
<th>delivered</th><th>dead-lettered</th><th>rejected (full)</th>
<th>last error</th></tr></thead><tbody></tbody></table>
<h2>Inputs</h2>
<table id="inputs"><thead><tr><th>input</th><th>address</th><th>state</th>
<th>detail</th></tr></thead><tbody></tbody></table>
<script>
"use strict";
let prev = null;
function cell(row, text, cls) {
  const td = document.createElement("td");
  td.textContent = text;
  if (cls) td.className = cls;
  row.appendChild(td);
}
function rate(m, before, field, dt) {
  if (!before || dt <= 0) return "-";
  return ((m[field] - before[field]) / dt).toFixed(1);
}
function render(s) {
  const t = Date.parse(s.time) / 1000;
  const dt = prev ? t - prev.t : 0;
  document.getElementById("meta").textContent = "version " + s.version +
      ", up " + s.uptime_s + " s, " + (s.ready ? "ready" : "not ready") +
      ", as of " + s.time;
  const mb = document.querySelector("#modules tbody");
  mb.replaceChildren();
  const counts = {};
  for (const m of s.modules) {
    const before = prev && prev.counts[m.id];
    counts[m.id] = m;
    const row = document.createElement("tr");
    row.id = "module-" + m.id;
    cell(row, m.id);
    cell(row, m.state, m.state);
    cell(row, m.target || m.sink);
    cell(row, rate(m, before, "accepted", dt), "n");
    cell(row, rate(m, before, "delivered", dt), "n");
    cell(row, String(m.queue_depth), "n");
    cell(row, String(m.accepted), "n");
    cell(row, String(m.delivered), "n");
    cell(row, String(m.dead_lettered), "n");
    cell(row, String(m.rejected_full), "n");
    cell(row, m.last_error ? m.last_error.time + " " + m.last_error.message : "",
         "err");
    mb.appendChild(row);
  }
  const ib = document.querySelector("#inputs tbody");
  ib.replaceChildren();
  for (const i of s.inputs) {
    const row = document.createElement("tr");
    cell(row, i.name);
    cell(row, i.address);
    cell(row, i.state, i.state);
    cell(row, i.detail);
    ib.appendChild(row);
  }
  prev = {t: t, counts: counts};
}
async function poll() {
  try {
    const r = await fetch("status.json", {cache: "no-store"});
    if (!r.ok) throw new Error("status.json: HTTP " + r.status);
    render(await r.json());
    document.getElementById("problem").textContent = "";
  } catch (e) {
    document.getElementById("problem").textContent = String(e);
  }
  setTimeout(poll, 2000);
}
poll();
</script></body></html>
)html";

// Valid UTF-8 is copied; each byte of an invalid sequence becomes U+FFFD.
std::string ValidUtf8(absl::string_view s) {
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t len = c < 0x80         ? 1
                 : (c >> 5) == 6  ? 2
                 : (c >> 4) == 14 ? 3
                 : (c >> 3) == 30 ? 4
                                  : 0;
    bool ok = len != 0 && i + len <= s.size();
    for (size_t k = 1; ok && k < len; ++k) {
      ok = (static_cast<unsigned char>(s[i + k]) & 0xC0) == 0x80;
    }
    if (ok && len == 2) ok = c >= 0xC2;
    if (ok && len == 3) {
      const auto c1 = static_cast<unsigned char>(s[i + 1]);
      ok = !(c == 0xE0 && c1 < 0xA0) && !(c == 0xED && c1 >= 0xA0);
    }
    if (ok && len == 4) {
      const auto c1 = static_cast<unsigned char>(s[i + 1]);
      ok = c <= 0xF4 && !(c == 0xF0 && c1 < 0x90) && !(c == 0xF4 && c1 >= 0x90);
    }
    if (!ok) {
      out += "\xEF\xBF\xBD";
      ++i;
      continue;
    }
    out.append(s.data() + i, len);
    i += len;
  }
  return out;
}

void Str(std::string& out, absl::string_view key, absl::string_view value) {
  AppendJsonString(out, key);
  out += ':';
  AppendJsonString(out, ValidUtf8(value));
}

void Num(std::string& out, absl::string_view key, uint64_t value) {
  AppendJsonString(out, key);
  out += ':';
  AppendInt(out, static_cast<int64_t>(value));
}

void Time(std::string& out, absl::string_view key, absl::Time t) {
  AppendJsonString(out, key);
  out += ':';
  if (IsRenderableTime(t)) {
    AppendRfc3339(out, absl::FromUnixMillis(absl::ToUnixMillis(t)));
  } else {
    out += "null";
  }
}

void Module(std::string& out, const ModuleView& view) {
  const ModuleStatus& m = view.status;
  out += '{';
  Str(out, "id", m.id);
  out += ',';
  Str(out, "description", m.description);
  out += ',';
  Str(out, "sink", m.sink_type);
  out += ',';
  Str(out, "target", view.target);
  out += ',';
  Str(out, "state", m.state);
  out += ",\"subscribe_events\":[";
  for (size_t i = 0; i < m.subscribe_events.size(); ++i) {
    if (i > 0) out += ',';
    AppendJsonString(out, ValidUtf8(m.subscribe_events[i]));
  }
  out += "],\"bulk_data_label\":";
  if (m.bulk_data_label) {
    AppendJsonString(out, ValidUtf8(*m.bulk_data_label));
  } else {
    out += "null";
  }
  out += ',';
  Num(out, "accepted", m.records_accepted);
  out += ',';
  Num(out, "delivered", m.records_delivered);
  out += ',';
  Num(out, "dead_lettered", m.records_dead_lettered);
  out += ',';
  Num(out, "retried", m.records_retried);
  out += ',';
  Num(out, "rejected_full", m.records_rejected_full);
  out += ',';
  Num(out, "queue_depth", m.queue_depth);
  out += ',';
  Num(out, "errors", m.errors_logged);
  out += ",\"last_error\":";
  if (m.last_error) {
    out += '{';
    Time(out, "time", m.last_error->time);
    out += ',';
    const auto level = spdlog::level::to_string_view(m.last_error->level);
    Str(out, "level", absl::string_view(level.data(), level.size()));
    out += ',';
    Str(out, "message", m.last_error->message);
    out += '}';
  } else {
    out += "null";
  }
  out += '}';
}

}  // namespace

const std::string& StatusPageHtml() {
  static const std::string* page = new std::string(kPage);
  return *page;
}

std::string RenderStatusJson(const StatusSnapshot& s) {
  std::string out = "{";
  Str(out, "version", s.version);
  out += ',';
  Time(out, "time", s.now);
  out += ',';
  Num(out, "uptime_s",
      static_cast<uint64_t>(
          std::max<int64_t>(0, absl::ToInt64Seconds(s.now - s.started))));
  out += ",\"ready\":";
  out += s.ready ? "true" : "false";
  out += ",\"modules\":[";
  for (size_t i = 0; i < s.modules.size(); ++i) {
    if (i > 0) out += ',';
    Module(out, s.modules[i]);
  }
  out += "],\"inputs\":[";
  for (size_t i = 0; i < s.inputs.size(); ++i) {
    if (i > 0) out += ',';
    const InputStatus& in = s.inputs[i];
    out += '{';
    Str(out, "name", in.name);
    out += ',';
    Str(out, "address", in.address);
    out += ',';
    Str(out, "detail", in.detail);
    out += ',';
    Str(out, "state", in.state);
    out += '}';
  }
  out += "]}\n";
  return out;
}

}  // namespace streamgate
