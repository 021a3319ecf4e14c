/*
 * mosq-bench: the libmosquitto peer of pimqttd's publish benchmark (see bench/compare).
 *
 *   mosq-bench --host H --port P --qos Q --count N --size BYTES --inflight W
 *              [--topic T] [--tls-ca FILE]
 *
 * Connects (MQTT 3.1.1, clean session), publishes N messages the ordinary libmosquitto way (queue
 * them all with mosquitto_publish; the library keeps at most W QoS 1/2 messages in flight), and
 * waits until every one has been acknowledged (QoS 1/2) or written to the socket (QoS 0). Prints
 * one line:
 *
 *   messages=N seconds=S messages_per_second=R
 *
 * The clock runs from CONNACK to the last acknowledgement. Payload of message i (from 0): i in
 * decimal, zero-padded to 10 digits, then 'x' up to BYTES bytes.
 * Exit status: 0 success, 1 failure (connection, timeout), 2 bad command line.
 */
#define _POSIX_C_SOURCE 200809L

#include <mosquitto.h>

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { kPrefixDigits = 10, kConnectTimeoutSeconds = 30, kIdleTimeoutSeconds = 60 };

struct options {
  const char *host;
  int port;
  int qos;
  long count;
  long size;
  int inflight;
  const char *topic;
  const char *tls_ca;
};

struct state {
  pthread_mutex_t mutex;
  pthread_cond_t changed;
  bool connected;
  int connack_rc;
  bool disconnected;
  long acked;
  long target;
  struct timespec started;
  struct timespec finished;
};

static struct state g_state = {
  .mutex = PTHREAD_MUTEX_INITIALIZER,
  .changed = PTHREAD_COND_INITIALIZER,
  .connack_rc = -1,
};

static void usage(void) {
  fprintf(stderr, "usage: mosq-bench --host H --port P --qos Q --count N --size BYTES "
                  "--inflight W [--topic T] [--tls-ca FILE]\n");
}

static bool parse_long(const char *text, long min, long max, long *out) {
  char *end = NULL;
  errno = 0;
  long value = strtol(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || value < min || value > max) {
    return false;
  }
  *out = value;
  return true;
}

static int parse_options(int argc, char **argv, struct options *opt) {
  long port = -1, qos = -1, count = -1, size = -1, inflight = -1;
  opt->host = NULL;
  opt->topic = "pimqttd/bench";
  opt->tls_ca = NULL;
  for (int i = 1; i < argc; i++) {
    const char *name = argv[i];
    if (i + 1 >= argc) {
      fprintf(stderr, "mosq-bench: %s needs a value\n", name);
      return -1;
    }
    const char *value = argv[++i];
    bool ok = true;
    if (strcmp(name, "--host") == 0) {
      opt->host = value;
    } else if (strcmp(name, "--port") == 0) {
      ok = parse_long(value, 1, 65535, &port);
    } else if (strcmp(name, "--qos") == 0) {
      ok = parse_long(value, 0, 2, &qos);
    } else if (strcmp(name, "--count") == 0) {
      ok = parse_long(value, 1, 100000000L, &count);
    } else if (strcmp(name, "--size") == 0) {
      ok = parse_long(value, kPrefixDigits, 256L * 1024 * 1024, &size);
    } else if (strcmp(name, "--inflight") == 0) {
      ok = parse_long(value, 1, 65535, &inflight);
    } else if (strcmp(name, "--topic") == 0) {
      opt->topic = value;
    } else if (strcmp(name, "--tls-ca") == 0) {
      opt->tls_ca = value;
    } else {
      fprintf(stderr, "mosq-bench: unknown option %s\n", name);
      return -1;
    }
    if (!ok) {
      fprintf(stderr, "mosq-bench: bad value for %s: %s\n", name, value);
      return -1;
    }
  }
  if (opt->host == NULL || port < 0 || qos < 0 || count < 0 || size < 0 || inflight < 0) {
    fprintf(stderr, "mosq-bench: --host, --port, --qos, --count, --size and --inflight "
                    "are required\n");
    return -1;
  }
  opt->port = (int)port;
  opt->qos = (int)qos;
  opt->count = count;
  opt->size = size;
  opt->inflight = (int)inflight;
  return 0;
}

static double seconds_between(const struct timespec *from, const struct timespec *to) {
  return (double)(to->tv_sec - from->tv_sec) + (double)(to->tv_nsec - from->tv_nsec) / 1e9;
}

static void deadline_after(struct timespec *deadline, int seconds) {
  clock_gettime(CLOCK_REALTIME, deadline);
  deadline->tv_sec += seconds;
}

static void on_connect(struct mosquitto *mosq, void *userdata, int rc) {
  (void)mosq;
  (void)userdata;
  pthread_mutex_lock(&g_state.mutex);
  g_state.connack_rc = rc;
  g_state.connected = (rc == 0);
  if (rc == 0) {
    clock_gettime(CLOCK_MONOTONIC, &g_state.started);
  }
  pthread_cond_broadcast(&g_state.changed);
  pthread_mutex_unlock(&g_state.mutex);
}

static void on_disconnect(struct mosquitto *mosq, void *userdata, int rc) {
  (void)mosq;
  (void)userdata;
  (void)rc;
  pthread_mutex_lock(&g_state.mutex);
  g_state.disconnected = true;
  pthread_cond_broadcast(&g_state.changed);
  pthread_mutex_unlock(&g_state.mutex);
}

