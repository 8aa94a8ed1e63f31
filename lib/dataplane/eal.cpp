#include <lb/dataplane/eal.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <rte_eal.h>
#include <rte_errno.h>

#include <lb/dataplane/ports.h>

namespace lb::dataplane {

bool hugepages_available() {
  namespace fs = std::filesystem;
  std::error_code ec;
  // A hugetlbfs mount is needed as well as free pages.
  std::ifstream mounts("/proc/mounts");
  bool mounted = false;
  for (std::string line; std::getline(mounts, line);) {
    if (line.find(" hugetlbfs ") != std::string::npos) mounted = true;
  }
  if (!mounted) return false;
  for (const auto& dir : fs::directory_iterator("/sys/kernel/mm/hugepages", ec)) {
    std::ifstream f(dir.path() / "free_hugepages");
    unsigned long free_pages = 0;
    if (f >> free_pages && free_pages > 0) return true;
  }
  return false;
}

std::vector<std::string> eal_args(const config::Config& cfg, const std::string& argv0) {
  std::vector<std::string> args = {argv0};
  std::vector<uint32_t> lcores = {cfg.lcores.main};
  lcores.insert(lcores.end(), cfg.lcores.workers.begin(), cfg.lcores.workers.end());
  if (cfg.lcores.cpu.empty()) {
    args.push_back("-l");
    args.push_back(fmt::format("{}", fmt::join(lcores, ",")));
  } else {
    // Some lcore runs on another CPU than its number: DPDK's lcore@cpu map.
    std::vector<std::string> map;
    for (const uint32_t l : lcores) {
      const auto it = cfg.lcores.cpu.find(l);
      map.push_back(fmt::format("{}@{}", l, it != cfg.lcores.cpu.end() ? it->second : l));
    }
    args.push_back(fmt::format("--lcores={}", fmt::join(map, ",")));
  }
  args.push_back("--main-lcore=" + std::to_string(cfg.lcores.main));
  args.push_back("--file-prefix=" + cfg.eal.file_prefix);
  args.push_back("--log-level=" + cfg.eal.log_level);

  const bool huge = cfg.eal.huge_pages == config::HugePages::kOn ||
                    (cfg.eal.huge_pages == config::HugePages::kAuto && hugepages_available());
  if (huge) {
    // No hugepage files left behind, and none shared with another process.
    args.push_back("--in-memory");
  } else {
    args.push_back("--no-huge");
    args.push_back("-m");
    args.push_back(std::to_string(cfg.eal.memory_mb));
  }
  for (auto& a : device_eal_args(cfg))
    args.push_back(std::move(a));
  args.insert(args.end(), cfg.eal.extra_args.begin(), cfg.eal.extra_args.end());
  return args;
}

void init_eal(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  // rte_eal_init may permute argv; it gets its own copies that live for the process.
  static std::vector<std::string> storage;
  storage = args;
  for (auto& a : storage)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  if (rte_eal_init(static_cast<int>(storage.size()), argv.data()) < 0) {
    throw std::runtime_error(fmt::format("DPDK EAL initialisation failed ({}); arguments: {}",
                                         rte_strerror(rte_errno), fmt::join(args, " ")));
  }
}

}  // namespace lb::dataplane
