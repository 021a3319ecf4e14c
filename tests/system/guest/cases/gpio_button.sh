# gpio_button: a push button on a gpio-sim line. The simulated outside world presses it (pulls
# the line up) in the patterns of a single, double, triple and long press; the daemon reads the
# edges through the kernel's GPIO character device, with the kernel's timestamps, and publishes
# exactly one event per pattern on the event entity's state topic, in order, nothing more. The
# retained discovery announces the event entity with its five event types and one device
# trigger per type.
#
# Times are generous for an emulated guest on a busy host: a press lasts 0.1 s, presses of one
# pattern are 0.2 s apart, the multi-press gap is 1 s and a long press 1.5 s. What the daemon
# sees is the kernel's timestamps, so a guest slow to run the daemon does not change the events.

LINE_NAME=spare5
SENSORS="{ \"type\": \"gpio_button\", \"name\": \"Bell\", \"chip\": \"$SIM_LABEL\",
  \"line\": \"$LINE_NAME\", \"debounce\": \"20ms\", \"multi_press_gap\": \"1s\",
  \"long_press\": \"1500ms\", \"device_class\": \"doorbell\" }"
STATE=$BASE_TOPIC/$NODE/bell/state

# presses N: N presses of 0.1 s, 0.2 s apart.
presses() {
  local i=0
  while [ $i -lt "$1" ]; do
    [ $i -eq 0 ] || sleep 0.2
    sim_pull "$LINE" up
    sleep 0.1
    sim_pull "$LINE" down
    i=$((i + 1))
  done
}

event() { printf '{"event_type":"%s"}' "$1"; }

# expect_events N: waits for the Nth event, then checks the whole list against $EXPECTED.
expect_events() {
  wait_until 100 count_above bell "$STATE" $(($1 - 1)) ||
    fail "no event $1 within 10 s; got: $(payloads bell "$STATE" | tr '\n' ' ')"
  [ "$(payloads bell "$STATE" | tr '\n' ' ')" = "$EXPECTED" ] ||
    fail "events: '$(payloads bell "$STATE" | tr '\n' ' ')', expected '$EXPECTED'"
}

case_main() {
  local discovery type
  require_broker
  gpiosim_up
  sim_line "$LINE_NAME"
  sim_pull "$LINE" down
  subscribe bell "$STATE"
  start_pimqttd "$SENSORS"

  discovery=$(retained "$DISCOVERY_TOPIC" | tr -d ' \n')
  case "$discovery" in
    *'"bell":{"p":"event",'*'"state_topic":"'"$STATE"'","event_types":["press","double_press","triple_press","long_press","release"]'*'"device_class":"doorbell"'*) ;;
    *) fail "discovery lacks the event entity: $(echo "$discovery" | cut -c1-600)" ;;
  esac
  for type in press:short_press double_press:double_press triple_press:triple_press \
    long_press:long_press release:long_release; do
    case "$discovery" in
      *'"bell_'"${type%%:*}"'":{"p":"device_automation","automation_type":"trigger","topic":"'"$STATE"'","type":"button_'"${type#*:}"'","subtype":"Bell","payload":"'"${type%%:*}"'"'*) ;;
      *) fail "discovery lacks the device trigger bell_${type%%:*}" ;;
    esac
  done
  note "discovery: the event entity and 5 device triggers"

  EXPECTED="$(event press) "
  presses 1
  expect_events 1
  EXPECTED="$EXPECTED$(event double_press) "
  presses 2
  expect_events 2
  EXPECTED="$EXPECTED$(event triple_press) "
  presses 3
  expect_events 3
  EXPECTED="$EXPECTED$(event long_press) "
  sim_pull "$LINE" up
  expect_events 4
  EXPECTED="$EXPECTED$(event release) "
  sim_pull "$LINE" down
  expect_events 5
  # A pattern that was cut short or doubled would show within a gap and a half: watch 2 s.
  wait_until 20 count_above bell "$STATE" 5
  [ "$(message_count bell "$STATE")" -eq 5 ] ||
    fail "more events than patterns: $(payloads bell "$STATE" | tr '\n' ' ')"
  note "press, double, triple, long press and release: exactly $(message_count bell "$STATE") events"
  stop_pimqttd
}
