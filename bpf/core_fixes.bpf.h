/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Kernel changes that badip's programs read across, one shim each. Every shim
 * decides with CO-RE relocations (resolved by libbpf against the running
 * kernel's BTF), never with kernel version numbers.
 */
#ifndef BADIP_CORE_FIXES_BPF_H
#define BADIP_CORE_FIXES_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_core_read.h>

/*
 * Linux 5.6, "net: Make sk_protocol a 16-bit value" (sock.h): sk_protocol was
 * an 8-bit bitfield next to sk_type and became a plain u16. The probed
 * bitfield read takes its byte offset, size and shifts from relocations, so
 * it reads either layout correctly.
 */
static __always_inline __u16 badip_sk_protocol(const struct sock *sk)
{
	return (__u16)BPF_CORE_READ_BITFIELD_PROBED(sk, sk_protocol);
}

/*
 * Linux 6.10, "net: change proto and proto_ops accept type": inet_csk_accept
 * went from (sk, flags, err, kern) to (sk, struct proto_accept_arg *arg).
 * An fexit program sees its arguments then the return value in one u64
 * array, so the new socket sits at index 4 before the change and at index 2
 * after it. The local flavour (___badip) matches the kernel's type by name
 * without needing it in this build's vmlinux.h.
 */
struct proto_accept_arg___badip {
	int flags;
};

static __always_inline bool badip_accept_has_arg_struct(void)
{
	return bpf_core_type_exists(struct proto_accept_arg___badip);
}

/*
 * sock flags (SOCK_DONE...): current kernels keep them in sock_common as
 * skc_flags (struct sock's sk_flags is a #define for it); older ones had a
 * plain sk_flags member in struct sock. The flag's bit number comes from the
 * running kernel's enum sock_flags.
 */
struct sock___flags_in_sock {
	unsigned long sk_flags;
};

static __always_inline bool badip_sock_flag(const struct sock *sk, __u32 bit)
{
	unsigned long flags;

	if (bpf_core_field_exists(sk->__sk_common.skc_flags))
		flags = BPF_CORE_READ(sk, __sk_common.skc_flags);
	else
		flags = BPF_CORE_READ((struct sock___flags_in_sock *)sk, sk_flags);
	return (flags >> bit) & 1;
}

#endif /* BADIP_CORE_FIXES_BPF_H */
