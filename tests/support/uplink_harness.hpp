#pragma once
// UplinkHarness: an app::Uplink bound to a real mqtt::Client whose transport is a FakeTransport,
// with the broker played by the test through a ScriptedBroker. Node "testpi", base topic
// "pimqttd", discovery prefix "homeassistant". The loop and worker are real.

#include <cerrno>
#include <chrono>
#include <string>
#include <system_error>
#include <vector>

#include "pimqttd/app/uplink.hpp"
#include "pimqttd/core/event_loop.hpp"
#include "pimqttd/core/worker.hpp"
#include "pimqttd/ha/discovery.hpp"
#include "pimqttd/mqtt/client.hpp"
#include "support/fake_transport.hpp"
#include "support/loop.hpp"

namespace pimqttd::test {

class UplinkHarness {
 public:
  UplinkHarness() { uplink.bind(client, topics); }
  UplinkHarness(const UplinkHarness&) = delete;
  UplinkHarness& operator=(const UplinkHarness&) = delete;

  static mqtt::ClientOptions client_options() {
    mqtt::ClientOptions options;
    options.endpoint = {"broker.test", 1883, std::chrono::seconds(5)};
    options.session.client_id = "testpi";
    options.session.keep_alive = std::chrono::seconds(0);
    options.session.inflight_window = 100;
    options.backoff_initial = std::chrono::milliseconds(10);
    options.backoff_max = std::chrono::milliseconds(10);
    return options;
  }

  /// Starts the client (first time) and accepts its connection; returns what it wrote after the
  /// CONNACK (its subscriptions, what it had queued).
  std::vector<std::string> connect() {
    if (client.state() == mqtt::ConnectionState::stopped) client.start();
    return broker.accept();
  }
  /// The connection is lost; returns once the client tries again (not yet accepted).
  bool lose() {
    FakeTransport& transport = broker.transport();
    const int attempts = transport.connects;
    transport.fail(std::error_code(ECONNRESET, std::system_category()));
    return run_until(loop, [&] { return transport.connects > attempts; });
  }

  core::EventLoop loop;
  core::Worker worker{loop};
  ScriptedBroker broker{loop};
  ha::Topics topics{ha::TopicConfig{}, "testpi"};
  mqtt::Client client{loop, worker, client_options(), broker.factory()};
  app::Uplink uplink;
};

}  // namespace pimqttd::test
