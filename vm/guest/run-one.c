// SPDX-License-Identifier: GPL-2.0
/*
 * run-one: run one test for the guest's runner (vm/guest/run-tests) and
 * look at what it left.
 *
 *   run-one TIMEOUT_S KERNEL_ERRORS TEST
 *
 * TEST runs in a session of its own (so that a timeout kills every process
 * it started), stdin /dev/null, stdout and stderr into a pipe.  Each line
 * it prints goes to stdout as "# line", kselftest style, as soon as it is
 * complete (a kernel crash must not eat what was printed before), and
 * unchanged to /tmp/out.  After TIMEOUT_S seconds the session is killed.
 *
 * Then, as the runner must after every test:
 *  - the kernel messages logged meanwhile are printed ("# kmsg: ") and
 *    cleared; the first that matches one of KERNEL_ERRORS's extended
 *    regular expressions (one a line, as grep -E -f) fails the test;
 *  - tracing is put back as the VM booted: tracefs instances removed,
 *    top-level events disabled, filters on the KVM events (kvm*) cleared;
 *    what was undone fails the test (a test must leave nothing behind).
 *
 * The verdict's inputs go to /tmp/result as shell assignments (rc,
 * timed_out, stuck, duration_ms, kerr, leftover, all_skipped), for run-tests to
 * source.  In C rather than in the runner's shell: under TCG every process
 * the shell starts costs milliseconds, and the shell's version of this
 * started about fifteen per test.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <regex.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/klog.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define OUT_FILE	"/tmp/out"
#define RESULT_FILE	"/tmp/result"
#define TRACING		"/sys/kernel/tracing"
#define SYSLOG_ACTION_READ_CLEAR	4
#define SYSLOG_ACTION_SIZE_BUFFER	10

static void die(const char *what)
{
	fprintf(stderr, "run-one: %s: %s\n", what, strerror(errno));
	exit(125);
}

static void write_all(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len) {
		n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		buf += n;
		len -= n;
	}
}

static long long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000LL + t.tv_nsec / 1000000;
}

static pid_t start_test(const char *test, int *out_fd)
{
	int pfd[2], null_fd;
	pid_t pid;

	if (pipe(pfd))
		die("pipe");
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		setsid();
		null_fd = open("/dev/null", O_RDONLY);
		if (null_fd >= 0)
			dup2(null_fd, 0);
		dup2(pfd[1], 1);
		dup2(pfd[1], 2);
		close(pfd[0]);
		close(pfd[1]);
		execl(test, test, (char *)NULL);
		fprintf(stderr, "run-one: cannot run %s: %s\n", test, strerror(errno));
		_exit(126);
	}
	close(pfd[1]);
	*out_fd = pfd[0];
	return pid;
}

/* How long a killed test may take to die before it is called stuck. */
#define KILL_GRACE_MS	10000

enum test_end { TEST_EXITED, TEST_KILLED, TEST_STUCK };

/*
 * Copy the test's output until EOF, prefixed line by line; kill its
 * session at @deadline_ms.  A test that SIGKILL does not end within
 * KILL_GRACE_MS (a thread looping in the kernel, e.g. in a broken KVM)
 * is left as it is: waiting for it would hang the whole run.
 */
static enum test_end stream(int in_fd, int file_fd, pid_t pid, long long deadline_ms)
{
	char buf[4096], line[4096 + 2] = "# ";
	struct pollfd p = { .fd = in_fd, .events = POLLIN };
	enum test_end end = TEST_EXITED;
	size_t used = 2;
	long long left;
	ssize_t n, i;

