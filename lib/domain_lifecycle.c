// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * What happens when a guest stops by itself: <on_poweroff>, <on_reboot> and
 * <on_crash>, with libvirt's actions. shyperd carries them out; a stop the
 * tools ask for (vm stop, destroy) is never turned into a restart.
 */
#include <stdlib.h>
#include <string.h>

#include "domain_xml.h"

static const char *const action_names[] = {
	[SHYPER_ACTION_DESTROY] = "destroy",
	[SHYPER_ACTION_RESTART] = "restart",
	[SHYPER_ACTION_PRESERVE] = "preserve",
};

const char *shyper_lifecycle_action_name(enum shyper_lifecycle_action action)
{
	if ((size_t)action >= sizeof(action_names) / sizeof(action_names[0]))
		return NULL;
	return action_names[action];
}

/* libvirt's other actions, and why Shyper has none of them. */
static const struct {
	const char *name;
	const char *why;
} refused_actions[] = {
	{ "rename-restart", "a VM keeps its name" },
	{ "coredump-destroy", "Shyper writes no core dumps of guests" },
	{ "coredump-restart", "Shyper writes no core dumps of guests" },
};

void domain_parse_lifecycle(struct parse_ctx *ctx, xmlNode *node,
			    enum shyper_lifecycle_action *action)
{
	bool crash = !strcmp(dx_node_name(node), "on_crash");
	char *text;
	size_t i;

	dx_check_attributes(ctx, node, NULL);
	if (*action != SHYPER_ACTION_DEFAULT) {
		dx_error_at(ctx, node, "<%s> appears more than once", dx_node_name(node));
		return;
	}
	text = dx_element_text(ctx, node, true);
	if (!text)
		return;
	for (i = 1; i < sizeof(action_names) / sizeof(action_names[0]); i++)
		if (!strcmp(text, action_names[i]))
			*action = (enum shyper_lifecycle_action)i;
	for (i = 0; *action == SHYPER_ACTION_DEFAULT &&
		    i < sizeof(refused_actions) / sizeof(refused_actions[0]); i++) {
		if (!strcmp(text, refused_actions[i].name) && (crash || strncmp(text, "core", 4))) {
			dx_error_at(ctx, node, "<%s> '%s' is not supported: %s", dx_node_name(node),
				    text, refused_actions[i].why);
			free(text);
			return;
		}
	}
	if (*action == SHYPER_ACTION_DEFAULT)
		dx_error_at(ctx, node, "<%s> '%s' is not an action (destroy, restart or preserve)",
			    dx_node_name(node), text);
	free(text);
}

bool domain_lifecycle_to_xml(xmlNode *root, const struct shyper_domain *dom)
{
	const struct {
		const char *element;
		enum shyper_lifecycle_action action;
	} actions[] = {
		{ "on_poweroff", dom->on_poweroff },
		{ "on_reboot", dom->on_reboot },
		{ "on_crash", dom->on_crash },
	};
	bool ok = true;

	for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++)
		if (shyper_lifecycle_action_name(actions[i].action))
			ok &= dx_add_text(root, NULL, actions[i].element,
					  shyper_lifecycle_action_name(actions[i].action));
	return ok;
}
