/* SPDX-License-Identifier: (Apache-2.0 OR GPL-2.0-only) */
/*
 * The one record that the kernel programs write to the ring buffer and the
 * agent reads. Compiled by clang -target bpf and by the C++ agent alike:
 * fixed-width fields only, widest first, explicit padding, no pointers.
 */
#ifndef BADIP_EVENT_H
#define BADIP_EVENT_H

#ifdef __BPF__
/* vmlinux.h already provides __u8 … __u64 */
#else
#include <linux/types.h>
#endif

#define BADIP_EVENT_VERSION 1
#define BADIP_COMM_LEN 16
#define BADIP_MAX_CPUS 512

enum badip_event_kind {
	BADIP_EV_OPEN = 1,  /* accept (inbound) or connect (outbound) */
	BADIP_EV_CLOSE = 2, /* the connection left ESTABLISHED/SYN states */
};

enum badip_direction {
	BADIP_DIR_IN = 1,  /* a remote client reached a local listener */
	BADIP_DIR_OUT = 2, /* a local process connected out */
};

enum badip_attach_mode {
	BADIP_MODE_FENTRY = 1,
	BADIP_MODE_KPROBE = 2,
	BADIP_MODE_TRACEPOINT = 3,
};

/* Who the pid/tgid/uid/comm fields describe. */
enum badip_owner {
	BADIP_OWNER_TASK = 0,     /* the connecting or accepting task */
	BADIP_OWNER_LISTENER = 1, /* the process that created the listening socket */
	BADIP_OWNER_UNKNOWN = 2,  /* nobody known: the identity fields are zero */
};

/* flags */
#define BADIP_F_LPORT_NET (1u << 0) /* lport is in network byte order */
#define BADIP_F_RPORT_NET (1u << 1) /* rport is in network byte order */

struct badip_event_hdr {
	__u64 ts_ns;   /* bpf_ktime_get_ns(): CLOCK_MONOTONIC */
	__u16 kind;    /* enum badip_event_kind */
	__u16 version; /* BADIP_EVENT_VERSION */
	__u16 size;    /* sizeof(struct badip_conn_event) */
	__u16 mode;    /* enum badip_attach_mode that produced it */
};

struct badip_conn_event {
	struct badip_event_hdr hdr;
	__u64 sock_id;        /* stable per connection (the struct sock address) */
	__u64 bytes_received; /* tcp_sock.bytes_received, at close */
	__u64 bytes_acked;    /* tcp_sock.bytes_acked, at close */
	__u64 duration_ns;    /* open to close, at close */
	__u64 cgroup_id;      /* of the attributed task, 0 if unknown */
	__u8 laddr[16];       /* local; IPv4 as v4-mapped ::ffff:a.b.c.d, network order */
	__u8 raddr[16];       /* remote; same encoding */
	__u32 pid;            /* thread id of the attributed task */
	__u32 tgid;           /* process id of the attributed task */
	__u32 uid;
	__u16 lport;          /* byte order per flags */
	__u16 rport;          /* byte order per flags */
	__u16 family;         /* AF_INET or AF_INET6 as the socket was */
	__u8 direction;       /* enum badip_direction */
	__u8 owner;           /* enum badip_owner */
	__u8 flags;           /* BADIP_F_* */
	__u8 pad[3];
	char comm[BADIP_COMM_LEN];
};

#define BADIP_CONN_EVENT_SIZE 128

#ifdef __cplusplus
static_assert(sizeof(struct badip_event_hdr) == 16, "header layout");
static_assert(sizeof(struct badip_conn_event) == BADIP_CONN_EVENT_SIZE, "event layout");
#else
_Static_assert(sizeof(struct badip_event_hdr) == 16, "header layout");
_Static_assert(sizeof(struct badip_conn_event) == BADIP_CONN_EVENT_SIZE, "event layout");
#endif

#endif /* BADIP_EVENT_H */
