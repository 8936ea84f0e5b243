// SPDX-License-Identifier: GPL-2.0
/*
 * The ioctls of /dev/shyper: typed requests on the structs of
 * include/shyper/abi.h, each checked, then forwarded as one hypercall.
 *
 * The hypervisor reads and writes MVM memory by IPA, and the MVM's IPA of a
 * kernel address is its physical address. Every buffer handed over is
 * therefore a kmalloc'd bounce buffer (physically contiguous, unlike the
 * stack or user memory) that is copied to and from user space here.
 */
#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/mutex.h>
#include <linux/io.h>
#include <linux/ktime.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/nospec.h>
#include <linux/sched/signal.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include "shyper.h"

/* A bounce buffer for LEN bytes (one at least, so that a zero-length
 * request still has an address), zeroed for the hypervisor to fill. */
static void *bounce_alloc(u32 len)
{
	return kzalloc(max_t(u32, len, 1), GFP_KERNEL);
}

/* A bounce buffer holding the LEN bytes at user address UBUF, or an
 * ERR_PTR (-ENOMEM, -EFAULT). */
static void *bounce_in(u64 ubuf, u32 len)
{
	void *buf = kmalloc(max_t(u32, len, 1), GFP_KERNEL);

	if (!buf)
		return ERR_PTR(-ENOMEM);
	if (copy_from_user(buf, u64_to_user_ptr(ubuf), len)) {
		kfree(buf);
		return ERR_PTR(-EFAULT);
	}
	return buf;
}

/* Hands the LEN bytes the hypervisor left in BUF to user address UBUF, and
 * the answered request REQ (SIZE bytes) back to UARG: 0 or -EFAULT. */
static long bounce_out(u64 ubuf, const void *buf, u64 len, void __user *uarg, const void *req,
		       size_t size)
{
	if (copy_to_user(u64_to_user_ptr(ubuf), buf, len) || copy_to_user(uarg, req, size))
		return -EFAULT;
	return 0;
}

/*
 * Moving LEN bytes between user memory at USER and the hypervisor, piece
 * by piece through one bounce buffer (kmalloc'd: physically contiguous).
 * A piece is at most MAX bytes, less if memory is too fragmented for that
 * (down to a page), and a multiple of ALIGN (a power of two, at most a
 * page). IN: the user's bytes go into the buffer before CALL makes the
 * hypercall for the piece at OFF; OUT: the buffer goes back to the user
 * after it. CALL is made once at least: an empty move still asks.
 */
struct pieces {
	u8 __user *user;
	u64 len;
	size_t max, align;
	bool in, out;
	long (*call)(struct pieces *p, u64 off, void *buf, size_t len);
};

static long move_pieces(struct pieces *p)
{
	size_t piece_max = clamp_t(u64, p->len, 1, p->max);
	u64 done = 0;
	void *buf;
	long ret = 0;

	if (!access_ok(p->user, p->len))
		return -EFAULT;
	for (;;) {
		buf = kmalloc(piece_max, GFP_KERNEL | __GFP_NOWARN);
		if (buf || piece_max <= PAGE_SIZE)
			break;
		piece_max = max_t(size_t, ALIGN_DOWN(piece_max / 2, p->align), p->align);
	}
	if (!buf)
		return -ENOMEM;
	do {
		size_t piece = min_t(u64, p->len - done, piece_max);

		if (p->in && copy_from_user(buf, p->user + done, piece)) {
			ret = -EFAULT;
			break;
		}
		ret = p->call(p, done, buf, piece);
		if (ret)
			break;
		if (p->out && copy_to_user(p->user + done, buf, piece)) {
			ret = -EFAULT;
			break;
		}
		done += piece;
		if (fatal_signal_pending(current)) {
			ret = -EINTR;
			break;
		}
		cond_resched();
	} while (done < p->len);
	kfree(buf);
	return ret;
}

static long shyper_ioc_nop(void)
{
	struct arm_smccc_res res;

	return shyper_status_to_errno(shyper_hvc(SHYPER_HC_NOP, 0, 0, 0, &res));
}

