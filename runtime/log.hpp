#pragma once
// One named spdlog logger per folder. Lines read `module.event key=value ...`;
// ids are passed explicitly (CAF moves actors between threads).

#include <memory>
#include <string_view>

#include <spdlog/spdlog.h>

namespace switchyard::runtime::log {

/// Sets the level of every Switchyard logger ("trace".."critical", "off").
/// Returns false when the name is not a level.
bool set_level(std::string_view level);

spdlog::logger& runtime();
spdlog::logger& actors();
spdlog::logger& transport();
spdlog::logger& store();

} // namespace switchyard::runtime::log
