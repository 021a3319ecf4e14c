# kernel_iio: the kernel's own bmp280 driver (IIO: bmp280 + bmp280-i2c over regmap, SMBus)
# bound to an i2c-stub chip with new_device, read by pimqttd's `iio` sensor type through sysfs
# (/sys/bus/iio/devices/iio:deviceN/in_temp_input, in_pressure_input), by `--once` and by a
# running daemon: a new raw temperature in the chip reaches the broker within the interval.
# Then the device renumbering a module reload or a late overlay causes: the bmp280 goes and
# another IIO device (a bme280, same driver) takes its old iio:deviceN, which the daemon must
# not read as the bmp280 (its entities go offline); the bmp280 comes back under a new
# iio:deviceN, which the daemon finds by name (online again, the new values).
#
# The chip holds the BMP280 datasheet's worked example (lib.sh, bmp280_fill): chip id 0x58,
# dig_T1..dig_P9, adc_T 519888, adc_P 415148. The driver (drivers/iio/pressure/bmp280-core.c)
# runs the datasheet's integer compensation, as pimqttd's own bmp280 driver does in the
# i2c_registers case: T = 2508 (0.01 degC), P = 25767233 (Q24.8 Pa). What sysfs shows:
#   in_temp_input: T * 10 millidegrees. 6.1 returns it as IIO_VAL_INT: "25080"; 6.12 as
#     IIO_VAL_FRACTIONAL 25080/1: "25080.000000000". pimqttd: 25.08 degC.
#   in_pressure_input: IIO_VAL_FRACTIONAL P / 256000 kPa, which the IIO core prints as
#     P * 10^9 / 256000 truncated, with 9 decimals: "100.653253906" (both kernels). pimqttd:
#     1006.53253906 hPa, published (and printed by --once) to its 2 decimals: 1006.53.
# The driver keeps the chip in normal mode (ctrl_meas 0xF4 written at probe) and reads the
# result registers (0xF7.., volatile in its regmap: never cached) on every read, so a new raw
# value in the stub shows at once. Further raw temperatures, through the same formulas (the
# pressure's t_fine changes with them; adc_P stays 415148):
#   adc_T 535000: T 2981, P 25953980: "29810", "101.382734375" -> 29.81 degC, 1013.83 hPa
#   adc_T 540000: T 3138, P 26015823: "31380", "101.624308593" -> 31.38 degC, 1016.24 hPa
#   adc_T 500000: T 1885: "18850" (the bme280's, never to be published)
# Temperatures must come exactly as written (a division of millidegrees by 1000 gives them);
# pressures, rounded to 0.01 hPa, to 1e-9 hPa.
BMP=0x75 OTHER=0x5d
TEMP_MILLI=25080 TEMP_EXPECT=25.08
PRESSURE_KPA=100.653253906 PRESSURE_EXPECT=1006.53
WARM_ADC_T=535000 WARM_TEMP_EXPECT=29.81 WARM_PRESSURE_EXPECT=1013.83
BACK_ADC_T=540000 BACK_TEMP_MILLI=31380 BACK_PRESSURE_KPA=101.624308593
BACK_TEMP_EXPECT=31.38 BACK_PRESSURE_EXPECT=1016.24
OTHER_ADC_T=500000 OTHER_TEMP_MILLI=18850 OTHER_VALUE=18.85

SENSORS='{ "type": "iio", "name": "Weather", "device": "bmp280", "interval": "1s",
  "channels": ["temp", "pressure"] }'
# For --once also the same device with its channels omitted: every channel it offers, found at
# config load (the bmp280 has temp and pressure).
ALL_CHANNELS='{ "type": "iio", "name": "All", "device": "bmp280" }'
TEMP_STATE=$BASE_TOPIC/$NODE/weather_temp/state
PRESSURE_STATE=$BASE_TOPIC/$NODE/weather_pressure/state
AVAILABILITY=$BASE_TOPIC/$NODE/weather_temp/availability

# set_adc_t ADDRESS VALUE: the 20-bit raw temperature (msb, lsb, xlsb bits 7..4 at 0xFA..0xFC).
set_adc_t() {
  stub_set "$1" 0xFA $(($2 >> 12)); stub_set "$1" 0xFB $(($2 >> 4)); stub_set "$1" 0xFC $(($2 << 4))
}

