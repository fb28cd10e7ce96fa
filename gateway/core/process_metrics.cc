#include "gateway/core/process_metrics.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace streamgate::metrics {
namespace {

// Seconds since the epoch at boot, from /proc/stat's btime line.
double BootTime() {
  std::ifstream in("/proc/stat");
  std::string key;
  double value = 0;
  while (in >> key) {
    if (key == "btime") {
      in >> value;
      return value;
    }
    in.ignore(1 << 20, '\n');
  }
  return 0;
}

int OpenFds() {
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return -1;
  int n = 0;
  while (dirent* e = readdir(dir)) {
    if (e->d_name[0] != '.') ++n;
  }
  closedir(dir);
  return n - 1;  // the directory stream's own descriptor
}

}  // namespace

void CollectProcessMetrics(MetricsWriter& out) {
  std::ifstream in("/proc/self/stat");
  std::string line;
  std::getline(in, line);
  // The command name (field 2) may contain spaces; fields resume after ')'.
  const size_t close = line.rfind(')');
  if (close != std::string::npos) {
    std::istringstream rest(line.substr(close + 2));
    std::vector<std::string> f;  // f[0] is field 3 (state)
    std::string tok;
    while (rest >> tok) f.push_back(tok);
    if (f.size() > 21) {
      const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
      const double utime = std::stod(f[11]), stime = std::stod(f[12]);
      const double start = std::stod(f[19]);
      const double vsize = std::stod(f[20]), rss_pages = std::stod(f[21]);
      out.Counter("process_cpu_seconds_total",
                  "Total user and system CPU time spent in seconds.", {},
                  (utime + stime) / ticks);
      out.Gauge("process_start_time_seconds",
                "Start time of the process since unix epoch in seconds.", {},
                BootTime() + start / ticks);
      out.Gauge("process_virtual_memory_bytes",
                "Virtual memory size in bytes.", {}, vsize);
      out.Gauge("process_resident_memory_bytes",
                "Resident memory size in bytes.", {},
                rss_pages * static_cast<double>(sysconf(_SC_PAGESIZE)));
    }
  }
  const int fds = OpenFds();
  if (fds >= 0) {
    out.Gauge("process_open_fds", "Number of open file descriptors.", {}, fds);
  }
  rlimit lim;
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0) {
    out.Gauge("process_max_fds", "Maximum number of open file descriptors.",
              {}, static_cast<double>(lim.rlim_cur));
  }
}

}  // namespace streamgate::metrics
