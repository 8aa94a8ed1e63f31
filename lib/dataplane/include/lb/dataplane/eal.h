// EAL start-up from the configuration: lcores, memory mode, devices.
#pragma once

#include <string>
#include <vector>

#include <lb/config/model.h>

namespace lb::dataplane {

// The rte_eal_init arguments the configuration asks for (argv[0] included).
std::vector<std::string> eal_args(const config::Config& cfg, const std::string& argv0);

// Whether this machine has free hugepages lbd could use (huge_pages: auto).
bool hugepages_available();

// Runs rte_eal_init once per process. Throws std::runtime_error on failure.
void init_eal(const std::vector<std::string>& args);

}  // namespace lb::dataplane
