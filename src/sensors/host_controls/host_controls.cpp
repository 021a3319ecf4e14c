#include "sensors/host_controls/host_controls.hpp"

#include <utility>

#include <spdlog/spdlog.h>

#include "pimqttd/core/log.hpp"

namespace pimqttd::sensors {
namespace {

using hw::HostAction;

constexpr std::string_view kPress = "PRESS";

struct ActionEntity {
  HostAction action;
  std::string_view suffix;
  std::string_view name;
  std::string_view device_class;
  std::string_view asking;  ///< what the press asks for, after "asking <service> to "
};

constexpr std::array<ActionEntity, 3> kActions = {{
    {HostAction::restart_service, "_restart", "Restart pimqttd", "restart",
     "restart pimqttd's service"},
    {HostAction::reboot, "_reboot", "Reboot", "restart", "reboot the host"},
    {HostAction::power_off, "_power_off", "Power off", "", "power the host off"},
}};

const ActionEntity& entity_of(HostAction action) {
  return kActions.at(static_cast<std::size_t>(action));
}

bool enabled(const HostControlsOptions& options, HostAction action) {
  switch (action) {
    case HostAction::restart_service: return options.restart;
    case HostAction::reboot: return options.reboot;
    case HostAction::power_off: return options.power_off;
  }
  return false;
}

/// A refusal that polkit decided: what to look at.
bool permission_denied(std::string_view error_name) {
  return error_name == "org.freedesktop.DBus.Error.AccessDenied" ||
         error_name == "org.freedesktop.DBus.Error.InteractiveAuthorizationRequired" ||
         error_name.starts_with("org.freedesktop.PolicyKit1.");
}

}  // namespace

std::vector<EntityInfo> host_controls_entities(const HostControlsOptions& options) {
  std::vector<EntityInfo> out;
  for (const ActionEntity& a : kActions) {
    if (!enabled(options, a.action)) continue;
    EntityInfo info;
    info.id = options.id + std::string(a.suffix);
    info.name = a.name;
    info.platform = Platform::button;
    info.device_class = a.device_class;
    info.commandable = true;
    out.push_back(std::move(info));
  }
  return out;
}

HostControls::HostControls(HostControlsOptions options, Connect connect)
    : options_(std::move(options)),
      connect_(std::move(connect)),
      entities_(host_controls_entities(options_)) {}

HostControls::~HostControls() { stop(); }

std::string HostControls::entity_id(HostAction action) const {
  return options_.id + std::string(entity_of(action).suffix);
}

void HostControls::start(SensorContext& context) {
  stop();
  control_ = connect_(context.loop());
}

void HostControls::stop() {
  control_.reset();
  waiting_ = {};
}

void HostControls::command(std::string_view entity_id, std::string_view payload) {
  if (control_ == nullptr) return;
  const ActionEntity* pressed = nullptr;
  for (const ActionEntity& a : kActions) {
    if (enabled(options_, a.action) && this->entity_id(a.action) == entity_id) pressed = &a;
  }
  if (pressed == nullptr) return;
  if (payload != kPress) {
    spdlog::warn("{}: ignored the command \"{}\": expected PRESS", entity_id,
                 printable_payload(payload));
    return;
  }
  const HostAction action = pressed->action;
  bool& waiting = waiting_.at(static_cast<std::size_t>(action));
  if (waiting) {
    spdlog::warn("{}: ignored PRESS: the {} asked for before still waits for {}'s answer",
                 entity_id, hw::action_name(action), hw::action_service(action));
    return;
  }
  core::notice("{}: {} pressed: asking {} to {}", entity_id, pressed->name,
               hw::action_service(action), pressed->asking);
  waiting = true;
  control_->request(action, [this, action](const hw::HostActionResult& result) {
    answered(action, result);
  });
}

void HostControls::answered(HostAction action, const hw::HostActionResult& result) {
  waiting_.at(static_cast<std::size_t>(action)) = false;
  const std::string id = entity_id(action);
  if (result.accepted) {
    spdlog::info("{}: {}", id, result.summary);
  } else if (permission_denied(result.error_name)) {
    spdlog::error(
        "{}: {} (check that polkitd is installed and that /usr/share/polkit-1/rules.d/"
        "60-pimqttd.rules, which lets the user pimqttd reboot, power off and restart "
        "pimqttd.service, is in place; see host_controls in pimqttd.json(5))",
        id, result.summary);
  } else {
    spdlog::error("{}: {}", id, result.summary);
  }
}

}  // namespace pimqttd::sensors
