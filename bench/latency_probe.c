/* latency_probe: a tiny MQTT 3.1.1 listener posing as the broker, which times what pimqttd
 * writes to its socket (bench/edge-latency, bench/start-latency).
 *
 *   pimqttd-latency-probe edge --port P --topic T --pull FILE [--count N] [--gap-ms G]
 *                              [--high ON] [--low OFF] [--baseline-chip DEV --baseline-line K
 *                              --baseline-pull FILE] -- COMMAND [ARGS...]
 *   pimqttd-latency-probe start --port P [--prefix homeassistant/] [--count N] -- COMMAND...
 *
 * It listens on 127.0.0.1:P and runs COMMAND (pimqttd, configured for that port). As the broker
 * it answers CONNECT, SUBSCRIBE, UNSUBSCRIBE, PINGREQ, and PUBLISH at QoS 1 and 2, and it reads
 * every packet pimqttd sends; it never sends a message of its own. Times are CLOCK_MONOTONIC;
 * a packet's arrival is the return of the read() that brought its first byte.
 *
 * edge: a GPIO edge to the PUBLISH of the new state. Once COMMAND has published a first state
 * on T, flips the input N times (default 1000) by writing "pull-up" or "pull-down" to FILE (a
 * gpio-sim line's `pull` attribute), each time to the level opposite the last published one; a
 * flip's latency runs from just before that write() to the arrival of the PUBLISH on T carrying
 * the new payload (--high for pull-up, default ON; --low, default OFF). The next flip comes
 * --gap-ms (default 20) after that arrival. Prints
 *     edge count=N p50_us=.. p99_us=.. max_us=.. min_us=.. mean_us=.. lost=L
 * (lost: flips whose PUBLISH did not come within 5 s).
 * With --baseline-chip /dev/gpiochipN --baseline-line K --baseline-pull FILE (another line of the
 * same chip and its `pull`), it first times the same path without pimqttd, N times: the write()
 * of the pull to the probe's own read of the edge event (GPIO uAPI v2) followed by one byte over
 * a loopback TCP connection to itself. Prints
 *     baseline count=N p50_us=.. p99_us=.. max_us=..
 *
 * start: exec to the first discovery byte. N times (default 10): takes the time, forks and
 * execs COMMAND, accepts its connection and times the first PUBLISH whose topic starts with
 * --prefix; then stops COMMAND with SIGTERM (SIGKILL after 10 s). Prints
 *     start runs=N median_ms=.. min_ms=.. max_ms=.. connect_median_ms=..
 * (connect: the arrival of CONNECT).
 *
 * Exit status: 0 when every flip or run was timed, 1 otherwise, 2 for a bad command line. */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/gpio.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { kBufferSize = 1 << 20, kReplyTimeoutMs = 5000, kConnectTimeoutMs = 30000 };

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void die(const char *what) {
  fprintf(stderr, "latency_probe: %s: %s\n", what, strerror(errno));
  exit(1);
}

/* -- the command under test ------------------------------------------------------------------ */

typedef struct {
  pid_t pid;
  int pidfd;
} Child;

static Child spawn(char **argv) {
  Child child = {fork(), -1};
  if (child.pid < 0) die("fork");
  if (child.pid == 0) {
    execvp(argv[0], argv);
    fprintf(stderr, "latency_probe: cannot run %s: %s\n", argv[0], strerror(errno));
    _exit(127);
  }
  child.pidfd = (int)syscall(SYS_pidfd_open, child.pid, 0);
  if (child.pidfd < 0) die("pidfd_open");
  return child;
}

/* -- the broker's side of one connection ----------------------------------------------------- */

typedef struct {
  int fd;
  uint8_t *buf;
  size_t len;
  int64_t head_time;  /* arrival of buf[0] */
  bool closed;
  int stop_fd; /* when readable (a pidfd: the child ended), serve() returns; -1: none */
} Conn;

