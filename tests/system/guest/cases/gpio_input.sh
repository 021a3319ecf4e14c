# gpio_input: a door contact on a gpio-sim line. The simulated outside world pulls the line up
# (door open: ON) or down (closed: OFF); pimqttd sees the edges through the kernel's GPIO
# character device and publishes the debounced state. A burst of flips shorter than the
# debounce time ends in a single published change. (The debounce is 200 ms, longer than a user
# would set it, so that the shell's burst fits in it on a slow emulated guest: 11 flips take
# about 60 ms on an arm64 guest under TCG on a busy host.)

LINE_NAME=door
# The case's configuration.
SENSORS="{ \"type\": \"gpio_input\", \"name\": \"Door\", \"chip\": \"$SIM_LABEL\",
  \"line\": \"$LINE_NAME\", \"device_class\": \"door\", \"debounce\": \"200ms\" }"
STATE=$BASE_TOPIC/$NODE/door/state
HIGH=ON   # the payload for a line pulled up
LOW=OFF
BURST_FLIPS=11  # odd: the burst ends on the opposite level

case_main() {
  local before after i started took
  require_broker
  gpiosim_up
  sim_line "$LINE_NAME"
  sim_pull "$LINE" down
  subscribe door "$STATE"
  start_pimqttd "$SENSORS"

  wait_until 100 last_payload_is door "$STATE" "$LOW" ||
    fail "no initial state $LOW on $STATE within 10 s (got '$(last_payload door "$STATE")')"
  sim_pull "$LINE" up
  wait_until 50 last_payload_is door "$STATE" "$HIGH" || fail "pull-up gave no $HIGH within 5 s"
  sim_pull "$LINE" down
  wait_until 50 last_payload_is door "$STATE" "$LOW" || fail "pull-down gave no $LOW within 5 s"
  note "single flips: $(payloads door "$STATE" | tr '\n' ' ')"

  before=$(message_count door "$STATE")
  started=$(uptime_centis)
  i=0
  while [ $i -lt $BURST_FLIPS ]; do
    if [ $((i % 2)) -eq 0 ]; then sim_pull "$LINE" up; else sim_pull "$LINE" down; fi
    i=$((i + 1))
  done
  took=$(( $(uptime_centis) - started ))
  [ "$took" -lt 20 ] ||
    fail "the burst of $BURST_FLIPS flips took $((took * 10)) ms, longer than the 200 ms debounce"
  wait_until 50 last_payload_is door "$STATE" "$HIGH" || fail "the burst did not settle at $HIGH"
  # Anything more the burst would cause comes within a few debounce times: watch for 1 s.
  wait_until 10 count_above door "$STATE" $((before + 1))
  after=$(message_count door "$STATE")
  [ "$after" -eq $((before + 1)) ] ||
    fail "a burst of $BURST_FLIPS flips in $((took * 10)) ms gave $((after - before)) messages," \
      "not 1: $(payloads door "$STATE" | tail -n $((after - before)) | tr '\n' ' ')"
  note "a burst of $BURST_FLIPS flips in $((took * 10)) ms (10 ms resolution) gave one message"
  stop_pimqttd
}
