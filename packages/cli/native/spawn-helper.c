/*
 * framewire spawn helper: starts the programs of `framewire serve` with
 * posix_spawn and carries their stdio over its own stdin and stdout.
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
 * The program gets pipes, as with any other spawn (a script may open
 * /dev/stdin or /dev/stdout, which fails on a socket). Its stdio travels as
 * records on the one channel the server already has open, so a connection
 * costs the server no socket of its own (version 1 connected two unix
 * sockets per program; accepting and closing them was a third of the
 * server's work per connection). Nothing is buffered without a bound:
 *   - stdout: the helper reads at most `credit` bytes the server granted
 *     (OUTPUT_WINDOW at the start, more with each CREDIT). While the server
 *     holds credit back, the pipe fills and the program blocks on its write.
 *   - stdin: the server sends at most INPUT_WINDOW bytes that the helper has
 *     not yet reported as written to the pipe (INPUT_TAKEN); what the pipe
 *     cannot take at once waits here, so that is the most held per program.
 *   - stderr is read as it comes (the server logs it and never holds it);
 *     a burst is read at most READS_PER_TURN times before other programs get
 *     a turn, so a program that floods stderr cannot starve the rest.
 *
 * Protocol (all integers little-endian):
 *   server -> helper: frames u32 length (of what follows), u8 type, u32 id, body
 *     type 1 SPAWN:  "path\0cwd\0" (cwd "" = the helper's), u32 argc,
 *                    argc strings "...\0", u32 envc, envc "NAME=value\0"
 *     type 2 KILL:   i32 signal: to the process group of a live program
 *     type 3 INPUT:  bytes for the program's stdin (see the window above)
 *     type 4 INPUT_END: close the program's stdin once what came is written
 *     type 5 CREDIT: u32 more stdout bytes the server can take
 *   helper -> server: 16-byte records u8 type, 3 pad, u32 id, i32 a, i32 b,
 *   a data record followed by its `a` bytes
 *     type 9  HELLO       a = protocol version (sent first, id 0)
 *     type 1  SPAWNED     a = pid
 *     type 2  FAILED      a = errno
 *     type 3  EXITED      a = exit code or -1, b = signal or 0
 *     type 4  OUTPUT      a = length, then that much of stdout
 *     type 5  ERRORS      a = length, then that much of stderr
 *     type 6  OUTPUT_END  stdout reached EOF
 *     type 7  ERRORS_END  stderr reached EOF
 *     type 8  INPUT_TAKEN a = bytes of INPUT written to the pipe since the last one
 *     type 10 INPUT_GONE  the program closed its stdin: later INPUT is dropped
 * A program's id is forgotten after EXITED, OUTPUT_END and ERRORS_END (or
 * FAILED); frames for an id the helper does not know are ignored.
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
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PROTOCOL_VERSION 2
#define MAX_FRAME (16u * 1024u * 1024u)
/* The stdout bytes a program may send before the server's first CREDIT. */
#define OUTPUT_WINDOW (64u * 1024u)
/* The most INPUT bytes in flight per program (the server keeps to it; more is refused). */
#define INPUT_WINDOW (64u * 1024u)
#define READ_CHUNK (64u * 1024u)
/* Reads of one stream per turn before other programs are served. */
#define READS_PER_TURN 8
/* Records are gathered and written to the server at the end of each turn, or once this much waits. */
#define FLUSH_AT (256u * 1024u)

#ifndef FW_SOURCE_HASH
#define FW_SOURCE_HASH "unknown"
#endif

enum report_type { SPAWNED = 1, FAILED = 2, EXITED = 3, OUTPUT = 4, ERRORS = 5, OUTPUT_END = 6, ERRORS_END = 7, INPUT_TAKEN = 8, HELLO = 9, INPUT_GONE = 10 };
enum request_type { SPAWN = 1, KILL = 2, INPUT = 3, INPUT_END = 4, CREDIT = 5 };

struct program {
  uint32_t id;
  pid_t pid;
  int reaped;
  int stdin_w, stdout_r, stderr_r; /* our ends of the program's pipes (-1 once closed) */
  unsigned char *input;            /* INPUT the pipe has not taken yet */
  size_t input_length;
  int input_end;                   /* close stdin once `input` is written */
  int input_gone;                  /* the program closed stdin: drop INPUT */
  uint32_t taken;                  /* written to the pipe, not yet reported */
  uint32_t credit;                 /* stdout bytes the server can take now */
  int again;                       /* a stream stopped at READS_PER_TURN: serve it next turn */
};

