// Rules that relate several fields (duplicates, overlaps, addresses that must
// or must not coincide), run after every field was read on its own.
#pragma once

#include <string_view>

#include <lb/config/model.h>

#include "parse.h"
#include "yaml_reader.h"

namespace lb::config::detail {

// Reports every violation at the site of the later of the fields involved.
void validate(Reader& reader, const Config& config, const Sites& sites);

// Where a real (or sorry) server's packets go, by its forwarding method:
// never to lbd itself or a VIP, and on a path the method can take. `what`
// names the server in messages ("real server", "sorry server").
void check_real_server_path(Reader& reader, const Config& config, const Sites& sites,
                            const sched::ServiceSpec& service, const sched::RealServerSpec& real,
                            const RealServerSites& site, std::string_view what);

// validate_health.cpp: health checks and sorry servers against their
// service's real servers (a port to check, through_tunnel, a sorry server
// that is none of them and can be reached).
void check_health(Reader& reader, const Config& config, const Sites& sites);

}  // namespace lb::config::detail