static void on_publish(struct mosquitto *mosq, void *userdata, int mid) {
  (void)mosq;
  (void)userdata;
  (void)mid;
  pthread_mutex_lock(&g_state.mutex);
  g_state.acked++;
  if (g_state.acked == g_state.target) {
    clock_gettime(CLOCK_MONOTONIC, &g_state.finished);
    pthread_cond_broadcast(&g_state.changed);
  }
  pthread_mutex_unlock(&g_state.mutex);
}

/* Waits for the CONNACK. Returns 0 when connected. */
static int wait_connected(void) {
  struct timespec deadline;
  deadline_after(&deadline, kConnectTimeoutSeconds);
  int result = 0;
  pthread_mutex_lock(&g_state.mutex);
  while (g_state.connack_rc < 0 && result != ETIMEDOUT) {
    result = pthread_cond_timedwait(&g_state.changed, &g_state.mutex, &deadline);
  }
  int rc = g_state.connack_rc;
  pthread_mutex_unlock(&g_state.mutex);
  if (rc < 0) {
    fprintf(stderr, "mosq-bench: no CONNACK within %d s\n", kConnectTimeoutSeconds);
    return 1;
  }
  if (rc != 0) {
    fprintf(stderr, "mosq-bench: connection refused: %s\n", mosquitto_connack_string(rc));
    return 1;
  }
  return 0;
}

/* Waits until every message is acknowledged, giving up when none was for a while. */
static int wait_all_acked(long count) {
  long seen = -1;
  int result = 0;
  pthread_mutex_lock(&g_state.mutex);
  while (g_state.acked < count && !g_state.disconnected) {
    if (g_state.acked != seen) {
      seen = g_state.acked;
      result = 0;
    } else if (result == ETIMEDOUT) {
      break;
    }
    struct timespec deadline;
    deadline_after(&deadline, kIdleTimeoutSeconds);
    result = pthread_cond_timedwait(&g_state.changed, &g_state.mutex, &deadline);
  }
  long acked = g_state.acked;
  bool disconnected = g_state.disconnected;
  pthread_mutex_unlock(&g_state.mutex);
  if (acked < count) {
    fprintf(stderr, "mosq-bench: only %ld of %ld messages acknowledged (%s)\n", acked, count,
            disconnected ? "disconnected" : "timed out");
    return 1;
  }
  return 0;
}

static int run(const struct options *opt, struct mosquitto *mosq) {
  int rc = mosquitto_int_option(mosq, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
  if (rc == MOSQ_ERR_SUCCESS) {
    rc = mosquitto_int_option(mosq, MOSQ_OPT_SEND_MAXIMUM, opt->inflight);
  }
  if (rc == MOSQ_ERR_SUCCESS && opt->tls_ca != NULL) {
    rc = mosquitto_tls_set(mosq, opt->tls_ca, NULL, NULL, NULL, NULL);
  }
  if (rc != MOSQ_ERR_SUCCESS) {
    fprintf(stderr, "mosq-bench: setting options: %s\n", mosquitto_strerror(rc));
    return 1;
  }
  mosquitto_connect_callback_set(mosq, on_connect);
  mosquitto_disconnect_callback_set(mosq, on_disconnect);
  mosquitto_publish_callback_set(mosq, on_publish);
  g_state.target = opt->count;

  rc = mosquitto_connect(mosq, opt->host, opt->port, 60);
  if (rc != MOSQ_ERR_SUCCESS) {
    fprintf(stderr, "mosq-bench: connect to %s:%d: %s\n", opt->host, opt->port,
            mosquitto_strerror(rc));
    return 1;
  }
  rc = mosquitto_loop_start(mosq);
  if (rc != MOSQ_ERR_SUCCESS) {
    fprintf(stderr, "mosq-bench: loop_start: %s\n", mosquitto_strerror(rc));
    return 1;
  }
  int status = wait_connected();

  char *payload = NULL;
  if (status == 0) {
    payload = malloc((size_t)opt->size + 1);
    if (payload == NULL) {
      fprintf(stderr, "mosq-bench: out of memory\n");
      status = 1;
    }
  }
  if (status == 0) {
    memset(payload, 'x', (size_t)opt->size);
    for (long i = 0; i < opt->count; i++) {
      char prefix[24];  /* count < 10^8, so always 10 digits */
      snprintf(prefix, sizeof prefix, "%010ld", i);
      memcpy(payload, prefix, kPrefixDigits);
      rc = mosquitto_publish(mosq, NULL, opt->topic, (int)opt->size, payload, opt->qos,
                             false);
      if (rc != MOSQ_ERR_SUCCESS) {
        fprintf(stderr, "mosq-bench: publish %ld: %s\n", i, mosquitto_strerror(rc));
        status = 1;
        break;
      }
    }
  }
  if (status == 0) {
    status = wait_all_acked(opt->count);
  }
  free(payload);

  mosquitto_disconnect(mosq);
  mosquitto_loop_stop(mosq, status != 0);
  if (status == 0) {
    double seconds = seconds_between(&g_state.started, &g_state.finished);
    printf("messages=%ld seconds=%.6f messages_per_second=%.1f\n", opt->count, seconds,
           seconds > 0 ? (double)opt->count / seconds : 0.0);
  }
  return status;
}

int main(int argc, char **argv) {
  struct options opt;
  if (parse_options(argc, argv, &opt) != 0) {
    usage();
    return 2;
  }
  mosquitto_lib_init();
  struct mosquitto *mosq = mosquitto_new(NULL, true, NULL);
  int status = 1;
  if (mosq == NULL) {
    fprintf(stderr, "mosq-bench: mosquitto_new: %s\n", strerror(errno));
  } else {
    status = run(&opt, mosq);
    mosquitto_destroy(mosq);
  }
  mosquitto_lib_cleanup();
  return status;
}
