#pragma once
// SensorStateSaver: what sensors keep between runs (pulse totals, outputs' last states), behind
// SensorContext::restore and persist, saved in the state directory (sensors.json).
//
// persist() changes the state in memory and writes it on the worker, one write at a time: changes
// made while a write is running go out together in the next one. A failed write is logged and
// tried again with the next change. flush() writes what is not written yet synchronously (at
// stop). Loop and worker writes go through one SensorStateWriter, so an older snapshot never
// overwrites a newer one.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "pimqttd/app/state_store.hpp"
#include "pimqttd/core/worker.hpp"

namespace pimqttd::app {

class SensorStateSaver {
 public:
  /// Loads what `store` holds.
  SensorStateSaver(core::Worker& worker, StateStore store);
  /// Writes nothing (call flush() first); worker writes still running complete harmlessly.
  ~SensorStateSaver();
  SensorStateSaver(const SensorStateSaver&) = delete;
  SensorStateSaver& operator=(const SensorStateSaver&) = delete;

  /// The value persisted under `key`, if any.
  [[nodiscard]] std::optional<std::string> restore(std::string_view key) const;
  /// Keeps `value` under `key` and saves it on the worker (nothing when it is unchanged).
  void persist(std::string_view key, std::string value);
  /// Saves synchronously what is not saved yet; a failure is logged.
  void flush();

 private:
  void write_on_worker();

  core::Worker& worker_;
  SensorState state_;
  std::shared_ptr<SensorStateWriter> writer_;
  std::uint64_t sequence_ = 0;  ///< bumped by every change of state_
  std::uint64_t written_ = 0;   ///< the sequence number last written
  bool write_in_flight_ = false;
  /// False once the saver is gone: worker completions then do nothing.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace pimqttd::app
