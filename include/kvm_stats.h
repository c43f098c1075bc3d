/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Snapshots of all of a VM's stats, read from the binary stats fd
 * (KVM_GET_STATS_FD) and cross-checked against the VM's debugfs files, with
 * printed deltas per phase; and the parser of debugfs "mmu_rmaps_stat"
 * (kvm_mmu_rmaps_stat_show() in arch/x86/kvm/debugfs.c).
 *
 * The parser (lib/kvm_stats_parse.c) has no KVM dependency.
 */
#ifndef SELFTEST_KVM_STATS_H
#define SELFTEST_KVM_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct kvm_vm;
struct kvm_vcpu;

#define KVM_STATS_MAX		128
#define KVM_STATS_NAME_LEN	64

struct kvm_stats_snapshot {
	unsigned int nr;
	char name[KVM_STATS_MAX][KVM_STATS_NAME_LEN];
	uint64_t val[KVM_STATS_MAX];
};

/*
 * Every single-valued VM stat of @vm.  Each value read from the binary
 * stats fd must equal its debugfs file (asserted), so call it while no
 * vCPU runs.  Needs kvm_debugfs_require().
 */
void vm_stats_snapshot(struct kvm_vm *vm, struct kvm_stats_snapshot *s);

/*
 * Every single-valued stat of @vcpu (binary vCPU stats fd).  When it is
 * the VM's only vCPU each must equal the VM's debugfs file of that name,
 * which sums the stat over all vCPUs (asserted).
 */
void vcpu_stats_snapshot(struct kvm_vcpu *vcpu, struct kvm_stats_snapshot *s);

/* Stat @name of @vcpu (a vcpu_stats_snapshot(), with its cross-check). */
uint64_t vcpu_stat_get(struct kvm_vcpu *vcpu, const char *name);

/* Stat @name of @s; asserts that it exists. */
uint64_t kvm_stats_get(const struct kvm_stats_snapshot *s, const char *name);

/* after - before, for stat @name (negative for gauges that went down). */
int64_t kvm_stats_delta(const struct kvm_stats_snapshot *before,
			const struct kvm_stats_snapshot *after, const char *name);

/* Print every stat that changed, as TAP diagnostics: "phase: name +delta (now N)". */
void kvm_stats_print_deltas(const struct kvm_stats_snapshot *before,
			    const struct kvm_stats_snapshot *after, const char *phase);

/*
 * mmu_rmaps_stat: per page size ("4K", "2M", "1G"), how many gfns of all
 * memslots have a reverse map with a count in each bucket ("0", "1",
 * "2-3", ... "512-1023").  An empty file (no rmaps: the TDP MMU) parses as
 * zero levels.
 */
#define KVM_RMAPS_MAX_LEVELS	4
#define KVM_RMAPS_MAX_BUCKETS	16
#define KVM_RMAPS_LABEL_LEN	16

struct kvm_rmaps_stat {
	unsigned int nr_buckets;
	char bucket[KVM_RMAPS_MAX_BUCKETS][KVM_RMAPS_LABEL_LEN];
	unsigned int nr_levels;
	char level[KVM_RMAPS_MAX_LEVELS][KVM_RMAPS_LABEL_LEN];
	uint64_t count[KVM_RMAPS_MAX_LEVELS][KVM_RMAPS_MAX_BUCKETS];
};

/* Returns 0, or -EINVAL for anything but the kernel's format. */
int kvm_rmaps_stat_parse(const char *text, size_t len, struct kvm_rmaps_stat *st);

/* Index of level @name ("4K"), or -1. */
int kvm_rmaps_stat_level(const struct kvm_rmaps_stat *st, const char *name);

/* gfns of level @level with at least one rmap entry (all buckets but "0"). */
uint64_t kvm_rmaps_stat_mapped(const struct kvm_rmaps_stat *st, int level);

/*
 * Read and parse the VM's mmu_rmaps_stat; asserts on error.  @print: also
 * print the raw file as "rmaps| " TAP diagnostics.
 */
void vm_rmaps_stat(struct kvm_vm *vm, struct kvm_rmaps_stat *st, bool print);

#endif /* SELFTEST_KVM_STATS_H */