static long shyper_ioc_hv_info(void __user *uarg)
{
	struct shyper_hv_info *info;
	struct arm_smccc_res res;
	long ret;

	info = kzalloc(sizeof(*info), GFP_KERNEL);
	if (!info)
		return -ENOMEM;
	ret = shyper_status_to_errno(shyper_hvc(SHYPER_HC_HV_INFO, virt_to_phys(info),
						sizeof(*info), 0, &res));
	if (!ret && copy_to_user(uarg, info, sizeof(*info)))
		ret = -EFAULT;
	kfree(info);
	return ret;
}

static long shyper_ioc_log_read(void __user *uarg)
{
	struct shyper_ioc_log_read req;
	struct arm_smccc_res res;
	void *buf;
	long ret;

	if (copy_from_user(&req, uarg, sizeof(req)))
		return -EFAULT;
	if (req.reserved || req.len > SHYPER_LOG_READ_MAX)
		return -EINVAL;

	buf = bounce_alloc(req.len);
	if (!buf)
		return -ENOMEM;
	ret = shyper_status_to_errno(shyper_hvc(SHYPER_HC_LOG_READ, virt_to_phys(buf),
						req.len, req.offset, &res));
	if (ret)
		goto out;
	if (res.a1 > req.len) {
		ret = -EIO;
		goto out;
	}
	req.copied = res.a1;
	req.held = res.a2;
	req.written = res.a3;
	ret = bounce_out(req.buf, buf, req.copied, uarg, &req, sizeof(req));
out:
	kfree(buf);
	return ret;
}

/*
 * VM_LIST, HV_STATS and VM_STATS: the hypervisor fills up to max records of SIZE
 * bytes and says how many there are in all; the records written go back
 * to the caller's buffer, the total into the request. All requests are
 * { u64 buf; u32 max; u32 count; }.
 */
static long shyper_ioc_records(void __user *uarg, u32 hc, size_t size, u32 limit)
{
	struct shyper_ioc_vm_list req;
	struct arm_smccc_res res;
	size_t written;
	void *records;
	long ret;

	BUILD_BUG_ON(sizeof(struct shyper_ioc_vm_list) != sizeof(struct shyper_ioc_hv_stats));
	BUILD_BUG_ON(sizeof(struct shyper_ioc_vm_list) != sizeof(struct shyper_ioc_vm_stats));
	if (copy_from_user(&req, uarg, sizeof(req)))
		return -EFAULT;
	if (req.max > limit)
		return -EINVAL;

	records = kcalloc(max_t(u32, req.max, 1), size, GFP_KERNEL);
	if (!records)
		return -ENOMEM;
	ret = shyper_status_to_errno(shyper_hvc(hc, virt_to_phys(records), req.max, 0, &res));
	if (ret)
		goto out;
	if (res.a1 > U32_MAX) {
		ret = -EIO;
		goto out;
	}
	req.count = res.a1;
	written = min_t(u32, req.max, req.count);
	ret = bounce_out(req.buf, records, written * size, uarg, &req, sizeof(req));
out:
	kfree(records);
	return ret;
}

static long shyper_ioc_vm_info(void __user *uarg)
{
	struct shyper_ioc_vm_info *req;
	struct arm_smccc_res res;
	long ret;

	/* Heap, not stack: req->info is handed to the hypervisor by address. */
	req = memdup_user(uarg, sizeof(*req));
	if (IS_ERR(req))
		return PTR_ERR(req);
	if (req->reserved) {
		ret = -EINVAL;
		goto out;
	}
	memset(&req->info, 0, sizeof(req->info));
	ret = shyper_status_to_errno(shyper_hvc(SHYPER_HC_VM_INFO, req->id,
						virt_to_phys(&req->info),
						sizeof(req->info), &res));
	if (!ret && copy_to_user(uarg, req, sizeof(*req)))
		ret = -EFAULT;
out:
	kfree(req);
	return ret;
}

static long shyper_ioc_ping(u64 __user *uarg)
{
	struct arm_smccc_res res;
	u64 cookie;

	if (get_user(cookie, uarg))
		return -EFAULT;
	return shyper_status_to_errno(shyper_hvc(SHYPER_HC_EVENT_PING, cookie, 0, 0, &res));
}

/* ---- Guest lifecycle (ABI 1.1) -------------------------------------------- */

/* VM_LOAD moves a guest image in pieces of at most this much. */
#define SHYPER_LOAD_PIECE_MAX SZ_1M

