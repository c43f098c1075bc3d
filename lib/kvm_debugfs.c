// SPDX-License-Identifier: GPL-2.0
/*
 * Reading a VM's stats from KVM's debugfs.  The binary stats fd that the
 * framework reads (vm_get_stat()) has the same counters; debugfs also has
 * the files that are not stats (mmu_rmaps_stat, per-vCPU directories).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kvm_util.h"
#include "test_util.h"
#include "kselftest.h"

#include "kvm_debugfs.h"

void kvm_debugfs_require(void)
{
	struct stat st;

	if (stat(KVM_DEBUGFS_ROOT, &st)) {
		/* Not mounted yet: mount it if we may (the VM runner does too). */
		if (stat("/sys/kernel/debug", &st) == 0 && geteuid() == 0)
			mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL);
	}
	if (stat(KVM_DEBUGFS_ROOT, &st) == 0 && access(KVM_DEBUGFS_ROOT, R_OK) == 0)
		return;

	ksft_exit_skip("KVM debugfs (%s) is not readable: %s%s\n",
		       KVM_DEBUGFS_ROOT, strerror(errno),
		       geteuid() ? " (not root)" : " (not mounted, or kernel lockdown)");
}

void vm_debugfs_dir(struct kvm_vm *vm, char *buf, size_t size)
{
	int n = snprintf(buf, size, "%s/%d-%d", KVM_DEBUGFS_ROOT, getpid(), vm->fd);

	TEST_ASSERT(n > 0 && (size_t)n < size, "debugfs path too long");
}

size_t vm_debugfs_read(struct kvm_vm *vm, const char *name, char *buf, size_t size)
{
	char path[256];
	size_t len = 0;
	ssize_t n;
	int fd;

	vm_debugfs_dir(vm, path, sizeof(path));
	TEST_ASSERT(strlen(path) + 1 + strlen(name) < sizeof(path), "debugfs name too long");
	strcat(path, "/");
	strcat(path, name);

	fd = open(path, O_RDONLY);
	TEST_ASSERT(fd >= 0, "open(%s) failed: %s", path, strerror(errno));
	/* seq_file files come in pieces: read to EOF. */
	while (len < size - 1 && (n = read(fd, buf + len, size - 1 - len)) > 0)
		len += n;
	TEST_ASSERT(len < size - 1, "%s: longer than %zu bytes", path, size - 2);
	close(fd);
	buf[len] = '\0';
	return len;
}

uint64_t vm_debugfs_get_stat(struct kvm_vm *vm, const char *name)
{
	char text[32];
	uint64_t val;
	size_t len = vm_debugfs_read(vm, name, text, sizeof(text));

	TEST_ASSERT(!kvm_debugfs_parse_u64(text, len, &val),
		    "debugfs stat %s: not a stat value: '%s'", name, text);
	return val;
}
