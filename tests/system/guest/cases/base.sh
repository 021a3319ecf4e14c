# base: the broker runs in the guest, pimqttd connects to it, announces the device (retained
# discovery on homeassistant/device/<node>/config), publishes a `system` sensor's state and
# its availability, says "offline" when stopped; `pimqttd --once` prints the readings as JSON.

# The case's configuration (only metrics a bare VM has).
SENSORS='{ "type": "system", "name": "System", "interval": "1s",
  "metrics": { "cpu_temperature": false, "cpu_usage": false, "load": true, "memory": true,
               "swap": false, "disk": false, "uptime": false, "throttled": false } }'
MEMORY_ENTITY=system_memory_used
MEMORY_STATE=$BASE_TOPIC/$NODE/$MEMORY_ENTITY/state

case_main() {
  local value discovery availability
  require_broker
  subscribe all "$DISCOVERY_TOPIC" "$BASE_TOPIC/$NODE/#"
  start_pimqttd "$SENSORS"

  wait_until 100 has_message all "$DISCOVERY_TOPIC" ||
    fail "no discovery message on $DISCOVERY_TOPIC within 10 s"
  wait_until 100 has_message all "$MEMORY_STATE" || fail "no state on $MEMORY_STATE within 10 s"
  value=$(last_payload all "$MEMORY_STATE")
  is_number "$value" && near "$value" 50 50 || fail "$MEMORY_STATE is '$value', not a percent"
  note "$MEMORY_STATE = $value"

  # Discovery is retained: a subscriber that comes later still gets it.
  discovery=$(retained "$DISCOVERY_TOPIC" | tr -d ' \n')
  [ -n "$discovery" ] || fail "the discovery message is not retained"
  case "$discovery" in
    *"\"state_topic\":\"$MEMORY_STATE\""*) ;;
    *) fail "discovery does not announce $MEMORY_STATE: $(echo "$discovery" | cut -c1-300)" ;;
  esac
  case "$discovery" in
    *"\"unique_id\":\"${NODE}_$MEMORY_ENTITY\""*) ;;
    *) fail "discovery lacks unique_id ${NODE}_$MEMORY_ENTITY" ;;
  esac
  note "retained discovery: ${#discovery} bytes"
  availability=$BASE_TOPIC/$NODE/$MEMORY_ENTITY/availability
  retained_is "$availability" online ||
    fail "$availability is '$(retained "$availability")', not online"

  stop_pimqttd
  retained_is "$STATUS_TOPIC" offline ||
    fail "after SIGTERM the status is '$(retained "$STATUS_TOPIC")', not offline"

  once "$SENSORS"
  value=$(json_value "$CASE_DIR/once.json" "$MEMORY_ENTITY")
  is_number "$value" && near "$value" 50 50 ||
    fail "pimqttd --once printed $MEMORY_ENTITY as '$value'"
  [ "$(json_value "$CASE_DIR/once.json" "${MEMORY_ENTITY}_unit")" = '"%"' ] ||
    fail "pimqttd --once gave no unit % for $MEMORY_ENTITY"
  note "pimqttd --once: $(tr -d '\n ' < "$CASE_DIR/once.json")"
}
