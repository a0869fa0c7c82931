/* options.c: one parser for the shim's command line, and user/group resolution. */
#define _GNU_SOURCE
#include "options.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

#define DEFAULT_TMP_SIZE (64ULL << 20)

static _Noreturn void usage(const char *message, const char *what)
{
	char text[256];

	snprintf(text, sizeof text, "%s%s%s", message, what != NULL ? " " : "", what != NULL ? what : "");
	fail_with(STEP_USAGE, EINVAL, text);
}

/* A whole, non-empty decimal number no larger than max. */
static bool parse_number(const char *text, unsigned long long max, unsigned long long *out)
{
	char *end;

	if (text[0] < '0' || text[0] > '9')
		return false;
	errno = 0;
	*out = strtoull(text, &end, 10);
	return errno == 0 && *end == '\0' && *out <= max;
}

void parse_options(int argc, char **argv, struct shim_options *opts)
{
	int i;

	memset(opts, 0, sizeof *opts);
	opts->cwd = "/tmp";
	opts->tmp_size = DEFAULT_TMP_SIZE;

	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		const char *name = argv[i];
		const char *value = i + 1 < argc ? argv[i + 1] : NULL;

		if (strncmp(name, "--", 2) != 0)
			usage("missing -- before EXECUTABLE:", name);
		/* The flags without a value first; every other option takes exactly one. */
		if (strcmp(name, "--open-exec") == 0) {
			opts->open_exec = true;
			continue;
		}
		if (strcmp(name, "--root") == 0) {
			opts->user = "0";
			continue;
		}
		if (value == NULL)
			usage("missing value or unknown option", name);
		i++;
		if (strcmp(name, "--job-id") == 0) {
			opts->job_id = value;
		} else if (strcmp(name, "--cgroup") == 0) {
			if (opts->cgroup_count == MAX_CGROUPS)
				usage("too many --cgroup", NULL);
			opts->cgroups[opts->cgroup_count++] = value;
		} else if (strcmp(name, "--cgroup2") == 0) {
			opts->cgroup2 = value;
		} else if (strcmp(name, "--user") == 0) {
			opts->user = value;
		} else if (strcmp(name, "--group") == 0) {
			opts->group = value;
		} else if (strcmp(name, "--net") == 0) {
			if (strcmp(value, "host") != 0 && strcmp(value, "isolated") != 0)
				usage("--net must be isolated or host, not", value);
			opts->host_net = strcmp(value, "host") == 0;
		} else if (strcmp(name, "--cwd") == 0) {
			opts->cwd = value;
		} else if (strcmp(name, "--tmp-size") == 0) {
			if (!parse_number(value, ~0ULL, &opts->tmp_size) || opts->tmp_size == 0)
				usage("--tmp-size must be a positive number of bytes, not", value);
		} else if (strcmp(name, "--stdin-file") == 0) {
			opts->stdin_file = value;
		} else if (strcmp(name, "--mask") == 0) {
			if (value[0] != '/')
				usage("--mask needs an absolute path, not", value);
			if (opts->mask_count == MAX_MASKS)
				usage("too many --mask", NULL);
			opts->masks[opts->mask_count++] = value;
		} else {
			usage("unknown option", name);
		}
	}

	if (i >= argc)
		usage("missing -- before EXECUTABLE", NULL);
	if (i + 1 >= argc || argv[i + 1][0] == '\0')
		usage("missing EXECUTABLE after --", NULL);
	opts->argv = &argv[i + 1];
	/* The job ID becomes the hostname, which the kernel caps at 64 bytes. */
	if (opts->job_id == NULL || opts->job_id[0] == '\0')
		usage("missing --job-id", NULL);
	if (strlen(opts->job_id) > 64)
		usage("--job-id longer than 64 bytes:", opts->job_id);
	if (opts->cwd[0] == '\0')
		usage("empty --cwd", NULL);
}

/* fgetpwent/fgetgrent read the files directly: no NSS, nothing loaded at run time. */
static bool lookup_user(const char *name, uid_t *uid, gid_t *gid)
{
	FILE *f = fopen("/etc/passwd", "re");
	struct passwd *pw;
	bool found = false;

	if (f == NULL)
		fail(STEP_USER, "/etc/passwd");
	while (!found && (pw = fgetpwent(f)) != NULL) {
		if (strcmp(pw->pw_name, name) == 0) {
			*uid = pw->pw_uid;
			*gid = pw->pw_gid;
			found = true;
		}
	}
	if (fclose(f) != 0)
		fail(STEP_USER, "/etc/passwd");
	return found;
}

static bool lookup_group(const char *name, gid_t *gid)
{
	FILE *f = fopen("/etc/group", "re");
	struct group *gr;
	bool found = false;

	if (f == NULL)
		fail(STEP_GROUP, "/etc/group");
	while (!found && (gr = fgetgrent(f)) != NULL) {
		if (strcmp(gr->gr_name, name) == 0) {
			*gid = gr->gr_gid;
			found = true;
		}
	}
	if (fclose(f) != 0)
		fail(STEP_GROUP, "/etc/group");
	return found;
}

void resolve_identity(struct shim_options *opts)
{
	const char *user = opts->user != NULL ? opts->user : "nobody";
	unsigned long long number;
	uid_t ignored_uid;
	gid_t ignored_gid;

	/* (uid_t)-1 and (gid_t)-1 mean "unchanged" to the set*id calls, so they are not valid ids. */
	if (parse_number(user, (uid_t)-2, &number))
		opts->uid = (uid_t)number;
	else if (!lookup_user(user, &opts->uid, &ignored_gid))
		fail_with(STEP_USER, ENOENT, user);

	if (opts->group != NULL) {
		if (parse_number(opts->group, (gid_t)-2, &number))
			opts->gid = (gid_t)number;
		else if (!lookup_group(opts->group, &opts->gid))
			fail_with(STEP_GROUP, ENOENT, opts->group);
	} else if (opts->uid == 0) {
		opts->gid = 0;
	} else if (!lookup_group("nogroup", &opts->gid) && !lookup_user("nobody", &ignored_uid, &opts->gid)) {
		/* Distributions without "nogroup" give nobody a group of its own. */
		fail_with(STEP_GROUP, ENOENT, "nogroup");
	}
}