static long shyper_ioc_vm_create(void __user *uarg)
{
	struct shyper_ioc_vm_create *req;
	struct arm_smccc_res res;
	long ret;

	/* Heap, not stack: req->config is handed to the hypervisor by address. */
	req = memdup_user(uarg, sizeof(*req));
	if (IS_ERR(req))
		return PTR_ERR(req);
	/*
	 * The hypervisor judges the config itself; the module only refuses
	 * what it can never pass on: a size other than what this struct can
	 * hold, reserved bits.
	 */
	if (req->reserved || req->config.flags ||
	    req->config.size < SHYPER_VM_CONFIG_SIZE_V1 ||
	    req->config.size > sizeof(req->config)) {
		ret = -EINVAL;
		goto out;
	}
	ret = shyper_status_to_errno(shyper_hvc(SHYPER_HC_VM_CREATE,
						virt_to_phys(&req->config),
						sizeof(req->config), 0, &res));
	if (ret)
		goto out;
	if (res.a1 > U32_MAX) {
		ret = -EIO;
		goto out;
	}
	req->id = res.a1;
	if (put_user(req->id, &((struct shyper_ioc_vm_create __user *)uarg)->id))
		ret = -EFAULT;
out:
	kfree(req);
	return ret;
}

struct load_pieces {
	struct pieces p;
	const struct shyper_ioc_vm_load *req;
};

static long load_piece(struct pieces *p, u64 off, void *buf, size_t len)
{
	const struct shyper_ioc_vm_load *req = container_of(p, struct load_pieces, p)->req;
	struct arm_smccc_res res;

	return shyper_status_to_errno(shyper_hvc4(SHYPER_HC_VM_LOAD, req->id, req->guest_ipa + off,
						  virt_to_phys(buf), len, &res));
}

static long shyper_ioc_vm_load(void __user *uarg)
{
	struct shyper_ioc_vm_load req;
	struct load_pieces lp = { .req = &req };

	if (copy_from_user(&req, uarg, sizeof(req)))
		return -EFAULT;
	if (req.reserved || req.len == 0 || req.guest_ipa + req.len < req.guest_ipa)
		return -EINVAL;
	lp.p = (struct pieces){ .user = u64_to_user_ptr(req.buf), .len = req.len,
				.max = SHYPER_LOAD_PIECE_MAX, .align = 1, .in = true,
				.call = load_piece };
	return move_pieces(&lp.p);
}

static long shyper_ioc_vm_control(void __user *uarg)
{
	static const u32 op_call[] = {
		[SHYPER_VM_OP_START] = SHYPER_HC_VM_START,
		[SHYPER_VM_OP_STOP] = SHYPER_HC_VM_STOP,
		[SHYPER_VM_OP_DESTROY] = SHYPER_HC_VM_DESTROY,
		[SHYPER_VM_OP_PAUSE] = SHYPER_HC_VM_PAUSE,
		[SHYPER_VM_OP_RESUME] = SHYPER_HC_VM_RESUME,
		[SHYPER_VM_OP_SHUTDOWN] = SHYPER_HC_VM_SHUTDOWN,
	};
	struct shyper_ioc_vm_control req;
	struct arm_smccc_res res;

	if (copy_from_user(&req, uarg, sizeof(req)))
		return -EFAULT;
	if (req.op < SHYPER_VM_OP_START || req.op >= ARRAY_SIZE(op_call))
		return -EINVAL;
	req.op = array_index_nospec(req.op, ARRAY_SIZE(op_call));
	return shyper_status_to_errno(shyper_hvc(op_call[req.op], req.id, 0, 0, &res));
}

static long shyper_ioc_console_read(void __user *uarg)
{
	struct shyper_ioc_console req;
	struct arm_smccc_res res;
	void *buf;
	long ret;

	if (copy_from_user(&req, uarg, sizeof(req)))
		return -EFAULT;
	if (req.len > SHYPER_CONSOLE_IO_MAX)
		return -EINVAL;

	buf = bounce_alloc(req.len);
	if (!buf)
		return -ENOMEM;
	ret = shyper_status_to_errno(shyper_hvc4(SHYPER_HC_CONSOLE_READ, req.id,
						 virt_to_phys(buf), req.len, req.offset, &res));
	if (ret)
		goto out;
	if (res.a1 > req.len) {
		ret = -EIO;
		goto out;
	}
	req.done = res.a1;
	req.offset = res.a2;
	req.written = res.a3;
	ret = bounce_out(req.buf, buf, req.done, uarg, &req, sizeof(req));
out:
	kfree(buf);
	return ret;
}