typedef struct {
  uint8_t type;
  uint8_t flags;
  const uint8_t *body;
  size_t body_len;
  int64_t arrived;
} Packet;

/* Called for every packet after the reply; returns true to stop serving. */
typedef bool (*Watch)(const Packet *packet, void *context);

static void send_all(Conn *conn, const uint8_t *data, size_t len) {
  while (len > 0) {
    ssize_t n = send(conn->fd, data, len, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      conn->closed = true;
      return;
    }
    data += n;
    len -= (size_t)n;
  }
}

static void reply(Conn *conn, const Packet *p) {
  uint8_t out[8];
  switch (p->type) {
    case 1: /* CONNECT -> CONNACK, accepted */
      send_all(conn, (const uint8_t[]){0x20, 2, 0, 0}, 4);
      break;
    case 3: { /* PUBLISH: PUBACK or PUBREC by QoS */
      unsigned qos = (p->flags >> 1) & 3u;
      size_t topic_len = p->body_len >= 2 ? (size_t)(p->body[0] << 8 | p->body[1]) : 0;
      if (qos == 0 || p->body_len < 4 + topic_len) break;
      out[0] = qos == 1 ? 0x40 : 0x50;
      out[1] = 2;
      out[2] = p->body[2 + topic_len];
      out[3] = p->body[3 + topic_len];
      send_all(conn, out, 4);
      break;
    }
    case 6: /* PUBREL -> PUBCOMP */
    case 10: /* UNSUBSCRIBE -> UNSUBACK */
      if (p->body_len < 2) break;
      out[0] = p->type == 6 ? 0x70 : 0xB0;
      out[1] = 2;
      out[2] = p->body[0];
      out[3] = p->body[1];
      send_all(conn, out, 4);
      break;
    case 8: { /* SUBSCRIBE -> SUBACK, each filter granted at most QoS 1 */
      uint8_t suback[4 + 64];
      size_t n = 0, at = 2;
      if (p->body_len < 2) break;
      while (at + 2 <= p->body_len && n < 64) {
        size_t len = (size_t)(p->body[at] << 8 | p->body[at + 1]);
        if (at + 2 + len >= p->body_len) break;
        uint8_t qos = p->body[at + 2 + len] & 3u;
        suback[4 + n++] = qos > 1 ? 1 : qos;
        at += 3 + len;
      }
      suback[0] = 0x90;
      suback[1] = (uint8_t)(2 + n);
      suback[2] = p->body[0];
      suback[3] = p->body[1];
      send_all(conn, suback, 4 + n);
      break;
    }
    case 12: /* PINGREQ -> PINGRESP */
      send_all(conn, (const uint8_t[]){0xD0, 0}, 2);
      break;
    default:
      break;
  }
}

/* Takes the complete packets off the front of the buffer; returns true when watch says stop. */
static bool drain(Conn *conn, int64_t chunk_time, size_t chunk_start, Watch watch,
                  void *context) {
  size_t at = 0;
  bool done = false;
  while (!done && conn->len - at >= 2) {
    size_t length = 0, index = at + 1;
    unsigned shift = 0;
    for (;;) {
      if (index >= conn->len) goto partial;
      uint8_t byte = conn->buf[index++];
      length |= (size_t)(byte & 0x7F) << shift;
      shift += 7;
      if (!(byte & 0x80)) break;
      if (shift > 21) {
        fprintf(stderr, "latency_probe: malformed remaining length\n");
        exit(1);
      }
    }
    if (conn->len - index < length) goto partial;
    Packet p = {conn->buf[at] >> 4, conn->buf[at] & 0x0F, conn->buf + index, length,
                at >= chunk_start ? chunk_time : conn->head_time};
    reply(conn, &p);
    done = watch != NULL && watch(&p, context);
    at = index + length;
  }
partial:
  if (at > 0) {
    memmove(conn->buf, conn->buf + at, conn->len - at);
    conn->len -= at;
    conn->head_time = at >= chunk_start ? chunk_time : conn->head_time;
  }
  return done;
}

