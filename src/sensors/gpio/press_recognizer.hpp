#pragma once
// PressRecognizer: turns a button's debounced level changes into the presses a person means:
// `press`, `double_press`, `triple_press`, `long_press` and `release` (the end of a long press,
// Home Assistant's `button_long_release`). Pure logic for the `gpio_button` type: no GPIO, no
// loop, no timer, no clock of its own.
//
// Driving it. The caller feeds it the DEBOUNCED changes of the button's logical value
// (pressed(t), released(t)) with their steady_clock timestamps; debouncing happens before, as
// GpioInput does it (a settling timer per burst of edges, only changes passed on), so a bouncing
// contact arrives here as a single change, or as a few changes spaced at least the debounce
// apart. After every call the caller asks deadline() and runs a loop timer for it; when the
// timer fires it calls expire(now). Every call returns the events it recognised, oldest first.
// Every call first settles each deadline <= its own time, so a timer that fires late, or an edge
// that arrives before the timer, gives the same events as a punctual timer would.
//
// Event times. Each event carries the time it was recognised: an edge's timestamp for events
// recognised at an edge, the deadline itself (not the `now` of a late expire()) for events
// recognised when a deadline passes.
//
// The rules, with gap = multi_press_gap (default 300 ms) and hold = long_press (default 800 ms):
// - A press is a pressed() followed by a released() less than `hold` later. Presses whose
//   release-to-next-press intervals are each shorter than `gap` form one sequence.
// - The gap is measured from the release that ended the previous press to the next pressed().
//   A pressed() at release + gap - 1 ns continues the sequence; at exactly release + gap (>=)
//   the sequence has ended (its event is emitted, at release + gap) and a new one starts.
// - A sequence of n presses is reported as `press` (n = 1), `double_press` (2), `triple_press`
//   (3): at release + gap if it could still grow, at the release itself if it cannot. It cannot
//   grow when no enabled multi-press event needs more presses: with double and triple disabled,
//   a single press is reported at its release with no wait; with triple disabled a double press
//   is reported at its second release; a triple press is always reported at its third release.
// - So a 4th press within the gap of a triple press, however quick, starts a new sequence (it
//   is never ignored and never counted as a 4th). Likewise the 3rd press after a double press
//   when triple is disabled.
// - A hold: a pressed() still not released at pressed + hold (>=) emits `long_press` at that
//   time, while the button is held; its released() then emits `release` at the release time.
//   A release at exactly pressed + hold is a long press (`long_press` then `release`, both at
//   that time). A long press ends the sequence it was part of, and the presses before it in that
//   sequence are dropped: press, release, press-and-hold gives `long_press` and `release` only,
//   so that an automation bound to `press` does not also fire when a long press was meant. No
//   gap is waited after a long press: the next pressed() starts a new sequence.
// - With long_press disabled there is no hold deadline: a press held any time is a press.
//   With long_press enabled and release disabled, the release is not reported but still ends
//   the long press.
// - A disabled event is never emitted, but the sequence that would have produced it is still
//   recognised (and its wait for the gap still happens when a larger enabled count could
//   follow): with double disabled and triple enabled, two presses report nothing.
// - Missed edges. pressed() while already pressed, and released() while already released (also
//   the first released() of a button held when the line was requested), are ignored: they emit
//   nothing beyond what settling deadlines up to their time emits, and change no state (a
//   duplicate pressed() does not restart the hold). Nothing is guessed about the missing edge.
// - Timestamps must not go back; one that does is taken as the latest time seen.
//
// reset() forgets everything without emitting (for when the line is lost: the next change after
// it is requested again starts afresh).

#include <chrono>
#include <optional>
#include <string_view>
#include <vector>

namespace pimqttd::sensors {

enum class PressEventType { press, double_press, triple_press, long_press, release };

/// "press", "double_press", "triple_press", "long_press", "release".
[[nodiscard]] std::string_view to_string(PressEventType type) noexcept;

struct PressEvent {
  PressEventType type;
  std::chrono::steady_clock::time_point at;  ///< when it was recognised (see above)

  friend bool operator==(const PressEvent&, const PressEvent&) = default;
};

/// Which events are emitted; all by default.
struct PressEventsEnabled {
  bool press = true;
  bool double_press = true;
  bool triple_press = true;
  bool long_press = true;
  bool release = true;  ///< only ever follows a long_press
};

struct PressRecognizerOptions {
  std::chrono::milliseconds multi_press_gap{300};  ///< > 0
  std::chrono::milliseconds long_press{800};       ///< > 0
  PressEventsEnabled enabled;
};

class PressRecognizer {
 public:
  using Clock = std::chrono::steady_clock;
  using TimePoint = Clock::time_point;
  using Events = std::vector<PressEvent>;

  /// Throws std::invalid_argument if multi_press_gap or long_press is not positive.
  explicit PressRecognizer(PressRecognizerOptions options);

  /// The debounced value became "pressed" at `t`.
  [[nodiscard]] Events pressed(TimePoint t);
  /// The debounced value became "released" at `t`.
  [[nodiscard]] Events released(TimePoint t);
  /// Settles every deadline <= now. Calling it early, or with no deadline, emits nothing.
  [[nodiscard]] Events expire(TimePoint now);
  /// When expire() next has something to do: pressed + long_press while held (long_press
  /// enabled, not yet emitted), last release + multi_press_gap while a sequence could still grow;
  /// otherwise none.
  [[nodiscard]] std::optional<TimePoint> deadline() const noexcept;
  /// Forgets the state (held, the sequence under way) without emitting anything.
  void reset() noexcept;

  /// The button is held, as far as the recogniser knows.
  [[nodiscard]] bool held() const noexcept {
    return state_ == State::held || state_ == State::long_held;
  }
  [[nodiscard]] const PressRecognizerOptions& options() const noexcept { return options_; }

 private:
  enum class State {
    idle,       ///< released, no sequence under way
    held,       ///< pressed: press number count_ of a sequence, since pressed_at_
    waiting,    ///< released at released_at_ after count_ presses; the sequence could grow
    long_held,  ///< pressed, long_press recognised, waiting for the release
  };

  /// Takes `t` as the latest time seen if it goes back (and updates it), then settles the
  /// deadlines up to it.
  Events settle_until(TimePoint& t);
  void settle(TimePoint now, Events& out);
  void emit_sequence(TimePoint at, Events& out) const;
  [[nodiscard]] int max_presses() const noexcept;

  PressRecognizerOptions options_;
  State state_ = State::idle;
  int count_ = 0;
  TimePoint pressed_at_{};
  TimePoint released_at_{};
  TimePoint latest_{};
};

}  // namespace pimqttd::sensors
