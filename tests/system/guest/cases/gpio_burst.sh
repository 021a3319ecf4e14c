# gpio_burst: edges that come while the daemon cannot read them are kept by the kernel and
# counted once it runs again, up to the queue the libgpiod in use gives a line. The daemon is
# stopped (SIGSTOP, as a loop busy for a moment would be) while a burst of pulses arrives on a
# counter's line, then continued: the total must be exactly the number of pulses.
#
# The burst: 200 rising edges with libgpiod 2 (the daemon asks the kernel for a queue of 256
# events per line; the requirement is that a burst of 64 loses none), 16 with libgpiod 1.6 (its
# v1 uAPI fixes the queue at 16 events: the documented limit on Debian 12).

LINE_NAME=meter
# The case's configuration.
SENSORS="{ \"type\": \"gpio_counter\", \"name\": \"Burst\", \"chip\": \"$SIM_LABEL\",
  \"line\": \"$LINE_NAME\", \"edge\": \"rising\", \"interval\": \"1s\" }"
STATE=$BASE_TOPIC/$NODE/burst/state

case_main() {
  local gpiod burst total
  gpiod=$("$PIMQTTD" --version | sed -n 's/^libgpiod: \([0-9]*\)\..*/\1/p')
  case "$gpiod" in
    1) burst=16 ;;
    2) burst=200 ;;
    *) fail "pimqttd --version names no libgpiod 1 or 2: $("$PIMQTTD" --version | tr '\n' ' ')" ;;
  esac
  require_broker
  gpiosim_up
  sim_line "$LINE_NAME"
  sim_pull "$LINE" down
  subscribe burst "$STATE"
  start_pimqttd "$SENSORS"
  wait_until 100 last_payload_is burst "$STATE" 0 ||
    fail "no initial total 0 on $STATE within 10 s (got '$(last_payload burst "$STATE")')"

  for round in 1 2; do
    kill -STOP "$PIMQTTD_PID"
    PULSE_PAUSE_EVERY=0 sim_pulses "$LINE" "$burst"
    kill -CONT "$PIMQTTD_PID"
    total=$((round * burst))
    if ! wait_until 100 last_payload_is burst "$STATE" "$total"; then
      fail "libgpiod $gpiod: after burst $round of $burst pulses while the daemon was stopped" \
        "the total is '$(last_payload burst "$STATE")', not $total"
    fi
    note "libgpiod $gpiod: burst $round of $burst pulses while stopped: total $total"
  done
  stop_pimqttd
}
