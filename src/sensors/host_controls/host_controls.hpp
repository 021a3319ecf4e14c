#pragma once
// HostControls: Home Assistant buttons that restart pimqttd's own service, reboot the host and
// power it off, each only when its entry enables it.
//
// Entities, in this order and only those enabled: "<id>_restart" ("Restart pimqttd", device
// class restart), "<id>_reboot" ("Reboot", device class restart), "<id>_power_off" ("Power off",
// no device class); all buttons. A button's command is the payload PRESS; anything else is
// ignored with a warning.
//
// A press is logged as a notice (journald priority 5: who asked for what) and handed to the
// hw::HostControl seam, which asks systemd or systemd-logind over D-Bus without blocking the loop.
// The answer is logged: accepted (info), or refused or failed (error), with what to check when
// permission was denied (polkitd and the polkit rule the package ships). A press while the same
// action's earlier request is still unanswered is ignored with a warning. Nothing is published:
// a button has no state.
//
// The seam is made at start() from the context's loop (`connect`), and destroyed at stop():
// answers still unanswered then are not logged.

#include <array>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "pimqttd/hw/host_control.hpp"
#include "pimqttd/sensors/sensor.hpp"

namespace pimqttd::sensors {

struct HostControlsOptions {
  std::string id;  ///< the sensor id; entity ids are "<id>_restart" and so on
  bool restart = false;
  bool reboot = false;
  bool power_off = false;
};

/// The buttons of the actions `options` enables, in the order above.
[[nodiscard]] std::vector<EntityInfo> host_controls_entities(const HostControlsOptions& options);

class HostControls final : public Sensor {
 public:
  using Connect = std::function<std::unique_ptr<hw::HostControl>(core::EventLoop& loop)>;

  HostControls(HostControlsOptions options, Connect connect);
  ~HostControls() override;
  HostControls(const HostControls&) = delete;
  HostControls& operator=(const HostControls&) = delete;

  [[nodiscard]] const std::vector<EntityInfo>& entities() const override { return entities_; }
  void start(SensorContext& context) override;
  void stop() override;
  void command(std::string_view entity_id, std::string_view payload) override;

  /// The entity id of `action` ("<id>_restart", "<id>_reboot", "<id>_power_off").
  [[nodiscard]] std::string entity_id(hw::HostAction action) const;

 private:
  void answered(hw::HostAction action, const hw::HostActionResult& result);

  HostControlsOptions options_;
  Connect connect_;
  std::vector<EntityInfo> entities_;
  std::unique_ptr<hw::HostControl> control_;
  /// Whether each action (by its value) waits for an answer.
  std::array<bool, 3> waiting_{};
};

}  // namespace pimqttd::sensors
