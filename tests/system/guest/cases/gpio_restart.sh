# gpio_restart: what the GPIO sensors keep in the state directory survives a restart of the
# daemon. A pulse counter's total: pulses, SIGTERM (pimqttd saves the count when it stops, long
# before its save_interval), start again with the same state directory, more pulses: the total
# is the sum. A switch with "initial": "restore": ON by command, restart, and the line is driven
# ON again at start, with ON on its state topic, without any command.

COUNTER_LINE=meter
OUTPUT_LINE=heater
# The case's configuration.
SENSORS="{ \"type\": \"gpio_counter\", \"name\": \"Meter\", \"chip\": \"$SIM_LABEL\",
  \"line\": \"$COUNTER_LINE\", \"edge\": \"rising\", \"interval\": \"1s\" },
  { \"type\": \"gpio_output\", \"name\": \"Heater\", \"chip\": \"$SIM_LABEL\",
  \"line\": \"$OUTPUT_LINE\", \"initial\": \"restore\" }"
TOTAL=$BASE_TOPIC/$NODE/meter/state
SWITCH=$BASE_TOPIC/$NODE/heater/state
SET=$BASE_TOPIC/$NODE/heater/set
FIRST_PULSES=300
MORE_PULSES=200

# total_is N: the counter's last published total is N.
total_is() { last_payload_is restart "$TOTAL" "$1"; }

case_main() {
  local before_total before_switch
  require_broker
  gpiosim_up
  sim_line "$COUNTER_LINE"
  COUNTER=$LINE
  sim_line "$OUTPUT_LINE"
  OUTPUT=$LINE
  sim_pull "$COUNTER" down
  sim_pull "$OUTPUT" down
  subscribe restart "$TOTAL" "$SWITCH"
  start_pimqttd "$SENSORS"

  wait_until 100 total_is 0 || fail "no total 0 on $TOTAL within 10 s (fresh state directory)"
  wait_until 50 last_payload_is restart "$SWITCH" OFF ||
    fail "the switch's first state is '$(last_payload restart "$SWITCH")', not OFF (nothing saved)"
  sim_value_is "$OUTPUT" 0 || fail "the switch's line starts at $(sim_value "$OUTPUT"), not 0"
  sim_pulses "$COUNTER" $FIRST_PULSES
  wait_until 100 total_is $FIRST_PULSES ||
    fail "after $FIRST_PULSES pulses the total is '$(last_payload restart "$TOTAL")'"
  mosquitto_pub -h "$BROKER" -q 1 -t "$SET" -m ON || fail "cannot publish ON to $SET"
  wait_until 50 sim_value_is "$OUTPUT" 1 || fail "ON did not drive the line within 5 s"
  wait_until 50 last_payload_is restart "$SWITCH" ON || fail "ON did not come back as the state"
  note "first run: total $FIRST_PULSES, switch ON"

  stop_pimqttd
  # Released, the simulated line falls back to its pull-down: ON after the restart is the
  # daemon's doing.
  wait_until 20 sim_value_is "$OUTPUT" 0 ||
    fail "the switch's line stays at $(sim_value "$OUTPUT") after pimqttd stopped"
  before_total=$(message_count restart "$TOTAL")
  before_switch=$(message_count restart "$SWITCH")

  restart_pimqttd
  wait_until 50 sim_value_is "$OUTPUT" 1 ||
    fail "after the restart the switch's line is at $(sim_value "$OUTPUT"), not 1 (restored ON)"
  wait_until 50 count_above restart "$SWITCH" "$before_switch" ||
    fail "no state on $SWITCH within 5 s of the restart"
  last_payload_is restart "$SWITCH" ON ||
    fail "after the restart the switch's state is '$(last_payload restart "$SWITCH")', not ON"
  wait_until 50 count_above restart "$TOTAL" "$before_total" ||
    fail "no total on $TOTAL within 5 s of the restart"
  total_is $FIRST_PULSES ||
    fail "after the restart the total is '$(last_payload restart "$TOTAL")', not $FIRST_PULSES"
  note "restarted: total $FIRST_PULSES, switch ON (line 1)"

  sim_pulses "$COUNTER" $MORE_PULSES
  wait_until 100 total_is $((FIRST_PULSES + MORE_PULSES)) ||
    fail "after $MORE_PULSES more pulses the total is '$(last_payload restart "$TOTAL")'," \
      "not $((FIRST_PULSES + MORE_PULSES))"
  note "total $((FIRST_PULSES + MORE_PULSES)) after $MORE_PULSES more pulses"
  stop_pimqttd
}