static long shyper_ioc_console_write(void __user *uarg)
{
	struct shyper_ioc_console req;
	struct arm_smccc_res res;
	void *buf;
	long ret;

	if (copy_from_user(&req, uarg, sizeof(req)))
		return -EFAULT;
	if (req.len > SHYPER_CONSOLE_IO_MAX)
		return -EINVAL;

	buf = bounce_in(req.buf, req.len);
	if (IS_ERR(buf))
		return PTR_ERR(buf);
	ret = shyper_status_to_errno(shyper_hvc(SHYPER_HC_CONSOLE_WRITE, req.id,
						virt_to_phys(buf), req.len, &res));
	if (ret)
		goto out;
	if (res.a1 > req.len) {
		ret = -EIO;
		goto out;
	}
	req.done = res.a1;
	req.written = 0;
	if (copy_to_user(uarg, &req, sizeof(req)))
		ret = -EFAULT;
out:
	kfree(buf);
	return ret;
}

static long shyper_ioc_vm_add_device(void __user *uarg)
{
	struct shyper_ioc_vm_device *req;
	struct arm_smccc_res res;
	long ret;

	/* Heap, not stack: req->device is handed to the hypervisor by address. */
	req = memdup_user(uarg, sizeof(*req));
	if (IS_ERR(req))
		return PTR_ERR(req);
	/* As for VM_CREATE: the hypervisor judges the device, the module only
	 * refuses what it can never pass on. */
	if (req->reserved || req->device.reserved0[0] || req->device.reserved0[1] ||
	    req->device.reserved1 || req->device.size < SHYPER_DEVICE_CONFIG_SIZE_V1 ||
	    req->device.size > sizeof(req->device)) {
		ret = -EINVAL;
		goto out;
	}
	ret = shyper_status_to_errno(shyper_hvc(SHYPER_HC_VM_ADD_DEVICE, req->id,
						virt_to_phys(&req->device),
						sizeof(req->device), &res));
out:
	kfree(req);
	return ret;
}

/*
 * Mediated virtio (ABI 1.4). A backend moves every request and answer
 * through here, so each file has one buffer of SHYPER_VIO_IO_MAX bytes,
 * made on its first call and kept until it is closed: allocating (let
 * alone zeroing) a megabyte per frame would cost more than the frame. It
 * is kmalloc'd, not kvmalloc'd: the hypervisor takes it as one IPA range,
 * so it must be physically contiguous. Only what the hypervisor wrote is
 * copied out, so it needs no zeroing. Should the allocation fail, a buffer
 * sized to the request serves that call.
 */
static void *vio_buffer_get(struct shyper_file *sf, u32 len)
{
	mutex_lock(&sf->vio_lock);
	if (!sf->vio_buf)
		sf->vio_buf = kmalloc(SHYPER_VIO_IO_MAX, GFP_KERNEL | __GFP_NOWARN);
	if (sf->vio_buf)
		return sf->vio_buf;
	mutex_unlock(&sf->vio_lock);
	return kmalloc(max_t(u32, len, 1), GFP_KERNEL);
}

static void vio_buffer_put(struct shyper_file *sf, void *buf)
{
	if (buf == sf->vio_map)
		return;
	if (buf && buf == sf->vio_buf)
		mutex_unlock(&sf->vio_lock);
	else
		kfree(buf);
}

/*
 * Zero copy: mmap() of SHYPER_VIO_IO_MAX bytes at offset 0, shared, maps a
 * buffer of the file's own, and a FETCH or COMPLETE with buf 0 and a
 * length moves its bytes there instead of through a copy to or from user
 * memory. The buffer is zeroed when made (it is user-visible), physically
 * contiguous (the hypervisor takes it as one range), and lives until the
 * file is released, which no mapping outlives. It is mapped page by page,
 * as ordinary pages rather than a PFN range, so that the kernel can pin
 * them: a backend may hand it straight to O_DIRECT I/O.
 */
