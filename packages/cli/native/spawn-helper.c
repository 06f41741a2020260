/*
 * framewire spawn helper: starts the programs of `framewire serve` for a
 * Node server, with posix_spawn.
 *
 * Why this exists: Node's child_process (libuv 1.46 to 1.52) starts every
 * program with fork(), which copies the page tables of the whole server and
 * makes each later write to its heap fault once. A server that starts one
 * program per WebSocket connection spends most of its time there (measured:
 * about 0.9 ms of the server's CPU per spawn, more than the rest of the
 * connection). glibc's posix_spawn uses clone(CLONE_VM|CLONE_VFORK) and does
 * not copy anything. No npm library offers posix_spawn to Node without a
 * native addon, so this small program does it, and the server talks to it
 * over its stdin and stdout. Where it cannot run, the server spawns as before.
 *
 * How the program's stdio reaches the server: the program gets pipes, as
 * with any other spawn (a script may open /dev/stdin or /dev/stdout, which
 * fails on a socket). The server listens on a unix socket in a private
 * (0700) folder; for each request the helper connects to it twice and writes
 * a 16-byte header on each connection (the run's token, the request id and
 * the role). The helper then moves bytes with splice(2), inside the kernel:
 * first connection -> stdin pipe, stdout pipe -> first connection, stderr
 * pipe -> second connection. Each move waits while its destination is full,
 * so a slow reader on either side holds the writer back (no buffering here).
 * End of input is passed on (stdin EOF; the server sees stdout and stderr
 * end), and a side that went away is drained and dropped so that the other
 * side never blocks on it.
 *
 * Protocol (all integers little-endian):
 *   server -> helper: 8 bytes of token once, then frames
 *     u32 length (of what follows), u8 type, u32 id, body
 *       type 1 SPAWN: "path\0cwd\0" (cwd "" = the helper's), u32 argc,
 *                     argc strings "...\0", u32 envc, envc "NAME=value\0"
 *       type 2 KILL:  i32 signal: to the process group of a live program
 *   helper -> server: 16-byte records u8 type, 3 pad, u32 id, i32 a, i32 b
 *       type 9 HELLO    a = protocol version (sent first, id 0)
 *       type 1 SPAWNED  a = pid
 *       type 2 FAILED   a = errno
 *       type 3 EXITED   a = exit code or -1, b = signal or 0
 * Every program runs in its own session (setsid), with default signal
 * dispositions and an empty signal mask. When a program exits its whole
 * process group gets SIGKILL at once (before anything else can reuse the
 * id). When the server goes away (stdin EOF), every live program's group
 * gets SIGTERM, and SIGKILL two seconds later; then the helper exits.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PROTOCOL_VERSION 1
#define MAX_FRAME (16u * 1024u * 1024u)

#ifndef FW_SOURCE_HASH
#define FW_SOURCE_HASH "unknown"
#endif

/* One one-way move of bytes between two of a program's descriptors. */
struct relay {
  int from, to;
  int done;       /* the source ended and the end was passed on */
  int discarding; /* the destination is gone: drain the source and drop it */
};

enum { STDIN_RELAY, STDOUT_RELAY, STDERR_RELAY };

struct program {
  uint32_t id;
  pid_t pid;
  int reaped;
  int io, errors;              /* the server's two connections (-1 once closed) */
  int stdin_w, stdout_r, stderr_r; /* our ends of the program's pipes (-1 once closed) */
  struct relay relays[3];
};

static struct program **programs;
static size_t program_count, program_capacity;
static struct sockaddr_un server_address;
static int poller;
static unsigned char token[8];

static void die(const char *what) {
  fprintf(stderr, "framewire-spawn-helper: %s: %s\n", what, strerror(errno));
  exit(70);
}

static void write_all(int fd, const void *data, size_t length) {
  const unsigned char *at = data;
  while (length > 0) {
    ssize_t n = write(fd, at, length);
    if (n < 0 && errno == EINTR) continue;
    // The server is gone: its stdin EOF will end us; drop the record.
    if (n < 0) return;
    at += n;
    length -= (size_t)n;
  }
}

static void put_u32(unsigned char *at, uint32_t value) {
  for (int i = 0; i < 4; i++) at[i] = (unsigned char)(value >> (8 * i));
}

static uint32_t get_u32(const unsigned char *at) {
  return (uint32_t)at[0] | (uint32_t)at[1] << 8 | (uint32_t)at[2] << 16 | (uint32_t)at[3] << 24;
}

static void report(int type, uint32_t id, int32_t a, int32_t b) {
  unsigned char record[16] = {0};
  record[0] = (unsigned char)type;
  put_u32(record + 4, id);
  put_u32(record + 8, (uint32_t)a);
  put_u32(record + 12, (uint32_t)b);
  write_all(STDOUT_FILENO, record, sizeof record);
}

