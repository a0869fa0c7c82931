/* options.h: the shim's command line, parsed once into one struct that every step reads. */
#ifndef WORKERNATOR_OPTIONS_H
#define WORKERNATOR_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* cgroup v1 has one hierarchy per controller; a dozen is all a kernel has. */
#define MAX_CGROUPS 16
/* The server masks a handful of its own directories (TLS, data, config); room to spare. */
#define MAX_MASKS 32

struct shim_options {
	const char *job_id;                /* --job-id: required; the hostname inside */
	const char *cgroups[MAX_CGROUPS];  /* --cgroup: directories whose cgroup.procs I joins */
	size_t cgroup_count;
	const char *cgroup2;               /* --cgroup2: born there with CLONE_INTO_CGROUP, or joined */
	const char *user;                  /* --user: name or uid, default "nobody" */
	const char *group;                 /* --group: name or gid, default "nogroup" (root's: 0) */
	uid_t uid;                         /* resolved by resolve_identity() */
	gid_t gid;
	bool host_net;                     /* --net host; default isolated (a new netns with lo up) */
	const char *cwd;                   /* --cwd: default /tmp, entered as the job user */
	unsigned long long tmp_size;       /* --tmp-size: bytes of the private /tmp, default 64 MiB */
	bool open_exec;                    /* --open-exec: open EXECUTABLE as root, execveat it */
	const char *stdin_file;            /* --stdin-file: opened as root, becomes the job's fd 0 */
	const char *masks[MAX_MASKS];      /* --mask: absolute paths hidden from the job */
	size_t mask_count;
	char **argv;                       /* EXECUTABLE [ARGS...], NULL-terminated, from main's argv */
};

/* Fills `opts` from main's arguments. Bad usage: `error usage 22 <message>`, exit 125. */
void parse_options(int argc, char **argv, struct shim_options *opts);

/* Turns --user and --group into ids, as root and before any namespace exists. Names come from
 * /etc/passwd and /etc/group only (the shim is static and never loads NSS modules); numbers are
 * taken as they are. Unknown names fail the `user` or `group` step with ENOENT. */
void resolve_identity(struct shim_options *opts);

#endif
