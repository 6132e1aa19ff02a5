/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* The kernel's internal device numbers (what BPF reads from s_dev) and
 * userspace's dev_t: the one place that knows both encodings. */
#ifndef BPFPROF_KDEV_H
#define BPFPROF_KDEV_H

#include <stdint.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include "bpfprof_event.h"

#define KDEV_MINOR_MASK ((1u << BP_KDEV_MINOR_BITS) - 1)

static inline uint64_t kdev_from_dev(dev_t dev)
{
	return (uint64_t)major(dev) << BP_KDEV_MINOR_BITS | minor(dev);
}

static inline uint64_t kdev_make(unsigned int maj, unsigned int min)
{
	return (uint64_t)maj << BP_KDEV_MINOR_BITS | min;
}

static inline unsigned int kdev_major(uint64_t kdev)
{
	return (unsigned int)(kdev >> BP_KDEV_MINOR_BITS);
}

static inline unsigned int kdev_minor(uint64_t kdev)
{
	return (unsigned int)(kdev & KDEV_MINOR_MASK);
}

static inline dev_t kdev_to_dev(uint64_t kdev)
{
	return makedev(kdev_major(kdev), kdev_minor(kdev));
}

#endif