int shyper_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct shyper_file *sf = file->private_data;
	unsigned long off;
	int ret;

	if (vma->vm_pgoff || vma->vm_end - vma->vm_start != SHYPER_VIO_IO_MAX ||
	    !(vma->vm_flags & VM_SHARED))
		return -EINVAL;
	mutex_lock(&sf->vio_lock);
	if (!sf->vio_map)
		sf->vio_map = alloc_pages_exact(SHYPER_VIO_IO_MAX,
						GFP_KERNEL | __GFP_ZERO | __GFP_NOWARN);
	ret = sf->vio_map ? 0 : -ENOMEM;
	mutex_unlock(&sf->vio_lock);
	if (ret)
		return ret;
	vma->vm_flags |= VM_DONTEXPAND | VM_DONTDUMP | VM_DONTCOPY;
	for (off = 0; off < SHYPER_VIO_IO_MAX && !ret; off += PAGE_SIZE)
		ret = vm_insert_page(vma, vma->vm_start + off,
				     virt_to_page((u8 *)sf->vio_map + off));
	return ret;
}

/* The mapped buffer, for a request with buf 0 and a length; NULL if none
 * was mapped. */
static void *vio_mapped(struct shyper_file *sf)
{
	void *map;

	mutex_lock(&sf->vio_lock);
	map = sf->vio_map;
	mutex_unlock(&sf->vio_lock);
	return map;
}

static long shyper_ioc_vio_fetch(struct shyper_file *sf, void __user *uarg)
{
	struct shyper_ioc_vio_fetch req;
	struct arm_smccc_res res;
	bool mapped;
	void *buf;
	long status;
	long ret;

	if (copy_from_user(&req, uarg, sizeof(req)))
		return -EFAULT;
	if (req.len > SHYPER_VIO_IO_MAX || req.slot > 0xff || req.queue > 0xff)
		return -EINVAL;
	/* An offset only places a request in the mapped buffer (ABI 1.5). */
	mapped = !req.buf && req.len;
	if (req.offset && (!mapped || req.offset > SHYPER_VIO_IO_MAX - req.len))
		return -EINVAL;

	buf = mapped ? vio_mapped(sf) : vio_buffer_get(sf, req.len);
	if (!buf)
		return mapped ? -EINVAL : -ENOMEM;
	status = shyper_hvc4(SHYPER_HC_VIO_FETCH, req.id, req.slot | (u32)req.queue << 8,
			     virt_to_phys((u8 *)buf + req.offset), req.len, &res);
	if (status == SHYPER_E_NO_MEMORY) {
		/* The buffer is too small: say how large it must be. */
		req.token = 0;
		req.readable = res.a2;
		req.writable = 0;
		ret = copy_to_user(uarg, &req, sizeof(req)) ? -EFAULT : -ENOSPC;
		goto out;
	}
	if (status == SHYPER_E_TOO_MANY) {
		ret = -EAGAIN; /* too many requests in flight: complete some first */
		goto out;
	}
	ret = shyper_status_to_errno(status);
	if (ret)
		goto out;
	if (res.a2 > req.len || res.a3 > SHYPER_VIO_IO_MAX) {
		ret = -EIO;
		goto out;
	}
	req.token = res.a1;
	req.readable = res.a2;
	req.writable = res.a3;
	if (mapped)
		ret = copy_to_user(uarg, &req, sizeof(req)) ? -EFAULT : 0;
	else
		ret = bounce_out(req.buf, buf, req.readable, uarg, &req, sizeof(req));
out:
	vio_buffer_put(sf, buf);
	return ret;
}

static long shyper_ioc_vio_complete(struct shyper_file *sf, void __user *uarg)
{
	struct shyper_ioc_vio_complete req;
	struct arm_smccc_res res;
	bool mapped;
	void *buf;
	long ret;

	if (copy_from_user(&req, uarg, sizeof(req)))
		return -EFAULT;
	if (req.len > SHYPER_VIO_IO_MAX)
		return -EINVAL;

	mapped = !req.buf && req.len;
	buf = mapped ? vio_mapped(sf) : vio_buffer_get(sf, req.len);
	if (!buf)
		return mapped ? -EINVAL : -ENOMEM;
	if (!mapped && copy_from_user(buf, u64_to_user_ptr(req.buf), req.len)) {
		ret = -EFAULT;
		goto out;
	}
	ret = shyper_status_to_errno(shyper_hvc4(SHYPER_HC_VIO_COMPLETE, req.id, req.token,
						 virt_to_phys(buf), req.len, &res));
	if (ret)
		goto out;
	if (res.a1 > req.len) {
		ret = -EIO;
		goto out;
	}
	req.done = res.a1;
	if (copy_to_user(uarg, &req, sizeof(req)))
		ret = -EFAULT;
out:
	vio_buffer_put(sf, buf);
	return ret;
}

