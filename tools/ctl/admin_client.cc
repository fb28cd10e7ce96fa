#include "tools/ctl/admin_client.h"

#include <fstream>
#include <sstream>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace streamgate::ctl {
namespace {

// Left-aligned columns, two spaces apart.
std::string Table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width;
  for (const auto& row : rows) {
    if (width.size() < row.size()) width.resize(row.size(), 0);
    for (size_t i = 0; i < row.size(); ++i) {
      width[i] = std::max(width[i], row[i].size());
    }
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(width[i] - row[i].size() + 2, ' ');
    }
    absl::StrAppend(&out, line, "\n");
  }
  return out;
}

}  // namespace

std::string FormatTime(int64_t seconds, int32_t nanos) {
  const absl::Time t = absl::FromUnixSeconds(seconds) + absl::Nanoseconds(nanos);
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", t, absl::UTCTimeZone());
}

absl::StatusOr<std::unique_ptr<AdminClient>> AdminClient::Create(
    const ClientOptions& options) {
  std::shared_ptr<grpc::ChannelCredentials> creds;
  if (options.ca_file.empty()) {
    creds = grpc::InsecureChannelCredentials();
  } else {
    std::ifstream in(options.ca_file);
    if (!in) {
      return absl::NotFoundError(
          absl::StrCat("--ca ", options.ca_file, ": cannot read the file"));
    }
    std::stringstream pem;
    pem << in.rdbuf();
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = pem.str();
    creds = grpc::SslCredentials(ssl);
  }
  auto channel = grpc::CreateChannel(options.target, creds);
  return std::unique_ptr<AdminClient>(new AdminClient(options, channel));
}

AdminClient::AdminClient(const ClientOptions& options,
                         std::shared_ptr<grpc::Channel> channel)
    : options_(options), stub_(v1::Admin::NewStub(channel)) {}

void AdminClient::Prepare(grpc::ClientContext& context) const {
  context.set_deadline(absl::ToChronoTime(absl::Now() + options_.timeout));
  if (!options_.api_key.empty()) {
    context.AddMetadata("authorization", "Bearer " + options_.api_key);
  }
}

absl::Status AdminClient::Explain(const grpc::Status& status,
                                  const std::string& module_id) const {
  const std::string detail = status.error_message();
  switch (status.error_code()) {
    case grpc::StatusCode::UNAVAILABLE:
      return absl::UnavailableError(absl::StrCat(
          "cannot reach the gateway at ", options_.target, ": ", detail,
          " (is it running? is --target right?)"));
    case grpc::StatusCode::UNAUTHENTICATED:
      return absl::UnauthenticatedError(absl::StrCat(
          "the gateway refused the call (UNAUTHENTICATED): ", detail, "; ",
          options_.api_key.empty()
              ? "it requires an API key: pass --key or set STREAMGATE_API_KEY"
              : "the API key given is not one it knows"));
    case grpc::StatusCode::NOT_FOUND:
      return absl::NotFoundError(absl::StrCat(
          "unknown module '", module_id, "' (streamgate-ctl modules lists them)"));
    case grpc::StatusCode::UNIMPLEMENTED:
      return absl::UnimplementedError(absl::StrCat(
          options_.target, " does not serve streamgate.v1.Admin: ", detail));
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return absl::DeadlineExceededError(absl::StrCat(
          "no answer from ", options_.target, " within ",
          absl::FormatDuration(options_.timeout)));
    default:
      return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                          detail);
  }
}

std::string FormatModules(const v1::ListModulesResponse& response) {
  std::vector<std::vector<std::string>> rows = {
      {"MODULE", "SINK", "STATE", "ACCEPTED", "DELIVERED", "DEAD-LETTERED",
       "QUEUED", "REJECTED", "ERRORS", "SUBSCRIBES"}};
  std::string errors;
  for (const v1::ModuleInfo& m : response.modules()) {
    std::vector<std::string> subs;
    if (m.subscribe_events_size() > 0) {
      subs.push_back(absl::StrCat("events ",
                                  absl::StrJoin(m.subscribe_events(), ",")));
    }
    if (!m.bulk_data_label().empty()) {
      subs.push_back(absl::StrCat("bulk ", m.bulk_data_label()));
    }
    if (m.use_uuid()) subs.push_back("uuid keys");
    const v1::ModuleCounters& c = m.counters();
    rows.push_back({m.id(), m.sink_type(), m.state(),
                    absl::StrCat(c.records_accepted()),
                    absl::StrCat(c.records_delivered()),
                    absl::StrCat(c.records_dead_lettered()),
                    absl::StrCat(c.queue_depth()),
                    absl::StrCat(c.records_rejected_full()),
                    absl::StrCat(c.errors_logged()),
                    absl::StrJoin(subs, "; ")});
    if (!m.last_error().empty()) {
      absl::StrAppend(&errors, m.id(), " last error at ",
                      FormatTime(m.last_error_time().seconds(),
                                 m.last_error_time().nanos()),
                      ": ", m.last_error(), "\n");
    }
  }
  std::string out = Table(rows);
  if (!errors.empty()) absl::StrAppend(&out, "\n", errors);
  return out;
}

absl::StatusOr<std::string> AdminClient::Modules() {
  grpc::ClientContext context;
  Prepare(context);
  v1::ListModulesResponse response;
  grpc::Status st = stub_->ListModules(&context, v1::ListModulesRequest(),
                                       &response);
  if (!st.ok()) return Explain(st, "");
  return FormatModules(response);
}

absl::StatusOr<std::string> AdminClient::Logs(const std::string& module_id,
                                              const std::string& min_level,
                                              uint32_t limit) {
  grpc::ClientContext context;
  Prepare(context);
  v1::GetModuleLogRequest request;
  request.set_module_id(module_id);
  request.set_min_level(min_level);
  request.set_limit(limit);
  v1::GetModuleLogResponse response;
  grpc::Status st = stub_->GetModuleLog(&context, request, &response);
  if (!st.ok()) return Explain(st, module_id);
  std::string out;
  for (const v1::LogEntry& e : response.entries()) {
    absl::StrAppend(&out, FormatTime(e.time().seconds(), e.time().nanos()), " ",
                    e.level(), " ", e.message(), "\n");
  }
  // An empty answer says so, rather than printing nothing.
  if (response.entries().empty()) out = "(no entries)\n";
  return out;
}

}  // namespace streamgate::ctl
