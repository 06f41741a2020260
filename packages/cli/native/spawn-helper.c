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
 *     type 1 SPAWN:  u32 argc, u32 envc, then NUL-terminated strings: path,
 *                    cwd ("" = the helper's), argc arguments, envc "NAME=value"
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
 * dispositions and an empty signal mask. It is started with vfork() and
 * execve() directly rather than posix_spawn(): glibc's posix_spawn checks
 * each descriptor with getrlimit, maps a stack and resets all 64 signal
 * dispositions in the child, some 80 system calls per program that showed
 * in the server's CPU per connection; the helper resets the dispositions
 * once at startup instead (only SIGPIPE differs afterwards). When a program exits its whole
 * process group gets SIGKILL at once (before anything else can reuse the
 * id). When the server goes away (stdin EOF), every live program's group
 * gets SIGTERM, and SIGKILL two seconds later; then the helper exits.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
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

#define PROTOCOL_VERSION 3
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

enum role { STDIN_ROLE, STDOUT_ROLE, STDERR_ROLE };

struct program;
/* What an epoll event points at: one of a program's pipes. */
struct watch {
  struct program *program;
  int role;
};

struct program {
  uint32_t id;
  pid_t pid;
  int reaped;
  int forgotten;                   /* freed at the end of this turn (events may still point at it) */
  int stdin_w, stdout_r, stderr_r; /* our ends of the program's pipes (-1 once closed) */
  int stdin_watched;               /* stdin is in epoll (only once a write had to wait) */
  int readable[3];                 /* an edge came and the pipe was not read empty since */
  int hung_up[3];                  /* the writer is gone: read to EOF, no edge will come again */
  unsigned char *input;            /* INPUT the pipe has not taken yet */
  size_t input_length;
  int input_end;                   /* close stdin once `input` is written */
  int input_gone;                  /* the program closed stdin: drop INPUT */
  uint32_t taken;                  /* written to the pipe, not yet reported */
  uint32_t credit;                 /* stdout bytes the server can take now */
  int again;                       /* stderr stopped at READS_PER_TURN: serve it next turn */
  struct watch watches[3];
};

static struct program **programs;
static size_t program_count, program_capacity;
static size_t programs_again;
static int poller;
/* Programs forgotten during this turn, freed once its events are handled. */
static struct program **graveyard;
static size_t graveyard_count, graveyard_capacity;
/* Set by a vfork child whose execve failed (it shares our memory until it exits). */
static volatile int exec_errno;

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

/* `count` NUL-terminated strings from `*at` as a NULL-ended list; -1 when the body runs out. */
static int read_strings(unsigned char **at, unsigned char *end, uint32_t count, char ***out) {
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

/* Watch one of a program's pipes, edge-triggered; ours are the only ends made non-blocking. */
static void watch(struct program *program, int role, int fd, uint32_t events) {
  program->watches[role] = (struct watch){.program = program, .role = role};
  struct epoll_event event = {.events = events | EPOLLET, .data.ptr = &program->watches[role]};
  fcntl(fd, F_SETFL, O_NONBLOCK);
  if (epoll_ctl(poller, EPOLL_CTL_ADD, fd, &event) < 0) die("epoll_ctl");
}

/* Add `program` at the end of a growing list (doubling, from 64). */
static void append(struct program ***list, size_t *count, size_t *capacity, struct program *program) {
  if (*count == *capacity) {
    size_t more = *capacity ? *capacity * 2 : 64;
    struct program **grown = realloc(*list, more * sizeof *grown);
    if (grown == NULL) die("out of memory");
    *list = grown;
    *capacity = more;
  }
  (*list)[(*count)++] = program;
}

static struct program *find(uint32_t id) {
  for (size_t i = 0; i < program_count; i++)
    if (programs[i]->id == id) return programs[i];
  return NULL;
}

static struct program *remember(uint32_t id, pid_t pid, int stdin_w, int stdout_r, int stderr_r) {
  append(&programs, &program_count, &program_capacity, NULL);
  struct program *program = calloc(1, sizeof *program);
  if (program == NULL) die("out of memory");
  program->id = id;
  program->pid = pid;
  program->stdin_w = stdin_w;
  program->stdout_r = stdout_r;
  program->stderr_r = stderr_r;
  program->credit = OUTPUT_WINDOW;
  programs[program_count - 1] = program;
  // stdin is written at once when input comes; it is watched only once a write has to wait.
  fcntl(stdin_w, F_SETFL, O_NONBLOCK);
  watch(program, STDOUT_ROLE, stdout_r, EPOLLIN);
  watch(program, STDERR_ROLE, stderr_r, EPOLLIN);
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
    if (n < 0 && errno == EAGAIN) {
      // Full: from now on the pipe says when it has room.
      if (!program->stdin_watched) {
        struct epoll_event event = {.events = EPOLLOUT | EPOLLET, .data.ptr = &program->watches[STDIN_ROLE]};
        program->watches[STDIN_ROLE] = (struct watch){.program = program, .role = STDIN_ROLE};
        if (epoll_ctl(poller, EPOLL_CTL_ADD, program->stdin_w, &event) < 0) die("epoll_ctl");
        program->stdin_watched = 1;
      }
      break;
    }
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

/*
 * Read one of the program's output pipes into data records while it has
 * data; `limit` caps the bytes (stdout's credit). A pipe read that returns
 * less than asked emptied the pipe, and the next write to it brings a new
 * edge, so no read is spent on EAGAIN.
 */
static void pump_output(struct program *program, int role) {
  // (A hung-up pipe is read until read() returns 0: the end gives no second edge.)
  int *fd = role == STDOUT_ROLE ? &program->stdout_r : &program->stderr_r;
  uint32_t *limit = role == STDOUT_ROLE ? &program->credit : NULL;
  for (int reads = 0; *fd >= 0 && program->readable[role]; reads++) {
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
      fill_record(record, role == STDOUT_ROLE ? OUTPUT : ERRORS, program->id, (int32_t)n, 0);
      outbox_length += 16 + (size_t)n;
      if (limit != NULL) *limit -= (uint32_t)n;
      if (outbox_length >= FLUSH_AT) flush();
      if ((size_t)n < want && !program->hung_up[role]) program->readable[role] = 0;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) {
      program->readable[role] = 0;
      return;
    }
    // EOF (or a broken pipe, which ends it the same way).
    close_fd(fd);
    report(role == STDOUT_ROLE ? OUTPUT_END : ERRORS_END, program->id, 0, 0);
  }
}

/* Forget a program once it was reaped and its output ended; it is freed at the end of the turn. */
static void forget_if_done(struct program *program) {
  if (program->forgotten || !program->reaped || program->stdout_r >= 0 || program->stderr_r >= 0) return;
  for (size_t i = 0; i < program_count; i++) {
    if (programs[i] != program) continue;
    programs[i] = programs[--program_count];
    break;
  }
  if (program->again) programs_again--;
  program->again = 0;
  program->forgotten = 1;
  close_fd(&program->stdin_w);
  append(&graveyard, &graveyard_count, &graveyard_capacity, program);
}

/* Serve whatever of `program` is ready: an edge on one pipe, credit, a reap, or its turn after READS_PER_TURN. */
static void pump(struct program *program) {
  if (program->forgotten) return;
  if (program->again) {
    program->again = 0;
    programs_again--;
  }
  pump_input(program);
  pump_output(program, STDOUT_ROLE);
  pump_output(program, STDERR_ROLE);
  forget_if_done(program);
}

static void spawn_program(uint32_t id, unsigned char *body, unsigned char *end) {
  char **argv = NULL, **envp = NULL;
  uint32_t argc = end - body >= 8 ? get_u32(body) : 0, envc = end - body >= 8 ? get_u32(body + 4) : 0;
  body += end - body >= 8 ? 8 : 0;
  char *path = argc > 0 ? next_string(&body, end) : NULL;
  char *cwd = path ? next_string(&body, end) : NULL;
  if (cwd == NULL || read_strings(&body, end, argc, &argv) < 0 || read_strings(&body, end, envc, &envp) < 0) {
    free(argv);
    free(envp);
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
  // The child shares our memory and runs until execve: only system calls in it, then execve or _exit.
  exec_errno = 0;
  pid_t pid = vfork();
  if (pid == 0) {
    if (dup2(in[0], 0) < 0 || dup2(out[1], 1) < 0 || dup2(err[1], 2) < 0 || setsid() < 0 ||
        (cwd[0] != '\0' && chdir(cwd) < 0)) {
      exec_errno = errno;
      _exit(127);
    }
    struct sigaction default_action = {.sa_handler = SIG_DFL};
    sigaction(SIGPIPE, &default_action, NULL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    execve(path, argv, envp);
    exec_errno = errno;
    _exit(127);
  }
  int failed = pid < 0 ? errno : exec_errno;
  // The program's ends are the program's now.
  close(in[0]);
  close(out[1]);
  close(err[1]);
  free(argv);
  free(envp);
  if (failed) {
    // A child that could not exec has exited already: reap it here, the server never knew it.
    if (pid > 0) waitpid(pid, NULL, 0);
    int fds[] = {in[1], out[0], err[0]};
    for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++) close_fd(&fds[i]);
    report(FAILED, id, failed, 0);
    return;
  }
  report(SPAWNED, id, pid, 0);
  remember(id, pid, in[1], out[0], err[0]);
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
    pump_output(program, STDOUT_ROLE);
    forget_if_done(program);
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
      // Its output may still be in the pipes: their edges finish it, then it is forgotten.
      forget_if_done(program);
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
  // Programs get descriptors 0-2 from pipes created here: none of them may be a free number.
  for (int fd = 0; fd < 3; fd++)
    if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", O_RDWR) != fd) die("open /dev/null");
  // Default dispositions for every signal, once, so that a program inherits them (only SIGPIPE is reset per program).
  struct sigaction default_action = {.sa_handler = SIG_DFL};
  for (int sig = 1; sig < NSIG; sig++)
    if (sig != SIGKILL && sig != SIGSTOP) sigaction(sig, &default_action, NULL);
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
        // One of a program's pipes (a program forgotten in this turn is freed only after it).
        struct watch *watch = mark;
        struct program *program = watch->program;
        if (program->forgotten) continue;
        if (watch->role == STDIN_ROLE) pump_input(program);
        else {
          program->readable[watch->role] = 1;
          if (events[i].events & (EPOLLHUP | EPOLLERR)) program->hung_up[watch->role] = 1;
          pump_output(program, watch->role);
        }
        forget_if_done(program);
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
    for (size_t j = 0; j < graveyard_count; j++) {
      free(graveyard[j]->input);
      free(graveyard[j]);
    }
    graveyard_count = 0;
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
