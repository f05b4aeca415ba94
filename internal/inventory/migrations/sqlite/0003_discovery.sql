ALTER TABLE `links` ADD COLUMN `stale` bool NOT NULL DEFAULT (false);
ALTER TABLE `switches` ADD COLUMN `stale` bool NOT NULL DEFAULT (false);
ALTER TABLE `nodes` ADD COLUMN `stale` bool NOT NULL DEFAULT (false);
CREATE TABLE `observations` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `kind` text NOT NULL, `key` text NOT NULL, `source` text NOT NULL, `target` text NOT NULL DEFAULT (''), `facts` text NOT NULL DEFAULT (''), `first_seen` datetime NOT NULL, `last_seen` datetime NOT NULL);
CREATE UNIQUE INDEX `observation_kind_key_source` ON `observations` (`kind`, `key`, `source`);
CREATE INDEX `observation_last_seen` ON `observations` (`last_seen`);
