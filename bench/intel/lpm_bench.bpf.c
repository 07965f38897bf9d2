// Reference for bench_intel: the kernel's BPF_MAP_TYPE_LPM_TRIE, looked up in
// a loop inside one BPF_PROG_TEST_RUN so no syscall is paid per lookup.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct v4_key {
  __u32 prefixlen;
  __u8 addr[4];
};
struct v6_key {
  __u32 prefixlen;
  __u8 addr[16];
};

struct {
  __uint(type, BPF_MAP_TYPE_LPM_TRIE);
  __uint(map_flags, BPF_F_NO_PREALLOC);
  __uint(max_entries, 2000000);
  __type(key, struct v4_key);
  __type(value, __u32);
} lpm_v4 SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_LPM_TRIE);
  __uint(map_flags, BPF_F_NO_PREALLOC);
  __uint(max_entries, 2000000);
  __type(key, struct v6_key);
  __type(value, __u32);
} lpm_v6 SEC(".maps");

#define PROBES 65536  // addresses to look up, cycled

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, PROBES);
  __type(key, __u32);
  __type(value, struct v6_key);  // v4 probes use the first 4 address bytes
} probes SEC(".maps");

struct loop_ctx {
  __u32 v6;
  __u32 hits;
};

static long one_lookup(__u32 i, void* data) {
  struct loop_ctx* c = data;
  __u32 k = i & (PROBES - 1);
  struct v6_key* p = bpf_map_lookup_elem(&probes, &k);
  if (!p) return 1;
  __u32* v;
  if (c->v6) {
    v = bpf_map_lookup_elem(&lpm_v6, p);  // probes are stored with prefixlen 128
  } else {
    struct v4_key k4 = {.prefixlen = 32};
    __builtin_memcpy(k4.addr, p->addr, 4);
    v = bpf_map_lookup_elem(&lpm_v4, &k4);
  }
  if (v) c->hits++;
  return 0;
}

// A raw tracepoint program is not sleepable (so it may use the LPM trie) and
// BPF_PROG_TEST_RUN passes it ctx = {count, v6}. Returns the number of hits.
SEC("raw_tp")
int run_lookups(__u64* ctx) {
  struct loop_ctx c = {.v6 = (__u32)ctx[1], .hits = 0};
  bpf_loop((__u32)ctx[0], one_lookup, &c, 0);
  return c.hits;
}

char LICENSE[] SEC("license") = "GPL";
