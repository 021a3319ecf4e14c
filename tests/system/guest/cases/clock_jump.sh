# clock_jump: what a Pi without a battery-backed clock does at NTP's first sync. The guest's
# wall clock (the VM's own, never the host's) is set a year back, pimqttd starts, and the clock
# is stepped to the right time:
# - pimqttd logs the step at info ("wall clock set: forward by ...");
# - pimqttd_started, published with last year's date, is published again at once (long before
#   its 60 s period) with today's date, and so is the boot time (uptime metric, 60 s interval);
# - a sensor polled every second goes on at one reading a second (timers are monotonic: no
#   burst of timers that think a year passed, no stall).

SENSORS='{ "type": "system", "name": "System", "interval": "1s",
  "metrics": { "cpu_temperature": false, "cpu_usage": false, "load": true, "memory": false,
               "swap": false, "disk": false, "uptime": { "interval": "60s" },
               "throttled": false } }'
STARTED=$BASE_TOPIC/$NODE/pimqttd_started/state
BOOTED=$BASE_TOPIC/$NODE/system_uptime/state
LOAD=$BASE_TOPIC/$NODE/system_load_1m/state
YEAR_SECONDS=31536000

date_of() { echo "$1" | cut -c1-10; }
published_today() { [ "$(date_of "$(last_payload all "$1")")" = "$(date -u +%Y-%m-%d)" ]; }

case_main() {
  local now before_started before_booted loads at elapsed
  require_broker
  now=$(date +%s)
  date -s "@$((now - YEAR_SECONDS))" > /dev/null || fail "cannot set the guest's clock"
  subscribe all "$BASE_TOPIC/$NODE/#"
  start_pimqttd "$SENSORS"
  wait_until 100 has_message all "$STARTED" || fail "no $STARTED within 10 s"
  wait_until 100 has_message all "$BOOTED" || fail "no $BOOTED within 10 s"
  before_started=$(last_payload all "$STARTED")
  before_booted=$(last_payload all "$BOOTED")
  note "a year back: started $before_started, booted $before_booted"
  [ "$(date_of "$before_started")" = "$(date -u +%Y-%m-%d)" ] ||
    fail "started is $before_started, not the guest's (last year's) date"

  date -s "@$(( $(date +%s) + YEAR_SECONDS ))" > /dev/null || fail "cannot step the clock"
  note "clock stepped to $(date -u +%Y-%m-%dT%H:%M:%S)"
  loads=$(message_count all "$LOAD")
  at=$(uptime_centis)
  wait_until 50 published_today "$STARTED" ||
    fail "started still $(last_payload all "$STARTED") 5 s after the step"
  wait_until 50 published_today "$BOOTED" ||
    fail "boot time still $(last_payload all "$BOOTED") 5 s after the step"
  wait_until 50 grep -q "wall clock set: forward by" "$CASE_DIR/pimqttd.log" ||
    fail "pimqttd did not log the step: $(tail -n 5 "$CASE_DIR/pimqttd.log")"
  note "$(grep -o "wall clock set: .*" "$CASE_DIR/pimqttd.log" | head -n 1)"
  note "after the step: started $(last_payload all "$STARTED"), booted" \
    "$(last_payload all "$BOOTED")"

  # Three more load readings take about three seconds.
  wait_until 100 count_above all "$LOAD" $((loads + 2)) || fail "the 1 s sensor stalled"
  elapsed=$(( $(uptime_centis) - at ))
  note "3 readings of the 1 s sensor in ${elapsed}0 ms after the step"
  [ "$elapsed" -ge 150 ] || fail "3 readings of a 1 s sensor came in ${elapsed}0 ms: a burst"
  [ "$elapsed" -le 500 ] || fail "3 readings of a 1 s sensor took ${elapsed}0 ms"
  stop_pimqttd
}
