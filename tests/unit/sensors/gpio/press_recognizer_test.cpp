#include "sensors/gpio/press_recognizer.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstddef>
#include <optional>
#include <ostream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace pimqttd::sensors {

// gtest prints the events of a failing comparison as "long_press@800ms".
void PrintTo(const PressEvent& event, std::ostream* os);

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;
using Events = std::vector<PressEvent>;
using T = PressEventType;

// Every time in the tables is in ms after an arbitrary origin.
const TimePoint kOrigin = TimePoint{} + 1h;

TimePoint at(int ms) { return kOrigin + std::chrono::milliseconds{ms}; }

enum Change { P, R };  // pressed(), released()

struct Edge {
  int ms;
  Change change;
};

struct Expected {
  int ms;
  PressEventType type;
};

Events events(const std::vector<Expected>& expected) {
  Events out;
  for (const auto& e : expected) out.push_back({e.type, at(e.ms)});
  return out;
}

void append(Events& to, const Events& from) { to.insert(to.end(), from.begin(), from.end()); }

Events feed(PressRecognizer& recognizer, const Edge& edge) {
  return edge.change == P ? recognizer.pressed(at(edge.ms)) : recognizer.released(at(edge.ms));
}

// The caller's timer, `late` after each deadline (0: punctual). An edge that comes first settles
// the deadline itself. After the last edge the timer runs until there is no deadline.
Events run_with_timer(const PressRecognizerOptions& options, const std::vector<Edge>& edges,
                      std::chrono::milliseconds late) {
  PressRecognizer recognizer(options);
  Events out;
  int guard = 0;  // a recogniser that does not settle its own deadline must fail, not hang
  const auto fire = [&](TimePoint now) {
    append(out, recognizer.expire(now));
    if (++guard > 100) {
      ADD_FAILURE() << "expire() does not settle the deadline";
      return false;
    }
    return true;
  };
  for (const auto& edge : edges) {
    while (const auto due = recognizer.deadline()) {
      if (*due + late > at(edge.ms) || !fire(*due + late)) break;
    }
    append(out, feed(recognizer, edge));
  }
  while (const auto due = recognizer.deadline()) {
    if (!fire(*due + late)) break;
  }
  return out;
}

// No timer at all: only the edges, then one expire() long after the last.
Events run_without_timer(const PressRecognizerOptions& options, const std::vector<Edge>& edges) {
  PressRecognizer recognizer(options);
  Events out;
  for (const auto& edge : edges) append(out, feed(recognizer, edge));
  append(out, recognizer.expire(at(1'000'000)));
  EXPECT_EQ(recognizer.deadline(), std::nullopt);
  return out;
}

PressRecognizerOptions defaults() { return {}; }

PressRecognizerOptions with(void (*change)(PressRecognizerOptions&)) {
  PressRecognizerOptions o;
  change(o);
  return o;
}

const PressRecognizerOptions kNoDouble =
    with([](PressRecognizerOptions& o) { o.enabled.double_press = false; });
const PressRecognizerOptions kNoMulti = with([](PressRecognizerOptions& o) {
  o.enabled.double_press = false;
  o.enabled.triple_press = false;
});
const PressRecognizerOptions kNoTriple =
    with([](PressRecognizerOptions& o) { o.enabled.triple_press = false; });
const PressRecognizerOptions kNoLong =
    with([](PressRecognizerOptions& o) { o.enabled.long_press = false; });
const PressRecognizerOptions kNoRelease =
    with([](PressRecognizerOptions& o) { o.enabled.release = false; });
const PressRecognizerOptions kNoPress =
    with([](PressRecognizerOptions& o) { o.enabled.press = false; });
const PressRecognizerOptions kShort = with([](PressRecognizerOptions& o) {
  o.multi_press_gap = 150ms;
  o.long_press = 500ms;
});

// ---------------------------------------------------------------------------------------------
// Scenarios: the debounced changes, and every event with the time it is recognised. Each one is
// run with a punctual timer, a late one, and none (edges and one final expire()): the events
// must be the same.

