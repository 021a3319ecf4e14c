#include "sensors/system/system_config.hpp"

#include <algorithm>
#include <stdexcept>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "sensors/system/system.hpp"

namespace pimqttd::sensors {
namespace {

using std::chrono::milliseconds;

const DurationRule kIntervalRule{std::chrono::seconds{1}, std::chrono::hours{24}, false};

bool valid_interface(std::string_view name) {
  if (name == "." || name == "..") return false;
  const bool clean = std::none_of(name.begin(), name.end(), [](char c) {
    return c == '/' || c == ':' || c == ' ' || c == '\t' || c == '\n' || c == '\r';
  });
  return clean && !slugify(name).empty();
}

bool valid_mount(std::string_view path) {
  return !path.empty() && path.front() == '/' && (path == "/" || !slugify(path).empty());
}

StringRule interface_rule() {
  return StringRule::checked(
      15, valid_interface,
      "an interface name (1 to 15 characters, no '/', ':' or spaces)");
}

StringRule mount_rule() {
  return StringRule::checked(4096, valid_mount, "an absolute path");
}

// Reads one metric: absent (defaults), true/false, or an object with "enabled", "interval" and
// the metric's own keys. `extra` gets the object's reader, or nullptr for the other forms.
template <class Extra>
void read_metric(ObjectReader& metrics, std::string_view key, SystemMetric& metric,
                 milliseconds interval, Extra&& extra) {
  metric.interval = interval;
  const Json* value = metrics.find(key);
  const Location where = metrics.location_of(key);
  if (value == nullptr || value->is_boolean()) {
    if (value != nullptr) metric.enabled = value->get<bool>();
    extra(static_cast<ObjectReader*>(nullptr), where);
    return;
  }
  if (!value->is_object()) {
    metrics.diagnostics().error(where,
                                "expected true, false or an object, found " + describe(*value));
    return;
  }
  ObjectReader reader(*value, where, metrics.diagnostics());
  metric.enabled = reader.boolean("enabled").value_or(true);
  metric.interval = reader.duration("interval", kIntervalRule).value_or(interval);
  extra(&reader, where);
  reader.finish();
}

void no_extra(ObjectReader* /*reader*/, const Location& /*where*/) {}

// Reports an item whose entity id (prefix + slug + suffix) an earlier item of the list already
// gives.
template <class Item, class Slug>
void check_unique(ObjectReader* reader, std::string_view key, const std::vector<Item>& items,
                  Slug slug, const std::string& prefix, std::string_view suffix = {}) {
  if (reader == nullptr) return;
  const Location list = reader->location_of(key);
  for (std::size_t i = 0; i < items.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (slug(items[i]) == slug(items[j])) {
        reader->diagnostics().error(
            list.element(i), fmt::format("entity id \"{}{}{}\" is already used by {}[{}]", prefix,
                                         slug(items[i]), suffix, key, j));
        break;
      }
    }
  }
}

std::shared_ptr<const SensorSettings> parse_system(ObjectReader& reader,
                                                   const SensorParseContext& context) {
  auto settings = std::make_shared<SystemSettings>();
  context.read_root(reader, settings->root);

  const milliseconds interval = context.sensor.interval.value_or(std::chrono::seconds{60});
  const std::string& id = context.sensor.id;
  auto& s = *settings;

  const auto read_all = [&](ObjectReader& metrics) {
    read_metric(metrics, "cpu_temperature", s.cpu_temperature, interval,
                [&](ObjectReader* r, const Location&) {
                  if (r != nullptr) {
                    s.cpu_temperature.zone =
                        static_cast<int>(r->integer("zone", 0, 1000).value_or(0));
                  }
                });
    read_metric(metrics, "cpu_usage", s.cpu_usage, interval, no_extra);
    read_metric(metrics, "load", s.load, interval, no_extra);
    read_metric(metrics, "memory", s.memory, interval, no_extra);
    read_metric(metrics, "swap", s.swap, interval, no_extra);
    read_metric(metrics, "disk", s.disk, interval, [&](ObjectReader* r, const Location&) {
      if (r == nullptr) return;
      if (auto mounts = r->string_list("mounts", mount_rule(), s.disk.enabled ? 1U : 0U)) {
        s.disk.mounts.assign(mounts->begin(), mounts->end());
        check_unique(r, "mounts", s.disk.mounts, mount_slug, id + "_disk_used_");
      }
    });
    read_metric(metrics, "uptime", s.uptime, interval, no_extra);
    for (auto* metric : {&s.network, &s.wifi}) {
      const bool network = metric == &s.network;
      const std::string prefix = network ? id + "_network_" : id + "_wifi_signal_";
      read_metric(metrics, network ? "network" : "wifi", *metric, interval,
                  [&](ObjectReader* r, const Location& where) {
                    if (r == nullptr) {
                      if (metric->enabled) {
                        metrics.diagnostics().error(where.key("interfaces", Location::kEnd),
                                                    "required key missing");
                      }
                      return;
                    }
                    const auto presence = metric->enabled ? Presence::required : Presence::optional;
                    metric->interfaces = r->string_list("interfaces", interface_rule(),
                                                        metric->enabled ? 1U : 0U, presence)
                                             .value_or(std::vector<std::string>{});
                    check_unique(r, "interfaces", metric->interfaces, slugify, prefix,
                                 network ? "_rx" : "");
                  });
    }
    read_metric(metrics, "throttled", s.throttled, interval, no_extra);
  };
  if (!reader.object("metrics", read_all)) {
    // Absent (or not an object: already reported): every metric takes its defaults.
    Json empty = Json::object();
    ObjectReader defaults(empty, reader.location_of("metrics"), reader.diagnostics());
    read_all(defaults);
  }
  return settings;
}

Json metric_json(const SystemMetric& metric) {
  Json out = Json::object();
  out["enabled"] = metric.enabled;
  out["interval"] = format_duration(metric.interval);
  return out;
}

}  // namespace

