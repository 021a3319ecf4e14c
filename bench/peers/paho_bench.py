#!/usr/bin/python3
"""paho_bench: the paho-mqtt (1.6) peer of pimqttd's publish benchmark (see bench/compare).

    /usr/bin/python3 paho_bench.py --host H --port P --qos Q --count N --size BYTES --inflight W
                                   [--topic T] [--tls-ca FILE]

Connects (MQTT 3.1.1, clean session), publishes N messages the ordinary paho way (queue them all
with publish(); the client keeps at most W QoS 1/2 messages in flight), and waits until every one
has been acknowledged (QoS 1/2) or written to the socket (QoS 0). Prints one line:

    messages=N seconds=S messages_per_second=R

The clock runs from CONNACK to the last acknowledgement. Payload of message i (from 0): i in
decimal, zero-padded to 10 digits, then 'x' up to BYTES bytes.
Exit status: 0 success, 1 failure (connection, timeout), 2 bad command line.

Runs with Debian's python3-paho-mqtt, so call it with /usr/bin/python3.
"""

import argparse
import sys
import threading
import time

import paho.mqtt.client as mqtt

PREFIX_DIGITS = 10
CONNECT_TIMEOUT_S = 30
IDLE_TIMEOUT_S = 60
# paho numbers messages 1..65535 and refuses a publish whose number is still unacknowledged
# ("Message queue full"), so at most this many QoS 1/2 messages are queued at once.
MAX_OUTSTANDING = 60000


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="paho_bench.py", description=__doc__.splitlines()[0])
    parser.add_argument("--host", required=True)
    parser.add_argument("--port", required=True, type=int)
    parser.add_argument("--qos", required=True, type=int, choices=(0, 1, 2))
    parser.add_argument("--count", required=True, type=int)
    parser.add_argument("--size", required=True, type=int)
    parser.add_argument("--inflight", required=True, type=int)
    parser.add_argument("--topic", default="pimqttd/bench")
    parser.add_argument("--tls-ca", dest="tls_ca")
    args = parser.parse_args(argv)
    if args.count < 1 or args.size < PREFIX_DIGITS or not 1 <= args.inflight <= 65535:
        parser.error("need --count >= 1, --size >= 10 and 1 <= --inflight <= 65535")
    return args


class Counter:
    def __init__(self, target):
        self.cond = threading.Condition()
        self.connack_rc = None
        self.disconnected = False
        self.acked = 0
        self.target = target
        self.started = None
        self.finished = None
        self.room = threading.Semaphore(MAX_OUTSTANDING)

    def on_connect(self, client, userdata, flags, rc):
        with self.cond:
            self.connack_rc = rc
            if rc == 0:
                self.started = time.monotonic()
            self.cond.notify_all()

    def on_disconnect(self, client, userdata, rc):
        with self.cond:
            self.disconnected = True
            self.cond.notify_all()

    def on_publish(self, client, userdata, mid):
        self.room.release()
        with self.cond:
            self.acked += 1
            if self.acked == self.target:
                self.finished = time.monotonic()
                self.cond.notify_all()


def main(argv):
    args = parse_args(argv)
    counter = Counter(args.count)
    client = mqtt.Client(client_id="", clean_session=True, protocol=mqtt.MQTTv311)
    client.max_inflight_messages_set(args.inflight)
    client.max_queued_messages_set(0)  # no limit: everything is queued, as with libmosquitto
    if args.tls_ca:
        client.tls_set(ca_certs=args.tls_ca)
    client.on_connect = counter.on_connect
    client.on_disconnect = counter.on_disconnect
    client.on_publish = counter.on_publish

    try:
        client.connect(args.host, args.port, keepalive=60)
    except OSError as error:
        print(f"paho_bench: connect to {args.host}:{args.port}: {error}", file=sys.stderr)
        return 1
    client.loop_start()
    try:
        with counter.cond:
            counter.cond.wait_for(lambda: counter.connack_rc is not None, CONNECT_TIMEOUT_S)
            rc = counter.connack_rc
        if rc is None:
            print(f"paho_bench: no CONNACK within {CONNECT_TIMEOUT_S} s", file=sys.stderr)
            return 1
        if rc != 0:
            print(f"paho_bench: connection refused: {mqtt.connack_string(rc)}", file=sys.stderr)
            return 1

        padding = b"x" * (args.size - PREFIX_DIGITS)
        for i in range(args.count):
            if args.qos > 0 and not counter.room.acquire(timeout=IDLE_TIMEOUT_S):
                print(f"paho_bench: no acknowledgement for {IDLE_TIMEOUT_S} s", file=sys.stderr)
                return 1
            info = client.publish(args.topic, b"%010d" % i + padding, qos=args.qos)
            if info.rc != mqtt.MQTT_ERR_SUCCESS:
                print(f"paho_bench: publish {i}: {mqtt.error_string(info.rc)}", file=sys.stderr)
                return 1

        with counter.cond:
            seen = -1
            while counter.acked < args.count and not counter.disconnected:
                if counter.acked == seen:
                    break  # nothing acknowledged for IDLE_TIMEOUT_S
                seen = counter.acked
                counter.cond.wait(IDLE_TIMEOUT_S)
            acked, disconnected = counter.acked, counter.disconnected
        if acked < args.count:
            why = "disconnected" if disconnected else "timed out"
            print(f"paho_bench: only {acked} of {args.count} messages acknowledged ({why})",
                  file=sys.stderr)
            return 1
        seconds = counter.finished - counter.started
        rate = args.count / seconds if seconds > 0 else 0.0
        print(f"messages={args.count} seconds={seconds:.6f} messages_per_second={rate:.1f}")
        return 0
    finally:
        client.disconnect()
        client.loop_stop()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
