// Stand-in payload helper for scripts/vmtest: opens, loads and attaches every
// program of one BPF object, as the agent would, and says which step failed.
// bpftool (7.1 in Debian 12) can load but not attach tracing programs, and a
// kprobe program loads even on a kernel without kprobes: only attaching
// proves a mode works.
//   standin_attach OBJECT   exit 0 when every program attached
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

static int quiet(enum libbpf_print_level level, const char *fmt, va_list args) {
  // Verifier and libbpf detail only when something fails at warn level.
  return level == LIBBPF_WARN ? vfprintf(stderr, fmt, args) : 0;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s OBJECT\n", argv[0]);
    return 2;
  }
  libbpf_set_print(quiet);
  struct bpf_object *obj = bpf_object__open_file(argv[1], NULL);
  if (!obj) {
    fprintf(stderr, "%s: open failed: %s\n", argv[1], strerror(errno));
    return 1;
  }
  int rc = 0;
  if (bpf_object__load(obj)) {
    fprintf(stderr, "%s: load failed: %s\n", argv[1], strerror(errno));
    rc = 1;
  } else {
    struct bpf_program *prog;
    bpf_object__for_each_program(prog, obj) {
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
