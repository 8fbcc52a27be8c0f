package testkit

import "encoding/binary"

// Qcow2 returns a real, empty qcow2 (version 3) image of the given virtual
// size: four 64 KiB clusters (header, refcount table, refcount block, L1
// table), clean for `qemu-img check` and safe for fetchd's header
// inspection. Different sizes give different bytes, so distinct images are
// cheap. size is rounded up to a multiple of 512 and must be at most 4 TiB.
func Qcow2(size int64) []byte {
	const (
		clusterBits = 16
		cluster     = 1 << clusterBits
	)
	size = (size + 511) &^ 511
	perL2 := int64(cluster) * (cluster / 8) // bytes one L2 table maps
	l1Size := (size + perL2 - 1) / perL2
	if size <= 0 || l1Size > cluster/8 {
		panic("testkit.Qcow2: size out of range (1 byte to 4 TiB)")
	}
	img := make([]byte, 4*cluster)
	be := binary.BigEndian
	copy(img, "QFI\xfb")
	be.PutUint32(img[4:], 3)             // version
	be.PutUint32(img[20:], clusterBits)  // cluster_bits
	be.PutUint64(img[24:], uint64(size)) // size
	be.PutUint32(img[36:], uint32(l1Size))
	be.PutUint64(img[40:], 3*cluster) // l1_table_offset
	be.PutUint64(img[48:], 1*cluster) // refcount_table_offset
	be.PutUint32(img[56:], 1)         // refcount_table_clusters
	be.PutUint32(img[96:], 4)         // refcount_order: 16-bit refcounts
	be.PutUint32(img[100:], 104)      // header_length; the extension end marker follows as zeros
	be.PutUint64(img[cluster:], 2*cluster)
	for i := range 4 { // clusters 0..3 are in use once
		be.PutUint16(img[2*cluster+2*i:], 1)
	}
	return img
}
