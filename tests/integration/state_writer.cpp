// state_writer DIR: saves a sensor state and an announced set through the daemon's StateStore,
// for state_io_test, which runs it with the io_trace library preloaded.

#include <cstdio>
#include <exception>

#include "pimqttd/app/state_store.hpp"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: state_writer DIR\n");
    return 2;
  }
  try {
    const pimqttd::app::StateStore store(argv[1]);
    store.save_sensor_state({{"water", "42"}});
    store.save_sensor_state({{"water", "43"}});
    store.save_announced({{"water", pimqttd::sensors::Platform::sensor}});
  } catch (const std::exception& error) {
    std::fprintf(stderr, "state_writer: %s\n", error.what());
    return 1;
  }
  return 0;
}
