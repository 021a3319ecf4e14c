// A stand-in for libgpiod 1.6 (Debian 12), loaded into the daemon executable with LD_PRELOAD by
// the chaos tests: GPIO edges without GPIO hardware or gpio-sim, at the library's C API, the
// lowest seam there is. Only the calls pimqttd makes for an input line are served.
//
// A "chip" is a FIFO the test made (the config names it by its path; its line 0 is the one line).
// The chip opens the FIFO for reading and writing (so that it never reads an end of file when
// the test closes its end), and the line's event fd is the FIFO: every byte the test writes is one
// edge, 'r' rising and anything else falling, stamped with CLOCK_MONOTONIC when it is read.

#include <gpiod.h>

#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

struct gpiod_line {
  gpiod_chip* chip;
};

struct gpiod_chip {
  int fd;
  gpiod_line line;
};

extern "C" {

gpiod_chip* gpiod_chip_open(const char* path) {
  const int fd = ::open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return nullptr;
  auto* chip = new gpiod_chip{fd, {}};  // NOLINT: owned by the caller, freed by gpiod_chip_close
  chip->line.chip = chip;
  return chip;
}

void gpiod_chip_close(gpiod_chip* chip) {
  if (chip == nullptr) return;
  ::close(chip->fd);
  delete chip;  // NOLINT: see gpiod_chip_open
}

const char* gpiod_chip_name(gpiod_chip* /*chip*/) { return "gpiochip99"; }
const char* gpiod_chip_label(gpiod_chip* /*chip*/) { return "chaos-fifo"; }
unsigned int gpiod_chip_num_lines(gpiod_chip* /*chip*/) { return 1; }

gpiod_line* gpiod_chip_get_line(gpiod_chip* chip, unsigned int offset) {
  if (offset != 0) {
    errno = EINVAL;
    return nullptr;
  }
  return &chip->line;
}

gpiod_line* gpiod_chip_find_line(gpiod_chip* /*chip*/, const char* /*name*/) {
  errno = ENOENT;
  return nullptr;
}

unsigned int gpiod_line_offset(gpiod_line* /*line*/) { return 0; }
const char* gpiod_line_name(gpiod_line* /*line*/) { return "PULSES"; }
const char* gpiod_line_consumer(gpiod_line* /*line*/) { return nullptr; }
int gpiod_line_update(gpiod_line* /*line*/) { return 0; }

int gpiod_line_request(gpiod_line* /*line*/, const gpiod_line_request_config* config,
                       int /*default_val*/) {
  if (config->request_type == GPIOD_LINE_REQUEST_DIRECTION_OUTPUT) {
    errno = EPERM;
    return -1;
  }
  return 0;
}

void gpiod_line_release(gpiod_line* /*line*/) {}
int gpiod_line_get_value(gpiod_line* /*line*/) { return 1; }

int gpiod_line_set_value(gpiod_line* /*line*/, int /*value*/) {
  errno = EPERM;
  return -1;
}

int gpiod_line_event_get_fd(gpiod_line* line) { return line->chip->fd; }

int gpiod_line_event_read_multiple(gpiod_line* line, gpiod_line_event* events,
                                   unsigned int num_events) {
  std::array<char, 64> bytes{};
  const std::size_t wanted = num_events < bytes.size() ? num_events : bytes.size();
  const ssize_t got = ::read(line->chip->fd, bytes.data(), wanted);
  if (got <= 0) {
    if (got == 0) errno = EAGAIN;
    return -1;
  }
  timespec now{};
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  for (std::size_t i = 0; i < static_cast<std::size_t>(got); ++i) {
    events[i].ts = now;
    events[i].event_type = bytes[i] == 'r'
                               ? GPIOD_LINE_EVENT_RISING_EDGE
                               : GPIOD_LINE_EVENT_FALLING_EDGE;
  }
  return static_cast<int>(got);
}

const char* gpiod_version_string() { return "1.6-chaos-fifo"; }

}  // extern "C"
