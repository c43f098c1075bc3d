/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Per-VM debugfs of KVM: /sys/kernel/debug/kvm/<pid>-<vm fd>/, created by
 * kvm_create_vm_debugfs() in virt/kvm/kvm_main.c.  Each VM stat has a file
 * there holding one decimal number (kvm_stat_data_get()).
 */
#ifndef SELFTEST_KVM_DEBUGFS_H
#define SELFTEST_KVM_DEBUGFS_H

#include <stddef.h>
#include <stdint.h>

struct kvm_vm;

#define KVM_DEBUGFS_ROOT	"/sys/kernel/debug/kvm"

/*
 * Skip (KSFT_SKIP) with the reason when KVM's debugfs cannot be read:
 * not mounted and not mountable, lockdown, or not root.
 */
void kvm_debugfs_require(void);

/* The VM's debugfs directory, into @buf. */
void vm_debugfs_dir(struct kvm_vm *vm, char *buf, size_t size);

/* Read VM stat @name from the VM's debugfs directory; asserts on error. */
uint64_t vm_debugfs_get_stat(struct kvm_vm *vm, const char *name);

/*
 * Read all of file @name of the VM's debugfs directory into @buf (NUL
 * terminated); returns its length.  Asserts that it exists and fits.
 */
size_t vm_debugfs_read(struct kvm_vm *vm, const char *name, char *buf, size_t size);

/*
 * Parse the text of a debugfs stat file: one unsigned decimal number and
 * an optional newline.  Returns 0, or -EINVAL for anything else.
 */
int kvm_debugfs_parse_u64(const char *text, size_t len, uint64_t *val);

#endif /* SELFTEST_KVM_DEBUGFS_H */