static struct program **programs;
static size_t program_count, program_capacity;
static size_t programs_again;
static int poller;

/* What goes to the server at the end of this turn. */
static unsigned char *outbox;
static size_t outbox_length, outbox_capacity;

static void die(const char *what) {
  fprintf(stderr, "framewire-spawn-helper: %s: %s\n", what, strerror(errno));
  exit(70);
}

static void put_u32(unsigned char *at, uint32_t value) {
  for (int i = 0; i < 4; i++) at[i] = (unsigned char)(value >> (8 * i));
}

static uint32_t get_u32(const unsigned char *at) {
  return (uint32_t)at[0] | (uint32_t)at[1] << 8 | (uint32_t)at[2] << 16 | (uint32_t)at[3] << 24;
}

/* Room for `length` more bytes at the end of the outbox. */
static unsigned char *outbox_reserve(size_t length) {
  if (outbox_length + length > outbox_capacity) {
    size_t capacity = outbox_capacity ? outbox_capacity : 64 * 1024;
    while (capacity < outbox_length + length) capacity *= 2;
    unsigned char *grown = realloc(outbox, capacity);
    if (grown == NULL) die("out of memory");
    outbox = grown;
    outbox_capacity = capacity;
  }
  return outbox + outbox_length;
}

/* Everything gathered, to the server; blocking, so a busy server slows the helper down instead of growing it. */
static void flush(void) {
  size_t at = 0;
  while (at < outbox_length) {
    ssize_t n = write(STDOUT_FILENO, outbox + at, outbox_length - at);
    if (n < 0 && errno == EINTR) continue;
    // The server is gone: its stdin EOF will end us; drop what was left.
    if (n < 0) break;
    at += (size_t)n;
  }
  outbox_length = 0;
}

static void fill_record(unsigned char *record, int type, uint32_t id, int32_t a, int32_t b) {
  memset(record, 0, 16);
  record[0] = (unsigned char)type;
  put_u32(record + 4, id);
  put_u32(record + 8, (uint32_t)a);
  put_u32(record + 12, (uint32_t)b);
}

