// Rules that relate several fields (duplicates, overlaps, addresses that must
// or must not coincide), run after every field was read on its own.
#pragma once

#include <lb/config/model.h>

#include "parse.h"
#include "yaml_reader.h"

namespace lb::config::detail {

// Reports every violation at the site of the later of the fields involved.
void validate(Reader& reader, const Config& config, const Sites& sites);

}  // namespace lb::config::detail
