#!/usr/bin/python3
"""system_sensors_peer: the Python peer of pimqttd's idle benchmark (see bench/idle-cost).

    /usr/bin/python3 system_sensors_peer.py --host H --port P [--node ID] [--interval S]

Does what the Python system-metrics daemons for Home Assistant do, on the libraries they use
(Debian's python3-paho-mqtt and python3-psutil), for the metrics pimqttd's `system` sensor
publishes with the example configuration (config/minimal.json) on a machine without a thermal
zone, swap or Raspberry Pi firmware: CPU usage, load over 1, 5 and 15 minutes, memory used, disk
used on /, and the boot time.

- connects (MQTT 3.1.1, keep-alive 60 s) with a retained will `offline` on
  system-sensors/<node>/availability, then publishes `online` there (retained);
- announces every entity with a retained discovery message of its own,
  homeassistant/sensor/<node>/<entity>/config (one topic per entity, the way these daemons do);
- every --interval seconds reads the metrics with psutil and publishes them as one JSON object on
  system-sensors/<node>/state (QoS 1), which every entity picks apart with a value template;
- announces everything again when Home Assistant's birth message (`online` on
  homeassistant/status) arrives.

Runs until SIGTERM or SIGINT, then publishes `offline` and disconnects. Exit status: 0 after a
signal, 1 when it cannot connect, 2 for a bad command line.

Runs with Debian's python3-paho-mqtt and python3-psutil, so call it with /usr/bin/python3.
"""

import argparse
import json
import os
import signal
import sys
import threading
import time
from datetime import datetime, timezone

import paho.mqtt.client as mqtt
import psutil

DISCOVERY_PREFIX = "homeassistant"
BIRTH_TOPIC = "homeassistant/status"

# entity id -> (name, unit, device class, state class, decimals)
ENTITIES = {
    "cpu_usage": ("CPU usage", "%", None, "measurement", 1),
    "load_1m": ("Load (1 min)", None, None, "measurement", 2),
    "load_5m": ("Load (5 min)", None, None, "measurement", 2),
    "load_15m": ("Load (15 min)", None, None, "measurement", 2),
    "memory_used": ("Memory used", "%", None, "measurement", 1),
    "disk_used_root": ("Disk used (/)", "%", None, "measurement", 1),
    "uptime": ("Boot time", None, "timestamp", None, None),
}


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="system_sensors_peer.py",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--host", required=True)
    parser.add_argument("--port", required=True, type=int)
    parser.add_argument("--node", default="peer")
    parser.add_argument("--interval", type=float, default=60.0)
    args = parser.parse_args(argv)
    if args.interval <= 0:
        parser.error("--interval must be positive")
    return args


class Peer:
    def __init__(self, args):
        self.node = args.node
        self.interval = args.interval
        self.base = f"system-sensors/{self.node}"
        self.availability = f"{self.base}/availability"
        self.state_topic = f"{self.base}/state"
        self.stop = threading.Event()
        self.announce = threading.Event()
        self.wake = threading.Event()
        self.client = mqtt.Client(client_id=f"system-sensors-{self.node}", clean_session=True,
                                  protocol=mqtt.MQTTv311)
        self.client.will_set(self.availability, "offline", qos=1, retain=True)
        self.client.on_connect = self.on_connect
        self.client.on_message = self.on_message
        psutil.cpu_percent(interval=None)  # the first call only starts the measurement

    def on_connect(self, client, userdata, flags, rc):
        if rc != 0:
            return
        client.subscribe(BIRTH_TOPIC, qos=1)
        self.announce.set()
        self.wake.set()

    def on_message(self, client, userdata, message):
        if message.topic == BIRTH_TOPIC and message.payload == b"online":
            self.announce.set()
            self.wake.set()

    def discovery(self, entity):
        name, unit, device_class, state_class, _ = ENTITIES[entity]
        config = {
            "name": name,
            "unique_id": f"{self.node}_{entity}",
            "state_topic": self.state_topic,
            "value_template": f"{{{{ value_json.{entity} }}}}",
            "availability_topic": self.availability,
            "device": {"identifiers": [f"system-sensors-{self.node}"], "name": self.node,
                       "manufacturer": "system-sensors peer", "model": "benchmark"},
        }
        if unit:
            config["unit_of_measurement"] = unit
        if device_class:
            config["device_class"] = device_class
        if state_class:
            config["state_class"] = state_class
        return json.dumps(config)

    def readings(self):
        load = os.getloadavg()
        boot = datetime.fromtimestamp(psutil.boot_time(), timezone.utc)
        values = {
            "cpu_usage": psutil.cpu_percent(interval=None),
            "load_1m": load[0],
            "load_5m": load[1],
            "load_15m": load[2],
            "memory_used": psutil.virtual_memory().percent,
            "disk_used_root": psutil.disk_usage("/").percent,
            "uptime": boot.isoformat(timespec="seconds"),
        }
        for entity, (_, _, _, _, decimals) in ENTITIES.items():
            if decimals is not None:
                values[entity] = round(values[entity], decimals)
        return json.dumps(values)

    def run(self, host, port):
        self.client.connect(host, port, keepalive=60)
        self.client.loop_start()
        next_state = None  # the first state follows the first announcement
        while not self.stop.is_set():
            if self.announce.is_set():
                self.announce.clear()
                for entity in ENTITIES:
                    self.client.publish(f"{DISCOVERY_PREFIX}/sensor/{self.node}/{entity}/config",
                                        self.discovery(entity), qos=1, retain=True)
                self.client.publish(self.availability, "online", qos=1, retain=True)
                next_state = time.monotonic()
            if next_state is not None and time.monotonic() >= next_state:
                self.client.publish(self.state_topic, self.readings(), qos=1)
                next_state += self.interval
            # Woken early by a signal or by Home Assistant's birth message.
            timeout = None if next_state is None else max(0.0, next_state - time.monotonic())
            self.wake.wait(timeout)
            self.wake.clear()
        self.client.publish(self.availability, "offline", qos=1, retain=True).wait_for_publish(5)
        self.client.disconnect()
        self.client.loop_stop()


def main(argv):
    args = parse_args(argv)
    peer = Peer(args)

    def on_signal(*_):
        peer.stop.set()
        peer.wake.set()

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, on_signal)
    try:
        peer.run(args.host, args.port)
    except OSError as error:
        print(f"system_sensors_peer: cannot connect to {args.host}:{args.port}: {error}",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