/* Reads and answers until watch says stop (true), the deadline passes or the peer closes
 * (false). A deadline of 0 serves until then without a watch. */
static bool serve(Conn *conn, int64_t deadline, Watch watch, void *context) {
  while (!conn->closed) {
    int64_t left_ms = (deadline - now_ns()) / 1000000;
    if (left_ms < 0) return false;
    struct pollfd pfd[2] = {{conn->fd, POLLIN, 0}, {conn->stop_fd, POLLIN, 0}};
    int ready = poll(pfd, 2, (int)left_ms);
    if (ready < 0 && errno != EINTR) die("poll");
    if (ready <= 0) continue;
    if (pfd[1].revents) return false;
    if (conn->len == kBufferSize) {
      fprintf(stderr, "latency_probe: a packet larger than %d bytes\n", kBufferSize);
      exit(1);
    }
    ssize_t n = read(conn->fd, conn->buf + conn->len, kBufferSize - conn->len);
    int64_t arrived = now_ns();
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      conn->closed = true;
      return false;
    }
    size_t chunk_start = conn->len;
    if (conn->len == 0) conn->head_time = arrived;
    conn->len += (size_t)n;
    if (drain(conn, arrived, chunk_start, watch, context)) return true;
  }
  return false;
}

/* SIGTERM, answering what the child still sends (its `offline`, acknowledged) until it exits;
 * SIGKILL after 10 s. Returns the exit status as the shell shows it. */
static int stop(Child child, Conn *conn) {
  struct pollfd pfd = {child.pidfd, POLLIN, 0};
  int status = 0;
  int64_t deadline = now_ns() + (int64_t)10000 * 1000000;
  kill(child.pid, SIGTERM);
  if (conn->fd >= 0) {
    conn->stop_fd = child.pidfd;
    serve(conn, deadline, NULL, NULL);
    conn->stop_fd = -1;
  }
  int64_t left_ms = (deadline - now_ns()) / 1000000;
  if (poll(&pfd, 1, left_ms > 0 ? (int)left_ms : 0) <= 0) kill(child.pid, SIGKILL);
  waitpid(child.pid, &status, 0);
  close(child.pidfd);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static int listen_on(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  if (fd < 0) die("socket");
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0) die("bind");
  if (listen(fd, 4) < 0) die("listen");
  return fd;
}