struct Scenario {
  std::string name;
  PressRecognizerOptions options;
  std::vector<Edge> edges;
  std::vector<Expected> expected;
};

void PrintTo(const Scenario& s, std::ostream* os) { *os << s.name; }

const Scenario kScenarios[] = {
    // Presses and sequences (gap 300, hold 800).
    {"single", defaults(), {{0, P}, {100, R}}, {{400, T::press}}},
    {"single_held_just_under_hold", defaults(), {{0, P}, {799, R}}, {{1099, T::press}}},
    {"double", defaults(), {{0, P}, {100, R}, {250, P}, {350, R}}, {{650, T::double_press}}},
    {"triple_reported_at_third_release",
     defaults(),
     {{0, P}, {100, R}, {200, P}, {300, R}, {400, P}, {500, R}},
     {{500, T::triple_press}}},
    {"two_singles_far_apart",
     defaults(),
     {{0, P}, {100, R}, {1000, P}, {1100, R}},
     {{400, T::press}, {1400, T::press}}},
    // The gap boundary: a press 299 ms after the release continues the sequence, one at 300 ms
    // starts a new one (and the old one is reported at 400, before the new press).
    {"gap_minus_1ms_is_double",
     defaults(),
     {{0, P}, {100, R}, {399, P}, {450, R}},
     {{750, T::double_press}}},
    {"gap_exactly_is_two_singles",
     defaults(),
     {{0, P}, {100, R}, {400, P}, {450, R}},
     {{400, T::press}, {750, T::press}}},
    {"gap_minus_1ms_is_triple",
     defaults(),
     {{0, P}, {100, R}, {200, P}, {300, R}, {599, P}, {650, R}},
     {{650, T::triple_press}}},
    {"gap_exactly_is_double_then_single",
     defaults(),
     {{0, P}, {100, R}, {200, P}, {300, R}, {600, P}, {650, R}},
     {{600, T::double_press}, {950, T::press}}},
    {"gap_boundary_with_other_gap",
     kShort,
     {{0, P}, {50, R}, {199, P}, {250, R}, {400, P}, {450, R}},
     {{400, T::double_press}, {600, T::press}}},
    // A 4th press, however quick, starts a new sequence.
    {"fourth_press_starts_new_sequence",
     defaults(),
     {{0, P}, {50, R}, {100, P}, {150, R}, {200, P}, {250, R}, {300, P}, {350, R}},
     {{250, T::triple_press}, {650, T::press}}},
    {"fifth_press_makes_it_a_double",
     defaults(),
     {{0, P}, {50, R}, {100, P}, {150, R}, {200, P}, {250, R}, {300, P}, {350, R}, {400, P},
      {450, R}},
     {{250, T::triple_press}, {750, T::double_press}}},
    {"six_quick_presses_are_two_triples",
     defaults(),
     {{0, P}, {50, R}, {100, P}, {150, R}, {200, P}, {250, R}, {300, P}, {350, R}, {400, P},
      {450, R}, {500, P}, {550, R}},
     {{250, T::triple_press}, {550, T::triple_press}}},
    // Long presses.
    {"long_press_released_late",
     defaults(),
     {{0, P}, {2000, R}},
     {{800, T::long_press}, {2000, T::release}}},
    {"release_at_exactly_hold_is_long",
     defaults(),
     {{0, P}, {800, R}},
     {{800, T::long_press}, {800, T::release}}},
    {"long_press_other_hold", kShort, {{0, P}, {600, R}}, {{500, T::long_press}, {600, T::release}}},
    {"long_press_drops_the_presses_before_it",
     defaults(),
     {{0, P}, {100, R}, {200, P}, {1500, R}},
     {{1000, T::long_press}, {1500, T::release}}},
    {"long_press_after_a_double_drops_both",
     defaults(),
     {{0, P}, {100, R}, {200, P}, {300, R}, {400, P}, {1300, R}},
     {{1200, T::long_press}, {1300, T::release}}},
    {"long_press_then_quick_press_is_new_sequence",
     defaults(),
     {{0, P}, {100, R}, {200, P}, {1100, R}, {1150, P}, {1200, R}},
     {{1000, T::long_press}, {1100, T::release}, {1500, T::press}}},
    {"press_right_after_long_press_is_new_sequence",
     defaults(),
     {{0, P}, {1000, R}, {1100, P}, {1200, R}},
     {{800, T::long_press}, {1000, T::release}, {1500, T::press}}},
    {"double_right_after_long_press",
     defaults(),
     {{0, P}, {1000, R}, {1001, P}, {1100, R}, {1200, P}, {1300, R}},
     {{800, T::long_press}, {1000, T::release}, {1600, T::double_press}}},
    {"two_long_presses",
     defaults(),
     {{0, P}, {900, R}, {1000, P}, {2000, R}},
     {{800, T::long_press}, {900, T::release}, {1800, T::long_press}, {2000, T::release}}},
    // Missed edges: a second pressed() during a press (a long one too) or a second released()
    // are ignored; the hold is not restarted.
    {"pressed_twice_during_a_press",
     defaults(),
     {{0, P}, {100, P}, {200, R}},
     {{500, T::press}}},
    {"pressed_during_long_press",
     defaults(),
     {{0, P}, {1000, P}, {1200, R}},
     {{800, T::long_press}, {1200, T::release}}},
    {"pressed_again_does_not_restart_the_hold",
     defaults(),
     {{0, P}, {700, P}, {900, R}},
     {{800, T::long_press}, {900, T::release}}},
    {"released_first_button_held_at_start",
     defaults(),
     {{0, R}, {100, P}, {200, R}},
     {{500, T::press}}},
    {"released_twice_gap_from_the_first",
     defaults(),
     {{0, P}, {100, R}, {150, R}},
     {{400, T::press}}},
    {"released_twice_after_long_press",
     defaults(),
     {{0, P}, {900, R}, {950, R}},
     {{800, T::long_press}, {900, T::release}}},
    {"released_while_waiting_then_double",
     defaults(),
     {{0, P}, {100, R}, {200, R}, {300, P}, {350, R}},
     {{650, T::double_press}}},
    // Enabled events. Double and triple disabled: a press is reported at its release.
    {"no_multi_single_at_release", kNoMulti, {{0, P}, {100, R}}, {{100, T::press}}},
    {"no_multi_quick_presses_are_singles",
     kNoMulti,
     {{0, P}, {100, R}, {150, P}, {200, R}},
     {{100, T::press}, {200, T::press}}},
    {"no_multi_long_press_still_recognised",
     kNoMulti,
     {{0, P}, {900, R}},
     {{800, T::long_press}, {900, T::release}}},
    {"no_triple_double_at_second_release",
     kNoTriple,
     {{0, P}, {100, R}, {200, P}, {300, R}},
     {{300, T::double_press}}},
    {"no_triple_third_press_is_new_sequence",
     kNoTriple,
     {{0, P}, {100, R}, {200, P}, {300, R}, {400, P}, {500, R}},
     {{300, T::double_press}, {800, T::press}}},
    {"no_triple_single_still_waits", kNoTriple, {{0, P}, {100, R}}, {{400, T::press}}},
    {"no_double_two_presses_report_nothing",
     kNoDouble,
     {{0, P}, {100, R}, {200, P}, {300, R}},
     {}},
    {"no_double_triple_still_recognised",
     kNoDouble,
     {{0, P}, {100, R}, {200, P}, {300, R}, {400, P}, {500, R}},
     {{500, T::triple_press}}},
    {"no_double_single_waits_for_the_gap", kNoDouble, {{0, P}, {100, R}}, {{400, T::press}}},
    {"no_long_press_a_hold_is_a_press", kNoLong, {{0, P}, {2000, R}}, {{2300, T::press}}},
    {"no_long_press_held_double",
     kNoLong,
     {{0, P}, {1000, R}, {1200, P}, {3000, R}},
     {{3300, T::double_press}}},
    {"no_release_long_press_alone", kNoRelease, {{0, P}, {2000, R}}, {{800, T::long_press}}},
    {"no_release_next_press_is_new",
     kNoRelease,
     {{0, P}, {900, R}, {1000, P}, {1100, R}},
     {{800, T::long_press}, {1400, T::press}}},
    {"no_press_single_reports_nothing", kNoPress, {{0, P}, {100, R}}, {}},
    {"no_press_double_still_reported",
     kNoPress,
     {{0, P}, {100, R}, {200, P}, {300, R}},
     {{600, T::double_press}}},
};

