/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What a step of the guest step engine must do: a value, no fault, or a
 * fault with its vector and error code (#PF: and CR2).  A plain value
 * type, shared by the step tables (guest_paging.h) and the reference
 * model (paging_model.h), which turns its verdict into one.
 */
#ifndef SELFTEST_KVM_GSTEP_EXPECT_H
#define SELFTEST_KVM_GSTEP_EXPECT_H

#include <stdint.h>

#include "kvm_compat.h"

enum gstep_expect_kind {
	GSTEP_EXPECT_ANY,	/* anything, even a fault */
	GSTEP_EXPECT_OK,	/* no exception, value not checked */
	GSTEP_EXPECT_VALUE,	/* no exception, this value */
	GSTEP_EXPECT_FAULT,	/* this vector and error code */
	GSTEP_EXPECT_PF,	/* #PF with this error code and CR2 */
};

struct gstep_expect {
	enum gstep_expect_kind kind;
	uint32_t vector;
	uint64_t value;		/* VALUE: the value; FAULT/PF: the error code */
	uint64_t cr2;
	uint64_t ec_ignore;	/* FAULT/PF: error code bits not compared */
};

#define EXPECT_ANY()		((struct gstep_expect){ .kind = GSTEP_EXPECT_ANY })
#define EXPECT_OK()		((struct gstep_expect){ .kind = GSTEP_EXPECT_OK })
#define EXPECT_VALUE(v)		((struct gstep_expect){ .kind = GSTEP_EXPECT_VALUE, .value = (v) })
#define EXPECT_FAULT(vec, ec)	((struct gstep_expect){ .kind = GSTEP_EXPECT_FAULT, \
							.vector = (vec), .value = (ec) })
#define EXPECT_PF(ec, addr)	((struct gstep_expect){ .kind = GSTEP_EXPECT_PF, \
							.vector = PF_VECTOR, .value = (ec), \
							.cr2 = (addr) })
/* Only for documented deviations of a CPU or emulator; say which. */
#define EXPECT_PF_IGNORING(ec, ignore, addr)					\
	((struct gstep_expect){ .kind = GSTEP_EXPECT_PF, .vector = PF_VECTOR,	\
				.value = (ec), .cr2 = (addr), .ec_ignore = (ignore) })

#endif /* SELFTEST_KVM_GSTEP_EXPECT_H */