/* ---- Live update (ABI 1.8) ------------------------------------------------ */

/* One update at a time from this MVM: the hypervisor would refuse a second
 * as busy, but two stagers would spoil each other's image. */
static DEFINE_MUTEX(update_mutex);

struct stage_pieces {
	struct pieces p;
	struct shyper_update_report *rep;
};

static long stage_piece(struct pieces *p, u64 off, void *buf, size_t len)
{
	struct shyper_update_report *rep = container_of(p, struct stage_pieces, p)->rep;
	struct arm_smccc_res res;
	long status;

	status = shyper_hvc4(SHYPER_HC_HV_UPDATE_STAGE, off, virt_to_phys(buf), len, p->len, &res);
	if (status == SHYPER_E_INVALID && res.a1) {
		rep->size = sizeof(*rep);
		rep->reason = res.a1;
		rep->image_size = p->len;
	}
	return shyper_status_to_errno(status);
}

/* Stage the image in pieces into the room the hypervisor set aside. A
 * refusal the hypervisor explains lands in rep->reason. Offset 0 starts
 * over, even for an empty image: the hypervisor says at once if the size
 * alone is refused. */
static long update_stage(const struct shyper_ioc_hv_update *req, struct shyper_update_report *rep)
{
	struct stage_pieces sp = { .rep = rep };

	sp.p = (struct pieces){ .user = u64_to_user_ptr(req->image), .len = req->len,
				.max = SHYPER_UPDATE_PIECE_MAX, .align = 1, .in = true,
				.call = stage_piece };
	return move_pieces(&sp.p);
}

static long shyper_ioc_hv_update(void __user *uarg)
{
	struct shyper_ioc_hv_update *req;
	struct shyper_update_report *rep;
	struct arm_smccc_res res;
	u64 start, staged;
	long ret;

	/* Replacing the hypervisor is for root alone, whoever may open us. */
	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	req = memdup_user(uarg, sizeof(*req));
	if (IS_ERR(req))
		return PTR_ERR(req);
	rep = kzalloc(sizeof(*rep), GFP_KERNEL);
	if (!rep) {
		ret = -ENOMEM;
		goto out;
	}
	if (req->reserved || (req->flags & ~SHYPER_UPDATE_CHECK_ONLY)) {
		ret = -EINVAL;
		goto out;
	}
	if (!access_ok(u64_to_user_ptr(req->image), req->len)) {
		ret = -EFAULT;
		goto out;
	}
	mutex_lock(&update_mutex);
	start = ktime_get_ns();
	ret = update_stage(req, rep);
	staged = ktime_get_ns() - start;
	if (!ret)
		ret = shyper_status_to_errno(shyper_hvc(SHYPER_HC_HV_UPDATE, req->flags,
							virt_to_phys(rep), sizeof(*rep), &res));
	mutex_unlock(&update_mutex);
	rep->stage_ns = staged;
	memcpy(&req->report, rep, sizeof(*rep));
	if (copy_to_user(uarg, req, sizeof(*req)))
		ret = -EFAULT;
out:
	kfree(rep);
	kfree(req);
	return ret;
}

/* ---- Migration (ABI 1.9) ------------------------------------------------ */

static long shyper_ioc_dirty_log(void __user *uarg)
{
	struct shyper_ioc_dirty_log req;
	struct arm_smccc_res res;
	long ret;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	if (copy_from_user(&req, uarg, sizeof(req)))
		return -EFAULT;
	ret = shyper_status_to_errno(shyper_hvc(SHYPER_HC_VM_DIRTY_LOG, req.id, req.op, 0, &res));
	if (ret)
		return ret;
	req.pages = req.op == SHYPER_DIRTY_START ? res.a1 : 0;
	return copy_to_user(uarg, &req, sizeof(req)) ? -EFAULT : 0;
}