static void report(int type, uint32_t id, int32_t a, int32_t b) {
  fill_record(outbox_reserve(16), type, id, a, b);
  outbox_length += 16;
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

/* Watch `fd` for `events` (edge-triggered: every pump reads or writes until the kernel says wait). */
static void watch(int fd, uint32_t events, struct program *program) {
  struct epoll_event event = {.events = events | EPOLLET, .data.ptr = program};
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  if (epoll_ctl(poller, EPOLL_CTL_ADD, fd, &event) < 0) die("epoll_ctl");
}

static struct program *find(uint32_t id) {
  for (size_t i = 0; i < program_count; i++)
    if (programs[i]->id == id) return programs[i];
  return NULL;
}

static struct program *remember(uint32_t id, pid_t pid, int stdin_w, int stdout_r, int stderr_r) {
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
  program->stdin_w = stdin_w;
  program->stdout_r = stdout_r;
  program->stderr_r = stderr_r;
  program->credit = OUTPUT_WINDOW;
  programs[program_count++] = program;
  watch(stdin_w, EPOLLOUT, program);
  watch(stdout_r, EPOLLIN, program);
  watch(stderr_r, EPOLLIN, program);
  return program;
}

/* Drop what waits for stdin and close it; the server hears that later INPUT goes nowhere. */
static void input_gone(struct program *program) {
  free(program->input);
  program->input = NULL;
  program->input_length = 0;
  program->input_gone = 1;
  close_fd(&program->stdin_w);
  report(INPUT_GONE, program->id, 0, 0);
}

/* Write what waits for stdin; report what the pipe took (the server's window opens by that much). */
static void pump_input(struct program *program) {
  size_t at = 0;
  while (at < program->input_length && program->stdin_w >= 0) {
    ssize_t n = write(program->stdin_w, program->input + at, program->input_length - at);
    if (n > 0) {
      at += (size_t)n;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) break;
    // EPIPE: the program closed its stdin (or exited).
    input_gone(program);
    return;
  }
  if (program->input_gone) return;
  if (at > 0) {
    memmove(program->input, program->input + at, program->input_length - at);
    program->input_length -= at;
    program->taken += (uint32_t)at;
  }
  if (program->input_length == 0 && program->input_end) close_fd(&program->stdin_w);
  if (program->taken > 0) {
    report(INPUT_TAKEN, program->id, (int32_t)program->taken, 0);
    program->taken = 0;
  }
}

/* Read one of the program's output pipes into data records; `limit` caps the bytes (stdout's credit). */
static void pump_output(struct program *program, int *fd, int data_type, int end_type, uint32_t *limit) {
  for (int reads = 0; *fd >= 0; reads++) {
    if (limit != NULL && *limit == 0) return;
    if (reads == READS_PER_TURN) {
      if (!program->again) programs_again++;
      program->again = 1;
      return;
    }
    size_t want = READ_CHUNK;
    if (limit != NULL && *limit < want) want = *limit;
    unsigned char *record = outbox_reserve(16 + want);
    ssize_t n = read(*fd, record + 16, want);
    if (n > 0) {
      fill_record(record, data_type, program->id, (int32_t)n, 0);
      outbox_length += 16 + (size_t)n;
      if (limit != NULL) *limit -= (uint32_t)n;
      if (outbox_length >= FLUSH_AT) flush();
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return;
    // EOF (or a broken pipe, which ends it the same way).
    close_fd(fd);
    report(end_type, program->id, 0, 0);
  }
}

/* Move what can be moved now; forget the program once it was reaped and its output ended. */
static void pump(struct program *program) {
  if (program->again) {
    program->again = 0;
    programs_again--;
  }
  pump_input(program);
  pump_output(program, &program->stdout_r, OUTPUT, OUTPUT_END, &program->credit);
  pump_output(program, &program->stderr_r, ERRORS, ERRORS_END, NULL);
  if (!program->reaped || program->stdout_r >= 0 || program->stderr_r >= 0) return;
  for (size_t i = 0; i < program_count; i++) {
    if (programs[i] != program) continue;
    programs[i] = programs[--program_count];
    break;
  }
  if (program->again) programs_again--;
  close_fd(&program->stdin_w);
  free(program->input);
  free(program);
}

static void spawn_program(uint32_t id, unsigned char *body, unsigned char *end) {
  char *path = next_string(&body, end);
  char *cwd = path ? next_string(&body, end) : NULL;
  char **argv = NULL, **envp = NULL;
  if (cwd == NULL || read_strings(&body, end, &argv) < 0 || read_strings(&body, end, &envp) < 0 || argv[0] == NULL) {
    free(argv);
    report(FAILED, id, EINVAL, 0);
    return;
  }
  int in[2], out[2], err[2];
  if (pipe2(in, O_CLOEXEC) < 0) in[0] = in[1] = -1;
  if (pipe2(out, O_CLOEXEC) < 0) out[0] = out[1] = -1;
  if (pipe2(err, O_CLOEXEC) < 0) err[0] = err[1] = -1;
  if (in[0] < 0 || out[0] < 0 || err[0] < 0) {
    int saved = errno;
    int fds[] = {in[0], in[1], out[0], out[1], err[0], err[1]};
    for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++) close_fd(&fds[i]);
    free(argv);
    free(envp);
    report(FAILED, id, saved, 0);
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
  posix_spawn_file_actions_adddup2(&actions, err[1], 2);
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
  close(err[1]);
  free(argv);
  free(envp);
  if (failed) {
    int fds[] = {in[1], out[0], err[0]};
    for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++) close_fd(&fds[i]);
    report(FAILED, id, failed, 0);
    return;
  }
  report(SPAWNED, id, pid, 0);
  pump(remember(id, pid, in[1], out[0], err[0]));
}

/* INPUT for a program: straight to the pipe when nothing waits, the rest kept (at most INPUT_WINDOW). */
static void take_input(struct program *program, const unsigned char *data, size_t length) {
  if (program->input_gone || program->input_end || program->stdin_w < 0) return;
  if (program->input_length + length > INPUT_WINDOW) {
    fprintf(stderr, "framewire-spawn-helper: program %u: input over the window, stdin closed\n", program->id);
    input_gone(program);
    return;
  }
  size_t written = 0;
  while (program->input_length == 0 && written < length) {
    ssize_t n = write(program->stdin_w, data + written, length - written);
    if (n > 0) written += (size_t)n;
    else if (n < 0 && errno == EINTR) continue;
    else if (n < 0 && errno == EAGAIN) break;
    else {
      input_gone(program);
      return;
    }
  }
  program->taken += (uint32_t)written;
  if (written < length) {
    unsigned char *grown = realloc(program->input, program->input_length + length - written);
    if (grown == NULL) die("out of memory");
    program->input = grown;
    memcpy(program->input + program->input_length, data + written, length - written);
    program->input_length += length - written;
  }
  pump_input(program);
}

static void handle_frame(int type, uint32_t id, unsigned char *body, unsigned char *end) {
  if (type == SPAWN) {
    if (find(id) == NULL) spawn_program(id, body, end);
    else report(FAILED, id, EEXIST, 0);
    return;
  }
  struct program *program = find(id);
  if (program == NULL) return;
  if (type == KILL && end - body >= 4) {
    if (!program->reaped) kill(-program->pid, (int)get_u32(body));
  } else if (type == INPUT) {
    take_input(program, body, (size_t)(end - body));
  } else if (type == INPUT_END) {
    program->input_end = 1;
    if (program->input_length == 0) close_fd(&program->stdin_w);
  } else if (type == CREDIT && end - body >= 4) {
    uint32_t more = get_u32(body);
    // Never past a full window: a confused server cannot make us read without bound.
    program->credit = more > OUTPUT_WINDOW - program->credit ? OUTPUT_WINDOW : program->credit + more;
    pump(program);
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
      report(EXITED, program->id, WIFEXITED(status) ? WEXITSTATUS(status) : -1, WIFSIGNALED(status) ? WTERMSIG(status) : 0);
      // Its output may still be in the pipes: the pumps finish it, then it is forgotten.
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
  outbox_length = 0;
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
    // Nobody reads the records any more.
    outbox_length = 0;
  }
  signal_running(SIGKILL);
  exit(0);
}

int main(int argc, char **argv) {
  if (argc == 2 && strcmp(argv[1], "--source-hash") == 0) {
    printf("%s\n", FW_SOURCE_HASH);
    return 0;
  }
  if (argc != 2 || strcmp(argv[1], "--stdio") != 0) {
    fprintf(stderr, "usage: framewire-spawn-helper --stdio (started by framewire serve, which speaks its protocol)\n");
    return 64;
  }
  signal(SIGPIPE, SIG_IGN);
  sigset_t child_signal;
  sigemptyset(&child_signal);
  sigaddset(&child_signal, SIGCHLD);
  sigprocmask(SIG_BLOCK, &child_signal, NULL);
  int children = signalfd(-1, &child_signal, SFD_NONBLOCK | SFD_CLOEXEC);
  if (children < 0) die("signalfd");
  fcntl(STDIN_FILENO, F_SETFD, FD_CLOEXEC);
  fcntl(STDOUT_FILENO, F_SETFD, FD_CLOEXEC);

  size_t have = 0, capacity = 128 * 1024;
  unsigned char *buffer = malloc(capacity);
  if (buffer == NULL) die("out of memory");
  report(HELLO, 0, PROTOCOL_VERSION, 0);
  flush();
  // Three descriptors per program: take every descriptor the system allows.
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
    flush();
    struct epoll_event events[64];
    // A program left waiting at READS_PER_TURN is served again at once.
    int count = epoll_wait(poller, events, 64, programs_again > 0 ? 0 : -1);
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
    if (programs_again > 0) {
      for (size_t j = 0; j < program_count; j++) {
        if (!programs[j]->again) continue;
        size_t before = program_count;
        pump(programs[j]);
        // pump may forget programs[j], moving the last one into its place.
        if (program_count < before) j--;
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
    while (have - at >= 4) {
      uint32_t length = get_u32(buffer + at);
      if (length < 5 || length > MAX_FRAME) {
        fprintf(stderr, "framewire-spawn-helper: bad frame length %u\n", length);
        shut_down(children);
      }
      if (have - at - 4 < length) break;
      unsigned char *frame = buffer + at + 4;
      handle_frame(frame[0], get_u32(frame + 1), frame + 5, frame + length);
      at += 4 + length;
    }
    memmove(buffer, buffer + at, have - at);
    have -= at;
  }
}
