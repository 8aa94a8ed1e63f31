// The control socket's live-edit commands: `edit` (add, edit and delete
// services and real servers, all or nothing), `config` (the running
// configuration's services, disabled ones included), `save` (write it back
// to YAML) and `lookup` (which real server a flow gets).
//
// Control thread only.
#pragma once

#include <nlohmann/json.hpp>

#include "control_api.h"

namespace lb::daemon {

// Throws ctl::CtlError with apply_edits' codes, `invalid` (a cross-field
// rule, every one on its own line) or `rejected` (the data plane refused).
nlohmann::json edit(ControlContext& ctx, const nlohmann::json& args);
nlohmann::json config_json(const ControlContext& ctx);
nlohmann::json save(ControlContext& ctx, const nlohmann::json& args);

}  // namespace lb::daemon
