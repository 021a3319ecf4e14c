/* io_trace: an LD_PRELOAD library for tests that records, in order, the file system calls a
 * process makes on the files of one directory: open (with O_WRONLY/O_RDWR, O_CREAT, O_TRUNC,
 * O_DIRECTORY), write, fsync, fdatasync, close, rename. One line per call, appended to the file
 * named by IO_TRACE_LOG, for paths whose directory is IO_TRACE_DIR or IO_TRACE_DIR itself:
 *
 *     open W C T sensors.json.tmp      (W: opened for writing, C: O_CREAT, T: O_TRUNC)
 *     open R D .                       (the directory itself, D: O_DIRECTORY)
 *     write sensors.json.tmp 57
 *     fsync sensors.json.tmp
 *     close sensors.json.tmp
 *     rename sensors.json.tmp sensors.json
 *
 * Names are relative to IO_TRACE_DIR. Calls are passed on unchanged. Thread-safe enough for
 * the daemon (a mutex around the fd table and the log). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_FDS 4096

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static char *names[MAX_FDS];

/* The name of `path` relative to IO_TRACE_DIR ("." for the directory), or NULL when outside. */
static const char *traced_name(const char *path, char *out, size_t size) {
  const char *dir = getenv("IO_TRACE_DIR");
  if (dir == NULL || path == NULL) return NULL;
  size_t length = strlen(dir);
  while (length > 1 && dir[length - 1] == '/') --length;
  if (strncmp(path, dir, length) != 0) return NULL;
  const char *rest = path + length;
  if (*rest == '\0' || (rest[0] == '/' && rest[1] == '\0')) {
    snprintf(out, size, ".");
    return out;
  }
  if (rest[0] != '/' || strchr(rest + 1, '/') != NULL) return NULL;
  snprintf(out, size, "%s", rest + 1);
  return out;
}

static void record(const char *format, ...) {
  const char *log = getenv("IO_TRACE_LOG");
  if (log == NULL) return;
  char line[PATH_MAX * 2 + 64];
  va_list args;
  va_start(args, format);
  int n = vsnprintf(line, sizeof line - 1, format, args);
  va_end(args);
  if (n < 0) return;
  if ((size_t)n > sizeof line - 2) n = (int)(sizeof line - 2);
  line[n] = '\n';
  static int (*real_open)(const char *, int, ...);
  static ssize_t (*real_write)(int, const void *, size_t);
  static int (*real_close)(int);
  if (real_open == NULL) real_open = (int (*)(const char *, int, ...))dlsym(RTLD_NEXT, "open");
  if (real_write == NULL) real_write = (ssize_t(*)(int, const void *, size_t))dlsym(RTLD_NEXT, "write");
  if (real_close == NULL) real_close = (int (*)(int))dlsym(RTLD_NEXT, "close");
  int fd = real_open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) return;
  (void)real_write(fd, line, (size_t)n + 1);
  real_close(fd);
}

static int after_open(int fd, const char *path, int flags) {
  char name[PATH_MAX];
  if (fd < 0 || fd >= MAX_FDS || traced_name(path, name, sizeof name) == NULL) return fd;
  int saved = errno;
  pthread_mutex_lock(&lock);
  free(names[fd]);
  names[fd] = strdup(name);
  int access = flags & O_ACCMODE;
  record("open %s%s%s%s %s", access == O_RDONLY ? "R" : "W", (flags & O_CREAT) ? " C" : "",
         (flags & O_TRUNC) ? " T" : "", (flags & O_DIRECTORY) ? " D" : "", name);
  pthread_mutex_unlock(&lock);
  errno = saved;
  return fd;
}

static void on_fd(int fd, const char *what, long long size) {
  if (fd < 0 || fd >= MAX_FDS) return;
  int saved = errno;
  pthread_mutex_lock(&lock);
  if (names[fd] != NULL) {
    if (size >= 0) {
      record("%s %s %lld", what, names[fd], size);
    } else {
      record("%s %s", what, names[fd]);
    }
    if (strcmp(what, "close") == 0) {
      free(names[fd]);
      names[fd] = NULL;
    }
  }
  pthread_mutex_unlock(&lock);
  errno = saved;
}

typedef int (*open_fn)(const char *, int, ...);
typedef int (*openat_fn)(int, const char *, int, ...);
typedef ssize_t (*write_fn)(int, const void *, size_t);
typedef int (*fd_fn)(int);
typedef int (*rename_fn)(const char *, const char *);

#define REAL(name, type) \
  static type real_##name; \
  if (real_##name == NULL) real_##name = (type)dlsym(RTLD_NEXT, #name)

static mode_t mode_of(int flags, va_list args) {
  return (flags & (O_CREAT | O_TMPFILE)) ? (mode_t)va_arg(args, int) : 0;
}

/* The open calls, with and without a directory fd, each with a 64-bit twin of the same body. */
#define DEFINE_OPEN(name)                                     \
  int name(const char *path, int flags, ...) {                \
    REAL(name, open_fn);                                      \
    va_list args;                                             \
    va_start(args, flags);                                    \
    mode_t mode = mode_of(flags, args);                       \
    va_end(args);                                             \
    return after_open(real_##name(path, flags, mode), path, flags); \
  }
#define DEFINE_OPENAT(name)                                   \
  int name(int dirfd, const char *path, int flags, ...) {     \
    REAL(name, openat_fn);                                    \
    va_list args;                                             \
    va_start(args, flags);                                    \
    mode_t mode = mode_of(flags, args);                       \
    va_end(args);                                             \
    return after_open(real_##name(dirfd, path, flags, mode), path, flags); \
  }

DEFINE_OPEN(open)
DEFINE_OPEN(open64)
DEFINE_OPENAT(openat)
DEFINE_OPENAT(openat64)

int __open_2(const char *path, int flags) { return open(path, flags); }
int __open64_2(const char *path, int flags) { return open64(path, flags); }

ssize_t write(int fd, const void *buffer, size_t size) {
  REAL(write, write_fn);
  ssize_t n = real_write(fd, buffer, size);
  if (n >= 0) on_fd(fd, "write", (long long)n);
  return n;
}

int fsync(int fd) {
  REAL(fsync, fd_fn);
  int result = real_fsync(fd);
  if (result == 0) on_fd(fd, "fsync", -1);
  return result;
}

int fdatasync(int fd) {
  REAL(fdatasync, fd_fn);
  int result = real_fdatasync(fd);
  if (result == 0) on_fd(fd, "fdatasync", -1);
  return result;
}

int close(int fd) {
  REAL(close, fd_fn);
  on_fd(fd, "close", -1);
  return real_close(fd);
}

int rename(const char *from, const char *to) {
  REAL(rename, rename_fn);
  int result = real_rename(from, to);
  char a[PATH_MAX];
  char b[PATH_MAX];
  if (result == 0 && traced_name(from, a, sizeof a) != NULL &&
      traced_name(to, b, sizeof b) != NULL) {
    int saved = errno;
    pthread_mutex_lock(&lock);
    record("rename %s %s", a, b);
    pthread_mutex_unlock(&lock);
    errno = saved;
  }
  return result;
}