/* One connection to the server, announced with the token, id and role. */
static int connect_stdio(uint32_t id, int role) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  while (connect(fd, (struct sockaddr *)&server_address, sizeof server_address) < 0) {
    if (errno == EINTR) continue;
    // A full accept backlog: the server is busy, try again shortly.
    if (errno == EAGAIN) {
      struct timespec pause = {0, 1000000};
      nanosleep(&pause, NULL);
      continue;
    }
    close(fd);
    return -1;
  }
  unsigned char header[16] = {0};
  memcpy(header, token, 8);
  put_u32(header + 8, id);
  header[12] = (unsigned char)role;
  write_all(fd, header, sizeof header);
  return fd;
}

/* Read the next NUL-terminated string of a frame body; NULL when it runs out. */
static char *next_string(unsigned char **at, unsigned char *end) {
  unsigned char *start = *at;
  unsigned char *nul = memchr(start, 0, (size_t)(end - start));
  if (nul == NULL) return NULL;
  *at = nul + 1;
  return (char *)start;
}

static int read_strings(unsigned char **at, unsigned char *end, char ***out) {
  if (end - *at < 4) return -1;
  uint32_t count = get_u32(*at);
  *at += 4;
  if (count > (uint32_t)(end - *at)) return -1;
  char **list = calloc((size_t)count + 1, sizeof *list);
  if (list == NULL) return -1;
  for (uint32_t i = 0; i < count; i++) {
    list[i] = next_string(at, end);
    if (list[i] == NULL) {
      free(list);
      return -1;
    }
  }
  *out = list;
  return 0;
}

static void close_fd(int *fd) {
  if (*fd >= 0) close(*fd);
  *fd = -1;
}

/* Watch `fd` for `events` (edge-triggered: every pump moves bytes until the kernel says wait). */
static void watch(int fd, uint32_t events, struct program *program) {
  struct epoll_event event = {.events = events | EPOLLET, .data.ptr = program};
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  if (epoll_ctl(poller, EPOLL_CTL_ADD, fd, &event) < 0) die("epoll_ctl");
}

static struct program *remember(uint32_t id, pid_t pid, int io, int errors, int stdin_w, int stdout_r, int stderr_r) {
  if (program_count == program_capacity) {
    size_t capacity = program_capacity ? program_capacity * 2 : 64;
    struct program **grown = realloc(programs, capacity * sizeof *grown);
    if (grown == NULL) die("out of memory");
    programs = grown;
    program_capacity = capacity;
  }
  struct program *program = calloc(1, sizeof *program);
  if (program == NULL) die("out of memory");
  program->id = id;
  program->pid = pid;
  program->io = io;
  program->errors = errors;
  program->stdin_w = stdin_w;
  program->stdout_r = stdout_r;
  program->stderr_r = stderr_r;
  program->relays[STDIN_RELAY] = (struct relay){.from = io, .to = stdin_w};
  program->relays[STDOUT_RELAY] = (struct relay){.from = stdout_r, .to = io};
  program->relays[STDERR_RELAY] = (struct relay){.from = stderr_r, .to = errors};
  programs[program_count++] = program;
  watch(io, EPOLLIN | EPOLLOUT | EPOLLRDHUP, program);
  watch(errors, EPOLLOUT, program);
  watch(stdin_w, EPOLLOUT, program);
  watch(stdout_r, EPOLLIN, program);
  watch(stderr_r, EPOLLIN, program);
  return program;
}

/* Pass the end of one relay on: EOF to the program's stdin, or the end of its stdout or stderr to the server. */
static void finish(struct program *program, int which) {
  struct relay *relay = &program->relays[which];
  relay->done = 1;
  if (which == STDIN_RELAY) close_fd(&program->stdin_w);
  else if (which == STDOUT_RELAY) {
    close_fd(&program->stdout_r);
    if (program->io >= 0) shutdown(program->io, SHUT_WR);
  } else {
    close_fd(&program->stderr_r);
    close_fd(&program->errors);
  }
  // The server's first connection carries two relays: it closes when both ended.
  if (program->relays[STDIN_RELAY].done && program->relays[STDOUT_RELAY].done) close_fd(&program->io);
}

/* Move what can be moved now; with edge-triggered events, always until the kernel says wait. */
static void pump_relay(struct program *program, int which) {
  struct relay *relay = &program->relays[which];
  static char scrap[64 * 1024];
  while (!relay->done) {
    ssize_t n = relay->discarding ? read(relay->from, scrap, sizeof scrap)
                                  : splice(relay->from, NULL, relay->to, NULL, 64 * 1024, SPLICE_F_NONBLOCK | SPLICE_F_MOVE);
    if (n > 0) continue;
    if (n == 0) return finish(program, which);
    if (errno == EINTR) continue;
    if (errno == EAGAIN) return;
    // The destination is gone (EPIPE: the program closed stdin, or the server its connection): keep the
    // source flowing so its writer never blocks, and drop what comes. A broken source ends the relay.
    if (!relay->discarding && (errno == EPIPE || errno == ECONNRESET)) {
      relay->discarding = 1;
      continue;
    }
    return finish(program, which);
  }
}

