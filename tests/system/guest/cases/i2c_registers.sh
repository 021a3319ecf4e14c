# i2c_registers: the register-based I2C drivers on the kernel's i2c-stub, one chip of each kind
# at its own address, read together by one `pimqttd --once` through the real i2c-dev. The stub
# is a plain register map (one 16-bit word per register): what a driver writes stays, nothing
# converts, so each chip is filled with readings whose results the datasheets' formulas give
# exactly, and every printed value is compared to within 1e-9 (far below any chip's step), as
# --once prints it: rounded to its entity's precision.
#
# What the stub cannot do, and so what is not tested here: the INA219 driver resets a chip whose
# configuration register is not the power-on value 0x399F (the stub would keep the reset bit
# and fail the check that follows), so the register holds 0x399F; the ADS1115 channels all read
# the one conversion register, which the stub does not change between conversions.

BMP=0x77 MCP=0x18 MCP_COLD=0x19 ADC=0x48 INA=0x40
# The case's configuration; BUS is the stub's bus number, found at run time.
sensors() {
  cat <<EOF
{ "type": "bmp280", "name": "Barometer", "bus": $1, "address": "$BMP" },
{ "type": "mcp9808", "name": "Fridge", "bus": $1, "address": "$MCP" },
{ "type": "mcp9808", "name": "Freezer", "bus": $1, "address": "$MCP_COLD" },
{ "type": "ads1115", "name": "ADC", "bus": $1, "address": "$ADC", "channels": [
  { "name": "Probe", "input": "A0-A1", "gain": 4.096, "multiplier": 2 },
  { "name": "Sense", "input": "A2-A3", "gain": 0.256 } ] },
{ "type": "ina219", "name": "Supply", "bus": $1, "address": "$INA", "shunt_ohms": 0.1,
  "max_current": 1.6384 }
EOF
}

# BMP280 at 0x77: the datasheet's worked example (lib.sh, bmp280_fill): 25.08 degC and
# 25767233 / 256 Pa = 1006.5325390625 hPa from the integer formulas, printed to its 2 decimals.
BMP_PRESSURE_EXPECT=1006.53
#
# MCP9808 (datasheet, "ambient temperature register"): bits 15..13 are alert flags, bit 12 the
# sign, bits 11..0 the temperature in 1/16 degC (two's complement with the sign bit).
#   Fridge 0xC191: flags Ta >= Tcrit and Ta > Tupper set (to be ignored), 0x191 = 401/16
#     = 25.0625 degC, printed to its 2 decimals.
#   Freezer 0x1F58: negative, 0xF58 - 4096 = -168, -168/16 = -10.5 degC (the datasheet's way:
#     256 - (0x0F * 16 + 0x58 / 16) = 10.5 below zero). Its CONFIG holds the shutdown bit
#     (0x0100), which the driver must clear (0x0000) before reading.
MCP_TA=0xC191 MCP_EXPECT=25.06
MCP_COLD_TA=0x1F58 MCP_COLD_EXPECT=-10.5
#
# ADS1115 (datasheet, "conversion register" and "config register"): a 16-bit two's complement
# count of full-scale / 32768. The count 0xE000 = -8192 = -1/4 of full scale:
#   Probe, A0-A1 at +-4.096 V: -1.024 V, times the multiplier 2 = -2.048.
#   Sense, A2-A3 at +-0.256 V: -0.064 V.
# The driver checks the power-on config register (0x8583; its low 9 bits MODE, DR and the
# comparator, 0x0183, must match) and thresholds (Lo 0x8000, Hi 0x7FFF). After the second
# conversion the config register holds what the driver wrote for Sense: OS 0x8000 | MUX A2-A3
# (011) << 12 | PGA 0.256 V (101) << 9 | MODE single-shot 0x0100 | DR 128 SPS (100) << 5
# | comparator off 0x0003 = 0xBB83. The stub keeps OS set, which reads as "conversion done".
ADC_COUNT=0xE000 ADC_PROBE_EXPECT=-2.048 ADC_SENSE_EXPECT=-0.064 ADC_LAST_CONFIG=0xbb83
#
# INA219 (datasheet, "programming the calibration register"): with a 0.1 ohm shunt and a
# maximum current of 1.6384 A, Current_LSB = 1.6384 / 32768 = 50 uA and
# Cal = trunc(0.04096 / (Current_LSB * R_shunt)) = trunc(0.04096 / 5e-6) = 8192 = 0x2000, which
# the driver must write to register 0x05. Power_LSB = 20 * Current_LSB = 1 mW.
#   Bus voltage register: 3000 << 3 (LSB 4 mV: 12 V) | CNVR 0x0002 = 0x5DC2: 12 V.
#   Current register 0xD8F0 = -10000: -10000 * 50 uA = -0.5 A (flowing backwards).
#   Power register 6000 = 0x1770: 6 W (the datasheet's Current * Bus voltage / 5000 in register
#   units: 10000 * 3000 / 5000 = 6000; power has no sign).
INA_BUS=0x5DC2 INA_CURRENT=0xD8F0 INA_POWER=0x1770 INA_CAL=0x2000
INA_BUS_EXPECT=12 INA_CURRENT_EXPECT=-0.5 INA_POWER_EXPECT=6