/* The connection of the child, or fd -1 when it exits or does not connect within 30 s. */
static Conn accept_from(int listener, Child child, uint8_t *buf) {
  Conn conn = {-1, buf, 0, 0, false, -1};
  struct pollfd pfd[2] = {{listener, POLLIN, 0}, {child.pidfd, POLLIN, 0}};
  int one = 1;
  if (poll(pfd, 2, kConnectTimeoutMs) <= 0 || !(pfd[0].revents & POLLIN)) return conn;
  conn.fd = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
  if (conn.fd < 0) die("accept");
  setsockopt(conn.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return conn;
}

/* -- what the two modes watch for ------------------------------------------------------------- */

typedef struct {
  const char *topic; /* exact topic, or the prefix in start mode */
  bool prefix;
  const char *payload; /* NULL: any */
  int64_t arrived;
  char last_payload[64];
} Match;

static bool matches(const Packet *p, void *context) {
  Match *m = context;
  if (p->type != 3 || p->body_len < 2) return false;
  size_t topic_len = (size_t)(p->body[0] << 8 | p->body[1]);
  size_t want = strlen(m->topic);
  if (2 + topic_len > p->body_len) return false;
  if (m->prefix ? topic_len < want : topic_len != want) return false;
  if (memcmp(p->body + 2, m->topic, want) != 0) return false;
  size_t at = 2 + topic_len + (((p->flags >> 1) & 3u) ? 2 : 0);
  size_t len = p->body_len > at ? p->body_len - at : 0;
  if (len >= sizeof m->last_payload) len = sizeof m->last_payload - 1;
  memcpy(m->last_payload, p->body + at, len);
  m->last_payload[len] = '\0';
  if (m->payload != NULL && strcmp(m->last_payload, m->payload) != 0) return false;
  m->arrived = p->arrived;
  return true;
}

static bool remember_connect(const Packet *p, void *context) {
  if (p->type == 1) *(int64_t *)context = p->arrived;
  return false;
}

typedef struct {
  Match match;
  int64_t connect_arrived;
} StartWatch;

static bool start_watch(const Packet *p, void *context) {
  StartWatch *w = context;
  remember_connect(p, &w->connect_arrived);
  return matches(p, &w->match);
}

static int compare_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

/* The q-quantile (0..1) of n sorted values, nearest rank. */
static int64_t quantile(const int64_t *sorted, size_t n, double q) {
  size_t rank = (size_t)(q * (double)n + 0.999999);
  if (rank < 1) rank = 1;
  if (rank > n) rank = n;
  return sorted[rank - 1];
}

static bool write_pull(const char *path, bool up) {
  const char *text = up ? "pull-up" : "pull-down";
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  bool ok = write(fd, text, strlen(text)) == (ssize_t)strlen(text);
  close(fd);
  return ok;
}

typedef struct {
  const char *mode;
  int port;
  const char *topic;
  const char *prefix;
  const char *pull;
  const char *high;
  const char *low;
  long count;
  long gap_ms;
  const char *baseline_chip;
  long baseline_line;
  const char *baseline_pull;
  char **command;
} Options;

/* The same path without pimqttd: a line of the same chip requested by the probe itself for
 * both edges (GPIO uAPI v2), flipped through its `pull` like the measured one, each edge event
 * read and then one byte sent over a loopback TCP connection to the probe's listener and read
 * back there. Returns the median in nanoseconds, or -1. */
static int64_t baseline(const Options *o, int listener) {
  int chip = open(o->baseline_chip, O_RDONLY | O_CLOEXEC);
  if (chip < 0) die(o->baseline_chip);
  struct gpio_v2_line_request request;
  memset(&request, 0, sizeof request);
  request.offsets[0] = (uint32_t)o->baseline_line;
  request.num_lines = 1;
  request.config.flags =
      GPIO_V2_LINE_FLAG_INPUT | GPIO_V2_LINE_FLAG_EDGE_RISING | GPIO_V2_LINE_FLAG_EDGE_FALLING;
  snprintf(request.consumer, sizeof request.consumer, "latency-probe");
  if (ioctl(chip, GPIO_V2_GET_LINE_IOCTL, &request) < 0) die("GPIO_V2_GET_LINE_IOCTL");
  close(chip);
  struct sockaddr_in addr;
  socklen_t addr_len = sizeof addr;
  if (getsockname(listener, (struct sockaddr *)&addr, &addr_len) < 0) die("getsockname");
  int sender = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  if (sender < 0 || connect(sender, (struct sockaddr *)&addr, addr_len) < 0) die("connect");
  setsockopt(sender, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  int receiver = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
  if (receiver < 0) die("accept");
  int64_t *took = calloc((size_t)o->count, sizeof *took);
  long timed = 0;
  if (!took) die("calloc");
  bool up = true;
  for (long i = 0; i < o->count; ++i, up = !up) {
    struct pollfd pfd = {request.fd, POLLIN, 0};
    struct gpio_v2_line_event event;
    uint8_t byte = 0;
    poll(NULL, 0, (int)o->gap_ms);
    int64_t flipped = now_ns();
    if (!write_pull(o->baseline_pull, up)) die(o->baseline_pull);
    if (poll(&pfd, 1, kReplyTimeoutMs) <= 0) continue;
    if (read(request.fd, &event, sizeof event) != (ssize_t)sizeof event) die("edge event");
    if (send(sender, &byte, 1, 0) != 1) die("send");
    pfd.fd = receiver;
    if (poll(&pfd, 1, kReplyTimeoutMs) <= 0 || read(receiver, &byte, 1) != 1) continue;
    took[timed++] = now_ns() - flipped;
  }
  close(sender);
  close(receiver);
  close(request.fd);
  int64_t median = -1;
  if (timed > 0) {
    qsort(took, (size_t)timed, sizeof *took, compare_i64);
    median = quantile(took, (size_t)timed, 0.5);
    printf("baseline count=%ld p50_us=%lld p99_us=%lld max_us=%lld\n", timed,
           (long long)(median / 1000), (long long)(quantile(took, (size_t)timed, 0.99) / 1000),
           (long long)(took[timed - 1] / 1000));
  }
  free(took);
  return median;
}

static int run_edge(const Options *o, int listener, uint8_t *buf) {
  int64_t *latency = calloc((size_t)o->count, sizeof *latency);
  long timed = 0;
  Child child = spawn(o->command);
  Conn conn = accept_from(listener, child, buf);
  Match m = {o->topic, false, NULL, 0, ""};
  if (!latency) die("calloc");
  if (conn.fd < 0 || !serve(&conn, now_ns() + (int64_t)kConnectTimeoutMs * 1000000, matches,
                            &m)) {
    fprintf(stderr, "latency_probe: no first state on %s\n", o->topic);
    stop(child, &conn);
    return 1;
  }
  bool up = strcmp(m.last_payload, o->high) != 0;
  for (long i = 0; i < o->count && !conn.closed; ++i) {
    /* Quiet time before the flip: the daemon is idle, the probe answers what comes. */
    serve(&conn, now_ns() + o->gap_ms * 1000000, NULL, NULL);
    Match want = {o->topic, false, up ? o->high : o->low, 0, ""};
    int64_t flipped = now_ns();
    if (!write_pull(o->pull, up)) die(o->pull);
    if (serve(&conn, flipped + (int64_t)kReplyTimeoutMs * 1000000, matches, &want)) {
      latency[timed++] = want.arrived - flipped;
    }
    up = !up;
  }
  int status = stop(child, &conn);
  close(conn.fd);
  if (timed == 0) {
    fprintf(stderr, "latency_probe: no flip was timed (command exit %d)\n", status);
    return 1;
  }
  qsort(latency, (size_t)timed, sizeof *latency, compare_i64);
  int64_t sum = 0;
  for (long i = 0; i < timed; ++i) sum += latency[i];
  printf("edge count=%ld p50_us=%lld p99_us=%lld max_us=%lld min_us=%lld mean_us=%lld lost=%ld\n",
         timed, (long long)(quantile(latency, (size_t)timed, 0.5) / 1000),
         (long long)(quantile(latency, (size_t)timed, 0.99) / 1000),
         (long long)(latency[timed - 1] / 1000), (long long)(latency[0] / 1000),
         (long long)(sum / timed / 1000), o->count - timed);
  free(latency);
  return timed == o->count ? 0 : 1;
}

static int run_start(const Options *o, int listener, uint8_t *buf) {
  int64_t *took = calloc((size_t)o->count, sizeof *took);
  int64_t *connect_took = calloc((size_t)o->count, sizeof *connect_took);
  long timed = 0;
  if (!took || !connect_took) die("calloc");
  for (long i = 0; i < o->count; ++i) {
    int64_t started = now_ns();
    Child child = spawn(o->command);
    Conn conn = accept_from(listener, child, buf);
    StartWatch w = {{o->prefix, true, NULL, 0, ""}, 0};
    bool ok = conn.fd >= 0 &&
              serve(&conn, started + (int64_t)kConnectTimeoutMs * 1000000, start_watch, &w);
    int status = stop(child, &conn);
    if (conn.fd >= 0) close(conn.fd);
    if (!ok) {
      fprintf(stderr, "latency_probe: run %ld: no PUBLISH on %s* (command exit %d)\n", i + 1,
              o->prefix, status);
      continue;
    }
    took[timed] = w.match.arrived - started;
    connect_took[timed++] = w.connect_arrived - started;
  }
  if (timed == 0) return 1;
  qsort(took, (size_t)timed, sizeof *took, compare_i64);
  qsort(connect_took, (size_t)timed, sizeof *connect_took, compare_i64);
  printf("start runs=%ld median_ms=%.2f min_ms=%.2f max_ms=%.2f connect_median_ms=%.2f\n", timed,
         (double)quantile(took, (size_t)timed, 0.5) / 1e6, (double)took[0] / 1e6,
         (double)took[timed - 1] / 1e6, (double)quantile(connect_took, (size_t)timed, 0.5) / 1e6);
  free(took);
  free(connect_took);
  return timed == o->count ? 0 : 1;
}

static void usage(void) {
  fputs("usage: pimqttd-latency-probe edge --port P --topic T --pull FILE [--count N] "
        "[--gap-ms G] [--high ON] [--low OFF]\n"
        "           [--baseline-chip DEV --baseline-line K --baseline-pull FILE] -- COMMAND...\n"
        "       pimqttd-latency-probe start --port P [--prefix homeassistant/] [--count N] "
        "-- COMMAND...\n"
        "(see the comment at the top of bench/latency_probe.c)\n",
        stderr);
  exit(2);
}

static long number(const char *text, long low, long high) {
  char *end = NULL;
  long value = strtol(text, &end, 10);
  if (*text == '\0' || *end != '\0' || value < low || value > high) usage();
  return value;
}

int main(int argc, char **argv) {
  Options o = {NULL, 0, NULL, "homeassistant/", NULL, "ON", "OFF", 0, 20, NULL, 0, NULL, NULL};
  if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) usage();
  o.mode = argv[1];
  for (int i = 2; i < argc; ++i) {
    const char *key = argv[i];
    if (strcmp(key, "--") == 0) {
      o.command = argv + i + 1;
      break;
    }
    if (i + 1 >= argc) usage();
    const char *value = argv[++i];
    if (strcmp(key, "--port") == 0) o.port = (int)number(value, 1, 65535);
    else if (strcmp(key, "--topic") == 0) o.topic = value;
    else if (strcmp(key, "--prefix") == 0) o.prefix = value;
    else if (strcmp(key, "--pull") == 0) o.pull = value;
    else if (strcmp(key, "--high") == 0) o.high = value;
    else if (strcmp(key, "--low") == 0) o.low = value;
    else if (strcmp(key, "--count") == 0) o.count = number(value, 1, 10000000);
    else if (strcmp(key, "--gap-ms") == 0) o.gap_ms = number(value, 0, 60000);
    else if (strcmp(key, "--baseline-chip") == 0) o.baseline_chip = value;
    else if (strcmp(key, "--baseline-line") == 0) o.baseline_line = number(value, 0, 511);
    else if (strcmp(key, "--baseline-pull") == 0) o.baseline_pull = value;
    else usage();
  }
  bool edge = strcmp(o.mode, "edge") == 0;
  if (!edge && strcmp(o.mode, "start") != 0) usage();
  if (o.port == 0 || o.command == NULL || o.command[0] == NULL) usage();
  if (edge && (o.topic == NULL || o.pull == NULL)) usage();
  if (o.count == 0) o.count = edge ? 1000 : 10;
  signal(SIGPIPE, SIG_IGN);
  uint8_t *buf = malloc(kBufferSize);
  if (!buf) die("malloc");
  int listener = listen_on(o.port);
  if (edge && o.baseline_chip != NULL && o.baseline_pull != NULL && baseline(&o, listener) < 0) {
    fprintf(stderr, "latency_probe: no baseline edge was timed\n");
    return 1;
  }
  int rc = edge ? run_edge(&o, listener, buf) : run_start(&o, listener, buf);
  free(buf);
  close(listener);
  return rc;
}
