#pragma once
// Aht20: Aosong AHT20 temperature and humidity sensor at 0x38 (the `aht20` sensor type).
//
// The cycle, with PolledSensor's steps (the AHT20 datasheet's reading procedure):
//
//     setup()      -- reads the status byte (a plain one-byte read). Its calibration bit (0x08)
//                     set is the chip's identity check; when it is clear, sends the
//                     initialization command 0xBE 0x08 0x00.
//     begin()      -- after an initialization: waits 10 ms (the datasheet's pause after it),
//                     then collect() reads the status again and fails unless the calibration bit
//                     is now set, and begin_next() goes on below. Otherwise: sends the trigger
//                     0xAC 0x33 0x00 and waits the datasheet's 80 ms.
//     collect()    -- reads seven bytes: status, 20 bits of humidity, 20 bits of temperature, the
//                     CRC. While the status's busy bit (0x80) is set, begin_next() waits 10 ms
//                     more and collect() reads again, three times at most (110 ms in all), then
//                     it is a DeviceError. A status without the calibration bit (a chip that was
//                     reset) is a DeviceError, so the next attempt initializes it again.
//
// The CRC (sensirion.hpp's crc8, starting at 0xFF) covers the six bytes before it; a mismatch is
// a DeviceError. Conversion:
//
//     RH = S_RH / 2^20 * 100 %       T = S_T / 2^20 * 200 - 50 °C
//
// Entities: kTemperatureHumidity (humidity.hpp).

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "pimqttd/hw/i2c.hpp"
#include "pimqttd/sensors/i2c_chip.hpp"
#include "pimqttd/sensors/polled.hpp"

namespace pimqttd::sensors {

class Aht20 final : public Device {
 public:
  static constexpr std::uint8_t kAddress = 0x38;
  static constexpr std::array<std::uint8_t, 3> kInitCommand{0xBE, 0x08, 0x00};
  static constexpr std::array<std::uint8_t, 3> kTriggerCommand{0xAC, 0x33, 0x00};
  static constexpr std::uint8_t kBusy = 0x80;
  static constexpr std::uint8_t kCalibrated = 0x08;
  static constexpr std::chrono::milliseconds kInitWait{10};
  static constexpr std::chrono::milliseconds kMeasureWait{80};
  static constexpr std::chrono::milliseconds kBusyWait{10};
  static constexpr int kBusyRetries = 3;

  Aht20(std::shared_ptr<hw::I2cBus> bus, std::uint8_t address);

  void setup() override;
  std::chrono::milliseconds begin() override;
  std::vector<Reading> collect() override;
  std::optional<std::chrono::milliseconds> begin_next() override;

  /// %RH from the 20-bit raw humidity.
  [[nodiscard]] static double humidity(std::uint32_t raw) noexcept;
  /// °C from the 20-bit raw temperature.
  [[nodiscard]] static double temperature(std::uint32_t raw) noexcept;

 private:
  enum class Step : std::uint8_t { initialization, measurement, done };
  std::chrono::milliseconds trigger();

  I2cChip chip_;
  bool initialized_ = false;  ///< the initialization command was sent by setup()
  Step step_ = Step::measurement;
  int busy_reads_ = 0;
  bool busy_ = false;
};

}  // namespace pimqttd::sensors
