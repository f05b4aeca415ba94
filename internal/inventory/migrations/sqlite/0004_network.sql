PRAGMA foreign_keys = off;
CREATE TABLE `device_configs` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `device` text NOT NULL, `driver` text NOT NULL, `fabric` text NOT NULL DEFAULT (''), `revision` integer NOT NULL DEFAULT (1), `desired` text NOT NULL, `hash` text NOT NULL, `updated_at` datetime NOT NULL, `applied_revision` integer NOT NULL DEFAULT (0), `last_sync` datetime NULL, `last_error` text NOT NULL DEFAULT (''), `last_duration_ms` integer NOT NULL DEFAULT (0), `last_commands` integer NOT NULL DEFAULT (0), `last_drift` text NOT NULL DEFAULT (''), `drift_count` integer NOT NULL DEFAULT (0));
CREATE UNIQUE INDEX `device_configs_device_key` ON `device_configs` (`device`);
CREATE TABLE `network_allocations` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `tenant` text NOT NULL, `fabric` text NOT NULL DEFAULT (''), `kind` text NOT NULL, `value` text NOT NULL, `released_at` datetime NULL);
CREATE UNIQUE INDEX `networkallocation_fabric_kind_value` ON `network_allocations` (`fabric`, `kind`, `value`);
CREATE INDEX `networkallocation_tenant` ON `network_allocations` (`tenant`);
CREATE TABLE `tenant_networks` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `tenant` text NOT NULL, `compute` bool NOT NULL DEFAULT (true), `storage` bool NOT NULL DEFAULT (true), `overrides` text NOT NULL DEFAULT (''), `state` text NOT NULL DEFAULT ('active'), `generation` integer NOT NULL DEFAULT (1), `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL);
CREATE UNIQUE INDEX `tenant_networks_tenant_key` ON `tenant_networks` (`tenant`);
PRAGMA foreign_keys = on;
