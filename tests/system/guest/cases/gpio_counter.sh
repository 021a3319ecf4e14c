# gpio_counter: a water meter's pulses on a gpio-sim line; pimqttd counts rising edges and
# publishes the total every interval. 1000 pulses (2000 flips of the simulated pull) must give
# a total of exactly 1000.
#
# The pulses come as fast as the shell can write to sysfs, with a millisecond's pause every 8
# pulses (see sim_pulses in lib.sh: the kernel's edge-event FIFO holds 16 events, and on a
# loaded host the guest may not run the reader during a longer burst). Should pimqttd count
# fewer, the case runs gpiomon on the same pulse train to tell a slow reader from a lossy
# kernel.

LINE_NAME=water
# The case's configuration.
SENSORS="{ \"type\": \"gpio_counter\", \"name\": \"Water\", \"chip\": \"$SIM_LABEL\",
  \"line\": \"$LINE_NAME\", \"edge\": \"rising\", \"interval\": \"1s\" }"
STATE=$BASE_TOPIC/$NODE/water/state
PULSES=1000

# requested_by CONSUMER: the line is in use by CONSUMER (gpioinfo quotes names and consumers).
requested_by() { gpioinfo "$SIM_LABEL" | grep -q "\"$LINE_NAME\".*\"$1\""; }

moved_past() { ! last_payload_is water "$STATE" "$PULSES"; }

# reference_reader: how many of PULSES rising edges gpiomon sees for the same pulse train.
reference_reader() {
  local mon seen
  if gpiomon --version | grep -q 'v1\.'; then
    gpiomon --num-events="$PULSES" --rising-edge "$SIM_LABEL" "$LINE" \
      > "$CASE_DIR/gpiomon.out" 2>&1 &
  else
    gpiomon --num-events="$PULSES" --edges=rising --chip "$SIM_LABEL" "$LINE" \
      > "$CASE_DIR/gpiomon.out" 2>&1 &
  fi
  mon=$!
  track $mon
  wait_until 50 requested_by gpiomon
  sim_pulses "$LINE" "$PULSES"
  # gpiomon buffers its output and writes it when it exits after PULSES events.
  if wait_until 50 exited $mon; then
    echo "gpiomon saw all $PULSES edges"
  else
    kill $mon
    echo "gpiomon saw fewer than $PULSES edges"
  fi
}

case_main() {
  local started took total
  require_broker
  gpiosim_up
  sim_line "$LINE_NAME"
  sim_pull "$LINE" down
  subscribe water "$STATE"
  start_pimqttd "$SENSORS"
  wait_until 100 has_message water "$STATE" || fail "no state on $STATE within 10 s"
  total=$(last_payload water "$STATE")
  [ "$total" = 0 ] || fail "the counter starts at '$total', not 0 (fresh state directory)"

  started=$(uptime_centis)
  sim_pulses "$LINE" "$PULSES"
  took=$(( $(uptime_centis) - started ))
  note "$PULSES pulses took $((took * 10)) ms"
  if ! wait_until 100 last_payload_is water "$STATE" "$PULSES"; then
    total=$(last_payload water "$STATE")
    stop_pimqttd
    fail "after $PULSES pulses in $((took * 10)) ms the total is '$total', not $PULSES;" \
      "$(reference_reader)"
  fi
  # Two more intervals must not add anything.
  wait_until 20 moved_past
  total=$(last_payload water "$STATE")
  [ "$total" = "$PULSES" ] || fail "the total moved on to '$total' after reaching $PULSES"
  note "total $total"
  stop_pimqttd
}
