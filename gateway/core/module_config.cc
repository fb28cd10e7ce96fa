// ParseModule: one entry of `modules:` — id, subscriptions, sink (kept as
// YAML for its factory), queue bounds and spool options. Pure.
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "gateway/api/config_reader.h"
#include "gateway/common/status_macros.h"
#include "gateway/core/config.h"
#include "gateway/core/partition_key.h"
#include "gateway/spool/spool_config.h"

namespace streamgate {
namespace {

bool ValidModuleId(const std::string& id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    if (!(absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_' ||
          c == '-')) {
      return false;
    }
  }
  return true;
}

// partition_key: a template checked against what the module takes (an event
// has no label, bulk data no event type), so a key that can never expand is
// refused at start rather than refusing every input.
absl::Status ParsePartitionKeyField(const YAML::Node& node,
                                    const ConfigReader& r, ModuleConfig& m) {
  auto fail = [&](absl::string_view msg) {
    absl::Status s = FieldError(node["partition_key"], "partition_key", msg);
    return absl::InvalidArgumentError(
        absl::StrCat("module '", m.id, "': ", s.message()));
  };
  auto text = r.String("partition_key");
  if (!text.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("module '", m.id, "': ", text.status().message()));
  }
  if (!*text) return absl::OkStatus();
  if (m.use_uuid) {
    return fail("give either use_uuid or partition_key (\"${newuuid()}\")");
  }
  auto key = ParsePartitionKey(**text);
  if (!key.ok()) return fail(key.status().message());
  const bool events = m.all_events || !m.subscribe_events.empty();
  if (key->Uses(TemplateVar::kEventType) && m.bulk_data_label) {
    return fail(
        "${event_type} cannot key bulk data (the module has bulk_data_label)");
  }
  if (key->Uses(TemplateVar::kLabel) && events) {
    return fail("${label} cannot key events (the module has subscribe_events)");
  }
  m.partition_key = *std::move(key);
  return absl::OkStatus();
}

}  // namespace

absl::Status ParseModule(const YAML::Node& node, size_t index,
                         ModuleConfig& m) {
  const std::string where = absl::StrCat("modules[", index, "]");
  RETURN_IF_ERROR(ConfigReader::Open(node, where).status());
  // Errors name the module by id (below), so its fields need no path.
  const ConfigReader r(node, "");
  m.line = node.Mark().line >= 0 ? node.Mark().line + 1 : 0;
  ASSIGN_OR_RETURN(auto id, r.String("id"));
  if (!id) return FieldError(node, where + ".id", "required");
  if (!ValidModuleId(*id)) {
    return FieldError(node["id"], where + ".id",
                      absl::StrCat("'", *id,
                                   "' must match [A-Za-z0-9_-]{1,64}"));
  }
  m.id = *id;
  // From here on errors name the module by id.
  auto err = [&](const YAML::Node& n, absl::string_view field,
                 absl::string_view msg) {
    absl::Status s = FieldError(n, field, msg);
    return absl::InvalidArgumentError(
        absl::StrCat("module '", m.id, "': ", s.message()));
  };
  auto wrap = [&](absl::Status s) {
    return absl::InvalidArgumentError(
        absl::StrCat("module '", m.id, "': ", s.message()));
  };
  absl::Status keys = r.CheckKnownKeys(
      {"id", "description", "subscribe_events", "bulk_data_label", "use_uuid",
       "partition_key", "sink", "queue", "spool"});
  if (!keys.ok()) return wrap(keys);

  auto desc = r.String("description");
  if (!desc.ok()) return wrap(desc.status());
  m.description = desc->value_or("");

  const YAML::Node subs = node["subscribe_events"];
  if (subs.IsDefined() && !subs.IsNull()) {
    if (!subs.IsSequence()) {
      return err(subs, "subscribe_events", "must be a list of event types");
    }
    if (subs.size() == 0) {
      return err(subs, "subscribe_events",
                 "is empty (list event types, or \"*\" for every event)");
    }
    std::set<std::string> seen;
    for (size_t i = 0; i < subs.size(); ++i) {
      const YAML::Node t = subs[i];
      const std::string field = absl::StrCat("subscribe_events[", i, "]");
      if (!t.IsScalar() || t.Scalar().empty()) {
        return err(t, field, "must be a non-empty event type");
      }
      if (!seen.insert(t.Scalar()).second) {
        return err(t, field, absl::StrCat("'", t.Scalar(), "' listed twice"));
      }
      if (t.Scalar() == "*") {
        m.all_events = true;
      } else {
        m.subscribe_events.push_back(t.Scalar());
      }
    }
  }
  auto label = r.String("bulk_data_label");
  if (!label.ok()) return wrap(label.status());
  if (*label) {
    if ((*label)->empty()) {
      return err(node["bulk_data_label"], "bulk_data_label",
                 "must not be empty");
    }
    m.bulk_data_label = **label;
  }
  if (!m.all_events && m.subscribe_events.empty() && !m.bulk_data_label) {
    return err(node, "subscribe_events",
               "a module needs subscribe_events or bulk_data_label (or both)");
  }
  auto uuid = r.Bool("use_uuid");
  if (!uuid.ok()) return wrap(uuid.status());
  m.use_uuid = uuid->value_or(false);
  RETURN_IF_ERROR(ParsePartitionKeyField(node, r, m));

  const YAML::Node sink = node["sink"];
  if (!sink.IsDefined() || sink.IsNull()) {
    return err(node, "sink", "required (e.g. {type: stdout})");
  }
  if (!sink.IsMap()) return err(sink, "sink", "must be a map with a type");
  auto type = ConfigReader(sink, "sink").String("type");
  if (!type.ok()) return wrap(type.status());
  if (!*type || (*type)->empty()) {
    return err(sink, "sink.type", "required (kinesis, file or stdout)");
  }
  m.sink_type = **type;
  m.sink = sink;

  const YAML::Node queue = node["queue"];
  if (queue.IsDefined() && !queue.IsNull()) {
    if (!queue.IsMap()) return err(queue, "queue", "must be a map");
    const ConfigReader q(queue, "queue");
    absl::Status qk = q.CheckKnownKeys({"max_records", "max_bytes"});
    if (qk.ok()) qk = q.Read("max_records", m.queue.max_records, 1, 100000000);
    if (qk.ok()) qk = q.Read("max_bytes", m.queue.max_bytes, 1024, int64_t{1} << 40);
    if (!qk.ok()) return wrap(qk);
  }
  const YAML::Node spool = node["spool"];
  if (spool.IsDefined() && !spool.IsNull()) {
    auto options = ParseSpoolOptions(spool);
    if (!options.ok()) return wrap(options.status());
    m.spool = std::move(*options);
  }
  return absl::OkStatus();
}

}  // namespace streamgate
