// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * badip's connection programs: every TCP connection accepted or opened on the
 * host yields one open record and one close record (include/badip/event.h).
 *
 * One object carries three attach modes; the agent turns autoload off for the
 * programs of the modes it did not choose:
 *
 *   mode        state changes                 accept                   connect
 *   fentry      tp_btf/inet_sock_set_state    fexit/inet_csk_accept    fexit/tcp_v{4,6}_connect
 *   kprobe      raw_tp/inet_sock_set_state    kretprobe/inet_csk_accept kprobe+kretprobe tcp_v{4,6}_connect
 *   tracepoint  tracepoint/sock/...           tracepoint/syscalls/sys_exit_accept{,4}
 *
 * All modes share one state machine (on_state) keyed by the struct sock:
 *
 *   SYN_SENT (in connect(), process context)  -> conns[sk] = pending OUT, identity of the caller
 *   leaving SYN_SENT / connect returned 0      -> open record (ports are bound by then)
 *   SYN_RECV -> ESTABLISHED (softirq: the task  -> conns[sk] = pending IN, identity of the
 *     running is NOT the server)                  listening socket's owner, or unknown
 *   accept returns the socket (server context) -> open record, identity of the accepting task
 *   -> CLOSE                                   -> open record first if still pending (never
 *                                                 accepted), then the close record with bytes
 *                                                 and duration
 *   -> LISTEN (in listen(), process context)   -> listeners[net, port] = identity of the caller
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "badip/event.h"
#include "core_fixes.bpf.h"

#define AF_INET 2
#define AF_INET6 10

/* Set by the agent between open and load. */
const volatile __u32 attach_mode = BADIP_MODE_TRACEPOINT;
const volatile __u8 include_loopback = 0;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 22); /* resized by the agent before load */
} events SEC(".maps");

/* Ring-buffer reservation failures, per CPU so the hot path never contends. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} drops SEC(".maps");

struct ident {
	__u64 cgroup_id;
	__u32 pid;
	__u32 tgid;
	__u32 uid;
	char comm[BADIP_COMM_LEN];
};

struct conn {
	__u64 start_ns;
	struct ident who;
	__u8 laddr[16];
	__u8 raddr[16];
	__u16 lport;
	__u16 rport;
	__u16 family;
	__u8 direction;
	__u8 owner;
	__u8 flags;
	__u8 opened;   /* the open record went out */
	__u8 fin_sent; /* we entered FIN_WAIT1 or LAST_ACK: our FIN is in bytes_acked once acked */
	__u8 pad[7];
};

/* Connections being tracked, by struct sock address. LRU so that sockets
 * whose close we never saw cannot fill it up. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, struct conn);
} conns SEC(".maps");

struct listener_key {
	__u64 net; /* struct net address: ports are per namespace */
	__u16 port;
	__u16 pad[3];
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct listener_key);
	__type(value, struct ident);
} listeners SEC(".maps");

/* kprobe mode: the socket passed to tcp_v*_connect, by thread, for the
 * kretprobe (which sees only the return value). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8192);
	__type(key, __u32);
	__type(value, __u64);
} connecting SEC(".maps");

static __always_inline void fill_ident(struct ident *w)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();

	w->pid = (__u32)pid_tgid;
	w->tgid = pid_tgid >> 32;
	w->uid = (__u32)bpf_get_current_uid_gid();
	w->cgroup_id = bpf_get_current_cgroup_id();
	bpf_get_current_comm(w->comm, sizeof(w->comm));
}

static __always_inline void v4_mapped(__u8 dst[16], __u32 addr_net_order)
{
	__builtin_memset(dst, 0, 10);
	dst[10] = 0xff;
	dst[11] = 0xff;
	__builtin_memcpy(dst + 12, &addr_net_order, 4);
}

static __always_inline bool is_loopback(const __u8 a[16])
{
	__u64 hi, lo;

	__builtin_memcpy(&hi, a, 8);
	__builtin_memcpy(&lo, a + 8, 8);
	/* ::ffff:127.0.0.0/104: bytes 8..11 = 00 00 ff ff, byte 12 = 127 */
	if (hi == 0 && a[8] == 0 && a[9] == 0 && a[10] == 0xff && a[11] == 0xff)
		return a[12] == 127;
	/* ::1 */
	return hi == 0 && lo == bpf_cpu_to_be64(1);
}

static __always_inline bool is_tcp(struct trace_event_raw_inet_sock_set_state *tp,
				   struct sock *sk)
{
	if (tp)
		return tp->protocol == IPPROTO_TCP;
	return badip_sk_protocol(sk) == IPPROTO_TCP;
}

