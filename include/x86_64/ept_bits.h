/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The EPT format an L1 writes for its L2 (SDM vol. 3C, 2023+ numbering,
 * older in brackets): EPT paging-structure entries (Tables 29-1 to 29-6
 * [28-1 to 28-6]), the EPT pointer (25.6.11 [24.6.11]), and the bits of
 * IA32_VMX_EPT_VPID_CAP (Appendix A.10) that upstream's vmx.h does not
 * name (it has VMX_EPT_VPID_CAP_1G_PAGES and VMX_EPT_VPID_CAP_AD_BITS).
 */
#ifndef SELFTEST_KVM_EPT_BITS_H
#define SELFTEST_KVM_EPT_BITS_H

#include <stdint.h>

#include <linux/bits.h>

/* Entries: bits 2:0 all clear is not present; PS makes a leaf above level 1. */
#define EPT_R		BIT_ULL(0)
#define EPT_W		BIT_ULL(1)
#define EPT_X		BIT_ULL(2)
#define EPT_RWX		(EPT_R | EPT_W | EPT_X)
#define EPT_MT(t)	((uint64_t)(t) << 3)	/* a leaf's memory type */
#define EPT_MT_MASK	EPT_MT(7)
#define EPT_MT_WB	EPT_MT(6)
#define EPT_IPAT	BIT_ULL(6)	/* in a leaf; reserved above it */
#define EPT_PS		BIT_ULL(7)
#define EPT_A		BIT_ULL(8)
#define EPT_D		BIT_ULL(9)
#define EPT_ADDR	GENMASK_ULL(51, 12)

/* The EPT pointer: memory type, page-walk length - 1, A/D enable. */
#define EPTP_MT_MASK	GENMASK_ULL(2, 0)
#define EPTP_MT_WB	6
#define EPTP_PWL_MASK	GENMASK_ULL(5, 3)
#define EPTP_PWL(n)	((uint64_t)((n) - 1) << 3)
#define EPTP_AD		BIT_ULL(6)

/* IA32_VMX_EPT_VPID_CAP. */
#define EPT_CAP_EXEC_ONLY	BIT_ULL(0)
#define EPT_CAP_PWL4		BIT_ULL(6)
#define EPT_CAP_PWL5		BIT_ULL(7)
#define EPT_CAP_UC		BIT_ULL(8)
#define EPT_CAP_2M		BIT_ULL(16)
#define EPT_CAP_INVEPT_CTX	BIT_ULL(25)
#define EPT_CAP_INVEPT_ALL	BIT_ULL(26)

#endif /* SELFTEST_KVM_EPT_BITS_H */
