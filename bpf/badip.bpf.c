// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// Placeholder: the probe part replaces this with the connection programs.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "badip/event.h"

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20);
} events SEC(".maps");

char LICENSE[] SEC("license") = "Dual BSD/GPL";
