#pragma once
// The GPIO sensor types: gpio_input (a binary sensor), gpio_button (a push button's presses as
// an event entity), gpio_counter (a pulse counter, with an optional rate) and gpio_output (a
// switch). Each reads its own keys (see pimqttd.json(5)) into
// an immutable settings object holding its driver's options, and builds the driver (gpio_*.hpp)
// over the real GPIO lines (hw::LibgpiodLines).
//
// Keys every GPIO type has:
// - "line" (required): the line's offset on its chip (an integer from 0 to 65535) or its name
//   as the device tree gives it (a string of at most 31 bytes: "GPIO17");
// - "chip": the chip's name ("gpiochip0"), label ("pinctrl-bcm2711"), path ("/dev/gpiochip0")
//   or number (0). Required with a line offset; without it a line name is looked for on every
//   chip, so that a configuration survives the Raspberry Pi 5's other chip;
// - "active_low" (default false): the line is active (on, a pulse) while it is low.
//
// None of them polls except the counter, whose `interval` (1s to 1d, default 60s) is how often
// its total may be published. Entity ids: the sensor id; the counter's rate is "<id>_rate".
// Device classes and units are checked against Home Assistant's tables (ha::validate_entity).

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "pimqttd/sensors/sensor_config.hpp"
#include "pimqttd/hw/gpio.hpp"
#include "sensors/gpio/gpio_button.hpp"
#include "sensors/gpio/gpio_counter.hpp"
#include "sensors/gpio/gpio_input.hpp"
#include "sensors/gpio/gpio_output.hpp"

namespace pimqttd::sensors {

/// The line as a resource of its entry. Lines are compared as written: the same line named in
/// two ways (by name, and by chip and offset) is only found busy at run time.
[[nodiscard]] SensorResource gpio_resource(const hw::GpioLineSpec& line);

/// gpio_input: a binary sensor. The options are the driver's own; id and name come from the
/// entry when the driver is made.
///
/// Keys besides the line's: "bias" ("pull_up", "pull_down" or "disabled"; absent: left as it
/// is), "debounce" (0s to 1m), "device_class" (a Home Assistant binary_sensor device class).
class GpioInputSettings final : public SensorSettings {
 public:
  GpioInputOptions options;

  /// One entity: the sensor's id and name.
  [[nodiscard]] std::vector<EntityConfig> entities(const SensorConfig& sensor) const override;
  void to_json(Json& object) const override;
  [[nodiscard]] std::vector<SensorResource> resources() const override {
    return {gpio_resource(options.line)};
  }
};

/// gpio_button: a push button's presses as an event entity (and device triggers).
///
/// Keys besides the line's and "bias": "debounce" (0s to 1s, default 30ms), "multi_press_gap"
/// (50ms to 5s, default 300ms), "long_press" (100ms to 1m, default 800ms), "events" (the event
/// types announced and published, a non-empty subset of press, double_press, triple_press,
/// long_press, release, each once; release needs long_press; default all), "device_class" (an
/// event device class: button (default), doorbell, motion), "device_triggers" (default true),
/// "held_sensor" (default false: no "<id>_held" binary sensor).
class GpioButtonSettings final : public SensorSettings {
 public:
  GpioButtonOptions options;

  /// The event (the sensor's id and name), then "<id>_held" / "<name> held" with held_sensor.
  [[nodiscard]] std::vector<EntityConfig> entities(const SensorConfig& sensor) const override;
  void to_json(Json& object) const override;
  [[nodiscard]] std::vector<SensorResource> resources() const override {
    return {gpio_resource(options.line)};
  }
};

/// How the counter's rate is expressed.
enum class GpioRate : std::uint8_t { minute, hour };

/// gpio_counter: a total_increasing sensor, and optionally its rate.
///
/// Keys besides the line's and "bias": "edge" (the edge that starts a pulse, "rising" or
/// "falling"), "min_pulse" (0s: every edge counts, to 10s), "multiplier" (what one pulse is
/// worth, > 0 up to 1e9), "unit" (at most 32 bytes) and "device_class" (a sensor device class
/// that allows total_increasing with that unit), "rate" ("minute", "hour", or absent: no rate
/// entity), "save_interval" (1s to 1d).
class GpioCounterSettings final : public SensorSettings {
 public:
  /// The driver's options but the rate's, which make() derives from `rate` and `rate_entity`.
  GpioCounterOptions options;
  std::optional<GpioRate> rate;

  /// The total (the sensor's id and name), then "<id>_rate" / "<name> rate" when rate is set.
  [[nodiscard]] std::vector<EntityConfig> entities(const SensorConfig& sensor) const override;
  void to_json(Json& object) const override;
  [[nodiscard]] std::vector<SensorResource> resources() const override {
    return {gpio_resource(options.line)};
  }

  /// The rate entity's unit and device class: a counter of energy in Wh, kWh, MWh or GWh per hour
  /// is a power in W, kW, MW or GW; a unit per minute or hour that Home Assistant knows as a
  /// volume flow rate ("L/min", "m³/h") is one; anything else is "<unit>/min" or "<unit>/h"
  /// ("pulses/min" without a unit) with no device class. Decided when the entry is read; empty
  /// without `rate`.
  struct RateEntity {
    std::string unit;
    std::string device_class;
  };
  RateEntity rate_entity;
};

/// gpio_output: a switch.
///
/// Keys besides the line's: "initial" ("off", "on" or "restore": the state saved by the previous
/// run), "momentary" (10ms to 1h: every ON becomes a pulse that long; needs initial "off"),
/// "device_class" ("outlet", "switch" or empty).
class GpioOutputSettings final : public SensorSettings {
 public:
  GpioOutputOptions options;

  [[nodiscard]] std::vector<EntityConfig> entities(const SensorConfig& sensor) const override;
  void to_json(Json& object) const override;
  [[nodiscard]] std::vector<SensorResource> resources() const override {
    return {gpio_resource(options.line)};
  }
};

/// The types for the registry.
[[nodiscard]] SensorType gpio_input_sensor_type();
[[nodiscard]] SensorType gpio_button_sensor_type();
[[nodiscard]] SensorType gpio_counter_sensor_type();
[[nodiscard]] SensorType gpio_output_sensor_type();

}  // namespace pimqttd::sensors
