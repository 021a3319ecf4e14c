#pragma once
// The words every sensor type's schema (the code that turns its JSON entry into its settings)
// is written in: the JSON-reading toolkit of core/config_reader.hpp, named here so that the
// schemas in pimqttd::sensors use it unqualified. Nothing else.

#include "pimqttd/core/config_reader.hpp"

namespace pimqttd::sensors {

using core::closest_match;
using core::describe;
using core::describe_type;
using core::Diagnostics;
using core::DurationRule;
using core::format_duration;
using core::Json;
using core::Location;
using core::NumberRule;
using core::ObjectReader;
using core::parse_duration;
using core::Presence;
using core::quote;
using core::read_boolean;
using core::read_choice;
using core::read_duration;
using core::read_integer;
using core::read_number;
using core::read_string;
using core::StringRule;

}  // namespace pimqttd::sensors
