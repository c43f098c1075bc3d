// SPDX-License-Identifier: GPL-2.0
/*
 * Whole-VM stat snapshots (include/kvm_stats.h).  The binary stats fd is
 * what the framework trusts; debugfs is what people read.  They are the
 * same counters (kvm_stats_debugfs in virt/kvm/kvm_main.c reads the stat
 * through the same descriptor table), so any difference is a bug either in
 * KVM or in this library.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kvm_util.h"
#include "test_util.h"
#include "kselftest.h"

#include "kvm_debugfs.h"
#include "kvm_stats.h"

/* The debugfs value of stat @name; false if there is no such file. */
static bool debugfs_stat(struct kvm_vm *vm, const char *name, uint64_t *val)
{
	char path[320], text[32];
	ssize_t len;
	int fd;

	vm_debugfs_dir(vm, path, sizeof(path) - KVM_STATS_NAME_LEN - 1);
	strcat(path, "/");
	strcat(path, name);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return false;
	len = read(fd, text, sizeof(text) - 1);
	TEST_ASSERT(len >= 0, "read(%s): %s", path, strerror(errno));
	close(fd);
	text[len] = '\0';
	TEST_ASSERT(!kvm_debugfs_parse_u64(text, len, val), "%s: not a stat value: '%s'",
		    path, text);
	return true;
}

/*
 * @cross_check: the debugfs file of @name must hold @val.  The VM's
 * directory has a file per VM stat and, summed over its vCPUs, per vCPU
 * stat (kvm_create_vm_debugfs() in virt/kvm/kvm_main.c).
 */
static void add_stat(struct kvm_vm *vm, struct kvm_stats_snapshot *s, const char *name,
		     uint64_t val, bool cross_check)
{
	uint64_t dbg;

	TEST_ASSERT(s->nr < KVM_STATS_MAX, "more than %d stats", KVM_STATS_MAX);
	if (cross_check) {
		TEST_ASSERT(debugfs_stat(vm, name, &dbg),
			    "stat %s has no debugfs file (kvm_create_vm_debugfs() creates one per stat)",
			    name);
		TEST_ASSERT(dbg == val, "stat %s: binary stats fd says %lu, debugfs says %lu",
			    name, val, dbg);
	}
	snprintf(s->name[s->nr], KVM_STATS_NAME_LEN, "%s", name);
	s->val[s->nr++] = val;
}

/* Every single-valued stat behind binary stats fd @fd (which it closes). */
static void snapshot(int fd, struct kvm_vm *vm, bool cross_check, struct kvm_stats_snapshot *s)
{
	struct kvm_stats_header header;
	struct kvm_stats_desc *descs, *d;
	uint64_t data[1];
	unsigned int i;

	read_stats_header(fd, &header);
	descs = read_stats_descriptors(fd, &header);

	memset(s, 0, sizeof(*s));
	for (i = 0; i < header.num_desc; i++) {
		d = get_stats_descriptor(descs, i, &header);
		/* Histograms have no single value to compare or subtract. */
		if (d->size != 1)
			continue;
		read_stat_data(fd, &header, d, data, 1);
		add_stat(vm, s, d->name, data[0], cross_check);
	}
	free(descs);
	close(fd);
}

/* A fresh fd each time: 6.1's read_stats_header() reads at the file position. */
void vm_stats_snapshot(struct kvm_vm *vm, struct kvm_stats_snapshot *s)
{
	snapshot(vm_get_stats_fd(vm), vm, true, s);
}

void vcpu_stats_snapshot(struct kvm_vcpu *vcpu, struct kvm_stats_snapshot *s)
{
	struct kvm_vcpu *v;
	int nr_vcpus = 0;

	/* debugfs sums over vCPUs: it equals this vCPU's value only if it is alone. */
	list_for_each_entry(v, &vcpu->vm->vcpus, list)
		nr_vcpus++;
	snapshot(vcpu_get_stats_fd(vcpu), vcpu->vm, nr_vcpus == 1, s);
}

uint64_t vcpu_stat_get(struct kvm_vcpu *vcpu, const char *name)
{
	struct kvm_stats_snapshot s;

	vcpu_stats_snapshot(vcpu, &s);
	return kvm_stats_get(&s, name);
}

static int find(const struct kvm_stats_snapshot *s, const char *name)
{
	unsigned int i;

	for (i = 0; i < s->nr; i++) {
		if (!strcmp(s->name[i], name))
			return i;
	}
	return -1;
}

uint64_t kvm_stats_get(const struct kvm_stats_snapshot *s, const char *name)
{
	int i = find(s, name);

	TEST_ASSERT(i >= 0, "no VM stat '%s'", name);
	return s->val[i];
}

int64_t kvm_stats_delta(const struct kvm_stats_snapshot *before,
			const struct kvm_stats_snapshot *after, const char *name)
{
	return (int64_t)(kvm_stats_get(after, name) - kvm_stats_get(before, name));
}

void kvm_stats_print_deltas(const struct kvm_stats_snapshot *before,
			    const struct kvm_stats_snapshot *after, const char *phase)
{
	unsigned int i, changed = 0;
	int j;

	for (i = 0; i < after->nr; i++) {
		j = find(before, after->name[i]);
		if (j >= 0 && before->val[j] == after->val[i])
			continue;
		ksft_print_msg("%s: %s %+ld (now %lu)\n", phase, after->name[i],
			       j >= 0 ? (long)(after->val[i] - before->val[j]) : 0L,
			       after->val[i]);
		changed++;
	}
	if (!changed)
		ksft_print_msg("%s: no VM stat changed\n", phase);
}

void vm_rmaps_stat(struct kvm_vm *vm, struct kvm_rmaps_stat *st, bool print)
{
	char text[4096], *line, *save = NULL;
	size_t len = vm_debugfs_read(vm, "mmu_rmaps_stat", text, sizeof(text));

	TEST_ASSERT(!kvm_rmaps_stat_parse(text, len, st),
		    "mmu_rmaps_stat: unexpected format:\n%s", text);
	if (!print)
		return;
	/* Raw, tabs and all: a fixture for tests/unit can be cut from the log. */
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		ksft_print_msg("rmaps| %s\n", line);
}