std::string mount_slug(const std::filesystem::path& mount) {
  const std::string text = mount.string();
  return text == "/" ? std::string("root") : slugify(text);
}

std::vector<SystemEntity> SystemSettings::system_entities(const SensorConfig& sensor) const {
  std::vector<SystemEntity> out;
  const auto add = [&](const SystemMetric& metric, SystemMetricKind kind, const std::string& suffix,
                       std::string name, std::string subject = {}) {
    if (!metric.enabled) return;
    out.push_back(SystemEntity{EntityConfig{sensor.id + "_" + suffix, std::move(name)}, kind,
                               std::move(subject), metric.interval});
  };
  add(cpu_temperature, SystemMetricKind::cpu_temperature, "cpu_temperature", "CPU temperature");
  add(cpu_usage, SystemMetricKind::cpu_usage, "cpu_usage", "CPU usage");
  add(load, SystemMetricKind::load_1m, "load_1m", "Load (1 min)");
  add(load, SystemMetricKind::load_5m, "load_5m", "Load (5 min)");
  add(load, SystemMetricKind::load_15m, "load_15m", "Load (15 min)");
  add(memory, SystemMetricKind::memory_used, "memory_used", "Memory used");
  add(swap, SystemMetricKind::swap_used, "swap_used", "Swap used");
  for (const auto& mount : disk.mounts) {
    add(disk, SystemMetricKind::disk_used, "disk_used_" + mount_slug(mount),
        "Disk used " + mount.string(), mount.string());
  }
  add(uptime, SystemMetricKind::uptime, "uptime", "Uptime");
  for (const auto& name : network.interfaces) {
    add(network, SystemMetricKind::network_rx, "network_" + slugify(name) + "_rx",
        name + " received", name);
    add(network, SystemMetricKind::network_tx, "network_" + slugify(name) + "_tx", name + " sent",
        name);
  }
  for (const auto& name : wifi.interfaces) {
    add(wifi, SystemMetricKind::wifi_signal, "wifi_signal_" + slugify(name), name + " signal",
        name);
  }
  struct Flag {
    SystemMetricKind now;
    SystemMetricKind since_boot;
    const char* id;
    const char* name;
  };
  for (const Flag& flag : {
           Flag{SystemMetricKind::under_voltage, SystemMetricKind::under_voltage_since_boot,
                "under_voltage", "Under-voltage"},
           Flag{SystemMetricKind::frequency_capped, SystemMetricKind::frequency_capped_since_boot,
                "frequency_capped", "Frequency capped"},
           Flag{SystemMetricKind::throttled, SystemMetricKind::throttled_since_boot, "throttled",
                "Throttled"},
           Flag{SystemMetricKind::soft_temperature_limit,
                SystemMetricKind::soft_temperature_limit_since_boot, "soft_temperature_limit",
                "Soft temperature limit"}}) {
    add(throttled, flag.now, flag.id, flag.name);
    add(throttled, flag.since_boot, std::string(flag.id) + "_since_boot",
        std::string(flag.name) + " since boot");
  }
  return out;
}

std::vector<EntityConfig> SystemSettings::entities(const SensorConfig& sensor) const {
  std::vector<EntityConfig> out;
  for (auto& entity : system_entities(sensor)) out.push_back(std::move(entity.entity));
  return out;
}

void SystemSettings::to_json(Json& object) const {
  object["root"] = root.string();
  Json metrics = Json::object();
  metrics["cpu_temperature"] = metric_json(cpu_temperature);
  metrics["cpu_temperature"]["zone"] = cpu_temperature.zone;
  metrics["cpu_usage"] = metric_json(cpu_usage);
  metrics["load"] = metric_json(load);
  metrics["memory"] = metric_json(memory);
  metrics["swap"] = metric_json(swap);
  metrics["disk"] = metric_json(disk);
  metrics["disk"]["mounts"] = Json::array();
  for (const auto& mount : disk.mounts) metrics["disk"]["mounts"].push_back(mount.string());
  metrics["uptime"] = metric_json(uptime);
  metrics["network"] = metric_json(network);
  metrics["network"]["interfaces"] = network.interfaces;
  metrics["wifi"] = metric_json(wifi);
  metrics["wifi"]["interfaces"] = wifi.interfaces;
  metrics["throttled"] = metric_json(throttled);
  object["metrics"] = std::move(metrics);
}

namespace {
std::unique_ptr<Sensor> make_system_sensor(const SensorConfig& config) {
  const SystemSettings& settings = config.settings_of<SystemSettings>();
  SystemSensorOptions options;
  options.id = config.id;
  options.root = settings.root;
  options.thermal_zone = settings.cpu_temperature.zone;
  for (const SystemEntity& entity : settings.system_entities(config)) {
    options.metrics.push_back(SystemMetricSpec{
        entity.metric, entity.subject, entity.entity.id, entity.entity.name,
        entity.interval});
  }
  return std::make_unique<SystemSensor>(std::move(options));
}

}  // namespace

SensorType system_sensor_type() {
  SensorType type;
  type.name = "system";
  type.default_name = "System";
  type.parse = parse_system;
  type.make = make_system_sensor;
  return type;
}

}  // namespace pimqttd::sensors
