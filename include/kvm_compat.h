/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The few shims that let the suite build against every supported KVM
 * selftests tree (6.1 .. 6.12).  suite.mk probes the tree and sets the
 * KVM_COMPAT_* switches; keep every version difference in this one file.
 */
#ifndef SELFTEST_KVM_COMPAT_H
#define SELFTEST_KVM_COMPAT_H

#include "kvm_util.h"
#include "test_util.h"

#ifdef KVM_COMPAT_NO_TEST_ASSERT_EQ		/* added after 6.1 */
#define TEST_ASSERT_EQ(a, b)						\
	TEST_ASSERT((a) == (b), "%s == %s: 0x%lx != 0x%lx",		\
		    #a, #b, (unsigned long)(a), (unsigned long)(b))
#endif

#ifdef KVM_COMPAT_NO_TEST_ASSERT_KVM_EXIT_REASON	/* added after 6.1 */
#define TEST_ASSERT_KVM_EXIT_REASON(vcpu, expected)			\
	TEST_ASSERT((vcpu)->run->exit_reason == (expected),		\
		    "Wanted KVM exit reason: %u (%s), got: %u (%s)",	\
		    (expected), exit_reason_str(expected),		\
		    (vcpu)->run->exit_reason,				\
		    exit_reason_str((vcpu)->run->exit_reason))
#endif

#endif /* SELFTEST_KVM_COMPAT_H */
