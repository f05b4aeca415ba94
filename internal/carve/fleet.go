package carve

import "github.com/railyard/railyard/internal/model"

// NodesOf reduces a fleet to what the engine needs; tests, benchmarks and
// file-based planning use it, the server reads the same from the store.
func NodesOf(f *model.Fleet) []model.NodeCapacity {
	type place struct{ site, pod, leaf string }
	where := map[string]place{}
	for _, s := range f.Sites {
		for _, p := range s.Pods {
			for _, l := range p.LeafDomains {
				for _, r := range l.Racks {
					where[r.Name] = place{s.Name, p.Name, l.Name}
				}
			}
		}
	}
	out := make([]model.NodeCapacity, 0, len(f.Nodes))
	for _, n := range f.Nodes {
		w := where[n.Rack]
		c := model.NodeCapacity{
			Node: n.Hostname, Site: w.site, Pod: w.pod, LeafDomain: w.leaf, Rack: n.Rack,
			GPUs: len(n.GPUs), State: n.State,
		}
		if c.State == "" {
			c.State = model.NodeAvailable
		}
		for _, g := range n.GPUs {
			if c.GPUModel == "" {
				c.GPUModel, c.NVLinkDomain = g.Model, g.NVLinkDomain
			}
			if g.Health != "" && g.Health != model.GPUHealthy {
				c.UnhealthyGPUs = append(c.UnhealthyGPUs, g.Index)
			}
		}
		out = append(out, c)
	}
	return out
}
