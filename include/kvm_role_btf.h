/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The role layout of the running kernel, from its BTF through libbpf
 * (/sys/kernel/btf/kvm split on /sys/kernel/btf/vmlinux), with the built-in
 * table of include/kvm_role.h as the fallback.  No KVM dependency.
 */
#ifndef SELFTEST_KVM_ROLE_BTF_H
#define SELFTEST_KVM_ROLE_BTF_H

#include <stddef.h>

#include "kvm_role.h"

struct btf;

/*
 * Fill @layout from the declaration of union kvm_mmu_page_role in @btf:
 * every named bitfield of its anonymous struct.  Returns 0, -ENOENT when
 * @btf has no such union, -EINVAL when it is not the expected shape.
 */
int kvm_role_layout_from_btf(const struct btf *btf, struct kvm_role_layout *layout);

/*
 * The running kernel's layout: BTF first, then the built-in table for
 * uname's release.  Returns 0, or -ENOENT with the reason in @why.
 */
int kvm_role_layout_load(struct kvm_role_layout *layout, char *why, size_t size);

#endif /* SELFTEST_KVM_ROLE_BTF_H */
