# Helpers for the guest's test cases (busybox sh). Sourced by run-case after settings.
#
# A case is a file cases/<name>.sh defining case_main. It reports a failure with `fail WHY`,
# which ends the case; returning from case_main means it passed. Every wait here is bounded:
# `wait_until TENTHS CMD...` polls CMD every tenth of a second and gives up after TENTHS polls.
# Background processes a case starts are listed in $CASE_DIR/pids; run-all kills what is left.

NODE=vmnode
BASE_TOPIC=pimqttd
DISCOVERY_TOPIC=homeassistant/device/$NODE/config
STATUS_TOPIC=$BASE_TOPIC/$NODE/status
BROKER=127.0.0.1
PIMQTTD=/usr/bin/pimqttd
# Debian's static busybox runs its own applets before anything on PATH, and its i2cset and
# i2cget read numbers differently (always hex): call i2c-tools by full path.
I2CSET=/usr/sbin/i2cset
I2CGET=/usr/sbin/i2cget

note() { echo "  [$CASE] $*"; }

# Ends the case as failed: prints what the case left behind (logs, messages) to help whoever
# reads the console, then exits run-case.
fail() {
  printf '%s\n' "$*" > "$CASE_DIR/why"
  echo "  [$CASE] FAILED: $*"
  for f in "$CASE_DIR"/*.log "$CASE_DIR"/*.msgs "$CASE_DIR"/once.json; do
    [ -s "$f" ] || continue
    echo "  ---- $f (last 40 lines)"
    tail -n 40 "$f" | sed 's/^/  | /'
  done
  echo "  ---- kernel log (last 15 lines)"
  dmesg | tail -n 15 | sed 's/^/  | /'
  exit 1
}

# wait_until TENTHS CMD [ARGS...]: true as soon as CMD succeeds, false after TENTHS polls.
wait_until() {
  local polls="$1"
  shift
  while :; do
    "$@" && return 0
    [ "$polls" -gt 0 ] || return 1
    polls=$((polls - 1))
    sleep 0.1
  done
}

# Hundredths of a second since boot, for measuring short intervals in shell arithmetic.
uptime_centis() {
  local up rest
  read -r up rest < /proc/uptime
  echo $(( ${up%.*} * 100 + 1${up#*.} - 100 ))
}

track() { echo "$1" >> "$CASE_DIR/pids"; }

# alive PID: the process exists and is not a zombie. exited PID: the opposite.
alive() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  set -- $stat
  [ "$3" != Z ]
}
exited() { ! alive "$1"; }

# is_number TEXT: a JSON number (optionally signed, decimal, exponent).
is_number() {
  printf '%s' "$1" | grep -Eq '^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$'
}

# decimal NUMERATOR DENOMINATOR DIGITS: the non-negative quotient with DIGITS decimals (truncated).
decimal() {
  local scale=1 i=0 q frac
  while [ $i -lt "$3" ]; do scale=$((scale * 10)); i=$((i + 1)); done
  q=$(( $1 * scale / $2 ))
  frac=$(( q % scale + scale ))
  echo "$(( q / scale )).${frac#1}"
}

# near VALUE EXPECTED TOLERANCE: |VALUE - EXPECTED| <= TOLERANCE (awk only compares).
near() {
  awk -v v="$1" -v e="$2" -v t="$3" 'BEGIN { d = v - e; if (d < 0) d = -d; exit !(d <= t) }'
}

# ---- the broker (one for the whole run, started by run-all)

broker_up() {
  mosquitto_pub -h "$BROKER" -t pimqttd-test/ping -m ping -q 1 2>/dev/null
}

start_broker() {
  mosquitto -c /etc/mosquitto/pimqttd-test.conf > /tmp/mosquitto.log 2>&1 &
  echo $! > /tmp/mosquitto.pid
  wait_until 100 broker_up
}

require_broker() {
  broker_up || fail "the broker on $BROKER:1883 does not answer: $(tail -n 5 /tmp/mosquitto.log)"
}

# ---- subscribers: subscribe NAME TOPIC... records "topic payload" lines in $CASE_DIR/NAME.msgs

subscribe() {
  local name="$1" file="$CASE_DIR/$1.msgs" sync="pimqttd-test/sync/$CASE/$1" args="" topic
  shift
  for topic in "$@" "$sync"; do args="$args -t $topic"; done
  mosquitto_sub -h "$BROKER" -v -q 1 $args > "$file" 2> "$CASE_DIR/$name-sub.log" &
  track $!
  # The subscription is live once a message published after it arrives.
  wait_until 50 synced "$sync" "$file" || fail "subscriber $name did not get its own sync message"
}

# synced TOPIC FILE: publishes "ready" on TOPIC, true once FILE shows it arrived.
synced() {
  mosquitto_pub -h "$BROKER" -t "$1" -m ready 2>/dev/null
  grep -q "^$1 ready" "$2"
}

# payloads NAME TOPIC: every payload received on TOPIC, one per line, in order.
payloads() { grep "^$2 " "$CASE_DIR/$1.msgs" | cut -d' ' -f2-; }
message_count() { grep -c "^$2 " "$CASE_DIR/$1.msgs"; }
count_above() { [ "$(message_count "$1" "$2")" -gt "$3" ]; }
last_payload() { payloads "$1" "$2" | tail -n 1; }
has_message() { grep -q "^$2 " "$CASE_DIR/$1.msgs"; }
last_payload_is() { [ "$(last_payload "$1" "$2")" = "$3" ]; }

# retained TOPIC: the retained payload on TOPIC, empty when there is none.
retained() {
  mosquitto_sub -h "$BROKER" -t "$1" --retained-only -C 1 -W 2 2>/dev/null
}
retained_is() { [ "$(retained "$1")" = "$2" ]; }

# ---- pimqttd

# write_config FILE SENSORS: a complete configuration whose "sensors" array holds SENSORS (the
# JSON text of one or more comma-separated entries).
write_config() {
  cat > "$1" <<EOF
{
  "device": { "id": "$NODE", "name": "System test VM" },
  "mqtt": { "host": "$BROKER", "port": 1883, "keep_alive": "10s", "backoff_initial": "100ms",
            "backoff_max": "1s" },
  "homeassistant": { "reannounce_delay_max": "0s" },
  "logging": { "level": "debug" },
  "sensors": [ $2 ]
}
EOF
}

# check_config SENSORS: the configuration is valid, else the case fails with pimqttd's errors.
check_config() {
  write_config "$CASE_DIR/config.json" "$1"
  "$PIMQTTD" --config "$CASE_DIR/config.json" --check-config > "$CASE_DIR/check.log" 2>&1 ||
    fail "pimqttd --check-config rejects the case's config: $(cat "$CASE_DIR/check.log")"
}

# once SENSORS: runs `pimqttd --once`; its JSON goes to $CASE_DIR/once.json, its log to
# once.log. Fails the case when it exits non-zero.
once() {
  check_config "$1"
  mkdir -p "$CASE_DIR/state"
  timeout 30 "$PIMQTTD" --config "$CASE_DIR/config.json" --state-dir "$CASE_DIR/state" --once \
    > "$CASE_DIR/once.json" 2> "$CASE_DIR/once.log" ||
    fail "pimqttd --once exited with $?"
}

# json_value FILE KEY: the value of a top-level key in pimqttd's pretty-printed JSON (quotes
# kept for strings), empty when absent.
json_value() {
  sed -n "s/^  \"$2\": \(.*\)$/\1/p" "$1" | sed 's/,$//' | head -n 1
}

# json_key_ending FILE SUFFIX: the first top-level key ending in SUFFIX (units excluded).
json_key_ending() {
  sed -n 's/^  "\([^"]*\)": .*$/\1/p' "$1" | grep -v '_unit$' | grep "$2\$" | head -n 1
}

# start_pimqttd SENSORS: runs the daemon with a fresh state directory and waits until it has
# announced itself online (the retained status).
start_pimqttd() {
  check_config "$1"
  rm -rf "$CASE_DIR/state"
  mkdir -p "$CASE_DIR/state"
  : > "$CASE_DIR/pimqttd.log"
  run_pimqttd
}

# restart_pimqttd: runs the daemon again after stop_pimqttd, with the same configuration and
# the state directory it left behind (its log goes on in the same file).
restart_pimqttd() {
  echo "---- restarted" >> "$CASE_DIR/pimqttd.log"
  run_pimqttd
}

run_pimqttd() {
  "$PIMQTTD" --config "$CASE_DIR/config.json" --state-dir "$CASE_DIR/state" \
    >> "$CASE_DIR/pimqttd.log" 2>&1 &
  PIMQTTD_PID=$!
  track $PIMQTTD_PID
  wait_until 150 retained_is "$STATUS_TOPIC" online ||
    fail "pimqttd did not announce itself online within 15 s"
  alive $PIMQTTD_PID || fail "pimqttd exited after announcing itself"
}

# stop_pimqttd: SIGTERM, then it must exit 0 within 5 s.
stop_pimqttd() {
  local rc=0
  kill -TERM "$PIMQTTD_PID"
  if ! wait_until 50 exited "$PIMQTTD_PID"; then
    kill -KILL "$PIMQTTD_PID"
    fail "pimqttd did not stop within 5 s of SIGTERM"
  fi
  wait "$PIMQTTD_PID" || rc=$?
  [ "$rc" -eq 0 ] || fail "pimqttd exited with $rc after SIGTERM"
}

# ---- simulated I2C: i2c-stub answers SMBus transactions on a register map filled with i2cset

# Every chip address any case uses: the stub is loaded once per boot, by whichever case comes
# first, so it must hold them all (it takes at most 10). 0x5c, 0x5d and 0x75 are the chips the
# kernel_* cases bind the kernel's own drivers to (kernel_bind): outside 0x48..0x4f, which the
# lm75 driver probes on its own when it loads (the stub's adapter is of the hwmon class), and
# apart from the chips the other cases open through i2c-dev (which refuses a bound address).
I2C_STUB_CHIPS=0x18,0x19,0x40,0x48,0x5c,0x5d,0x75,0x76,0x77

# i2c_stub_up ADDRESS...: loads i2c-dev and i2c-stub (chips at I2C_STUB_CHIPS) once, sets
# STUB_BUS to the stub's bus number, found by its adapter name, and checks that a chip answers
# at each ADDRESS.
i2c_stub_up() {
  local adapter address
  if ! grep -qx 'SMBus stub driver' /sys/bus/i2c/devices/i2c-*/name 2>/dev/null; then
    modprobe i2c-dev || fail "modprobe i2c-dev failed"
    modprobe i2c-stub chip_addr="$I2C_STUB_CHIPS" ||
      fail "modprobe i2c-stub chip_addr=$I2C_STUB_CHIPS failed"
  fi
  STUB_BUS=""
  for adapter in /sys/bus/i2c/devices/i2c-*; do
    if [ "$(cat "$adapter/name")" = "SMBus stub driver" ]; then
      STUB_BUS=${adapter##*/i2c-}
      break
    fi
  done
  [ -n "$STUB_BUS" ] || fail "no I2C adapter named 'SMBus stub driver'"
  for address in "$@"; do
    "$I2CGET" -y ${STUB_FORCE:-} "$STUB_BUS" "$address" 0x00 b > /dev/null 2>&1 ||
      fail "no stub chip at $address: add it to I2C_STUB_CHIPS ($I2C_STUB_CHIPS)"
  done
}

# Register writes on a stub chip. The stub keeps one 16-bit word per register: a byte write sets
# its low byte, which is what byte and I2C block reads return; a word write sets the whole word,
# which word reads return with its low byte first on the wire, as SMBus sends words.
# A chip a kernel driver holds (the kernel_* cases) refuses i2c-dev unless forced: those cases
# set STUB_FORCE=-f (i2cset -f) to change its registers behind the driver's back.
# stub_set ADDRESS REG BYTE: an 8-bit register (the value is masked to 8 bits).
stub_set() {
  "$I2CSET" -y ${STUB_FORCE:-} "$STUB_BUS" "$1" "$2" "$(( $3 & 255 ))" b ||
    fail "i2cset $1 $2 failed"
}
# stub_set_be16 ADDRESS REG WORD: a 16-bit register of a chip that sends its high byte first
# (MCP9808, ADS1115, INA219): stored swapped, so that the high byte goes out first.
stub_set_be16() {
  local word
  word=$(printf '0x%04x' $(( ($3 & 255) << 8 | ($3 >> 8 & 255) )))
  "$I2CSET" -y ${STUB_FORCE:-} "$STUB_BUS" "$1" "$2" "$word" w ||
    fail "i2cset $1 $2 $word (word) failed"
}
# stub_get_be16 ADDRESS REG: such a register as the chip means it, as 0x%04x.
stub_get_be16() {
  local word
  word=$("$I2CGET" -y "$STUB_BUS" "$1" "$2" w) || fail "i2cget $1 $2 (word) failed"
  printf '0x%04x\n' $(( (word & 255) << 8 | (word >> 8 & 255) ))
}

# bmp280_fill ADDRESS CHIP_ID: a BMP280 (or, with chip id 0x60, the BMP280 half of a BME280)
# holding the worked example of Bosch's BMP280 datasheet ("compensation formula" section):
# trimming parameters dig_T1..dig_P9 and raw readings adc_T 519888, adc_P 415148, for which the
# datasheet's integer code gives 2508 (25.08 degC, t_fine 128422) and 25767233 Q24.8 Pa
# (100653.25390625 Pa = 1006.5325390625 hPa). The stub's status register reads 0 (not
# measuring), so a forced measurement is complete at once.
bmp280_fill() {
  local a=$1 reg value
  stub_set "$a" 0xD0 "$2"
  reg=$((0x88))
  # dig_T1 T2 T3 P1 ... P9, little-endian 16-bit from 0x88.
  for value in 27504 26435 -1000 36477 -10685 3024 2855 140 -7 15500 -14600 6000; do
    stub_set "$a" $reg "$value"
    stub_set "$a" $((reg + 1)) $((value >> 8))
    reg=$((reg + 2))
  done
  stub_set "$a" 0xF3 0x00; stub_set "$a" 0xF4 0x00; stub_set "$a" 0xF5 0x00
  # 20-bit pressure then temperature: msb, lsb, xlsb (bits 7..4).
  stub_set "$a" 0xF7 $((415148 >> 12)); stub_set "$a" 0xF8 $((415148 >> 4))
  stub_set "$a" 0xF9 $((415148 << 4))
  stub_set "$a" 0xFA $((519888 >> 12)); stub_set "$a" 0xFB $((519888 >> 4))
  stub_set "$a" 0xFC $((519888 << 4))
}
BMP280_EXAMPLE_TEMPERATURE=25.08

# ---- the kernel's own drivers on stub chips (the kernel_* cases)

# i2c_name ADDRESS: the kernel's name of the I2C device at ADDRESS on the stub's bus (1-005c).
i2c_name() { printf '%s-%04x' "$STUB_BUS" $(( $1 )); }

# kernel_bind DRIVER ADDRESS: instantiates a DRIVER device at ADDRESS on the stub's bus, as a
# board file or device tree would (new_device), and waits until the driver has bound it.
kernel_bind() {
  local dev
  dev=/sys/bus/i2c/devices/$(i2c_name "$2")
  echo "$1 $2" > "/sys/bus/i2c/devices/i2c-$STUB_BUS/new_device" ||
    fail "new_device '$1 $2' refused on bus $STUB_BUS"
  wait_until 50 test -e "$dev/driver" ||
    fail "the kernel's $1 driver did not bind the chip at $2: $(dmesg | tail -n 3 | tr '\n' ' ')"
}

# kernel_unbind ADDRESS: removes the device new_device made at ADDRESS (its driver lets go).
kernel_unbind() {
  echo "$1" > "/sys/bus/i2c/devices/i2c-$STUB_BUS/delete_device" ||
    fail "delete_device $1 refused on bus $STUB_BUS"
}

# kernel_clear ADDRESS...: removes what an earlier case that failed half-way left bound there.
kernel_clear() {
  local address
  for address in "$@"; do
    [ -e "/sys/bus/i2c/devices/$(i2c_name "$address")" ] || continue
    note "deleting the device an earlier case left at $address"
    kernel_unbind "$address"
  done
}

# sysfs_is FILE EXPECTED: the kernel's text in FILE is exactly EXPECTED.
sysfs_is() {
  local text
  text=$(cat "$1" 2>&1) || fail "cannot read $1: $text"
  [ "$text" = "$2" ] || fail "$1 reads '$text', expected '$2'"
}

# read_micros FILE N: the mean time of N reads of FILE (the shell's own read: no process to
# start), in microseconds, from /proc/uptime (busybox's date has no nanoseconds).
read_micros() {
  local i=0 started value
  started=$(uptime_centis)
  while [ $i -lt "$2" ]; do
    read -r value < "$1" || fail "cannot read $1"
    i=$((i + 1))
  done
  echo $(( ($(uptime_centis) - started) * 10000 / $2 ))
}

# ---- simulated GPIO: one gpio-sim chip labelled $SIM_LABEL with named lines

SIM_LABEL=pimqttd-sim
# Line names by offset; the gpio cases find their lines by name.
SIM_LINES="door water pump meter heater spare5 spare6 spare7"

# gpiosim_up: creates the chip once (configfs) and sets SIM_DIR to its sysfs directory, where
# sim_gpio<offset>/pull drives an input and sim_gpio<offset>/value shows an output.
gpiosim_up() {
  local cfg=/sys/kernel/config/gpio-sim/pimqttd offset=0 name
  if [ ! -d $cfg ]; then
    modprobe configfs || fail "modprobe configfs failed"
    grep -q ' /sys/kernel/config ' /proc/mounts || mount -t configfs none /sys/kernel/config
    modprobe gpio-sim || fail "modprobe gpio-sim failed"
    mkdir $cfg $cfg/bank0 || fail "cannot create a gpio-sim chip in configfs"
    echo 8 > $cfg/bank0/num_lines
    echo "$SIM_LABEL" > $cfg/bank0/label
    for name in $SIM_LINES; do
      mkdir $cfg/bank0/line$offset
      echo "$name" > $cfg/bank0/line$offset/name
      offset=$((offset + 1))
    done
    echo 1 > $cfg/live || fail "gpio-sim refused to go live"
  fi
  SIM_DIR=/sys/devices/platform/$(cat $cfg/dev_name)/$(cat $cfg/bank0/chip_name)
  [ -d "$SIM_DIR" ] || fail "gpio-sim's sysfs directory $SIM_DIR is missing"
}

# sim_line NAME: sets LINE to the offset of a named line.
sim_line() {
  local offset=0 name
  for name in $SIM_LINES; do
    if [ "$name" = "$1" ]; then
      LINE=$offset
      return 0
    fi
    offset=$((offset + 1))
  done
  fail "no simulated line named $1"
}

# sim_pull OFFSET up|down: what the simulated outside world does to an input line.
sim_pull() { echo "pull-$2" > "$SIM_DIR/sim_gpio$1/pull"; }
# sim_value OFFSET: the level on the line (for an output: what the requester drives).
sim_value() { cat "$SIM_DIR/sim_gpio$1/value"; }
sim_value_is() { [ "$(sim_value "$1")" = "$2" ]; }

# sim_pulses OFFSET N: N pulses (a rising and a falling edge each) on the simulated line OFFSET,
# by flipping its pull. The kernel queues a line's edge events in a FIFO of 16 (the v1 character
# device ABI that libgpiod 1.6 uses) and drops new ones while it is full; on a loaded host the
# guest may not run the reader during a long burst from the shell. A millisecond's pause every
# PULSE_PAUSE_EVERY pulses (8: 16 edges) lets it drain the FIFO; that is still hundreds of pulses
# a second, far more than any meter sends.
PULSE_PAUSE_EVERY=${PULSE_PAUSE_EVERY:-8}
sim_pulses() {
  local i=0 pull="$SIM_DIR/sim_gpio$1/pull"
  while [ $i -lt "$2" ]; do
    echo pull-up > "$pull"
    echo pull-down > "$pull"
    i=$((i + 1))
    if [ "$PULSE_PAUSE_EVERY" -gt 0 ] && [ $((i % PULSE_PAUSE_EVERY)) -eq 0 ]; then
      sleep 0.001
    fi
  done
}