class PressScenarioTest : public ::testing::TestWithParam<Scenario> {};

TEST_P(PressScenarioTest, PunctualTimer) {
  const auto& s = GetParam();
  EXPECT_EQ(run_with_timer(s.options, s.edges, 0ms), events(s.expected));
}

TEST_P(PressScenarioTest, LateTimerGivesTheSameEventsAndTimes) {
  const auto& s = GetParam();
  EXPECT_EQ(run_with_timer(s.options, s.edges, 37ms), events(s.expected));
}

TEST_P(PressScenarioTest, NoTimerEdgesSettleTheDeadlines) {
  const auto& s = GetParam();
  EXPECT_EQ(run_without_timer(s.options, s.edges), events(s.expected));
}

INSTANTIATE_TEST_SUITE_P(Table, PressScenarioTest, ::testing::ValuesIn(kScenarios),
                         [](const auto& param_info) { return param_info.param.name; });

// ---------------------------------------------------------------------------------------------
// Bouncing contacts. The recogniser gets debounced changes; this is GpioInput's debounce
// (every raw edge restarts the timer, the level when it fires is published if it changed), so
// that the tables read as raw edges of a real contact.

struct RawEdge {
  int ms;
  bool level;
};

std::vector<Edge> debounced(const std::vector<RawEdge>& raw, int debounce_ms) {
  std::vector<Edge> out;
  bool published = false;
  for (std::size_t i = 0; i < raw.size(); ++i) {
    const int fires = raw[i].ms + debounce_ms;
    if (i + 1 < raw.size() && raw[i + 1].ms < fires) continue;  // restarted
    if (raw[i].level != published) {
      published = raw[i].level;
      out.push_back({fires, published ? P : R});
    }
  }
  return out;
}

