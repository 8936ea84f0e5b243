/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The machine the management-call tests drive (test_lifecycle.c,
 * test_dirty.c, test_vmstate.c): a fresh state area, a heap, a guest pool
 * of POOL_SIZE whose bytes hold what a previous owner left (0xee), and an
 * MVM (VM 0, one vCPU, MVM_RAM_SIZE of RAM at MVM_RAM_IPA) that makes
 * hypercalls as the kernel module would, with its arguments in its RAM.
 */
#ifndef SHYPER_TESTS_MVM_FIXTURE_H
#define SHYPER_TESTS_MVM_FIXTURE_H

#include <stdint.h>
#include <hv/vm.h>
#include <shyper/abi.h>

#define MVM_RAM_IPA 0x80000000ULL
#define MVM_RAM_SIZE (4 * MiB)
#define POOL_SIZE (32 * MiB)
/* Where guest_config() writes a VM's configuration in the MVM. */
#define CFG_IPA (MVM_RAM_IPA + 0x1000)

extern struct vm *mvm;
extern struct vcpu *caller;     /* the MVM's vCPU, which makes the calls */
extern uint8_t *mvm_ram, *pool;

/* A cmocka group setup and teardown; HEAP_PAGES for the hypervisor's heap. */
int mvm_fixture_setup(unsigned heap_pages);
int mvm_fixture_teardown(void **state);

/* The MVM makes hypercall FID; its x0 (a SHYPER_E_* status) is returned,
 * the other results are in caller->regs.x[1..]. */
int64_t call(uint64_t fid, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4);

/* The MVM's RAM at IPA, as the host sees it. */
void *in_mvm(uint64_t ipa);

/* A good guest configuration at CFG_IPA: VCPUS vCPUs pinned to pCPUs
 * 1, 2, ..., MEMORY bytes of RAM, entry at the start of it. */
struct shyper_vm_config *guest_config(const char *name, unsigned vcpus, uint64_t memory);
/* VM_CREATE with the configuration at CFG_IPA: the VM, or NULL if refused. */
struct vm *guest_create(void);

#endif
