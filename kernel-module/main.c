// SPDX-License-Identifier: GPL-2.0
/*
 * shyper.ko: the management VM's driver for the Shyper hypervisor.
 *
 * Binds to the device-tree node "shyper,hypervisor" that Shyper adds to the
 * MVM's device tree, checks through SMCCC that the hypervisor is Shyper and
 * speaks our ABI major version (any minor: a call that an older hypervisor
 * lacks fails with EOPNOTSUPP), and offers /dev/shyper: typed ioctls
 * (ioctl.c) and the hypervisor's events, to every open file, through
 * read() and poll() (events.c). Policy lives in user space (libshyper,
 * shyperctl); this driver checks and forwards.
 *
 * /dev/shyper is root-only (0600). To let a "shyper" group use it, add a
 * device-manager rule, e.g. for udev
 *   KERNEL=="shyper", GROUP="shyper", MODE="0660"
 * or for busybox mdev (/etc/mdev.conf)
 *   shyper root:shyper 0660
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/module.h>
#include <linux/of.h>
#include <linux/platform_device.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include "shyper.h"

#define SHYPER_COMPATIBLE "shyper,hypervisor"

/* The hypervisor's ABI minor version, as shyper_identify() found it. */
static u32 shyper_hv_minor __ro_after_init;

static int shyper_open(struct inode *inode, struct file *file)
{
	/* misc_open() points private_data at our struct miscdevice. */
	struct shyper_dev *sd = container_of(file->private_data, struct shyper_dev, misc);
	struct shyper_file *sf;

	sf = kzalloc(sizeof(*sf), GFP_KERNEL);
	if (!sf)
		return -ENOMEM;
	shyper_events_open(sd, sf);
	mutex_init(&sf->vio_lock);
	file->private_data = sf;
	return 0;
}

static int shyper_release(struct inode *inode, struct file *file)
{
	struct shyper_file *sf = file->private_data;

	mutex_destroy(&sf->read_lock);
	mutex_destroy(&sf->vio_lock);
	kfree(sf->vio_buf);
	/* No mapping is left: each holds the file, so release comes after. */
	if (sf->vio_map)
		free_pages_exact(sf->vio_map, SHYPER_VIO_IO_MAX);
	kfree(sf);
	return 0;
}

static ssize_t shyper_read(struct file *file, char __user *buf, size_t count, loff_t *ppos)
{
	return shyper_events_read(file->private_data, buf, count, file->f_flags & O_NONBLOCK);
}

static __poll_t shyper_poll(struct file *file, struct poll_table_struct *wait)
{
	return shyper_events_poll(file->private_data, file, wait);
}

static const struct file_operations shyper_fops = {
	.owner = THIS_MODULE,
	.open = shyper_open,
	.release = shyper_release,
	.read = shyper_read,
	.poll = shyper_poll,
	.unlocked_ioctl = shyper_ioctl,
	.mmap = shyper_mmap,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

static int shyper_probe(struct platform_device *pdev)
{
	struct device *dev = &pdev->dev;
	struct shyper_dev *sd;
	int irq, ret;

	sd = devm_kzalloc(dev, sizeof(*sd), GFP_KERNEL);
	if (!sd)
		return -ENOMEM;
	sd->dev = dev;

	irq = platform_get_irq(pdev, 0);
	if (irq < 0)
		return irq;

	ret = shyper_events_start(sd, irq);
	if (ret)
		return ret;

	/* Last: once registered, user space can open the device. */
	sd->misc.minor = MISC_DYNAMIC_MINOR;
	sd->misc.name = "shyper";
	sd->misc.fops = &shyper_fops;
	sd->misc.mode = 0600;
	sd->misc.parent = dev;
	ret = misc_register(&sd->misc);
	if (ret) {
		dev_err(dev, "cannot register /dev/shyper: %d\n", ret);
		shyper_events_stop(sd);
		return ret;
	}
	platform_set_drvdata(pdev, sd);
	dev_info(dev, "Shyper hypervisor ABI %u.%u, /dev/shyper ready\n",
		 SHYPER_ABI_MAJOR, shyper_hv_minor);
	return 0;
}

static int shyper_remove(struct platform_device *pdev)
{
	struct shyper_dev *sd = platform_get_drvdata(pdev);

	/* Open files hold a module reference, so none is left here. */
	misc_deregister(&sd->misc);
	shyper_events_stop(sd);
	return 0;
}

static const struct of_device_id shyper_of_match[] = {
	{ .compatible = SHYPER_COMPATIBLE },
	{ }
};
MODULE_DEVICE_TABLE(of, shyper_of_match);

static struct platform_driver shyper_driver = {
	.driver = {
		.name = "shyper",
		.of_match_table = shyper_of_match,
	},
	.remove = shyper_remove,
};

static int __init shyper_init(void)
{
	struct device_node *np;
	int ret;

	/* Without the node an HVC might not even reach a hypervisor. */
	np = of_find_compatible_node(NULL, NULL, SHYPER_COMPATIBLE);
	if (!np) {
		pr_err("not running under the Shyper hypervisor (no \"" SHYPER_COMPATIBLE
		       "\" device-tree node)\n");
		return -ENODEV;
	}
	of_node_put(np);

	ret = shyper_identify(&shyper_hv_minor);
	if (ret)
		return ret;

	/*
	 * The hypervisor node is there from boot and never hot-plugged: bind
	 * now or fail the load (platform_driver_probe() also hides the
	 * bind/unbind files, so only rmmod can take the device away).
	 */
	return platform_driver_probe(&shyper_driver, shyper_probe);
}
module_init(shyper_init);

static void __exit shyper_exit(void)
{
	platform_driver_unregister(&shyper_driver);
}
module_exit(shyper_exit);

MODULE_DESCRIPTION("Driver for the Shyper hypervisor in its management VM");
MODULE_LICENSE("GPL");
