/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A reference model of the x86 page walk's outcome, written from the SDM
 * (Vol. 3A chapter 4), for predicting what a guest access must do.  It
 * knows nothing of KVM and needs no /dev/kvm: tests compare what the
 * guest saw with it, and paging_model_self_check() holds hand-written
 * SDM cases for it.
 *
 * Scope: the permission and reserved-bit checks of one translation (the
 * entries the walk reads, top level first), CPL 0 or 3, read/write/fetch,
 * with CR0.WP, CR4.PSE/SMEP/SMAP, EFER.NXE, EFLAGS.AC = 0, protection
 * keys of user-mode addresses (CR4.PKE, PKRU), and the #PF error code.
 * PAE PDPTEs are taken as loaded into the PDPTE registers already (their
 * reserved bits fault at MOV CR3, with #GP).  Not
 * modelled: TLBs, A/D updates, supervisor protection keys (CR4.PKS), CET.
 */
#ifndef SELFTEST_KVM_PAGING_MODEL_H
#define SELFTEST_KVM_PAGING_MODEL_H

#include <stdbool.h>
#include <stdint.h>

#include "gstep_expect.h"
#include "paging_geometry.h"

enum pm_access {
	PM_READ,
	PM_WRITE,
	PM_FETCH,
};

struct pm_env {
	enum guest_paging_mode mode;
	int maxphyaddr;		/* CPUID.80000008H:EAX[7:0] */
	bool wp, pse, smep, smap, nxe;
	/* CR4.PKE and PKRU: AD (bit 2i) and WD (bit 2i+1) of key i (4.6.2). */
	bool pke;
	uint32_t pkru;
};

struct pm_outcome {
	bool fault;		/* #PF */
	uint32_t error_code;
};

/*
 * Bits of a present level-@level entry that must be 0 (SDM Tables 4-4 to
 * 4-20 and 4.4.2, 4.5.4): reserved address bits at or above MAXPHYADDR,
 * XD without EFER.NXE, PS where it is reserved, the bits a large page's
 * address field leaves reserved, and a PAE PDPTE's 2:1, 8:5 and 63.
 */
uint64_t pm_reserved_bits(const struct pm_env *env, int level, uint64_t entry);

/*
 * The outcome of an access with @entries[0..nr-1], the entries the walk
 * reads from the top level down (the last one maps the page: a PTE, or
 * an entry with PS=1).
 */
struct pm_outcome pm_access(const struct pm_env *env, const uint64_t *entries, int nr,
			    enum pm_access access, bool user);

/* As an expectation for the step engine (CR2 = @va on a fault). */
struct gstep_expect pm_expect(const struct pm_env *env, const uint64_t *entries, int nr,
			      enum pm_access access, bool user, uint64_t va, uint64_t value);

/* Hand-written SDM cases; prints each disagreement, returns their number. */
int paging_model_self_check(void);

#endif /* SELFTEST_KVM_PAGING_MODEL_H */