struct BounceCase {
  std::string name;
  std::vector<RawEdge> raw;  // a 50 ms debounce
  std::vector<Expected> expected;
};

void PrintTo(const BounceCase& c, std::ostream* os) { *os << c.name; }

const BounceCase kBounces[] = {
    // Bounces inside the debounce: one press, from the settled press (62) to the settled
    // release (257).
    {"bounces_inside_debounce_one_press",
     {{0, true}, {3, false}, {5, true}, {9, false}, {12, true}, {200, false}, {204, true},
      {207, false}},
     {{557, T::press}}},
    // A blip shorter than the debounce is no press at all.
    {"blip_shorter_than_debounce", {{0, true}, {30, false}}, {}},
    // Two bouncing presses 150 ms apart: a double press.
    {"two_bouncing_presses_double",
     {{0, true}, {2, false}, {4, true}, {100, false}, {103, true}, {106, false}, {250, true},
      {251, false}, {253, true}, {350, false}},
     {{700, T::double_press}}},
    // A bouncing long press: bounces at both ends do not break the hold.
    {"bouncing_long_press",
     {{0, true}, {4, false}, {8, true}, {1500, false}, {1510, true}, {1520, false}},
     {{858, T::long_press}, {1570, T::release}}},
    // A release bounce longer than the debounce reaches the recogniser as release, press:
    // it cannot tell that from a quick double press (the debounce must outlast the bounces).
    {"bounce_longer_than_debounce_reads_as_double",
     {{0, true}, {100, false}, {160, true}, {220, false}},
     {{570, T::double_press}}},
};

class PressBounceTest : public ::testing::TestWithParam<BounceCase> {};

TEST_P(PressBounceTest, DebouncedSequence) {
  const auto& c = GetParam();
  EXPECT_EQ(run_with_timer(defaults(), debounced(c.raw, 50), 0ms), events(c.expected));
}

INSTANTIATE_TEST_SUITE_P(Table, PressBounceTest, ::testing::ValuesIn(kBounces),
                         [](const auto& param_info) { return param_info.param.name; });

