// ipvsadm 1.31's `-S` / `--save` (what ipvsadm-save prints, and `-R` takes
// back), byte for byte, from lbd's `services` result (reference:
// ipvsadm-formats.md §6; ipvsadm.c print_service_entry with FMT_RULE).
//
// Like ipvsadm, the rules carry what `-A` and `-a` set except the
// thresholds (-x/-y), which ipvsadm-save has never written.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include <lb/ctl/ipvsadm_list.h>
#include <lb/ctl/ipvsadm_names.h>

namespace lb::ctl::ipvsadm {

// The rules of an already sorted Listing; `names` null means numeric (-n).
std::string format_rules(const Listing& listing, const NameResolver* names);

// `-S [-n]`: parses, sorts as the listing does, formats. Throws CtlError
// (bad_reply) as format_ipvsadm_list does.
std::string format_save(const nlohmann::json& services_result, bool numeric);

}  // namespace lb::ctl::ipvsadm
