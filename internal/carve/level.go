package carve

import (
	"fmt"
	"strings"
)

// Level is a level of the topology tree, from a single node up to a site.
type Level int8

// Levels, bottom up. The zero Level means "not given".
const (
	LevelNode Level = iota + 1
	// LevelNVLink is an NVLink domain: one node on HGX/DGX H100, one rack
	// of 18 trays on GB200 NVL72.
	LevelNVLink
	// LevelLeaf is a leaf domain: on a rail-optimised fabric the scalable
	// unit whose nodes share one set of rail leaves.
	LevelLeaf
	// LevelPod is the group of leaf domains under one set of spines.
	LevelPod
	// LevelSite is a whole site; no block ever spans sites.
	LevelSite
	numLevels = int(LevelSite) + 1
)

var levelNames = [...]string{"", "node", "nvlink", "leaf", "pod", "site"}

// String returns the level's name as the API and CLI spell it.
func (l Level) String() string {
	if l < LevelNode || l > LevelSite {
		return ""
	}
	return levelNames[l]
}

// Noun names one domain of the level in prose: "leaf domain".
func (l Level) Noun() string {
	switch l {
	case LevelNVLink:
		return "NVLink domain"
	case LevelLeaf:
		return "leaf domain"
	default:
		return l.String()
	}
}

// ParseLevel reads a level name; the empty string is the zero Level.
func ParseLevel(s string) (Level, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "":
		return 0, nil
	case "node", "host":
		return LevelNode, nil
	case "nvlink", "nvlink-domain", "nvlink_domain", "nvl":
		return LevelNVLink, nil
	case "leaf", "leaf-domain", "leaf_domain", "su", "scalable-unit":
		return LevelLeaf, nil
	case "pod", "spine", "spine-group":
		return LevelPod, nil
	case "site", "any":
		return LevelSite, nil
	}
	return 0, fmt.Errorf("%w: unknown topology level %q (want nvlink, leaf, pod or site)", ErrInvalid, s)
}
