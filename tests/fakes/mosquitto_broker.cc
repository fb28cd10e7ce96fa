#include "tests/fakes/mosquitto_broker.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace streamgate {
namespace testing {
namespace {

constexpr char kMosquitto[] = "/usr/sbin/mosquitto";

bool CanConnect(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok =
      connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  close(fd);
  return ok;
}

}  // namespace

absl::StatusOr<int> PickFreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return absl::InternalError(std::strerror(errno));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = 0;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    const std::string error = std::strerror(errno);
    close(fd);
    return absl::InternalError(error);
  }
  close(fd);
  return static_cast<int>(ntohs(addr.sin_port));
}

absl::Status RunShell(const std::string& command) {
  const int rc = std::system(command.c_str());
  if (rc != 0) {
    return absl::InternalError(absl::StrCat("'", command, "' exited with ", rc));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<MosquittoBroker>> MosquittoBroker::Start(
    const std::string& extra_config) {
  std::unique_ptr<MosquittoBroker> broker(new MosquittoBroker());
  char tmpl[] = "/tmp/sg-mosquitto-XXXXXX";
  if (mkdtemp(tmpl) == nullptr) {
    return absl::InternalError(absl::StrCat("mkdtemp: ", std::strerror(errno)));
  }
  broker->dir_ = tmpl;
  // Started as root, mosquitto drops to user mosquitto before reading
  // certificates: the dir must be traversable.
  chmod(tmpl, 0755);
  auto port = PickFreePort();
  if (!port.ok()) return port.status();
  broker->port_ = *port;
  broker->config_path_ = broker->dir_ + "/mosquitto.conf";
  broker->log_path_ = broker->dir_ + "/mosquitto.log";
  {
    std::ofstream conf(broker->config_path_);
    conf << "listener " << broker->port_ << " 127.0.0.1\n"
         << extra_config << "\n"
         << "persistence false\n"
         << "log_dest stdout\n"
         << "log_type error\nlog_type warning\nlog_type notice\n"
         << "log_type information\n";
    if (extra_config.find("allow_anonymous") == std::string::npos) {
      conf << "allow_anonymous true\n";
    }
    if (!conf) return absl::InternalError("cannot write mosquitto.conf");
  }
  if (absl::Status s = broker->Launch(); !s.ok()) return s;
  return broker;
}

absl::Status MosquittoBroker::Launch() {
  const int log_fd =
      open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) return absl::InternalError("cannot open the broker log");
  const pid_t pid = fork();
  if (pid < 0) {
    close(log_fd);
    return absl::InternalError(absl::StrCat("fork: ", std::strerror(errno)));
  }
  if (pid == 0) {
    // Child: only async-signal-safe calls before exec.
    dup2(log_fd, STDOUT_FILENO);
    dup2(log_fd, STDERR_FILENO);
    execl(kMosquitto, kMosquitto, "-c", config_path_.c_str(),
          static_cast<char*>(nullptr));
    _exit(127);
  }
  close(log_fd);
  pid_ = pid;
  const absl::Time deadline = absl::Now() + absl::Seconds(15);
  while (absl::Now() < deadline) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return absl::InternalError(
          absl::StrCat("mosquitto exited at start-up:\n", Log()));
    }
    if (CanConnect(port_)) return absl::OkStatus();
    absl::SleepFor(absl::Milliseconds(20));
  }
  Kill();
  return absl::DeadlineExceededError(
      absl::StrCat("mosquitto did not listen on ", port_, ":\n", Log()));
}

std::string MosquittoBroker::Log() const {
  std::ifstream in(log_path_);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

int MosquittoBroker::UnreadClosedConnections() const {
  // /proc/net/tcp: "sl local_address rem_address st ...", addresses as
  // hex IP:PORT, state 08 = CLOSE_WAIT.
  std::ifstream in("/proc/net/tcp");
  std::string line;
  std::getline(in, line);  // header
  int count = 0;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string slot, local, remote, state;
    fields >> slot >> local >> remote >> state;
    const size_t colon = local.find(':');
    if (colon == std::string::npos) continue;
    const int port = static_cast<int>(std::strtol(local.c_str() + colon + 1, nullptr, 16));
    if (port == port_ && state == "08") ++count;
  }
  return count;
}

void MosquittoBroker::Kill() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

void MosquittoBroker::Stop() {
  if (pid_ <= 0) return;
  kill(pid_, SIGTERM);
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

absl::Status MosquittoBroker::Restart() {
  Stop();
  return Launch();
}

MosquittoBroker::~MosquittoBroker() {
  Stop();
  std::error_code ignored;
  if (!dir_.empty()) std::filesystem::remove_all(dir_, ignored);
}

}  // namespace testing
}  // namespace streamgate