/* Addresses and ports from the socket: local port host order (skc_num),
 * remote port network order (skc_dport). */
static __always_inline void addrs_from_sk(struct sock *sk, struct conn *c)
{
	__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);

	c->family = family;
	c->lport = BPF_CORE_READ(sk, __sk_common.skc_num);
	c->rport = BPF_CORE_READ(sk, __sk_common.skc_dport);
	c->flags = BADIP_F_RPORT_NET;
	if (family == AF_INET) {
		v4_mapped(c->laddr, BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr));
		v4_mapped(c->raddr, BPF_CORE_READ(sk, __sk_common.skc_daddr));
	} else {
		BPF_CORE_READ_INTO(&c->laddr, sk, __sk_common.skc_v6_rcv_saddr.in6_u.u6_addr8);
		BPF_CORE_READ_INTO(&c->raddr, sk, __sk_common.skc_v6_daddr.in6_u.u6_addr8);
	}
}

/* Addresses and ports from the tracepoint record: both ports host order. */
static __always_inline void addrs_from_tp(struct trace_event_raw_inet_sock_set_state *tp,
					  struct conn *c)
{
	c->family = tp->family;
	c->lport = tp->sport;
	c->rport = tp->dport;
	c->flags = 0;
	if (tp->family == AF_INET) {
		__u32 s, d;

		bpf_probe_read_kernel(&s, 4, tp->saddr);
		bpf_probe_read_kernel(&d, 4, tp->daddr);
		v4_mapped(c->laddr, s);
		v4_mapped(c->raddr, d);
	} else {
		bpf_probe_read_kernel(c->laddr, 16, tp->saddr_v6);
		bpf_probe_read_kernel(c->raddr, 16, tp->daddr_v6);
	}
}

static __always_inline void fill_addrs(struct trace_event_raw_inet_sock_set_state *tp,
				       struct sock *sk, struct conn *c)
{
	if (tp)
		addrs_from_tp(tp, c);
	else
		addrs_from_sk(sk, c);
}

static __always_inline void count_drop(void)
{
	__u32 zero = 0;
	__u64 *n = bpf_map_lookup_elem(&drops, &zero);

	if (n)
		*n += 1; /* per-CPU slot: no other writer */
}

static __always_inline void emit(__u64 key, struct conn *c, __u16 kind, struct sock *sk,
				 __u64 now)
{
	struct badip_conn_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	if (!e) {
		count_drop();
		return;
	}
	e->hdr.ts_ns = now;
	e->hdr.kind = kind;
	e->hdr.version = BADIP_EVENT_VERSION;
	e->hdr.size = sizeof(*e);
	e->hdr.mode = attach_mode;
	e->sock_id = key;
	if (kind == BADIP_EV_CLOSE) {
		struct tcp_sock *tcp = (struct tcp_sock *)sk;

		__u64 rx = BPF_CORE_READ(tcp, bytes_received);
		__u64 tx = BPF_CORE_READ(tcp, bytes_acked);

		/* Both counters move with sequence numbers, and SYN and FIN take
		 * one each. Report payload bytes: a FIN we received (SOCK_DONE
		 * is set by tcp_fin) counts in bytes_received; the active side's
		 * SYN, and our FIN once acked, count in bytes_acked (the passive
		 * side's SYN-ACK does not: the child starts past it). */
		if (rx && badip_sock_flag(sk, bpf_core_enum_value(enum sock_flags, SOCK_DONE)))
			rx -= 1;
		if (tx && c->direction == BADIP_DIR_OUT)
			tx -= 1;
		if (tx && c->fin_sent &&
		    BPF_CORE_READ(tcp, snd_una) == BPF_CORE_READ(tcp, write_seq))
			tx -= 1;
		e->bytes_received = rx;
		e->bytes_acked = tx;
		e->duration_ns = c->start_ns ? now - c->start_ns : 0;
	} else {
		e->bytes_received = 0;
		e->bytes_acked = 0;
		e->duration_ns = 0;
	}
	e->cgroup_id = c->who.cgroup_id;
	__builtin_memcpy(e->laddr, c->laddr, 16);
	__builtin_memcpy(e->raddr, c->raddr, 16);
	e->pid = c->who.pid;
	e->tgid = c->who.tgid;
	e->uid = c->who.uid;
	e->lport = c->lport;
	e->rport = c->rport;
	e->family = c->family;
	e->direction = c->direction;
	e->owner = c->owner;
	e->flags = c->flags;
	e->pad[0] = e->pad[1] = e->pad[2] = 0;
	__builtin_memcpy(e->comm, c->who.comm, BADIP_COMM_LEN);
	bpf_ringbuf_submit(e, 0);
}

