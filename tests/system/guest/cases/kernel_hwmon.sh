# kernel_hwmon: the kernel's own lm75 driver (hwmon) bound to an i2c-stub chip with new_device,
# read by pimqttd's `hwmon` sensor type through sysfs (/sys/class/hwmon/hwmonN/temp1_input), by
# `--once` and by a running daemon: a new temperature in the register reaches the broker within
# the interval. Then the device renumbering a module reload or a late overlay causes: the lm75
# goes and another hwmon device (a tmp75, same driver) takes its old hwmonN, which the daemon
# must not read as the lm75 (its entity goes offline); the lm75 comes back under a new hwmonN,
# which the daemon finds by name (online again, the new value).
#
# LM75 (datasheet, "temperature register"): a 16-bit two's complement register, high byte first,
# whose top 9 bits are the temperature in 0.5 degC. The driver (drivers/hwmon/lm75.c, 6.1 and
# 6.12 alike) reads it as a big-endian SMBus word and gives ((reg >> 7) * 1000) >> 1 millidegrees
# (its lm75 resolution is 9 bits; tmp75: 12 bits, ((reg >> 4) * 1000) >> 4):
#   0xF580: -2688 >> 7 = -21, -21 * 1000 >> 1 = -10500: -10.5 degC (sign extension exercised)
#   0x1900:   6400 >> 7 =  50:  25000: 25 degC
#   0x1A00:   6656 >> 7 =  52:  26000: 26 degC (the lm75 back)
#   tmp75 0x1980: 408 * 1000 >> 4 = 25500: 25.5 degC (never to be published)
# Its probe reads the configuration register (0x01, 0: not shut down, so the lm75 writes
# nothing; the tmp75 sets 12-bit mode); hysteresis 0x02 and overtemperature 0x03 hold the
# power-on 75 and 80 degC.
LM75=0x5c OTHER=0x5d
LM75_COLD=0xF580 LM75_COLD_MILLI=-10500 LM75_COLD_EXPECT=-10.5
LM75_WARM=0x1900 LM75_WARM_EXPECT=25
LM75_BACK=0x1A00 LM75_BACK_MILLI=26000 LM75_BACK_EXPECT=26
OTHER_TEMP=0x1980 OTHER_MILLI=25500 OTHER_VALUE=25.5

SENSORS='{ "type": "hwmon", "name": "Room", "device": "lm75", "interval": "1s",
  "channels": ["temp1"] }'
# For --once also the same device with its channels omitted: every channel it offers, found at
# config load (the lm75 has temp1).
ALL_CHANNELS='{ "type": "hwmon", "name": "All", "device": "lm75" }'
ENTITY=room_temp1
STATE=$BASE_TOPIC/$NODE/$ENTITY/state
AVAILABILITY=$BASE_TOPIC/$NODE/$ENTITY/availability

lm75_fill() {
  stub_set_be16 "$1" 0x00 "$2"
  stub_set_be16 "$1" 0x01 0x0000
  stub_set_be16 "$1" 0x02 0x4B00
  stub_set_be16 "$1" 0x03 0x5000
}

# hwmon_of ADDRESS: the hwmonN directory the driver made for the chip at ADDRESS.
hwmon_of() {
  local dir
  for dir in /sys/bus/i2c/devices/$(i2c_name "$1")/hwmon/hwmon*; do
    [ -d "$dir" ] && { echo "/sys/class/hwmon/${dir##*/}"; return 0; }
  done
  fail "the lm75 device at $1 has no hwmon directory"
}

# lm75_count: how many hwmon devices are named lm75 (pimqttd finds its device by that name).
lm75_count() { cat /sys/class/hwmon/hwmon*/name 2>/dev/null | grep -cx lm75; }

# published_other: the other device's value reached the lm75's state topic.
published_other() { payloads room "$STATE" | grep -qx "$OTHER_VALUE"; }
offline_or_other() { last_payload_is room "$AVAILABILITY" offline || published_other; }

cycle_times() {
  sed -n 's/.* room: read attempt [0-9]* of the cycle took \([0-9]*\) .*/\1/p' \
    "$CASE_DIR/pimqttd.log"
}

