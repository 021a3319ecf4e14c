# gpio_output: a pump relay on a gpio-sim line. A command on the set topic makes pimqttd drive
# the line (gpio-sim shows the driven level in sim_gpio<n>/value) and publish the state it set.

LINE_NAME=pump
# The case's configuration.
SENSORS="{ \"type\": \"gpio_output\", \"name\": \"Pump\", \"chip\": \"$SIM_LABEL\",
  \"line\": \"$LINE_NAME\" }"
STATE=$BASE_TOPIC/$NODE/pump/state
SET=$BASE_TOPIC/$NODE/pump/set

# command PAYLOAD LEVEL: publishes PAYLOAD on the set topic, then the line must be at LEVEL and
# the state topic must say PAYLOAD.
command() {
  mosquitto_pub -h "$BROKER" -q 1 -t "$SET" -m "$1" || fail "cannot publish $1 to $SET"
  wait_until 50 sim_value_is "$LINE" "$2" ||
    fail "after $1 the line is at $(sim_value "$LINE"), not $2, within 5 s"
  wait_until 50 last_payload_is pump "$STATE" "$1" ||
    fail "after $1 the state is '$(last_payload pump "$STATE")' within 5 s"
  note "$1: line at $2, state $1"
}

case_main() {
  require_broker
  gpiosim_up
  sim_line "$LINE_NAME"
  sim_pull "$LINE" down
  subscribe pump "$STATE"
  start_pimqttd "$SENSORS"
  wait_until 100 has_message pump "$STATE" || fail "no initial state on $STATE within 10 s"
  last_payload_is pump "$STATE" OFF ||
    fail "the initial state is '$(last_payload pump "$STATE")', not OFF"
  sim_value_is "$LINE" 0 || fail "initially the line is at $(sim_value "$LINE"), not 0"
  command ON 1
  command OFF 0
  command ON 1
  stop_pimqttd
}