	for (;;) {
		int ready;

		left = deadline_ms - now_ms();
		ready = poll(&p, 1, left < 0 ? 0 : left);
		if (ready < 0 && errno == EINTR)
			continue;
		if (ready == 0) {
			if (end == TEST_KILLED) {
				end = TEST_STUCK;
				break;
			}
			kill(-pid, SIGKILL);
			end = TEST_KILLED;
			deadline_ms = now_ms() + KILL_GRACE_MS;
			continue;
		}
		n = read(in_fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		write_all(file_fd, buf, n);
		for (i = 0; i < n; i++) {
			line[used++] = buf[i];
			if (buf[i] == '\n' || used == sizeof(line)) {
				write_all(1, line, used);
				used = 2;
			}
		}
	}
	if (used > 2) {
		line[used++] = '\n';
		write_all(1, line, used);
	}
	return end;
}

/* A file's contents, NUL-terminated (empty if it cannot be read). */
static char *slurp(const char *path)
{
	size_t len = 0, size = 4096;
	char *buf = malloc(size);
	ssize_t n;
	int fd;

	if (!buf)
		die("malloc");
	fd = open(path, O_RDONLY);
	while (fd >= 0 && (n = read(fd, buf + len, size - len - 1)) > 0) {
		len += n;
		if (len + 1 == size) {
			size *= 2;
			buf = realloc(buf, size);
			if (!buf)
				die("realloc");
		}
	}
	if (fd >= 0)
		close(fd);
	buf[len] = '\0';
	return buf;
}

/* Append @s (and @t) to the string @acc, which grows. */
static void append(char **acc, const char *s, const char *t)
{
	size_t len = *acc ? strlen(*acc) : 0;

	*acc = realloc(*acc, len + strlen(s) + strlen(t) + 1);
	if (!*acc)
		die("realloc");
	sprintf(*acc + len, "%s%s", s, t);
}

/* Compile KERNEL_ERRORS: one extended regular expression a line. */
static int load_patterns(const char *path, regex_t **re)
{
	char *text = slurp(path), *line, *save = NULL;
	int nr = 0;

	*re = NULL;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		*re = realloc(*re, (nr + 1) * sizeof(**re));
		if (!*re)
			die("realloc");
		if (regcomp(&(*re)[nr], line, REG_EXTENDED | REG_NOSUB) == 0)
			nr++;
		else
			fprintf(stderr, "run-one: bad pattern in %s: %s\n", path, line);
	}
	free(text);
	return nr;
}

/*
 * Print and clear the kernel's messages; the first that matches a
 * pattern goes to *@kerr.
 */
static void check_kmsg(const char *patterns, char **kerr)
{
	int size = klogctl(SYSLOG_ACTION_SIZE_BUFFER, NULL, 0), len, nr, i;
	char *buf, *line, *save = NULL;
	regex_t *re;

	if (size <= 0)
		return;
	buf = malloc(size + 1);
	if (!buf)
		die("malloc");
	len = klogctl(SYSLOG_ACTION_READ_CLEAR, buf, size);
	buf[len > 0 ? len : 0] = '\0';
	if (len <= 0) {
		free(buf);
		return;
	}
	nr = load_patterns(patterns, &re);
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		/* "<4>[   12.345678] text": what dmesg prints is the text. */
		if (line[0] == '<' && strchr(line, '>'))
			line = strchr(line, '>') + 1;
		printf("# kmsg: %s\n", line);
		for (i = 0; !*kerr && i < nr; i++)
			if (regexec(&re[i], line, 0, NULL, 0) == 0)
				append(kerr, line, "");
	}
	fflush(stdout);
	for (i = 0; i < nr; i++)
		regfree(&re[i]);
	free(re);
	free(buf);
}

static void remove_instances(char **leftover)
{
	char path[512];
	struct dirent *d;
	DIR *dir = opendir(TRACING "/instances");

	while (dir && (d = readdir(dir))) {
		if (d->d_name[0] == '.')
			continue;
		fprintf(stderr, "# leftover tracefs instance %s\n", d->d_name);
		snprintf(path, sizeof(path), TRACING "/instances/%s", d->d_name);
		if (!rmdir(path))
			append(leftover, " tracefs instance ", d->d_name);
	}
	if (dir)
		closedir(dir);
}

/* Top-level events: one "system:event" a line; "!" before one disables it. */
static void disable_events(char **leftover)
{
	char *text = slurp(TRACING "/set_event"), *e, *save = NULL, cmd[512];
	int fd;

	for (e = strtok_r(text, "\n", &save); e; e = strtok_r(NULL, "\n", &save)) {
		fprintf(stderr, "# leftover enabled trace event %s\n", e);
		snprintf(cmd, sizeof(cmd), "!%s\n", e);
		fd = open(TRACING "/set_event", O_WRONLY | O_APPEND);
		if (fd >= 0 && write(fd, cmd, strlen(cmd)) == (ssize_t)strlen(cmd))
			append(leftover, " enabled event ", e);
		if (fd >= 0)
			close(fd);
	}
	free(text);
}