TEST(PressBounceHelperTest, DebouncesLikeGpioInput) {
  const auto edges = debounced({{0, true}, {3, false}, {5, true}, {200, false}, {204, true},
                                {207, false}},
                               50);
  ASSERT_EQ(edges.size(), 2U);
  EXPECT_EQ(edges[0].ms, 55);
  EXPECT_EQ(edges[0].change, P);
  EXPECT_EQ(edges[1].ms, 257);
  EXPECT_EQ(edges[1].change, R);
}

// ---------------------------------------------------------------------------------------------
// Step by step: each call, the events it returns, and deadline() after it.

enum Call { press, release, expire, reset };

struct Step {
  Call call;
  int ms;  // unused for reset
  std::vector<Expected> expected;
  std::optional<int> deadline;
};

struct StepCase {
  std::string name;
  PressRecognizerOptions options;
  std::vector<Step> steps;
};

void PrintTo(const StepCase& c, std::ostream* os) { *os << c.name; }

const StepCase kStepCases[] = {
    {"single",
     defaults(),
     {{press, 0, {}, 800},
      {release, 100, {}, 400},
      {expire, 399, {}, 400},
      {expire, 400, {{400, T::press}}, std::nullopt},
      {expire, 401, {}, std::nullopt}}},
    {"late_expire_reports_the_deadline_time",
     defaults(),
     {{press, 0, {}, 800}, {release, 100, {}, 400}, {expire, 5000, {{400, T::press}}, {}}}},
    {"double",
     defaults(),
     {{press, 0, {}, 800},
      {release, 100, {}, 400},
      {press, 250, {}, 1050},
      {release, 350, {}, 650},
      {expire, 650, {{650, T::double_press}}, {}}}},
    {"triple_has_no_deadline_after_third_release",
     defaults(),
     {{press, 0, {}, 800},
      {release, 100, {}, 400},
      {press, 200, {}, 1000},
      {release, 300, {}, 600},
      {press, 400, {}, 1200},
      {release, 500, {{500, T::triple_press}}, {}}}},
    {"press_at_gap_settles_then_starts",
     defaults(),
     {{press, 0, {}, 800},
      {release, 100, {}, 400},
      {press, 400, {{400, T::press}}, 1200},
      {release, 450, {}, 750}}},
    {"long_press",
     defaults(),
     {{press, 0, {}, 800},
      {expire, 799, {}, 800},
      {expire, 800, {{800, T::long_press}}, {}},
      {expire, 5000, {}, {}},
      {release, 6000, {{6000, T::release}}, {}}}},
    {"release_late_without_timer",
     defaults(),
     {{press, 0, {}, 800}, {release, 2000, {{800, T::long_press}, {2000, T::release}}, {}}}},
    {"long_press_disabled_no_hold_deadline",
     kNoLong,
     {{press, 0, {}, std::nullopt}, {release, 2000, {}, 2300}}},
    {"no_multi_no_gap_deadline",
     kNoMulti,
     {{press, 0, {}, 800}, {release, 100, {{100, T::press}}, std::nullopt}}},
    {"no_multi_no_long_no_deadline_at_all",
     with([](PressRecognizerOptions& o) {
       o.enabled.double_press = false;
       o.enabled.triple_press = false;
       o.enabled.long_press = false;
     }),
     {{press, 0, {}, std::nullopt}, {release, 5000, {{5000, T::press}}, std::nullopt}}},
    {"duplicate_pressed_keeps_the_deadline",
     defaults(),
     {{press, 0, {}, 800}, {press, 500, {}, 800}, {release, 600, {}, 900}}},
    {"duplicate_released_keeps_the_deadline",
     defaults(),
     {{press, 0, {}, 800}, {release, 100, {}, 400}, {release, 200, {}, 400}}},
    {"released_when_idle_nothing",
     defaults(),
     {{release, 0, {}, std::nullopt}, {expire, 1000, {}, std::nullopt}}},
    {"time_going_back_is_the_latest_time",
     defaults(),
     {{press, 100, {}, 900},
      {release, 50, {}, 400},
      {expire, 300, {}, 400},
      {expire, 400, {{400, T::press}}, {}}}},
    {"reset_while_held",
     defaults(),
     {{press, 0, {}, 800},
      {reset, 0, {}, std::nullopt},
      {release, 100, {}, std::nullopt},
      {press, 200, {}, 1000}}},
    {"reset_while_waiting_drops_the_sequence",
     defaults(),
     {{press, 0, {}, 800},
      {release, 100, {}, 400},
      {reset, 0, {}, std::nullopt},
      {expire, 1000, {}, std::nullopt}}},
};

