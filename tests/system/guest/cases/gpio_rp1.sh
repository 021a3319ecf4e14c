# gpio_rp1: the Raspberry Pi 5's header lines sit on the RP1 chip (label "pinctrl-rp1"), which
# some kernels number gpiochip4 and others gpiochip0. A configuration that names its lines
# ("GPIO17") or the chip by its label must work under either numbering. A gpio-sim chip labelled
# like the RP1, with the RP1's line names, is created twice, under two different chip numbers
# (the second time after another chip took its number); the same configuration reads an input
# found by line name alone and drives an output found by chip label and line name both times.

RP1_LABEL=pinctrl-rp1
RP1_LINES=28   # GPIO0 to GPIO27, the header's lines
INPUT_OFFSET=17
OUTPUT_OFFSET=27
# The case's configuration.
SENSORS="{ \"type\": \"gpio_input\", \"name\": \"Button\", \"line\": \"GPIO$INPUT_OFFSET\",
  \"debounce\": \"10ms\" },
  { \"type\": \"gpio_output\", \"name\": \"Lamp\", \"chip\": \"$RP1_LABEL\",
  \"line\": \"GPIO$OUTPUT_OFFSET\" }"
BUTTON=$BASE_TOPIC/$NODE/button/state
LAMP=$BASE_TOPIC/$NODE/lamp/state
LAMP_SET=$BASE_TOPIC/$NODE/lamp/set
CFG=/sys/kernel/config/gpio-sim

# sim_chip NAME LABEL LINES [NAMED]: a live gpio-sim chip in configfs NAME; with NAMED its lines
# are called GPIO0, GPIO1, ... Sets CHIP_NAME (gpiochipN) and CHIP_DIR (its sysfs directory).
sim_chip() {
  local dir=$CFG/$1 offset=0
  mkdir "$dir" "$dir/bank0" || fail "cannot create the gpio-sim chip $1"
  echo "$3" > "$dir/bank0/num_lines"
  echo "$2" > "$dir/bank0/label"
  while [ -n "${4:-}" ] && [ $offset -lt "$3" ]; do
    mkdir "$dir/bank0/line$offset"
    echo "GPIO$offset" > "$dir/bank0/line$offset/name"
    offset=$((offset + 1))
  done
  echo 1 > "$dir/live" || fail "gpio-sim refused to make $1 live"
  CHIP_NAME=$(cat "$dir/bank0/chip_name")
  CHIP_DIR=/sys/devices/platform/$(cat "$dir/dev_name")/$CHIP_NAME
}

sim_chip_down() {
  local dir=$CFG/$1 line
  echo 0 > "$dir/live"
  for line in "$dir"/bank0/line*; do [ -d "$line" ] && rmdir "$line"; done
  rmdir "$dir/bank0" "$dir"
}

# round N: the daemon on the RP1-like chip as it is numbered now.
round() {
  local pull="$CHIP_DIR/sim_gpio$INPUT_OFFSET/pull"
  echo pull-down > "$pull"
  # Each round ends with the button ON and the lamp ON: OFF from each comes from this round.
  start_pimqttd "$SENSORS"
  wait_until 100 last_payload_is rp1 "$BUTTON" OFF ||
    fail "round $1 ($CHIP_NAME): no OFF from GPIO$INPUT_OFFSET (got '$(last_payload rp1 "$BUTTON")')"
  echo pull-up > "$pull"
  wait_until 50 last_payload_is rp1 "$BUTTON" ON ||
    fail "round $1 ($CHIP_NAME): pulling GPIO$INPUT_OFFSET up gave no ON"
  wait_until 50 last_payload_is rp1 "$LAMP" OFF ||
    fail "round $1 ($CHIP_NAME): the lamp's initial state OFF did not come"
  mosquitto_pub -h "$BROKER" -t "$LAMP_SET" -m ON
  wait_until 50 last_payload_is rp1 "$LAMP" ON ||
    fail "round $1 ($CHIP_NAME): the lamp did not report ON after the command"
  [ "$(cat "$CHIP_DIR/sim_gpio$OUTPUT_OFFSET/value")" = 1 ] ||
    fail "round $1 ($CHIP_NAME): GPIO$OUTPUT_OFFSET is not driven high after ON"
  stop_pimqttd
  note "round $1: $RP1_LABEL as $CHIP_NAME: GPIO$INPUT_OFFSET read, GPIO$OUTPUT_OFFSET driven"
}

case_main() {
  local first
  require_broker
  gpiosim_up   # whatever other chips the other cases use are there too
  subscribe rp1 "$BUTTON" "$LAMP"
  sim_chip rp1 "$RP1_LABEL" $RP1_LINES named
  first=$CHIP_NAME
  round 1
  # Renumber: another chip takes the RP1's number, the RP1 comes back under the next one.
  sim_chip_down rp1
  sim_chip other pimqttd-other 4
  sim_chip rp1 "$RP1_LABEL" $RP1_LINES named
  [ "$CHIP_NAME" != "$first" ] || fail "the RP1-like chip kept its number $first"
  round 2
  sim_chip_down rp1
  sim_chip_down other
}