/* Filters on the KVM events (kvm, kvmmmu, ...: the ones tests trace). */
static void clear_filters(char **leftover)
{
	char sys_path[512], path[1024], name[512], *filter;
	struct dirent *s, *e;
	DIR *events = opendir(TRACING "/events"), *sys;
	int fd;

	while (events && (s = readdir(events))) {
		if (strncmp(s->d_name, "kvm", 3))
			continue;
		snprintf(sys_path, sizeof(sys_path), TRACING "/events/%s", s->d_name);
		sys = opendir(sys_path);
		while (sys && (e = readdir(sys))) {
			if (e->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s/filter", sys_path, e->d_name);
			filter = slurp(path);
			filter[strcspn(filter, "\n")] = '\0';
			if (*filter && strcmp(filter, "none")) {
				snprintf(name, sizeof(name), "%s/%s", s->d_name, e->d_name);
				fprintf(stderr, "# leftover trace filter on %s: %s\n",
					name, filter);
				fd = open(path, O_WRONLY | O_TRUNC);
				if (fd >= 0 && write(fd, "0\n", 2) == 2)
					append(leftover, " filter on ", name);
				if (fd >= 0)
					close(fd);
			}
			free(filter);
		}
		if (sys)
			closedir(sys);
	}
	if (events)
		closedir(events);
}

/* Every case skipped: kselftest's "# Totals: pass:0 ... skip:N>0" line. */
#define ALL_SKIPPED_TOTALS "\n# Totals: pass:0 fail:0 xfail:0 xpass:0 skip:"
static bool all_skipped(void)
{
	char *out = slurp(OUT_FILE), *t = strstr(out, ALL_SKIPPED_TOTALS);
	char n = t ? t[strlen(ALL_SKIPPED_TOTALS)] : '0';
	bool all = n >= '1' && n <= '9';

	free(out);
	return all;
}

/* @name='@value' for the shell, with ' quoted. */
static void put_var(FILE *f, const char *name, const char *value)
{
	fprintf(f, "%s='", name);
	for (; value && *value; value++) {
		if (*value == '\'')
			fputs("'\\''", f);
		else
			fputc(*value, f);
	}
	fputs("'\n", f);
}

int main(int argc, char *argv[])
{
	char *kerr = NULL, *leftover = NULL;
	int in_fd, file_fd, status;
	long long start, duration_ms;
	enum test_end end;
	FILE *result;
	pid_t pid;

	if (argc != 4) {
		fprintf(stderr, "usage: run-one TIMEOUT_S KERNEL_ERRORS TEST\n");
		return 125;
	}
	file_fd = open(OUT_FILE, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (file_fd < 0)
		die(OUT_FILE);
	start = now_ms();
	pid = start_test(argv[3], &in_fd);
	end = stream(in_fd, file_fd, pid, start + 1000LL * strtoul(argv[1], NULL, 10));
	status = SIGKILL;	/* a stuck test: as if SIGKILL had ended it */
	/* Dead after all, and a process of its that escaped the kill holds the pipe? */
	if (end == TEST_STUCK && waitpid(pid, &status, WNOHANG) == pid)
		end = TEST_KILLED;
	else
		while (end != TEST_STUCK && waitpid(pid, &status, 0) < 0)
			if (errno != EINTR)
				die("waitpid");
	duration_ms = now_ms() - start;
	close(file_fd);

	check_kmsg(argv[2], &kerr);
	remove_instances(&leftover);
	disable_events(&leftover);
	clear_filters(&leftover);

	result = fopen(RESULT_FILE, "w");
	if (!result)
		die(RESULT_FILE);
	fprintf(result, "rc=%d\ntimed_out=%d\nstuck=%d\nduration_ms=%lld\nall_skipped=%d\n",
		WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status),
		end != TEST_EXITED, end == TEST_STUCK, duration_ms, all_skipped());
	put_var(result, "kerr", kerr);
	put_var(result, "leftover", leftover);
	fclose(result);
	return 0;
}
