/* mounts.h: the filesystem a job sees, set up by I inside its new mount namespace. */
#ifndef WORKERNATOR_MOUNTS_H
#define WORKERNATOR_MOUNTS_H

/* Makes every mount private, mounts a fresh /proc for the new PID namespace with its kernel knobs
 * read-only, and a private tmpfs of tmp_size bytes on /tmp and on /dev/shm. Fails the step that
 * failed; returns only on success. */
void setup_mounts(unsigned long long tmp_size);

#endif
