/* mounts.h: the filesystem a job sees, set up by I inside its new mount namespace. */
#ifndef WORKERNATOR_MOUNTS_H
#define WORKERNATOR_MOUNTS_H

#include "options.h"

/* Makes every mount private; mounts a fresh /proc for the new PID namespace with its kernel knobs
 * read-only, a fresh read-only /sys, a minimal /dev, a private tmpfs of opts->tmp_size bytes on
 * /tmp and on /dev/shm; then masks the default paths and every --mask. Fails the step that failed;
 * returns only on success. */
void setup_mounts(const struct shim_options *opts);

#endif