static __always_inline void listener_key_of(struct sock *sk, __u16 port, struct listener_key *k)
{
	k->net = (__u64)BPF_CORE_READ(sk, __sk_common.skc_net.net);
	k->port = port;
	k->pad[0] = k->pad[1] = k->pad[2] = 0;
}

/* The state machine shared by all modes; tp is NULL outside tracepoint mode. */
static __always_inline int on_state(struct trace_event_raw_inet_sock_set_state *tp,
				    struct sock *sk, int oldstate, int newstate)
{
	__u64 key = (__u64)sk;
	__u64 now = bpf_ktime_get_ns();
	struct listener_key lk;
	struct conn *c;

	if (!is_tcp(tp, sk))
		return 0;

	if (newstate == TCP_LISTEN || oldstate == TCP_LISTEN) {
		__u16 port = tp ? tp->sport : BPF_CORE_READ(sk, __sk_common.skc_num);

		listener_key_of(sk, port, &lk);
		if (newstate == TCP_LISTEN) {
			struct ident who = {};

			fill_ident(&who); /* listen() runs in its caller's context */
			bpf_map_update_elem(&listeners, &lk, &who, BPF_ANY);
		} else if (newstate == TCP_CLOSE) {
			bpf_map_delete_elem(&listeners, &lk);
		}
		return 0;
	}

	if (newstate == TCP_SYN_SENT || (oldstate == TCP_SYN_RECV && newstate == TCP_ESTABLISHED)) {
		struct conn n = {};

		fill_addrs(tp, sk, &n);
		if (!include_loopback && is_loopback(n.raddr))
			return 0;
		n.start_ns = now;
		if (newstate == TCP_SYN_SENT) {
			/* connect() runs in the caller's context */
			n.direction = BADIP_DIR_OUT;
			n.owner = BADIP_OWNER_TASK;
			fill_ident(&n.who);
		} else {
			/* The handshake completed in softirq: the current task is
			 * whoever was interrupted. Until someone accepts, the
			 * listening socket's owner stands in. */
			struct ident *who;

			n.direction = BADIP_DIR_IN;
			listener_key_of(sk, n.lport, &lk);
			who = bpf_map_lookup_elem(&listeners, &lk);
			if (who) {
				n.who = *who;
				n.owner = BADIP_OWNER_LISTENER;
			} else {
				n.owner = BADIP_OWNER_UNKNOWN;
			}
		}
		bpf_map_update_elem(&conns, &key, &n, BPF_ANY);
		return 0;
	}

	c = bpf_map_lookup_elem(&conns, &key);
	if (!c)
		return 0;
	if (newstate == TCP_FIN_WAIT1 || newstate == TCP_LAST_ACK)
		c->fin_sent = 1;
	if (oldstate == TCP_SYN_SENT && !c->opened) {
		/* handshake done (or failed): the local port is bound now */
		fill_addrs(tp, sk, c);
		emit(key, c, BADIP_EV_OPEN, sk, now);
		c->opened = 1;
	}
	if (newstate == TCP_CLOSE) {
		if (!c->opened) /* an inbound connection nobody accepted */
			emit(key, c, BADIP_EV_OPEN, sk, now);
		emit(key, c, BADIP_EV_CLOSE, sk, now);
		bpf_map_delete_elem(&conns, &key);
	}
	return 0;
}

/* accept() handed sk to the current task: that task is the server. */
static __always_inline int on_accept(struct sock *sk)
{
	__u64 key = (__u64)sk;
	struct conn *c;

	if (!sk)
		return 0;
	c = bpf_map_lookup_elem(&conns, &key);
	if (!c || c->opened || c->direction != BADIP_DIR_IN)
		return 0;
	fill_ident(&c->who);
	c->owner = BADIP_OWNER_TASK;
	emit(key, c, BADIP_EV_OPEN, sk, bpf_ktime_get_ns());
	c->opened = 1;
	return 0;
}