case_main() {
  local hwmon other back pid
  # The chips' registers change while the kernel's driver holds them: i2cset -f.
  STUB_FORCE=-f
  require_broker
  i2c_stub_up $LM75 $OTHER
  kernel_clear $LM75 $OTHER
  lm75_fill $LM75 $LM75_COLD
  modprobe lm75 || fail "modprobe lm75 failed"
  # Loading it probed 0x48..0x4f on the stub (an hwmon-class adapter). No chip of this test
  # passes its detection (limits not both zero, registers 4..7 repeating them, the same every
  # 40 registers), but one that did would be bound now: let it go, so that the only lm75 is the
  # case's and i2c-dev may open that address again.
  for dev in /sys/bus/i2c/drivers/lm75/[0-9]*-00*; do
    [ -e "$dev" ] || continue
    note "unbinding ${dev##*/}, which lm75 detected on its own"
    echo "${dev##*/}" > /sys/bus/i2c/drivers/lm75/unbind
  done
  kernel_bind lm75 $LM75
  hwmon=$(hwmon_of $LM75)
  sysfs_is "$hwmon/name" lm75
  sysfs_is "$hwmon/temp1_input" $LM75_COLD_MILLI
  [ "$(lm75_count)" -eq 1 ] || fail "$(lm75_count) hwmon devices are named lm75, expected one"
  note "lm75 at $LM75 is ${hwmon##*/}: temp1_input $LM75_COLD_MILLI"
  # How long a read takes (one SMBus word transaction on the stub), against a file of the same
  # device that touches no chip.
  note "TIMING lm75 temp1_input: $(read_micros "$hwmon/temp1_input" 200) us per read," \
    "name: $(read_micros "$hwmon/name" 200) us (means of 200)"

  once "$SENSORS, $ALL_CHANNELS"
  [ "$(json_value "$CASE_DIR/once.json" all_temp1)" = "$LM75_COLD_EXPECT" ] ||
    fail "--once printed all_temp1 (channels found at load) =" \
      "'$(json_value "$CASE_DIR/once.json" all_temp1)', expected $LM75_COLD_EXPECT"
  [ "$(json_value "$CASE_DIR/once.json" $ENTITY)" = "$LM75_COLD_EXPECT" ] ||
    fail "--once printed $ENTITY = '$(json_value "$CASE_DIR/once.json" $ENTITY)'," \
      "expected $LM75_COLD_EXPECT"
  [ "$(json_value "$CASE_DIR/once.json" ${ENTITY}_unit)" = '"°C"' ] ||
    fail "--once printed ${ENTITY}_unit = $(json_value "$CASE_DIR/once.json" ${ENTITY}_unit)"
  note "--once: $ENTITY = $LM75_COLD_EXPECT °C"

  subscribe room "$STATE" "$AVAILABILITY"
  start_pimqttd "$SENSORS"
  pid=$PIMQTTD_PID
  wait_until 50 last_payload_is room "$STATE" "$LM75_COLD_EXPECT" ||
    fail "no state $LM75_COLD_EXPECT on $STATE within 5 s (got '$(last_payload room "$STATE")')"
  wait_until 20 last_payload_is room "$AVAILABILITY" online ||
    fail "$AVAILABILITY is '$(last_payload room "$AVAILABILITY")', not online"
  note "daemon: $STATE = $LM75_COLD_EXPECT, online"

  # A new temperature in the chip: the next read (interval 1 s) publishes it.
  stub_set_be16 $LM75 0x00 $LM75_WARM
  wait_until 50 last_payload_is room "$STATE" "$LM75_WARM_EXPECT" ||
    fail "the new temperature $LM75_WARM_EXPECT did not reach $STATE within 5 s" \
      "(got '$(last_payload room "$STATE")')"
  note "register 0x00 = $LM75_WARM: $STATE = $LM75_WARM_EXPECT"
  # What the daemon itself measured, when its log says (debug level): one cycle's reads (every
  # channel, on its worker thread), in microseconds, the first one finding the device.
  note "TIMING pimqttd's read cycles of $(cycle_times | wc -w) (us): $(cycle_times | tr '\n' ' ')"

  # The lm75 goes; a tmp75 (another name, the same driver) comes and takes the lowest free
  # number, the lm75's. Reading that directory again would publish the tmp75's temperature.
  lm75_fill $OTHER $OTHER_TEMP
  # The daemon stopped meanwhile (SIGSTOP), so that its next read comes after the swap, not in
  # a moment between with no device at all.
  kill -STOP "$pid"
  kernel_unbind $LM75
  kernel_bind tmp75 $OTHER
  kill -CONT "$pid"
  other=$(hwmon_of $OTHER)
  sysfs_is "$other/name" tmp75
  sysfs_is "$other/temp1_input" $OTHER_MILLI
  # (The kernel hands out the lowest free number: the lm75's, freed just before.)
  [ "$other" = "$hwmon" ] ||
    fail "the tmp75 got ${other##*/}, not the lm75's freed ${hwmon##*/}: the case needs reuse"
  note "lm75 deleted; the tmp75 at $OTHER took its ${other##*/}"
  [ "$(lm75_count)" -eq 0 ] || fail "an lm75 is left after delete_device"
  # Either it goes offline, or it reads the tmp75 (the fault this step looks for).
  wait_until 50 offline_or_other ||
    fail "$AVAILABILITY did not go offline within 5 s of the lm75's removal (it is" \
      "'$(last_payload room "$AVAILABILITY")'," \
      "the last state '$(last_payload room "$STATE")')"
  ! published_other ||
    fail "pimqttd published the tmp75's $OTHER_VALUE as $ENTITY: it read ${other##*/} (the" \
      "lm75's number before) without checking the device is still the lm75"
  note "lm75 gone: $AVAILABILITY offline, the tmp75 at ${other##*/} not read"

  # The lm75 comes back, under a new number (the tmp75 keeps the old one).
  lm75_fill $LM75 $LM75_BACK
  kernel_bind lm75 $LM75
  back=$(hwmon_of $LM75)
  [ "$back" != "$hwmon" ] || fail "the lm75 came back under the same ${hwmon##*/}"
  sysfs_is "$back/temp1_input" $LM75_BACK_MILLI
  wait_until 100 last_payload_is room "$STATE" "$LM75_BACK_EXPECT" ||
    fail "the lm75 back at ${back##*/}: no $LM75_BACK_EXPECT on $STATE within 10 s" \
      "(got '$(last_payload room "$STATE")')"
  wait_until 20 last_payload_is room "$AVAILABILITY" online ||
    fail "$AVAILABILITY is '$(last_payload room "$AVAILABILITY")' with the lm75 back, not online"
  alive "$pid" || fail "pimqttd (pid $pid) did not stay up"
  note "lm75 back as ${back##*/}: $STATE = $LM75_BACK_EXPECT, availability" \
    "$(payloads room "$AVAILABILITY" | tr '\n' ' ')"
  stop_pimqttd

  # Leave the stub as the other cases expect it: no kernel driver on any chip.
  kernel_unbind $LM75
  kernel_unbind $OTHER
  rmmod lm75 || fail "rmmod lm75 failed"
}
