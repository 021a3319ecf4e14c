// SensorStateSaver: restore from what was saved, writes on the worker, a synchronous flush.

#include "pimqttd/app/sensor_state_saver.hpp"

#include <gtest/gtest.h>

#include "pimqttd/core/event_loop.hpp"
#include "pimqttd/core/worker.hpp"
#include "support/loop.hpp"
#include "support/temp_dir.hpp"

namespace pimqttd::app {
namespace {

class SensorStateSaverTest : public testing::Test {
 protected:
  [[nodiscard]] SensorState on_disk() const { return StateStore(dir_.path()).load_sensor_state(); }

  test::TempDir dir_;
  core::EventLoop loop_;
  core::Worker worker_{loop_};
};

TEST_F(SensorStateSaverTest, RestoresWhatWasSaved) {
  StateStore(dir_.path()).save_sensor_state({{"water_meter", "1234"}});
  const SensorStateSaver saver(worker_, StateStore(dir_.path()));
  EXPECT_EQ(saver.restore("water_meter"), "1234");
  EXPECT_EQ(saver.restore("relay"), std::nullopt);
}

TEST_F(SensorStateSaverTest, PersistWritesOnTheWorkerAndChangesMeanwhileFollow) {
  SensorStateSaver saver(worker_, StateStore(dir_.path()));
  saver.persist("water_meter", "1");
  saver.persist("water_meter", "2");  // a write is in flight: goes out in the next
  saver.persist("relay", "ON");
  EXPECT_EQ(saver.restore("water_meter"), "2");
  const SensorState expected{{"relay", "ON"}, {"water_meter", "2"}};
  EXPECT_TRUE(test::run_until(loop_, [&] { return on_disk() == expected; }));
}

TEST_F(SensorStateSaverTest, FlushWritesWhatIsNotWrittenYetAtOnce) {
  SensorStateSaver saver(worker_, StateStore(dir_.path()));
  saver.persist("water_meter", "7");
  saver.flush();
  EXPECT_EQ(on_disk(), (SensorState{{"water_meter", "7"}}));
}

}  // namespace
}  // namespace pimqttd::app
