// The schema: YAML sections -> Config, each field checked on its own (type,
// range, format). Rules that relate several fields live in validate.h.
#pragma once

#include <string>
#include <vector>

#include <lb/config/model.h>

#include "yaml_reader.h"

namespace lb::config::detail {

// Where a value that cross-field rules look at came from, so validate() can
// point at its line. `ok` is false when the value was absent or rejected on its
// own (already reported): cross-field rules skip it rather than stack a second,
// misleading error on the first.
struct Site {
  std::string path;
  Pos pos;
  bool ok = false;
};

struct PortSites {
  Site entry;
  Site name;
  Site device;
  Site address;
  Site gateway;
  Site tap_name;  // ok also when defaulted from a valid name
};

struct StaticNeighborSites {
  Site entry;
  Site address;
};

struct RealServerSites {
  Site entry;
  Site address;
  Site port;  // ok also when defaulted from a valid service port
  Site forward;
};

struct ServiceSites {
  Site entry;
  Site protocol;
  Site vip;
  Site port;
  std::vector<RealServerSites> real_servers;
};

// Parallel to Config's vectors: one element per list entry, even for entries
// with errors, so indices match.
struct Sites {
  Site lcores_main;
  std::vector<Site> lcores_workers;
  std::vector<PortSites> ports;
  Site neighbor_table_size;
  std::vector<StaticNeighborSites> static_neighbors;
  std::vector<ServiceSites> services;
};

struct Parsed {
  Config config;
  Sites sites;
};

Parsed parse_config(Reader& reader, const Field& document);

}  // namespace lb::config::detail