class PressStepTest : public ::testing::TestWithParam<StepCase> {};

TEST_P(PressStepTest, EventsAndDeadlineAfterEachCall) {
  const auto& c = GetParam();
  PressRecognizer recognizer(c.options);
  EXPECT_EQ(recognizer.deadline(), std::nullopt);
  for (std::size_t i = 0; i < c.steps.size(); ++i) {
    const auto& step = c.steps[i];
    SCOPED_TRACE("step " + std::to_string(i) + " at " + std::to_string(step.ms) + " ms");
    Events got;
    switch (step.call) {
      case press:
        got = recognizer.pressed(at(step.ms));
        break;
      case release:
        got = recognizer.released(at(step.ms));
        break;
      case expire:
        got = recognizer.expire(at(step.ms));
        break;
      case reset:
        recognizer.reset();
        break;
    }
    EXPECT_EQ(got, events(step.expected));
    const std::optional<TimePoint> want =
        step.deadline ? std::optional<TimePoint>{at(*step.deadline)} : std::nullopt;
    EXPECT_EQ(recognizer.deadline(), want);
  }
}

INSTANTIATE_TEST_SUITE_P(Table, PressStepTest, ::testing::ValuesIn(kStepCases),
                         [](const auto& param_info) { return param_info.param.name; });

// ---------------------------------------------------------------------------------------------

TEST(PressRecognizerTest, HeldFollowsTheChanges) {
  PressRecognizer recognizer({});
  EXPECT_FALSE(recognizer.held());
  (void)recognizer.pressed(at(0));
  EXPECT_TRUE(recognizer.held());
  (void)recognizer.expire(at(800));
  EXPECT_TRUE(recognizer.held());  // long_held
  (void)recognizer.released(at(900));
  EXPECT_FALSE(recognizer.held());
}

TEST(PressRecognizerTest, DefaultOptions) {
  const PressRecognizer recognizer({});
  EXPECT_EQ(recognizer.options().multi_press_gap, 300ms);
  EXPECT_EQ(recognizer.options().long_press, 800ms);
  const auto& on = recognizer.options().enabled;
  EXPECT_TRUE(on.press && on.double_press && on.triple_press && on.long_press && on.release);
}

TEST(PressRecognizerTest, RejectsNonPositiveTimes) {
  EXPECT_THROW(PressRecognizer(with([](PressRecognizerOptions& o) { o.multi_press_gap = 0ms; })),
               std::invalid_argument);
  EXPECT_THROW(PressRecognizer(with([](PressRecognizerOptions& o) { o.long_press = -1ms; })),
               std::invalid_argument);
  EXPECT_NO_THROW(PressRecognizer(with([](PressRecognizerOptions& o) {
    o.multi_press_gap = 1ms;
    o.long_press = 1ms;
  })));
}

TEST(PressRecognizerTest, EventNames) {
  EXPECT_EQ(to_string(T::press), "press");
  EXPECT_EQ(to_string(T::double_press), "double_press");
  EXPECT_EQ(to_string(T::triple_press), "triple_press");
  EXPECT_EQ(to_string(T::long_press), "long_press");
  EXPECT_EQ(to_string(T::release), "release");
}

}  // namespace

void PrintTo(const PressEvent& event, std::ostream* os) {
  *os << to_string(event.type) << '@'
      << std::chrono::duration_cast<std::chrono::milliseconds>(event.at - kOrigin).count()
      << "ms";
}

}  // namespace pimqttd::sensors
