#include "pimqttd/core/log.hpp"

#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>

namespace pimqttd::core {
namespace {

constexpr Log kLog("unit");

std::shared_ptr<spdlog::logger> capturing(const std::string& name, const std::string& pattern,
                                          std::shared_ptr<spdlog::sinks::ringbuffer_sink_mt> sink) {
  auto logger = std::make_shared<spdlog::logger>(name, std::move(sink));
  logger->set_pattern(pattern);
  logger->set_level(spdlog::level::info);
  return logger;
}

TEST(Log, WithoutANamedLoggerTheDefaultOneWritesTheName) {
  auto sink = std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(10);
  const auto previous = spdlog::default_logger();
  spdlog::set_default_logger(capturing("test", "%l %v", sink));
  kLog.warn("{} went wrong", "something");
  kLog.debug("below the level");
  spdlog::set_default_logger(previous);
  EXPECT_EQ(sink->last_formatted(),
            std::vector<std::string>{"warning unit: something went wrong\n"});
}

TEST(Log, ANamedLoggerIsUsedWhenRegistered) {
  auto sink = std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(10);
  spdlog::register_logger(capturing("unit", "%l %n: %v", sink));
  kLog.info("{} entities", 3);
  spdlog::drop("unit");
  EXPECT_EQ(sink->last_formatted(), std::vector<std::string>{"info unit: 3 entities\n"});
}

}  // namespace
}  // namespace pimqttd::core
