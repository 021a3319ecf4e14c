# bench_edge_latency: a benchmark, not a check (bench/edge-latency runs it; `all` does not).
# pimqttd-latency-probe (bench/latency_probe.c) listens on the guest's 127.0.0.1:1884 posing as
# the broker and runs pimqttd, whose gpio_input (debounce 0s) watches the gpio-sim line `door`;
# it flips the line's pull EDGE_FLIPS times (20 ms apart) and times each write() of the pull to
# the arrival of the PUBLISH with the new state. The case fails when a flip gives no PUBLISH
# within 5 s. Before that the probe times the same path without pimqttd on the line `spare5`
# (its own edge-event request, then a loopback TCP hop). Its result lines (`baseline ...` and
# `edge ...`) are printed with `BENCH ` in front.

LINE_NAME=door
BASELINE_LINE_NAME=spare5
PROBE=/usr/bin/pimqttd-latency-probe
PROBE_PORT=1884
STATE=$BASE_TOPIC/$NODE/door/state
SENSORS="{ \"type\": \"gpio_input\", \"name\": \"Door\", \"chip\": \"$SIM_LABEL\",
  \"line\": \"$LINE_NAME\", \"debounce\": \"0s\" }"

case_main() {
  local rc=0 baseline_line
  [ -x "$PROBE" ] || fail "no $PROBE in the guest (run this case through bench/edge-latency)"
  gpiosim_up
  sim_line "$BASELINE_LINE_NAME"
  sim_pull "$LINE" down
  baseline_line=$LINE
  sim_line "$LINE_NAME"
  sim_pull "$LINE" down
  check_config "$SENSORS"
  # The probe is the broker; debug logging (the cases' default) would add a write per edge.
  sed -i -e "s/\"port\": 1883/\"port\": $PROBE_PORT/" \
    -e "s/\"level\": \"debug\"/\"level\": \"info\"/" "$CASE_DIR/config.json"
  grep -q "\"port\": $PROBE_PORT" "$CASE_DIR/config.json" || fail "cannot set the probe's port"
  mkdir -p "$CASE_DIR/state"
  "$PROBE" edge --port "$PROBE_PORT" --topic "$STATE" --pull "$SIM_DIR/sim_gpio$LINE/pull" \
    --count "${EDGE_FLIPS:-1000}" --gap-ms 20 --baseline-chip "/dev/${SIM_DIR##*/}" \
    --baseline-line "$baseline_line" --baseline-pull "$SIM_DIR/sim_gpio$baseline_line/pull" -- \
    "$PIMQTTD" --config "$CASE_DIR/config.json" --state-dir "$CASE_DIR/state" \
    > "$CASE_DIR/probe.out" 2> "$CASE_DIR/pimqttd.log" || rc=$?
  [ "$rc" -eq 0 ] || fail "the probe exited with $rc: $(cat "$CASE_DIR/probe.out")"
  sed 's/^/BENCH /' "$CASE_DIR/probe.out"
}