# iio_of ADDRESS: the iio:deviceN directory the driver made for the chip at ADDRESS.
iio_of() {
  local dir
  for dir in /sys/bus/i2c/devices/$(i2c_name "$1")/iio:device*; do
    [ -d "$dir" ] && { echo "/sys/bus/iio/devices/${dir##*/}"; return 0; }
  done
  fail "the bmp280 device at $1 has no iio:device directory"
}

# temp_is FILE MILLIDEGREES: the kernel's in_temp_input, as 6.1 ("25080") or 6.12
# ("25080.000000000") prints it.
temp_is() {
  local text
  text=$(cat "$1") || fail "cannot read $1"
  [ "$text" = "$2" ] || [ "$text" = "$2.000000000" ] ||
    fail "$1 reads '$text', expected $2 (or $2.000000000)"
}

# once_is KEY EXPECTED UNIT: the --once value of KEY is exactly EXPECTED, in UNIT.
# once_near KEY EXPECTED UNIT: the same to 1e-9.
once_unit() {
  [ "$(json_value "$CASE_DIR/once.json" "${1}_unit")" = "\"$2\"" ] ||
    fail "--once printed ${1}_unit = $(json_value "$CASE_DIR/once.json" "${1}_unit"), not \"$2\""
}
once_is() {
  [ "$(json_value "$CASE_DIR/once.json" "$1")" = "$2" ] ||
    fail "--once printed $1 = '$(json_value "$CASE_DIR/once.json" "$1")', expected $2"
  once_unit "$1" "$3"
}
once_near() {
  local value
  value=$(json_value "$CASE_DIR/once.json" "$1")
  is_number "$value" && near "$value" "$2" 0.000000001 ||
    fail "--once printed $1 = '$value', expected $2 (to 1e-9)"
  once_unit "$1" "$3"
}

# last_payload_near NAME TOPIC EXPECTED: the last payload on TOPIC is a number within 1e-9.
last_payload_near() {
  local value
  value=$(last_payload "$1" "$2")
  is_number "$value" && near "$value" "$3" 0.000000001
}

# states_are TEMPERATURE PRESSURE WITHIN WHY: both states arrive within WITHIN tenths of a second.
states_are() {
  wait_until "$3" last_payload_is weather "$TEMP_STATE" "$1" ||
    fail "$4: no $1 on $TEMP_STATE within $(($3 / 10)) s" \
      "(got '$(last_payload weather "$TEMP_STATE")')"
  wait_until "$3" last_payload_near weather "$PRESSURE_STATE" "$2" ||
    fail "$4: no $2 on $PRESSURE_STATE within $(($3 / 10)) s" \
      "(got '$(last_payload weather "$PRESSURE_STATE")')"
  note "$4: $TEMP_STATE = $1, $PRESSURE_STATE = $(last_payload weather "$PRESSURE_STATE")"
}

# published_other: the other device's value reached the bmp280's state topic.
published_other() { payloads weather "$TEMP_STATE" | grep -qx "$OTHER_VALUE"; }
offline_or_other() { last_payload_is weather "$AVAILABILITY" offline || published_other; }

cycle_times() {
  sed -n 's/.* weather: read attempt [0-9]* of the cycle took \([0-9]*\) .*/\1/p' \
    "$CASE_DIR/pimqttd.log"
}

