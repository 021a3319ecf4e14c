#include "pimqttd/app/state_store.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <optional>
#include <system_error>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "pimqttd/core/file.hpp"
#include "pimqttd/core/log.hpp"
#include "pimqttd/core/unique_fd.hpp"
#include "pimqttd/ha/discovery.hpp"

namespace pimqttd::app {

namespace {
constexpr core::Log kStateLog("state");

constexpr const char* kAnnouncedFile = "announced.json";
constexpr const char* kSensorStateFile = "sensors.json";

[[noreturn]] void throw_errno(const std::string& what) {
  throw std::system_error(errno, std::generic_category(), what);
}

void write_all(int fd, const std::string& contents, const std::string& name) {
  std::size_t done = 0;
  while (done < contents.size()) {
    const ssize_t n = ::write(fd, contents.data() + done, contents.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno("write " + name);
    }
    done += static_cast<std::size_t>(n);
  }
}

/// The parsed JSON document `name` in `directory`; nullopt when there is no such file.
std::optional<nlohmann::json> read_document(const std::filesystem::path& directory,
                                            const char* name) {
  if (directory.empty()) return std::nullopt;
  const core::FileContents contents = core::read_file(directory / name);
  if (contents.open_failed) return std::nullopt;
  return nlohmann::json::parse(contents.text);
}

}  // namespace

void write_file_atomically(const std::filesystem::path& file, const std::string& contents) {
  const std::filesystem::path temporary = file.string() + ".tmp";
  {
    core::UniqueFd fd(::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640));
    if (!fd) throw_errno("open " + temporary.string());
    write_all(fd.get(), contents, temporary.string());
    if (::fsync(fd.get()) < 0) throw_errno("fsync " + temporary.string());
  }
  if (::rename(temporary.c_str(), file.c_str()) < 0) {
    throw_errno("rename " + temporary.string());
  }
  const std::filesystem::path parent = file.has_parent_path() ? file.parent_path() : ".";
  core::UniqueFd directory(::open(parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (directory) {
    ::fsync(directory.get());
  }
}

StateStore::StateStore(std::filesystem::path directory) : directory_(std::move(directory)) {
  if (!directory_.empty()) {
    std::filesystem::create_directories(directory_);
  }
}

AnnouncedSet StateStore::load_announced() const {
  AnnouncedSet set;
  const std::filesystem::path file = directory_ / kAnnouncedFile;
  try {
    const std::optional<nlohmann::json> read = read_document(directory_, kAnnouncedFile);
    if (!read) return set;
    const nlohmann::json& document = *read;
    for (const auto& entry : document.at("entities")) {
      const auto platform = ha::parse_platform(entry.at("p").get<std::string>());
      if (platform) {
        set.emplace_back(entry.at("id").get<std::string>(), *platform);
      }
    }
  } catch (const nlohmann::json::exception& error) {
    kStateLog.warn("ignoring {}: {}", file.string(), error.what());
    set.clear();
  }
  return set;
}

void StateStore::save_announced(const AnnouncedSet& set) const {
  if (directory_.empty()) {
    return;
  }
  nlohmann::json entities = nlohmann::json::array();
  for (const auto& [id, platform] : set) {
    entities.push_back({{"id", id}, {"p", std::string(ha::platform_name(platform))}});
  }
  const nlohmann::json document = {{"version", 1}, {"entities", entities}};
  write_file_atomically(directory_ / kAnnouncedFile, document.dump(2) + "\n");
}

SensorState StateStore::load_sensor_state() const {
  SensorState state;
  const std::filesystem::path file = directory_ / kSensorStateFile;
  try {
    const std::optional<nlohmann::json> read = read_document(directory_, kSensorStateFile);
    if (!read) return state;
    for (const auto& [key, value] : read->at("values").items()) {
      state[key] = value.get<std::string>();
    }
  } catch (const nlohmann::json::exception& error) {
    kStateLog.error("ignoring {}: {}; counters start from zero", file.string(),
                    error.what());
    state.clear();
  }
  return state;
}

void StateStore::save_sensor_state(const SensorState& state) const {
  if (directory_.empty()) return;
  nlohmann::json values = nlohmann::json::object();
  for (const auto& [key, value] : state) values[key] = value;
  const nlohmann::json document = {{"version", 1}, {"values", values}};
  write_file_atomically(directory_ / kSensorStateFile, document.dump(2) + "\n");
}

void SensorStateWriter::write(std::uint64_t sequence, const SensorState& state) {
  const std::lock_guard lock(mutex_);
  if (sequence <= written_) return;
  store_.save_sensor_state(state);
  written_ = sequence;
}

}  // namespace pimqttd::app
