package model

// NodeModel is what Railyard knows about a server model.
type NodeModel struct {
	// GPUs is the number of GPUs the model carries.
	GPUs int
	// GPUModel is the GPU model it carries.
	GPUModel string
	// GPUMemoryMiB is the memory of one GPU.
	GPUMemoryMiB int
	// NVLinkDomainSize is the number of GPUs in the model's NVLink domain:
	// 8 for an HGX board, 72 for a tray of an NVL72 rack.
	NVLinkDomainSize int
}

// NodeModels is the catalogue of server models that validation checks GPU
// counts against. A model that is not listed is not checked.
var NodeModels = map[string]NodeModel{
	"DGX H100":                 {GPUs: 8, GPUModel: "H100-SXM5-80GB", GPUMemoryMiB: 81559, NVLinkDomainSize: 8},
	"DGX H200":                 {GPUs: 8, GPUModel: "H200-SXM5-141GB", GPUMemoryMiB: 143771, NVLinkDomainSize: 8},
	"DGX B200":                 {GPUs: 8, GPUModel: "B200-180GB", GPUMemoryMiB: 183359, NVLinkDomainSize: 8},
	"HGX H100 8-GPU":           {GPUs: 8, GPUModel: "H100-SXM5-80GB", GPUMemoryMiB: 81559, NVLinkDomainSize: 8},
	"GB200 NVL72 compute tray": {GPUs: 4, GPUModel: "GB200-186GB", GPUMemoryMiB: 189471, NVLinkDomainSize: 72},
}