case_main() {
  local iio other back pid
  # The chips' registers change while the kernel's driver holds them: i2cset -f.
  STUB_FORCE=-f
  require_broker
  i2c_stub_up $BMP $OTHER
  kernel_clear $BMP $OTHER
  bmp280_fill $BMP 0x58
  modprobe bmp280-i2c || fail "modprobe bmp280-i2c failed"
  kernel_bind bmp280 $BMP
  iio=$(iio_of $BMP)
  sysfs_is "$iio/name" bmp280
  temp_is "$iio/in_temp_input" $TEMP_MILLI
  sysfs_is "$iio/in_pressure_input" $PRESSURE_KPA
  note "bmp280 at $BMP is ${iio##*/} (kernel $(uname -r)): in_temp_input" \
    "$(cat "$iio/in_temp_input"), in_pressure_input $(cat "$iio/in_pressure_input")"
  # How long a read takes (temperature: one 3-byte I2C block read; pressure: two), against a
  # file of the same device that touches no chip.
  note "TIMING bmp280 in_temp_input: $(read_micros "$iio/in_temp_input" 100) us per read," \
    "in_pressure_input: $(read_micros "$iio/in_pressure_input" 100) us," \
    "name: $(read_micros "$iio/name" 100) us (means of 100)"

  once "$SENSORS, $ALL_CHANNELS"
  once_is weather_temp $TEMP_EXPECT "°C"
  once_near weather_pressure $PRESSURE_EXPECT hPa
  once_is all_temp $TEMP_EXPECT "°C"
  once_near all_pressure $PRESSURE_EXPECT hPa
  note "--once: weather_temp = $TEMP_EXPECT °C, weather_pressure =" \
    "$(json_value "$CASE_DIR/once.json" weather_pressure) hPa"

  subscribe weather "$TEMP_STATE" "$PRESSURE_STATE" "$AVAILABILITY"
  start_pimqttd "$SENSORS"
  pid=$PIMQTTD_PID
  states_are $TEMP_EXPECT $PRESSURE_EXPECT 50 "daemon"
  wait_until 20 last_payload_is weather "$AVAILABILITY" online ||
    fail "$AVAILABILITY is '$(last_payload weather "$AVAILABILITY")', not online"

  # A new raw temperature in the chip: the next read (interval 1 s) publishes both channels.
  set_adc_t $BMP $WARM_ADC_T
  states_are $WARM_TEMP_EXPECT $WARM_PRESSURE_EXPECT 50 "adc_T $WARM_ADC_T"
  # What the daemon itself measured, when its log says (debug level): one cycle's reads (every
  # channel, on its worker thread), in microseconds, the first one finding the device.
  note "TIMING pimqttd's read cycles of $(cycle_times | wc -w) (us): $(cycle_times | tr '\n' ' ')"

  # The bmp280 goes; a bme280 (another name, the same driver) comes and takes the lowest free
  # number, the bmp280's. Reading that directory again would publish the bme280's values.
  bmp280_fill $OTHER 0x60
  set_adc_t $OTHER $OTHER_ADC_T
  # The daemon stopped meanwhile (SIGSTOP), so that its next read comes after the swap, not in
  # a moment between with no device at all.
  kill -STOP "$pid"
  kernel_unbind $BMP
  kernel_bind bme280 $OTHER
  kill -CONT "$pid"
  other=$(iio_of $OTHER)
  sysfs_is "$other/name" bme280
  temp_is "$other/in_temp_input" $OTHER_TEMP_MILLI
  # (The kernel hands out the lowest free number: the bmp280's, freed just before.)
  [ "$other" = "$iio" ] ||
    fail "the bme280 got ${other##*/}, not the bmp280's freed ${iio##*/}: the case needs reuse"
  note "bmp280 deleted; the bme280 at $OTHER took its ${other##*/}"
  # Either it goes offline, or it reads the bme280 (the fault this step looks for).
  wait_until 50 offline_or_other ||
    fail "$AVAILABILITY did not go offline within 5 s of the bmp280's removal (it is" \
      "'$(last_payload weather "$AVAILABILITY")'," \
      "the last state '$(last_payload weather "$TEMP_STATE")')"
  ! published_other ||
    fail "pimqttd published the bme280's $OTHER_VALUE as weather_temp: it read ${other##*/} (the" \
      "bmp280's number before) without checking the device is still the bmp280"
  note "bmp280 gone: $AVAILABILITY offline, the bme280 at ${other##*/} not read"

  # The bmp280 comes back, under a new number (the bme280 keeps the old one).
  set_adc_t $BMP $BACK_ADC_T
  kernel_bind bmp280 $BMP
  back=$(iio_of $BMP)
  [ "$back" != "$iio" ] || fail "the bmp280 came back under the same ${iio##*/}"
  temp_is "$back/in_temp_input" $BACK_TEMP_MILLI
  sysfs_is "$back/in_pressure_input" $BACK_PRESSURE_KPA
  states_are $BACK_TEMP_EXPECT $BACK_PRESSURE_EXPECT 100 "bmp280 back as ${back##*/}"
  wait_until 20 last_payload_is weather "$AVAILABILITY" online ||
    fail "$AVAILABILITY is '$(last_payload weather "$AVAILABILITY")' with the bmp280 back"
  alive "$pid" || fail "pimqttd (pid $pid) did not stay up"
  note "availability: $(payloads weather "$AVAILABILITY" | tr '\n' ' ')"
  stop_pimqttd

  # Leave the stub as the other cases expect it: no kernel driver on any chip.
  kernel_unbind $BMP
  kernel_unbind $OTHER
  rmmod bmp280_i2c bmp280 || fail "rmmod bmp280_i2c bmp280 failed"
}