/* tcp_v*_connect returned: the source port is bound, report the open now. */
static __always_inline int on_connect_return(struct sock *sk, int ret)
{
	__u64 key = (__u64)sk;
	struct conn *c;

	if (ret != 0 || !sk)
		return 0; /* a failure after SYN_SENT still reaches on_state */
	c = bpf_map_lookup_elem(&conns, &key);
	if (!c || c->opened)
		return 0;
	addrs_from_sk(sk, c);
	emit(key, c, BADIP_EV_OPEN, sk, bpf_ktime_get_ns());
	c->opened = 1;
	return 0;
}

/* ---------------------------------------------------------------- fentry */

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(fentry_state, struct sock *sk, int oldstate, int newstate)
{
	return on_state(NULL, sk, oldstate, newstate);
}

SEC("fexit/inet_csk_accept")
int fexit_accept(__u64 *ctx)
{
	/* See core_fixes.bpf.h: the return value follows the arguments. */
	if (badip_accept_has_arg_struct())
		return on_accept((struct sock *)ctx[2]);
	return on_accept((struct sock *)ctx[4]);
}

SEC("fexit/tcp_v4_connect")
int BPF_PROG(fexit_v4_connect, struct sock *sk, struct sockaddr *uaddr, int addr_len, int ret)
{
	return on_connect_return(sk, ret);
}

SEC("fexit/tcp_v6_connect")
int BPF_PROG(fexit_v6_connect, struct sock *sk, struct sockaddr *uaddr, int addr_len, int ret)
{
	return on_connect_return(sk, ret);
}

/* ---------------------------------------------------------------- kprobe */

SEC("raw_tp/inet_sock_set_state")
int BPF_PROG(kprobe_state, struct sock *sk, int oldstate, int newstate)
{
	return on_state(NULL, sk, oldstate, newstate);
}

SEC("kretprobe/inet_csk_accept")
int BPF_KRETPROBE(kprobe_accept_ret, struct sock *newsk)
{
	return on_accept(newsk);
}

static __always_inline int stash_connecting(struct sock *sk)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	__u64 v = (__u64)sk;

	bpf_map_update_elem(&connecting, &tid, &v, BPF_ANY);
	return 0;
}

static __always_inline int connect_returned(int ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	__u64 *v = bpf_map_lookup_elem(&connecting, &tid);
	struct sock *sk;

	if (!v)
		return 0;
	sk = (struct sock *)*v;
	bpf_map_delete_elem(&connecting, &tid);
	return on_connect_return(sk, ret);
}

SEC("kprobe/tcp_v4_connect")
int BPF_KPROBE(kprobe_v4_connect, struct sock *sk)
{
	return stash_connecting(sk);
}

SEC("kretprobe/tcp_v4_connect")
int BPF_KRETPROBE(kprobe_v4_connect_ret, int ret)
{
	return connect_returned(ret);
}

SEC("kprobe/tcp_v6_connect")
int BPF_KPROBE(kprobe_v6_connect, struct sock *sk)
{
	return stash_connecting(sk);
}

SEC("kretprobe/tcp_v6_connect")
int BPF_KRETPROBE(kprobe_v6_connect_ret, int ret)
{
	return connect_returned(ret);
}

/* ------------------------------------------------------------ tracepoint */

SEC("tracepoint/sock/inet_sock_set_state")
int tracepoint_state(struct trace_event_raw_inet_sock_set_state *ctx)
{
	return on_state(ctx, (struct sock *)ctx->skaddr, ctx->oldstate, ctx->newstate);
}

/* accept()/accept4() returned a new fd: find its socket through the
 * task's file table (task->files->fdt->fd[fd]->private_data->sk). */
static __always_inline int accepted_fd(long fd)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct fdtable *fdt;
	struct file **fds;
	struct file *file = NULL;
	struct socket *sock;
	unsigned int max_fds;

	if (fd < 0)
		return 0;
	fdt = BPF_CORE_READ(task, files, fdt);
	max_fds = BPF_CORE_READ(fdt, max_fds);
	if ((unsigned long)fd >= max_fds)
		return 0;
	fds = BPF_CORE_READ(fdt, fd);
	if (bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]) || !file)
		return 0;
	sock = BPF_CORE_READ(file, private_data);
	if (!sock)
		return 0;
	return on_accept(BPF_CORE_READ(sock, sk));
}

SEC("tracepoint/syscalls/sys_exit_accept4")
int tracepoint_exit_accept4(struct trace_event_raw_sys_exit *ctx)
{
	return accepted_fd(ctx->ret);
}

SEC("tracepoint/syscalls/sys_exit_accept")
int tracepoint_exit_accept(struct trace_event_raw_sys_exit *ctx)
{
	return accepted_fd(ctx->ret);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
