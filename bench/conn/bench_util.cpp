#include "bench_util.h"

#include <sys/utsname.h>
#include <unistd.h>
#include <algorithm>
#include <array>
#include <cstring>
#include <fstream>
#include <string_view>
#include <utility>

#include <fmt/format.h>

#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_version.h>

namespace lb::bench {

namespace {

// The value of the first "key: value" line starting with `key`.
std::string read_field(const std::string& path, std::string_view key) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.starts_with(key)) continue;
    const size_t colon = line.find(':');
    const size_t value = line.find_first_not_of(" \t", colon == std::string::npos ? 0 : colon + 1);
    return value == std::string::npos ? "" : line.substr(value);
  }
  return "?";
}

uint64_t read_number(const std::string& path) {
  std::ifstream in(path);
  uint64_t v = 0;
  in >> v;
  return in ? v : 0;
}

}  // namespace

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

double Paired::ratio() const {
  std::vector<double> r;
  for (size_t i = 0; i < lbd.size() && i < ref.size(); ++i) {
    if (ref[i] > 0) r.push_back(lbd[i] / ref[i]);
  }
  return median(std::move(r));
}

std::string machine_line() {
  std::array<char, 256> host{};
  gethostname(host.data(), host.size() - 1);
  utsname u{};
  uname(&u);
  return fmt::format("{}, {} CPUs online, {} RAM, host {}, kernel {}, {}",
                     read_field("/proc/cpuinfo", "model name"), sysconf(_SC_NPROCESSORS_ONLN),
                     read_field("/proc/meminfo", "MemTotal"), host.data(), u.release,
                     rte_version());
}

uint64_t free_hugepage_bytes() {
  uint64_t best = 0;
  for (const auto& [dir, page] : {std::pair{"hugepages-1048576kB", uint64_t{1} << 30},
                                  std::pair{"hugepages-2048kB", uint64_t{2} << 20}}) {
    const uint64_t free_pages =
        read_number(fmt::format("/sys/kernel/mm/hugepages/{}/free_hugepages", dir));
    best = std::max(best, free_pages * page);
  }
  return best;
}

void prefault_dpdk_heap() {
  for (unsigned i = 0; i < rte_socket_count(); ++i) {
    const int socket = rte_socket_id_by_idx(i);
    // Right after EAL init the largest free block is nearly the whole heap.
    rte_malloc_socket_stats st{};
    if (rte_malloc_get_socket_stats(socket, &st) != 0 || st.greatest_free_size < (1u << 20))
      continue;
    const size_t size = st.greatest_free_size - 4096;
    void* p = rte_malloc_socket("bench_prefault", size, 64, socket);
    if (p == nullptr) continue;
    std::memset(p, 0, size);
    rte_free(p);
  }
}

}  // namespace lb::bench
