#include "pimqttd/app/uplink.hpp"

#include <spdlog/spdlog.h>

namespace pimqttd::app {

void Uplink::publish(const ha::Message& message, bool state) const {
  const auto error = client_->publish(message.topic, message.payload,
                                      static_cast<mqtt::QoS>(message.qos), message.retain, state);
  if (error) {
    spdlog::error("publish to '{}' failed: {}", message.topic, error.message());
  }
}

}  // namespace pimqttd::app
