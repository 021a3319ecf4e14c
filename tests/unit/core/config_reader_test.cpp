#include "pimqttd/core/config_reader.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace pimqttd::core {
namespace {

using std::chrono::milliseconds;
using Errors = std::vector<std::string>;

// Runs `read` on the document's top-level object, finishes the reader, returns the errors.
Errors read(const std::string& text, const std::function<void(ObjectReader&)>& fn) {
  const Json document = Json::parse(text);
  Diagnostics diagnostics;
  ObjectReader reader(document, Location{}, diagnostics);
  fn(reader);
  reader.finish();
  return diagnostics.errors();
}

TEST(Location, BuildsPaths) {
  const Location root;
  EXPECT_EQ(root.display(), "(top level)");
  const Location port = root.key("mqtt", 1).key("port", 3);
  EXPECT_EQ(port.path, "mqtt.port");
  EXPECT_EQ(port.position, (std::vector<std::size_t>{1, 3}));
  EXPECT_EQ(root.key("sensors", 0).element(2).key("interval", 4).path, "sensors[2].interval");
  EXPECT_EQ(root.key("mqtt", 0).key("a b", 0).path, "mqtt[\"a b\"]");
  EXPECT_EQ(root.key("1st", 0).path, "[\"1st\"]");
  EXPECT_EQ(root.key("", 0).path, "[\"\"]");
}

TEST(Diagnostics, SortsErrorsIntoDocumentOrder) {
  Diagnostics diagnostics;
  const Location root;
  diagnostics.error(root.key("b", 1), "second");
  diagnostics.error(root.key("missing", Location::kEnd), "last");
  diagnostics.error(root.key("a", 0).key("x", 2), "first, deeper");
  diagnostics.error(root.key("a", 0), "first");
  diagnostics.error(root.key("b", 1), "second again");
  EXPECT_EQ(diagnostics.errors(), (Errors{"a: first", "a.x: first, deeper", "b: second",
                                          "b: second again", "missing: last"}));
  EXPECT_TRUE(diagnostics.has_errors());
  EXPECT_TRUE(Diagnostics{}.errors().empty());
}

TEST(Duration, ParsesStringForms) {
  EXPECT_EQ(parse_duration("500ms"), milliseconds{500});
  EXPECT_EQ(parse_duration("30s"), milliseconds{30'000});
  EXPECT_EQ(parse_duration("5m"), milliseconds{300'000});
  EXPECT_EQ(parse_duration("1h"), milliseconds{3'600'000});
  EXPECT_EQ(parse_duration("1d"), milliseconds{86'400'000});
  EXPECT_EQ(parse_duration("1m30s"), milliseconds{90'000});
  EXPECT_EQ(parse_duration("1.5s"), milliseconds{1'500});
  EXPECT_EQ(parse_duration("0.25h"), milliseconds{900'000});
  EXPECT_EQ(parse_duration("0s"), milliseconds{0});
  EXPECT_EQ(parse_duration("1s500ms"), milliseconds{1'500});
}

TEST(Duration, RejectsMalformedStrings) {
  for (const char* text : {"", "30", "s", "5 m", " 5m", "5m ", "1.s", ".5s", "-1s", "5x", "1e3s",
                           "0.0005s", "1.5ms", "1234567890s", "5mm", "+5s", "1,5s"}) {
    EXPECT_EQ(parse_duration(text), std::nullopt) << text;
  }
}

TEST(Duration, FormatsInTheLargestExactUnit) {
  EXPECT_EQ(format_duration(milliseconds{0}), "0s");
  EXPECT_EQ(format_duration(milliseconds{1'500}), "1500ms");
  EXPECT_EQ(format_duration(milliseconds{90'000}), "90s");
  EXPECT_EQ(format_duration(milliseconds{120'000}), "2m");
  EXPECT_EQ(format_duration(milliseconds{7'200'000}), "2h");
  EXPECT_EQ(format_duration(milliseconds{86'400'000}), "1d");
  for (const long long ms : {1LL, 999LL, 1'000LL, 61'000LL, 3'599'000LL, 90'000'000LL}) {
    EXPECT_EQ(parse_duration(format_duration(milliseconds{ms})), milliseconds{ms}) << ms;
  }
}

TEST(Duration, ReadsNumbersAndStringsWithRange) {
  const DurationRule rule{std::chrono::seconds{1}, std::chrono::hours{1}, false};
  std::vector<std::optional<milliseconds>> got;
  const Errors errors = read(
      R"({"a": 30, "b": 0.5, "c": "2m", "d": 1.25, "e": 0, "f": "2h", "g": -1, "h": "soon",
          "i": true, "j": 0.0001, "k": 1e300, "l": null})",
      [&](ObjectReader& r) {
        for (const char* key : {"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l"}) {
          got.push_back(r.duration(key, rule));
        }
      });
  EXPECT_EQ(got[0], milliseconds{30'000});
  EXPECT_EQ(got[1], std::nullopt);  // 500ms is below 1s
  EXPECT_EQ(got[2], milliseconds{120'000});
  EXPECT_EQ(got[3], milliseconds{1'250});
  EXPECT_EQ(got[11], std::nullopt);  // null: absent, no error
  const std::string forms =
      R"(expected a duration (seconds, or a string such as "500ms", "30s", "5m", "1h"), found )";
  EXPECT_EQ(errors, (Errors{
                        "b: expected a duration from 1s to 1h, found 0.5",
                        "e: expected a duration from 1s to 1h, found 0",
                        "f: expected a duration from 1s to 1h, found \"2h\"",
                        "g: expected a duration from 1s to 1h, found -1",
                        "h: " + forms + "string \"soon\"",
                        "i: " + forms + "true",
                        "j: " + forms + "number 0.0001",
                        "k: expected a duration from 1s to 1h, found 1e+300",
                    }));
}

TEST(Duration, WholeSeconds) {
  const DurationRule rule{std::chrono::seconds{0}, std::chrono::seconds{65535}, true};
  const Errors errors = read(R"({"a": "1500ms", "b": "2s", "c": 65536})", [&](ObjectReader& r) {
    EXPECT_EQ(r.duration("a", rule), std::nullopt);
    EXPECT_EQ(r.duration("b", rule), milliseconds{2'000});
    EXPECT_EQ(r.duration("c", rule), std::nullopt);
  });
  EXPECT_EQ(errors,
            (Errors{"a: expected a duration in whole seconds from 0s to 65535s, found \"1500ms\"",
                    "c: expected a duration in whole seconds from 0s to 65535s, found 65536"}));
}

TEST(Describe, NamesTypeAndValue) {
  EXPECT_EQ(describe(Json("1883")), "string \"1883\"");
  EXPECT_EQ(describe(Json(1.5)), "number 1.5");
  EXPECT_EQ(describe(Json(-3)), "number -3");
  EXPECT_EQ(describe(Json(true)), "true");
  EXPECT_EQ(describe(Json(nullptr)), "null");
  EXPECT_EQ(describe(Json::object()), "an object");
  EXPECT_EQ(describe(Json::array()), "an array");
  EXPECT_EQ(describe(Json("a\nb")), "string \"a\\nb\"");
  EXPECT_EQ(describe_type(Json("hunter2")), "a string");
  EXPECT_EQ(describe_type(Json(1234)), "a number");
  EXPECT_EQ(describe_type(Json(false)), "a boolean");
}

TEST(Describe, CutsLongStringsOnACharacterBoundary) {
  EXPECT_EQ(quote(std::string(41, 'x')), "\"" + std::string(40, 'x') + "...\"");
  EXPECT_EQ(quote(std::string(40, 'x')), "\"" + std::string(40, 'x') + "\"");
  // 39 ASCII bytes then a two-byte character straddling the cut: the character goes whole.
  EXPECT_EQ(quote(std::string(39, 'x') + "\xc3\xa9yz"), "\"" + std::string(39, 'x') + "...\"");
}

TEST(DidYouMean, EditDistance) {
  EXPECT_EQ(edit_distance("", ""), 0u);
  EXPECT_EQ(edit_distance("interval", "intervall"), 1u);
  EXPECT_EQ(edit_distance("host", "hots"), 1u);  // a transposition is one edit
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
  EXPECT_EQ(edit_distance("abc", ""), 3u);
}

TEST(DidYouMean, SuggestsOnlyCloseKeys) {
  const std::vector<std::string> keys{"host", "port", "id", "interval", "username", "password"};
  EXPECT_EQ(closest_match("intervall", keys), "interval");
  EXPECT_EQ(closest_match("intreval", keys), "interval");
  EXPECT_EQ(closest_match("hots", keys), "host");
  EXPECT_EQ(closest_match("Host", keys), "host");
  EXPECT_EQ(closest_match("prot", keys), "port");
  EXPECT_EQ(closest_match("pasword", keys), "password");
  EXPECT_EQ(closest_match("ip", keys), "id");
  EXPECT_EQ(closest_match("user", keys), std::nullopt);  // 4 edits from username
  EXPECT_EQ(closest_match("xy", keys), std::nullopt);
  EXPECT_EQ(closest_match("timeout", keys), std::nullopt);
  EXPECT_EQ(closest_match("hostname", keys), std::nullopt);  // 4 edits
  EXPECT_EQ(closest_match("passwd", keys), "password");      // 2 edits, 8 / 3 >= 2
  const std::vector<std::string> short_keys{"x", "ab"};
  EXPECT_EQ(closest_match("y", short_keys), std::nullopt);  // every character replaced
  EXPECT_EQ(closest_match("ac", short_keys), "ab");
}

TEST(ObjectReader, ReportsUnknownKeysWithHints) {
  const Errors errors =
      read(R"({"host": "x", "prot": 1, "zzz": 2, "intervall": 3})", [](ObjectReader& r) {
        (void)r.string("host");
        (void)r.integer("port", 1, 65535);
        (void)r.duration("interval", DurationRule{});
      });
  EXPECT_EQ(errors, (Errors{"prot: unknown key, did you mean 'port'?", "zzz: unknown key",
                            "intervall: unknown key, did you mean 'interval'?"}));
}

TEST(ObjectReader, IntegersCheckTypeAndRange) {
  const Errors errors =
      read(R"({"a": 70000, "b": "1883", "c": 1.0, "d": -1, "e": 18446744073709551615, "f": 8883})",
           [](ObjectReader& r) {
             EXPECT_EQ(r.integer("a", 1, 65535), std::nullopt);
             EXPECT_EQ(r.integer("b", 1, 65535), std::nullopt);
             EXPECT_EQ(r.integer("c", 1, 65535), std::nullopt);
             EXPECT_EQ(r.integer("d", 1, 65535), std::nullopt);
             EXPECT_EQ(r.integer("e", 1, 65535), std::nullopt);
             EXPECT_EQ(r.integer("f", 1, 65535), 8883);
           });
  EXPECT_EQ(errors, (Errors{"a: expected an integer from 1 to 65535, found 70000",
                            "b: expected an integer, found string \"1883\"",
                            "c: expected an integer, found number 1.0",
                            "d: expected an integer from 1 to 65535, found -1",
                            "e: expected an integer from 1 to 65535, found 18446744073709551615"}));
}

TEST(ObjectReader, NumbersAreFiniteAndCheckedByTheRule) {
  const Errors errors = read(R"({"a": 0.5, "b": 3, "c": "0.5", "d": -2, "e": true})",
                             [](ObjectReader& r) {
                               const NumberRule positive{[](double x) { return x > 0; },
                                                         "a number greater than 0"};
                               EXPECT_EQ(r.number("a", positive), 0.5);
                               EXPECT_EQ(r.number("b"), 3.0);  // an integer is a number
                               EXPECT_EQ(r.number("c"), std::nullopt);
                               EXPECT_EQ(r.number("d", positive), std::nullopt);
                               EXPECT_EQ(r.number("e"), std::nullopt);
                               EXPECT_EQ(r.number("g"), std::nullopt);  // absent: no error
                             });
  EXPECT_EQ(errors, (Errors{"c: expected a number, found string \"0.5\"",
                            "d: expected a number greater than 0, found number -2",
                            "e: expected a number, found true"}));
}

TEST(ObjectReader, RequiredAndNull) {
  const Errors errors = read(R"({"a": null, "b": null})", [](ObjectReader& r) {
    EXPECT_EQ(r.string("a"), std::nullopt);  // null is absent: no error
    EXPECT_EQ(r.string("b", {}, Presence::required), std::nullopt);
    EXPECT_EQ(r.string("c", {}, Presence::required), std::nullopt);
    EXPECT_FALSE(r.has("a"));
    EXPECT_FALSE(r.has("c"));
  });
  EXPECT_EQ(errors, (Errors{"b: expected a value, found null", "c: required key missing"}));
}

TEST(ObjectReader, StringsCheckLengthAndContent) {
  StringRule lower;
  lower.max_length = 5;
  lower.accept = [](std::string_view s) {
    return s.find_first_of("ABC") == std::string_view::npos;
  };
  lower.expected = "1 to 5 letters, not A, B or C";
  StringRule secret;
  secret.secret = true;
  const Errors errors = read(
      R"({"a": "", "b": "toolong", "c": "aBc", "d": "ok", "e": 1234, "f": "x\u0000y", "g": "",
          "h": 5})",
      [&](ObjectReader& r) {
        EXPECT_EQ(r.string("a"), std::nullopt);
        EXPECT_EQ(r.string("b", lower), std::nullopt);
        EXPECT_EQ(r.string("c", lower), std::nullopt);
        EXPECT_EQ(r.string("d", lower), "ok");
        EXPECT_EQ(r.string("e", secret), std::nullopt);
        EXPECT_EQ(r.string("f"), std::nullopt);
        EXPECT_EQ(r.string("g", secret), std::nullopt);
        EXPECT_EQ(r.string("h"), std::nullopt);
      });
  EXPECT_EQ(errors, (Errors{
                        "a: expected a non-empty string, found \"\"",
                        "b: expected 1 to 5 letters, not A, B or C, found \"toolong\"",
                        "c: expected 1 to 5 letters, not A, B or C, found \"aBc\"",
                        "e: expected a string, found a number",
                        "f: expected a string without U+0000 characters, found \"x\\u0000y\"",
                        "g: expected a non-empty string, found a string",
                        "h: expected a string, found number 5",
                    }));
}

TEST(ObjectReader, ChoicesAndBooleans) {
  const std::vector<std::string> levels{"debug", "info", "warning"};
  const Errors errors =
      read(R"({"a": "info", "b": "inf", "c": 1, "d": "yes", "e": false})", [&](ObjectReader& r) {
        EXPECT_EQ(r.choice("a", levels), 1u);
        EXPECT_EQ(r.choice("b", levels), std::nullopt);
        EXPECT_EQ(r.choice("c", levels), std::nullopt);
        EXPECT_EQ(r.boolean("d"), std::nullopt);
        EXPECT_EQ(r.boolean("e"), false);
      });
  EXPECT_EQ(
      errors,
      (Errors{
          R"(b: expected one of "debug", "info", "warning", found "inf"; did you mean "info"?)",
          R"(c: expected one of "debug", "info", "warning", found number 1)",
          R"(d: expected true or false, found string "yes")",
      }));
}

TEST(ObjectReader, StringLists) {
  const Errors errors =
      read(R"({"a": ["x", "y"], "b": [], "c": "x", "d": ["x", 2, ""]})", [](ObjectReader& r) {
        EXPECT_EQ(r.string_list("a", {}, 1), (std::vector<std::string>{"x", "y"}));
        EXPECT_EQ(r.string_list("b", {}, 1), std::nullopt);
        EXPECT_EQ(r.string_list("c", {}), std::nullopt);
        EXPECT_EQ(r.string_list("d", {}), std::nullopt);
      });
  EXPECT_EQ(errors, (Errors{"b: expected a non-empty array, found []",
                            "c: expected an array of strings, found string \"x\"",
                            "d[1]: expected a string, found number 2",
                            "d[2]: expected a non-empty string, found \"\""}));
}

TEST(ObjectReader, NestedObjectsAndArrays) {
  std::vector<std::string> seen;
  const Errors errors =
      read(R"({"outer": {"inner": {"x": 1, "y": 2}, "list": [{"k": 1}, 7]}, "notobj": 3})",
           [&](ObjectReader& r) {
             r.object("outer", [&](ObjectReader& outer) {
               outer.object("inner", [&](ObjectReader& inner) { (void)inner.integer("x", 0, 9); });
               outer.array("list", [&](const Json& item, const Location& where) {
                 ObjectReader element(item, where, r.diagnostics());
                 seen.push_back(where.path);
                 element.finish();
               });
             });
             EXPECT_FALSE(r.object("notobj", [](ObjectReader&) { ADD_FAILURE(); }));
             EXPECT_FALSE(r.object("absent", [](ObjectReader&) { ADD_FAILURE(); }));
             EXPECT_FALSE(r.object(
                 "required", [](ObjectReader&) {}, Presence::required));
           });
  EXPECT_EQ(seen, (std::vector<std::string>{"outer.list[0]", "outer.list[1]"}));
  EXPECT_EQ(errors, (Errors{"outer.inner.y: unknown key", "outer.list[0].k: unknown key",
                            "outer.list[1]: expected an object, found number 7",
                            "notobj: expected an object, found number 3",
                            "required: required key missing"}));
}

TEST(ObjectReader, NotAnObjectReportsOnce) {
  const Json document = Json::parse("[1, 2]");
  Diagnostics diagnostics;
  ObjectReader reader(document, Location{}, diagnostics);
  EXPECT_FALSE(reader.ok());
  EXPECT_EQ(reader.string("x", {}, Presence::required), std::nullopt);
  reader.finish();
  EXPECT_EQ(diagnostics.errors(), (Errors{"(top level): expected an object, found an array"}));
}

TEST(ObjectReader, ErrorsOnAbsentKeysSortAfterPresentOnes) {
  const Errors errors = read(R"({"a": 1, "b": 2})", [](ObjectReader& r) {
    r.allow("a");
    r.allow("b");
    r.error("c", "third");
    r.error("a", "first");
    r.error("b", "second");
  });
  EXPECT_EQ(errors, (Errors{"a: first", "b: second", "c: third"}));
}

}  // namespace
}  // namespace pimqttd::core
