// Stand-in payload for scripts/vmtest while no kernel tests exist: one empty
// program per attach mode, built with -DSTANDIN_<MODE>. If the kernel loads
// it, that mode's program type and hook are available there.
#include <linux/types.h>
#include <bpf/bpf_helpers.h>

#if defined(STANDIN_FENTRY)
// fentry needs the target's BTF and a trampoline: the part that differs most
// between kernels.
SEC("fentry/tcp_v4_connect")
int badip_vm_fentry(__u64 *ctx) { return 0; }
#elif defined(STANDIN_KPROBE)
SEC("kprobe/tcp_v4_connect")
int badip_vm_kprobe(void *ctx) { return 0; }
#elif defined(STANDIN_TRACEPOINT)
SEC("tracepoint/sock/inet_sock_set_state")
int badip_vm_tracepoint(void *ctx) { return 0; }
#else
#error "define STANDIN_FENTRY, STANDIN_KPROBE or STANDIN_TRACEPOINT"
#endif

char kLicense[] SEC("license") = "GPL";
