# i2c_recovery: a BMP280 on i2c-stub that fails and comes back while the daemon runs. Its
# entities' availability goes offline (retained), stays offline while the retried setup finds
# the wrong chip, and comes back online with a new state once the chip is right again, all
# without restarting pimqttd.
#
# The driver checks the chip id only in its setup, which runs at start and again after a
# failure; a failure it sees while measuring comes first: the status register's "measuring" bit
# (0x08 at 0xF3), which the stub keeps set until the case clears it. While the sensor is
# failing, the chip id says BME280 (0x60), so the retried setup fails in its own way. Retries
# come 1 s after the first failure, then 2 s, 4 s...: the case restores the chip as soon as it
# has seen each step, so the whole case takes a few seconds.

ADDRESS=0x77
# The case's configuration; BUS is the stub's bus number, found at run time.
sensors() {
  printf '{ "type": "bmp280", "name": "Attic", "bus": %s, "address": "%s", "interval": "1s" }' \
    "$1" "$ADDRESS"
}
STATE=$BASE_TOPIC/$NODE/attic_temperature/state
AVAILABILITY=$BASE_TOPIC/$NODE/attic_temperature/availability
PRESSURE_AVAILABILITY=$BASE_TOPIC/$NODE/attic_pressure/availability

logged() { grep -q "$1" "$CASE_DIR/pimqttd.log"; }

case_main() {
  local pid before
  require_broker
  i2c_stub_up $ADDRESS
  BUS=$STUB_BUS
  bmp280_fill $ADDRESS 0x58
  subscribe attic "$STATE" "$AVAILABILITY" "$PRESSURE_AVAILABILITY"
  start_pimqttd "$(sensors "$BUS")"
  pid=$PIMQTTD_PID

  wait_until 50 last_payload_is attic "$STATE" "$BMP280_EXAMPLE_TEMPERATURE" ||
    fail "no state $BMP280_EXAMPLE_TEMPERATURE on $STATE within 5 s" \
      "(got '$(last_payload attic "$STATE")')"
  wait_until 20 last_payload_is attic "$AVAILABILITY" online ||
    fail "$AVAILABILITY is '$(last_payload attic "$AVAILABILITY")', not online"

  # The chip stays busy: the next cycle (1 s) fails.
  stub_set $ADDRESS 0xF3 0x08
  wait_until 50 last_payload_is attic "$AVAILABILITY" offline ||
    fail "a chip that stays busy did not make $AVAILABILITY offline within 5 s"
  retained_is "$AVAILABILITY" offline ||
    fail "the retained availability is '$(retained "$AVAILABILITY")', not offline"
  retained_is "$PRESSURE_AVAILABILITY" offline ||
    fail "the pressure's retained availability is '$(retained "$PRESSURE_AVAILABILITY")'"
  logged 'still measuring' || fail "the log does not say why the sensor failed"
  note "busy chip: offline (retained), logged 'still measuring'"

  # While it is failing, the retried setup finds another chip (1 s after the first failure).
  stub_set $ADDRESS 0xD0 0x60
  wait_until 60 logged 'chip id 0x60, expected 0x58' ||
    fail "the retried setup did not report the wrong chip id within 6 s"
  last_payload_is attic "$AVAILABILITY" offline ||
    fail "$AVAILABILITY went '$(last_payload attic "$AVAILABILITY")' with the wrong chip"
  note "wrong chip id: still offline, logged"

  before=$(message_count attic "$STATE")
  stub_set $ADDRESS 0xD0 0x58
  stub_set $ADDRESS 0xF3 0x00
  # The next retry is 2 s after the second failure (4 s if the case was late for it).
  wait_until 80 last_payload_is attic "$AVAILABILITY" online ||
    fail "$AVAILABILITY did not come back online within 8 s of the chip's repair"
  wait_until 30 count_above attic "$STATE" "$before" ||
    fail "no state on $STATE within 3 s of coming back online"
  last_payload_is attic "$STATE" "$BMP280_EXAMPLE_TEMPERATURE" ||
    fail "the state after recovery is '$(last_payload attic "$STATE")'"
  retained_is "$AVAILABILITY" online ||
    fail "the retained availability is '$(retained "$AVAILABILITY")', not online"
  alive "$pid" || fail "pimqttd (pid $pid) did not stay up"
  logged 'answering again after' || fail "the log does not say the sensor answers again"
  note "repaired: online (retained), state $(last_payload attic "$STATE"), same pimqttd"
  note "availability: $(payloads attic "$AVAILABILITY" | tr '\n' ' ')"
  stop_pimqttd
}
