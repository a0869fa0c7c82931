/* net.h: the network a job sees in its own network namespace. */
#ifndef WORKERNATOR_NET_H
#define WORKERNATOR_NET_H

/* Brings `lo` up; the kernel then gives it 127.0.0.1 and ::1 by itself. Fails the `lo-up` step. */
void loopback_up(void);

#endif