fill_chips() {
  bmp280_fill $BMP 0x58

  # Manufacturer id 0x0054 (register 0x06), device id 0x04 revision 0x00 (register 0x07).
  for a in $MCP $MCP_COLD; do
    stub_set_be16 $a 0x06 0x0054
    stub_set_be16 $a 0x07 0x0400
    stub_set_be16 $a 0x01 0x0000
  done
  stub_set_be16 $MCP 0x05 $MCP_TA
  stub_set_be16 $MCP_COLD 0x05 $MCP_COLD_TA
  stub_set_be16 $MCP_COLD 0x01 0x0100

  stub_set_be16 $ADC 0x00 $ADC_COUNT
  stub_set_be16 $ADC 0x01 0x8583
  stub_set_be16 $ADC 0x02 0x8000
  stub_set_be16 $ADC 0x03 0x7FFF

  stub_set_be16 $INA 0x00 0x399F
  stub_set_be16 $INA 0x01 0x0000  # shunt voltage: not read
  stub_set_be16 $INA 0x02 $INA_BUS
  stub_set_be16 $INA 0x03 $INA_POWER
  stub_set_be16 $INA 0x04 $INA_CURRENT
  stub_set_be16 $INA 0x05 0x0000
}

# expect KEY EXPECTED [UNIT]: the --once value of entity KEY is EXPECTED (to 1e-9), in UNIT.
expect() {
  local value unit
  value=$(json_value "$CASE_DIR/once.json" "$1")
  is_number "$value" || fail "$1 is '$value', not a number"
  near "$value" "$2" 0.000000001 || fail "$1 is $value, expected $2"
  if [ -n "${3:-}" ]; then
    unit=$(json_value "$CASE_DIR/once.json" "${1}_unit")
    [ "$unit" = "\"$3\"" ] || fail "${1}_unit is $unit, expected \"$3\""
  fi
  note "$1 = $value ${3:-}"
}

# register_is ADDRESS REG EXPECTED WHY: a big-endian register holds EXPECTED after the run.
register_is() {
  local value
  value=$(stub_get_be16 "$1" "$2")
  [ "$value" = "$3" ] || fail "register $2 of the chip at $1 is $value, expected $3: $4"
}

case_main() {
  i2c_stub_up $BMP $MCP $MCP_COLD $ADC $INA
  BUS=$STUB_BUS
  note "i2c-stub is bus $BUS"
  fill_chips
  # The stub must give back what the drivers will read: the byte order of a word included.
  [ "$("$I2CGET" -y "$BUS" $BMP 0xD0 b)" = 0x58 ] || fail "the stub does not read back the chip id"
  [ "$("$I2CGET" -y "$BUS" $MCP 0x06 w)" = 0x5400 ] ||
    fail "the stub does not send the manufacturer id 0x0054 high byte first"

  once "$(sensors "$BUS")"
  expect barometer_temperature $BMP280_EXAMPLE_TEMPERATURE "°C"
  expect barometer_pressure $BMP_PRESSURE_EXPECT hPa
  expect fridge_temperature $MCP_EXPECT "°C"
  expect freezer_temperature $MCP_COLD_EXPECT "°C"
  register_is $MCP_COLD 0x01 0x0000 "the driver did not wake the MCP9808 from shutdown"
  expect adc_probe $ADC_PROBE_EXPECT V
  expect adc_sense $ADC_SENSE_EXPECT V
  register_is $ADC 0x01 $ADC_LAST_CONFIG "not the config word for the last channel"
  expect supply_bus_voltage $INA_BUS_EXPECT V
  expect supply_current $INA_CURRENT_EXPECT A
  expect supply_power $INA_POWER_EXPECT W
  register_is $INA 0x05 $INA_CAL "not the datasheet's calibration value"
  register_is $INA 0x00 0x399f "the driver changed the configuration"
}