struct fetch_pieces {
	struct pieces p;
	struct shyper_ioc_dirty_fetch *req;
};

/* Bitmap bytes from OFF: a byte covers 8 pages. The bits are cleared in
 * the hypervisor as they come: one lost on the way back would lose pages,
 * so a failed copy fails the whole fetch (the caller starts over). */
static long fetch_piece(struct pieces *p, u64 off, void *buf, size_t len)
{
	struct shyper_ioc_dirty_fetch *req = container_of(p, struct fetch_pieces, p)->req;
	struct arm_smccc_res res;
	long ret;

	ret = shyper_status_to_errno(shyper_hvc4(SHYPER_HC_VM_DIRTY_FETCH, req->id,
						 req->first_page + off * 8, virt_to_phys(buf), len,
						 &res));
	if (!ret)
		req->dirty += res.a1;
	return ret;
}

static long shyper_ioc_dirty_fetch(void __user *uarg)
{
	struct shyper_ioc_dirty_fetch req;
	struct fetch_pieces fp = { .req = &req };
	long ret;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	if (copy_from_user(&req, uarg, sizeof(req)))
		return -EFAULT;
	if (req.reserved || req.len == 0 || req.len % 8 || req.first_page % 64)
		return -EINVAL;
	req.dirty = 0;
	/* Pieces of whole 64-bit words: 64 pages each. */
	fp.p = (struct pieces){ .user = u64_to_user_ptr(req.buf), .len = req.len,
				.max = SHYPER_DIRTY_FETCH_MAX, .align = 8, .out = true,
				.call = fetch_piece };
	ret = move_pieces(&fp.p);
	if (ret)
		return ret;
	return copy_to_user(uarg, &req, sizeof(req)) ? -EFAULT : 0;
}

struct page_pieces {
	struct pieces p;
	const struct shyper_ioc_vm_pages *req;
	u64 *list; /* a piece's page numbers: kernel memory, the hypervisor reads them */
	bool write;
};

static long pages_piece(struct pieces *p, u64 off, void *buf, size_t len)
{
	struct page_pieces *pp = container_of(p, struct page_pieces, p);
	u64 first = off / SHYPER_PAGE_SIZE;
	u32 n = len / SHYPER_PAGE_SIZE;
	struct arm_smccc_res res;

	if (copy_from_user(pp->list, u64_to_user_ptr(pp->req->pages + first * sizeof(u64)),
			   n * sizeof(u64)))
		return -EFAULT;
	return shyper_status_to_errno(shyper_hvc4(pp->write ? SHYPER_HC_VM_MEM_WRITE
							    : SHYPER_HC_VM_MEM_READ,
						  pp->req->id, virt_to_phys(pp->list), n,
						  virt_to_phys(buf), &res));
}

/* SHYPER_IOC_VM_MEM_READ / _WRITE: batches of at most SHYPER_MEM_PAGES_MAX. */
static long shyper_ioc_vm_pages(void __user *uarg, bool write)
{
	struct shyper_ioc_vm_pages req;
	struct page_pieces pp = { .req = &req, .write = write };
	long ret;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	if (copy_from_user(&req, uarg, sizeof(req)))
		return -EFAULT;
	if (req.count == 0 || req.count > SHYPER_IOC_PAGES_MAX)
		return -EINVAL;
	pp.list = kmalloc_array(SHYPER_MEM_PAGES_MAX, sizeof(u64), GFP_KERNEL);
	if (!pp.list)
		return -ENOMEM;
	pp.p = (struct pieces){ .user = u64_to_user_ptr(req.buf),
				.len = (u64)req.count * SHYPER_PAGE_SIZE,
				.max = SHYPER_MEM_PAGES_MAX * SHYPER_PAGE_SIZE,
				.align = SHYPER_PAGE_SIZE, .in = write, .out = !write,
				.call = pages_piece };
	ret = move_pieces(&pp.p);
	kfree(pp.list);
	return ret;
}

