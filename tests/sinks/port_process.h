// PortProcess: a test's helper process (a Node server, kinesalite) that
// prints "PORT <n>" on stdout once it listens on 127.0.0.1; killed when the
// object goes (and with the test, via PR_SET_PDEATHSIG). Test-only; not
// thread-safe.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace streamgate::testing {

// A child process that prints "PORT <n>" on stdout once it listens.
class PortProcess {
 public:
  static absl::StatusOr<std::unique_ptr<PortProcess>> Start(
      std::vector<std::string> argv) {
    int out[2];
    if (pipe(out) != 0) return absl::InternalError("pipe");
    pid_t pid = fork();
    if (pid < 0) return absl::InternalError("fork");
    if (pid == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive the test
      dup2(out[1], 1);
      close(out[0]);
      close(out[1]);
      std::vector<char*> args;
      for (auto& a : argv) args.push_back(a.data());
      args.push_back(nullptr);
      execvp(args[0], args.data());
      _exit(127);
    }
    close(out[1]);
    auto p = std::unique_ptr<PortProcess>(new PortProcess(pid, out[0]));
    std::string line;
    while (line.find('\n') == std::string::npos) {
      pollfd pfd{out[0], POLLIN, 0};
      if (poll(&pfd, 1, 20000) <= 0) {
        return absl::DeadlineExceededError(absl::StrCat(argv[0], " did not start"));
      }
      char buf[256];
      ssize_t n = read(out[0], buf, sizeof buf);
      if (n <= 0) return absl::InternalError(absl::StrCat(argv[0], " exited"));
      line.append(buf, n);
    }
    if (line.rfind("PORT ", 0) != 0 ||
        !absl::SimpleAtoi(line.substr(5, line.find('\n') - 5), &p->port_)) {
      return absl::InternalError(absl::StrCat("unexpected start line: ", line));
    }
    return p;
  }

  ~PortProcess() {
    kill(pid_, SIGTERM);
    int status;
    waitpid(pid_, &status, 0);
    close(fd_);
  }

  int port() const { return port_; }
  std::string url() const { return absl::StrCat("http://127.0.0.1:", port_); }

 private:
  PortProcess(pid_t pid, int fd) : pid_(pid), fd_(fd) {}
  pid_t pid_;
  int fd_;
  int port_ = 0;
};

}  // namespace streamgate::testing
