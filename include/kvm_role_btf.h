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
 * The layout to decode with, given the kernel's BTF (@btf, NULL when there
 * is none: then @btf_name says why) and its release (uname -r):
 *  - the union as @btf declares it, when it can be read;
 *  - the built-in table for @release, when @btf has no such union at all;
 *  - otherwise an error, with the reason in @why: -EINVAL when @btf has
 *    the union but not in a shape this code reads (a named member that is
 *    not an integer bitfield, a size other than 4, no "level"...), as no
 *    table can be trusted then; -ENOENT when there is neither.
 */
int kvm_role_layout_choose(const struct btf *btf, const char *btf_name,
			   const char *release, struct kvm_role_layout *layout,
			   char *why, size_t size);

/*
 * The running kernel's layout: kvm_role_layout_choose() with
 * /sys/kernel/btf/kvm split on /sys/kernel/btf/vmlinux (or vmlinux's own
 * BTF when KVM is built in) and uname's release.  Returns 0, or a negative
 * errno with the reason in @why, for the test to skip with.
 */
int kvm_role_layout_load(struct kvm_role_layout *layout, char *why, size_t size);

#endif /* SELFTEST_KVM_ROLE_BTF_H */
