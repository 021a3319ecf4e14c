#include "pimqttd/app/state_store.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <sstream>
#include <system_error>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "pimqttd/core/unique_fd.hpp"
#include "pimqttd/ha/discovery.hpp"

namespace pimqttd::app {
namespace {

constexpr const char* kAnnouncedFile = "announced.json";

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
  if (directory_.empty()) {
    return set;
  }
  const std::filesystem::path file = directory_ / kAnnouncedFile;
  std::ifstream in(file);
  if (!in) {
    return set;
  }
  std::stringstream text;
  text << in.rdbuf();
  try {
    const nlohmann::json document = nlohmann::json::parse(text.str());
    for (const auto& entry : document.at("entities")) {
      const auto platform = ha::parse_platform(entry.at("p").get<std::string>());
      if (platform) {
        set.emplace_back(entry.at("id").get<std::string>(), *platform);
      }
    }
  } catch (const nlohmann::json::exception& error) {
    spdlog::warn("state: ignoring {}: {}", file.string(), error.what());
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

}  // namespace pimqttd::app
