// Stand-in payload helper for scripts/vmtest: opens, loads and attaches every
// program of one BPF object, as the agent would, and says which step failed.
// bpftool (7.1 in Debian 12) can load but not attach tracing programs, and a
// kprobe program loads even on a kernel without kprobes: only attaching
// proves a mode works.
//   standin_attach OBJECT [PREFIX,...]
// With prefixes, only the programs whose names start with one of them are
// loaded and attached (the agent's object holds all attach modes' programs).
// Exit 0 when every selected program attached.
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdbool.h>
#include <string.h>

static bool selected(const char *name, const char *prefixes) {
  if (!prefixes) return true;
  const char *p = prefixes;
  while (*p) {
    size_t len = strcspn(p, ",");
    if (len && strncmp(name, p, len) == 0) return true;
    p += len;
    if (*p == ',') p++;
  }
  return false;
}

static int quiet(enum libbpf_print_level level, const char *fmt, va_list args) {
  // Verifier and libbpf detail only when something fails at warn level.
  return level == LIBBPF_WARN ? vfprintf(stderr, fmt, args) : 0;
}

int main(int argc, char **argv) {
  if (argc != 2 && argc != 3) {
    fprintf(stderr, "usage: %s OBJECT [PREFIX,...]\n", argv[0]);
    return 2;
  }
  libbpf_set_print(quiet);
  struct bpf_object *obj = bpf_object__open_file(argv[1], NULL);
  if (!obj) {
    fprintf(stderr, "%s: open failed: %s\n", argv[1], strerror(errno));
    return 1;
  }
  const char *prefixes = argc == 3 ? argv[2] : NULL;
  struct bpf_program *prog;
  int chosen = 0;
  bpf_object__for_each_program(prog, obj) {
    bool on = selected(bpf_program__name(prog), prefixes);
    bpf_program__set_autoload(prog, on);
    chosen += on;
  }
  if (!chosen) {
    fprintf(stderr, "%s: no program matches %s\n", argv[1], prefixes);
    bpf_object__close(obj);
    return 1;
  }
  int rc = 0;
  if (bpf_object__load(obj)) {
    fprintf(stderr, "%s: load failed: %s\n", argv[1], strerror(errno));
    rc = 1;
  } else {
    bpf_object__for_each_program(prog, obj) {
      if (!bpf_program__autoload(prog)) continue;
      struct bpf_link *link = bpf_program__attach(prog);
      if (!link) {
        fprintf(stderr, "%s: attach %s failed: %s\n", argv[1], bpf_program__section_name(prog),
                strerror(errno));
        rc = 1;
        continue;
      }
      printf("attached %s (%s)\n", bpf_program__name(prog), bpf_program__section_name(prog));
      bpf_link__destroy(link);
    }
  }
  bpf_object__close(obj);
  return rc;
}
