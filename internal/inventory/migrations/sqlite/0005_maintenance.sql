PRAGMA foreign_keys = off;
CREATE TABLE `campaigns` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `name` text NOT NULL, `spec` text NOT NULL, `state` text NOT NULL, `reason` text NOT NULL DEFAULT (''), `run` integer NOT NULL DEFAULT (0), `generation` integer NOT NULL DEFAULT (1), `next_run` datetime NULL, `started_at` datetime NULL, `finished_at` datetime NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL);
CREATE UNIQUE INDEX `campaigns_name_key` ON `campaigns` (`name`);
CREATE TABLE `campaign_nodes` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `campaign` text NOT NULL, `node` text NOT NULL, `phase` text NOT NULL, `status` text NOT NULL, `lease_owner` text NOT NULL DEFAULT (''), `lease_until` datetime NULL, `updated_at` datetime NOT NULL);
CREATE UNIQUE INDEX `campaignnode_campaign_node` ON `campaign_nodes` (`campaign`, `node`);
CREATE INDEX `campaignnode_phase` ON `campaign_nodes` (`phase`);
CREATE INDEX `campaignnode_node` ON `campaign_nodes` (`node`);
PRAGMA foreign_keys = on;