static long shyper_ioc_vm_state(void __user *uarg, bool load)
{
	struct shyper_ioc_vm_state req;
	struct arm_smccc_res res;
	void *buf;
	long ret;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	if (copy_from_user(&req, uarg, sizeof(req)))
		return -EFAULT;
	if (req.reserved || req.len == 0 || req.len > SHYPER_VM_STATE_MAX)
		return -EINVAL;
	if (!access_ok(u64_to_user_ptr(req.buf), req.len))
		return -EFAULT;
	/* One piece: the hypervisor checks the string whole. */
	buf = kmalloc(req.len, GFP_KERNEL | __GFP_NOWARN);
	if (!buf)
		return -ENOMEM;
	if (load) {
		if (copy_from_user(buf, u64_to_user_ptr(req.buf), req.len))
			ret = -EFAULT;
		else
			ret = shyper_status_to_errno(shyper_hvc(SHYPER_HC_VM_STATE_LOAD, req.id,
								virt_to_phys(buf), req.len, &res));
	} else {
		ret = shyper_status_to_errno(shyper_hvc(SHYPER_HC_VM_STATE_SAVE, req.id,
							virt_to_phys(buf), req.len, &res));
		if (!ret && res.a1 > req.len)
			ret = -EPROTO;
		if (!ret) {
			req.len = res.a1;
			if (copy_to_user(u64_to_user_ptr(req.buf), buf, req.len) ||
			    copy_to_user(uarg, &req, sizeof(req)))
				ret = -EFAULT;
		}
	}
	kfree(buf);
	return ret;
}

long shyper_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case SHYPER_IOC_NOP:
		return shyper_ioc_nop();
	case SHYPER_IOC_HV_INFO:
		return shyper_ioc_hv_info(uarg);
	case SHYPER_IOC_LOG_READ:
		return shyper_ioc_log_read(uarg);
	case SHYPER_IOC_VM_LIST:
		return shyper_ioc_records(uarg, SHYPER_HC_VM_LIST, sizeof(struct shyper_vm_info),
					  SHYPER_VM_LIST_MAX);
	case SHYPER_IOC_HV_STATS:
		return shyper_ioc_records(uarg, SHYPER_HC_HV_STATS,
					  sizeof(struct shyper_pcpu_stats), SHYPER_PCPU_STATS_MAX);
	case SHYPER_IOC_VM_STATS:
		return shyper_ioc_records(uarg, SHYPER_HC_VM_STATS, sizeof(struct shyper_vm_stats),
					  SHYPER_VM_STATS_MAX);
	case SHYPER_IOC_VM_INFO:
		return shyper_ioc_vm_info(uarg);
	case SHYPER_IOC_PING:
		return shyper_ioc_ping(uarg);
	case SHYPER_IOC_VM_CREATE:
		return shyper_ioc_vm_create(uarg);
	case SHYPER_IOC_VM_LOAD:
		return shyper_ioc_vm_load(uarg);
	case SHYPER_IOC_VM_CONTROL:
		return shyper_ioc_vm_control(uarg);
	case SHYPER_IOC_CONSOLE_READ:
		return shyper_ioc_console_read(uarg);
	case SHYPER_IOC_CONSOLE_WRITE:
		return shyper_ioc_console_write(uarg);
	case SHYPER_IOC_VM_ADD_DEVICE:
		return shyper_ioc_vm_add_device(uarg);
	case SHYPER_IOC_VIO_FETCH:
		return shyper_ioc_vio_fetch(file->private_data, uarg);
	case SHYPER_IOC_VIO_COMPLETE:
		return shyper_ioc_vio_complete(file->private_data, uarg);
	case SHYPER_IOC_HV_UPDATE:
		return shyper_ioc_hv_update(uarg);
	case SHYPER_IOC_VM_DIRTY_LOG:
		return shyper_ioc_dirty_log(uarg);
	case SHYPER_IOC_VM_DIRTY_FETCH:
		return shyper_ioc_dirty_fetch(uarg);
	case SHYPER_IOC_VM_MEM_READ:
		return shyper_ioc_vm_pages(uarg, false);
	case SHYPER_IOC_VM_MEM_WRITE:
		return shyper_ioc_vm_pages(uarg, true);
	case SHYPER_IOC_VM_STATE_SAVE:
		return shyper_ioc_vm_state(uarg, false);
	case SHYPER_IOC_VM_STATE_LOAD:
		return shyper_ioc_vm_state(uarg, true);
	default:
		return -ENOTTY;
	}
}
