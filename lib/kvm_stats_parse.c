// SPDX-License-Identifier: GPL-2.0
/*
 * Parser of debugfs mmu_rmaps_stat, exactly as kvm_mmu_rmaps_stat_show()
 * (arch/x86/kvm/debugfs.c) prints it:
 *
 *	Rmap_Count:\t0\t1\t2-3\t4-7\t...\t512-1023\t\n
 *	Level=4K:\t<n>\t<n>\t...\n		(one line per page size)
 *
 * Length-bounded and strict: tests/fuzz/fuzz_rmaps_stat.c runs it on
 * arbitrary bytes.  No KVM dependency.
 */
#include <errno.h>
#include <string.h>

#include "kvm_debugfs.h"
#include "kvm_stats.h"

#define HEADER	"Rmap_Count:"
#define LEVEL	"Level="

/* The next line of [*pos, end) without its '\n'; -EINVAL if unterminated. */
static int next_line(const char *text, size_t len, size_t *pos, const char **line,
		     size_t *line_len)
{
	const char *nl = memchr(text + *pos, '\n', len - *pos);

	if (!nl)
		return -EINVAL;
	*line = text + *pos;
	*line_len = nl - *line;
	*pos = nl - text + 1;
	return 0;
}

/*
 * Split "<tag>\t<a>\t<b>\t...\t" into its tab-terminated cells after @tag.
 * Every cell, the last one included, ends with a tab.
 */
static int cells(const char *line, size_t len, size_t tag_len, const char **cell,
		 size_t *cell_len, unsigned int max, unsigned int *nr)
{
	size_t pos = tag_len;

	if (pos >= len || line[pos] != '\t')
		return -EINVAL;
	pos++;
	*nr = 0;
	while (pos < len) {
		const char *tab = memchr(line + pos, '\t', len - pos);

		if (!tab || tab == line + pos || *nr >= max)
			return -EINVAL;
		cell[*nr] = line + pos;
		cell_len[*nr] = tab - (line + pos);
		(*nr)++;
		pos = tab - line + 1;
	}
	return *nr ? 0 : -EINVAL;
}

static int copy_label(char *dst, const char *src, size_t len)
{
	size_t i;

	if (!len || len >= KVM_RMAPS_LABEL_LEN)
		return -EINVAL;
	for (i = 0; i < len; i++) {
		if ((unsigned char)src[i] <= ' ' || src[i] == ':' || src[i] == 0x7f)
			return -EINVAL;
	}
	memcpy(dst, src, len);
	dst[len] = '\0';
	return 0;
}

static int parse_header(const char *line, size_t len, struct kvm_rmaps_stat *st)
{
	const char *cell[KVM_RMAPS_MAX_BUCKETS];
	size_t cell_len[KVM_RMAPS_MAX_BUCKETS];
	unsigned int i, nr;

	if (len < strlen(HEADER) || memcmp(line, HEADER, strlen(HEADER)))
		return -EINVAL;
	if (cells(line, len, strlen(HEADER), cell, cell_len, KVM_RMAPS_MAX_BUCKETS, &nr))
		return -EINVAL;
	for (i = 0; i < nr; i++) {
		if (copy_label(st->bucket[i], cell[i], cell_len[i]))
			return -EINVAL;
	}
	st->nr_buckets = nr;
	return 0;
}

/* "Level=4K:" then one count per bucket of the header. */
static int parse_level(const char *line, size_t len, struct kvm_rmaps_stat *st)
{
	const char *cell[KVM_RMAPS_MAX_BUCKETS];
	size_t cell_len[KVM_RMAPS_MAX_BUCKETS];
	const char *colon;
	unsigned int i, nr, l = st->nr_levels;
	size_t tag_len;

	if (l >= KVM_RMAPS_MAX_LEVELS || len < strlen(LEVEL) ||
	    memcmp(line, LEVEL, strlen(LEVEL)))
		return -EINVAL;
	colon = memchr(line, ':', len);
	if (!colon)
		return -EINVAL;
	tag_len = colon - line + 1;
	if (copy_label(st->level[l], line + strlen(LEVEL), tag_len - 1 - strlen(LEVEL)))
		return -EINVAL;
	for (i = 0; i < l; i++) {
		if (!strcmp(st->level[i], st->level[l]))
			return -EINVAL;	/* the same page size twice */
	}
	if (cells(line, len, tag_len, cell, cell_len, KVM_RMAPS_MAX_BUCKETS, &nr) ||
	    nr != st->nr_buckets)
		return -EINVAL;
	for (i = 0; i < nr; i++) {
		if (kvm_debugfs_parse_u64(cell[i], cell_len[i], &st->count[l][i]))
			return -EINVAL;
	}
	st->nr_levels++;
	return 0;
}

int kvm_rmaps_stat_parse(const char *text, size_t len, struct kvm_rmaps_stat *st)
{
	const char *line;
	size_t pos = 0, line_len;

	memset(st, 0, sizeof(*st));
	/* kvm_memslots_have_rmaps() false: the kernel prints nothing. */
	if (!len)
		return 0;
	if (next_line(text, len, &pos, &line, &line_len) ||
	    parse_header(line, line_len, st))
		goto bad;
	while (pos < len) {
		if (next_line(text, len, &pos, &line, &line_len) ||
		    parse_level(line, line_len, st))
			goto bad;
	}
	if (!st->nr_levels)
		goto bad;
	return 0;
bad:
	memset(st, 0, sizeof(*st));
	return -EINVAL;
}

int kvm_rmaps_stat_level(const struct kvm_rmaps_stat *st, const char *name)
{
	unsigned int i;

	for (i = 0; i < st->nr_levels; i++) {
		if (!strcmp(st->level[i], name))
			return i;
	}
	return -1;
}

uint64_t kvm_rmaps_stat_mapped(const struct kvm_rmaps_stat *st, int level)
{
	uint64_t n = 0;
	unsigned int i;

	if (level < 0 || (unsigned int)level >= st->nr_levels)
		return 0;
	for (i = 0; i < st->nr_buckets; i++) {
		if (strcmp(st->bucket[i], "0"))
			n += st->count[level][i];
	}
	return n;
}