/* Forget a program once it was reaped and all its descriptors are closed. */
static void pump(struct program *program) {
  for (int which = 0; which < 3; which++) pump_relay(program, which);
  if (!program->reaped || program->io >= 0 || program->errors >= 0) return;
  for (size_t i = 0; i < program_count; i++) {
    if (programs[i] != program) continue;
    programs[i] = programs[--program_count];
    break;
  }
  close_fd(&program->stdin_w);
  close_fd(&program->stdout_r);
  close_fd(&program->stderr_r);
  free(program);
}

static void spawn_program(uint32_t id, unsigned char *body, unsigned char *end) {
  char *path = next_string(&body, end);
  char *cwd = path ? next_string(&body, end) : NULL;
  char **argv = NULL, **envp = NULL;
  if (cwd == NULL || read_strings(&body, end, &argv) < 0 || read_strings(&body, end, &envp) < 0 || argv[0] == NULL) {
    free(argv);
    report(2, id, EINVAL, 0);
    return;
  }
  int io = connect_stdio(id, 0);
  int err = io < 0 ? -1 : connect_stdio(id, 1);
  if (err < 0) {
    int saved = errno;
    if (io >= 0) close(io);
    free(argv);
    free(envp);
    report(2, id, saved, 0);
    return;
  }
  int in[2], out[2], err_pipe[2];
  if (pipe2(in, O_CLOEXEC) < 0) in[0] = in[1] = -1;
  if (pipe2(out, O_CLOEXEC) < 0) out[0] = out[1] = -1;
  if (pipe2(err_pipe, O_CLOEXEC) < 0) err_pipe[0] = err_pipe[1] = -1;
  if (in[0] < 0 || out[0] < 0 || err_pipe[0] < 0) {
    int saved = errno;
    int fds[] = {io, err, in[0], in[1], out[0], out[1], err_pipe[0], err_pipe[1]};
    for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++) close_fd(&fds[i]);
    free(argv);
    free(envp);
    report(2, id, saved, 0);
    return;
  }
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attributes;
  sigset_t all, none;
  sigfillset(&all);
  sigemptyset(&none);
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in[0], 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);
  if (cwd[0] != '\0') posix_spawn_file_actions_addchdir_np(&actions, cwd);
  posix_spawnattr_init(&attributes);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
  posix_spawnattr_setsigdefault(&attributes, &all);
  posix_spawnattr_setsigmask(&attributes, &none);
  pid_t pid;
  int failed = posix_spawn(&pid, path, &actions, &attributes, argv, envp);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  // The program's ends are the program's now.
  close(in[0]);
  close(out[1]);
  close(err_pipe[1]);
  free(argv);
  free(envp);
  if (failed) {
    int fds[] = {io, err, in[1], out[0], err_pipe[0]};
    for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++) close_fd(&fds[i]);
    report(2, id, failed, 0);
    return;
  }
  report(1, id, pid, 0);
  pump(remember(id, pid, io, err, in[1], out[0], err_pipe[0]));
}

static void kill_program(uint32_t id, int signal) {
  for (size_t i = 0; i < program_count; i++) {
    if (programs[i]->id == id && !programs[i]->reaped) {
      kill(-programs[i]->pid, signal);
      return;
    }
  }
}

/* Reap every exited program: report it, then SIGKILL what it left in its group. */
static void reap(void) {
  for (;;) {
    int status;
    pid_t pid = waitpid(-1, &status, WNOHANG);
    if (pid <= 0) return;
    for (size_t i = 0; i < program_count; i++) {
      struct program *program = programs[i];
      if (program->pid != pid || program->reaped) continue;
      kill(-pid, SIGKILL);
      program->reaped = 1;
      report(3, program->id, WIFEXITED(status) ? WEXITSTATUS(status) : -1, WIFSIGNALED(status) ? WTERMSIG(status) : 0);
      // Its output may still be in the pipes: the relays finish it, then it is forgotten.
      pump(program);
      break;
    }
  }
}

/* The server is gone: stop every program (SIGTERM, then SIGKILL after 2 s) and exit. */
static size_t signal_running(int signal) {
  size_t running = 0;
  for (size_t i = 0; i < program_count; i++) {
    if (programs[i]->reaped) continue;
    running++;
    if (signal != 0) kill(-programs[i]->pid, signal);
  }
  return running;
}

