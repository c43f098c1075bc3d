// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the BTF walker that finds union kvm_mmu_page_role
 * (lib/kvm_role_btf.c), on whatever raw BTF libbpf accepts.
 */
#include <assert.h>
#include <stdint.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "kvm_role.h"
#include "kvm_role_btf.h"

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kvm_role_layout l;
	struct btf *btf;

	libbpf_set_print(quiet);
	btf = btf__new(data, size);
	if (!btf)
		return 0;
	if (!kvm_role_layout_from_btf(btf, &l)) {
		assert(kvm_role_layout_usable(&l));
		assert(l.nr_fields <= KVM_ROLE_MAX_FIELDS);
	}
	btf__free(btf);
	return 0;
}