static void shut_down(int children) {
  signal_running(SIGTERM);
  struct timespec start, now;
  clock_gettime(CLOCK_MONOTONIC, &start);
  while (signal_running(0) > 0) {
    clock_gettime(CLOCK_MONOTONIC, &now);
    long waited = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
    if (waited >= 2000) break;
    struct pollfd wait_for = {children, POLLIN, 0};
    poll(&wait_for, 1, (int)(2000 - waited));
    struct signalfd_siginfo info;
    while (read(children, &info, sizeof info) == sizeof info) {
    }
    reap();
  }
  signal_running(SIGKILL);
  exit(0);
}

int main(int argc, char **argv) {
  if (argc == 2 && strcmp(argv[1], "--source-hash") == 0) {
    printf("%s\n", FW_SOURCE_HASH);
    return 0;
  }
  if (argc != 2 || strlen(argv[1]) >= sizeof server_address.sun_path) {
    fprintf(stderr, "usage: framewire-spawn-helper SOCKET_PATH (started by framewire serve)\n");
    return 64;
  }
  server_address.sun_family = AF_UNIX;
  strcpy(server_address.sun_path, argv[1]);
  signal(SIGPIPE, SIG_IGN);
  sigset_t child_signal;
  sigemptyset(&child_signal);
  sigaddset(&child_signal, SIGCHLD);
  sigprocmask(SIG_BLOCK, &child_signal, NULL);
  int children = signalfd(-1, &child_signal, SFD_NONBLOCK | SFD_CLOEXEC);
  if (children < 0) die("signalfd");
  fcntl(STDIN_FILENO, F_SETFD, FD_CLOEXEC);
  fcntl(STDOUT_FILENO, F_SETFD, FD_CLOEXEC);

  size_t have = 0, capacity = 64 * 1024;
  unsigned char *buffer = malloc(capacity);
  if (buffer == NULL) die("out of memory");
  int token_read = 0;
  report(9, 0, PROTOCOL_VERSION, 0);
  // Up to 5 descriptors per program: take every descriptor the system allows.
  struct rlimit files;
  if (getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max;
    setrlimit(RLIMIT_NOFILE, &files);
  }
  poller = epoll_create1(EPOLL_CLOEXEC);
  if (poller < 0) die("epoll_create1");
  // The server's requests and the children's exits are level-triggered and told apart by these two marks.
  static char requests_mark, children_mark;
  struct epoll_event requests_event = {.events = EPOLLIN, .data.ptr = &requests_mark};
  struct epoll_event children_event = {.events = EPOLLIN, .data.ptr = &children_mark};
  if (epoll_ctl(poller, EPOLL_CTL_ADD, STDIN_FILENO, &requests_event) < 0) die("epoll_ctl");
  if (epoll_ctl(poller, EPOLL_CTL_ADD, children, &children_event) < 0) die("epoll_ctl");
  for (;;) {
    struct epoll_event events[64];
    int count = epoll_wait(poller, events, 64, -1);
    if (count < 0) {
      if (errno == EINTR) continue;
      die("epoll_wait");
    }
    int requests = 0;
    for (int i = 0; i < count; i++) {
      void *mark = events[i].data.ptr;
      if (mark == &requests_mark) requests = 1;
      else if (mark == &children_mark) {
        struct signalfd_siginfo info;
        while (read(children, &info, sizeof info) == sizeof info) {
        }
        reap();
      } else {
        // A program's descriptor: it may have been forgotten by a reap in this same batch.
        for (size_t j = 0; j < program_count; j++) {
          if (programs[j] == mark) {
            pump(mark);
            break;
          }
        }
      }
    }
    if (!requests) continue;
    if (have == capacity) {
      capacity *= 2;
      unsigned char *grown = realloc(buffer, capacity);
      if (grown == NULL) die("out of memory");
      buffer = grown;
    }
    ssize_t n = read(STDIN_FILENO, buffer + have, capacity - have);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0) shut_down(children);
    have += (size_t)n;
    size_t at = 0;
    if (!token_read) {
      if (have < 8) continue;
      memcpy(token, buffer, 8);
      token_read = 1;
      at = 8;
    }
    while (have - at >= 4) {
      uint32_t length = get_u32(buffer + at);
      if (length < 5 || length > MAX_FRAME) {
        fprintf(stderr, "framewire-spawn-helper: bad frame length %u\n", length);
        shut_down(children);
      }
      if (have - at - 4 < length) break;
      unsigned char *frame = buffer + at + 4;
      uint32_t id = get_u32(frame + 1);
      if (frame[0] == 1) spawn_program(id, frame + 5, frame + length);
      else if (frame[0] == 2 && length >= 9) kill_program(id, (int)get_u32(frame + 5));
      at += 4 + length;
    }
    memmove(buffer, buffer + at, have - at);
    have -= at;
  }
}
