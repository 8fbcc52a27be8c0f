package replica

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"
)

// streamSpec is one simplestreams mirror of the replica.
type streamSpec struct {
	mirror    string // "releases" or "daily"
	contentID string
	prefix    string // product id prefix
	label     string // the versions' label
	idsID     string // a second index entry, of datatype image-ids, as upstream's index has many
}

func specFor(variant string) streamSpec {
	if variant == Server {
		return streamSpec{mirror: "releases", contentID: "com.ubuntu.cloud:released:download", prefix: "com.ubuntu.cloud:server",
			label: "release", idsID: "com.ubuntu.cloud:released:aws"}
	}
	return streamSpec{mirror: "daily", contentID: "com.ubuntu.cloud:daily:download", prefix: "com.ubuntu.cloud.daily:server",
		label: "daily", idsID: "com.ubuntu.cloud:daily:aws"}
}

// Simplestreams writes documents from dicts with sorted keys; maps give the
// same order.
type obj = map[string]any

// writeStreams writes the mirror's streams/v1/index.json and products
// document (each with its clearsigned .sjson copy) from the build
// directories of variant, products document first so that the index never
// names a document that is not there yet.
func (l *Layout) writeStreams(variant string) error {
	spec := specFor(variant)
	updated := l.opts.Now.UTC().Format(time.RFC1123Z)
	products := obj{}
	for _, d := range l.dirs {
		if d.variant != variant {
			continue
		}
		for arch, files := range d.files {
			id := spec.prefix + ":" + d.rel.version + ":" + arch
			p, ok := products[id].(obj)
			if !ok {
				p = obj{
					"aliases":          d.rel.aliases,
					"arch":             arch,
					"os":               "ubuntu",
					"release":          d.rel.codename,
					"release_codename": d.rel.codenameTitle,
					"release_title":    d.rel.title,
					"support_eol":      d.rel.eol,
					"supported":        d.rel.supported,
					"version":          d.rel.version,
					"versions":         obj{},
				}
				products[id] = p
			}
			items := obj{}
			for _, f := range files {
				if f.ftype == "" {
					continue
				}
				items[f.ftype] = obj{"ftype": f.ftype, "md5": f.md5, "path": d.itemDir + "/" + f.name, "sha256": f.sha256, "size": f.size}
			}
			p["versions"].(obj)[d.serial] = obj{
				"items":   items,
				"label":   spec.label,
				"pubname": fmt.Sprintf("ubuntu-%s-%s-%s-server-%s", d.rel.codename, d.rel.version, arch, d.serial),
			}
		}
	}
	if variant == Server && l.opts.History > 0 {
		addHistory(products, spec, l.opts.Now, l.opts.History)
	}
	productsPath := "streams/v1/" + spec.contentID + ".json"
	doc := obj{
		"content_id": spec.contentID,
		"creator":    "replica of cloud-images.ubuntu.com",
		"datatype":   "image-downloads",
		"format":     "products:1.0",
		"license":    "http://www.canonical.com/intellectual-property-policy",
		"products":   products,
		"updated":    updated,
	}
	if err := l.writeJSON(spec.mirror+"/"+productsPath, doc); err != nil {
		return err
	}
	ids := make([]string, 0, len(products))
	for id := range products {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	idsPath := "streams/v1/" + spec.idsID + ".json"
	if err := l.writeJSON(spec.mirror+"/"+idsPath, obj{
		"content_id": spec.idsID, "datatype": "image-ids", "format": "products:1.0", "products": obj{}, "updated": updated,
	}); err != nil {
		return err
	}
	index := obj{
		"format":  "index:1.0",
		"updated": updated,
		"index": obj{
			spec.contentID: obj{"datatype": "image-downloads", "format": "products:1.0", "path": productsPath, "products": ids, "updated": updated},
			spec.idsID:     obj{"cloudname": "aws", "datatype": "image-ids", "format": "products:1.0", "path": idsPath, "products": []string{}, "updated": updated},
		},
	}
	return l.writeJSON(spec.mirror+"/streams/v1/index.json", index)
}

// writeJSON writes rel (a .json) and its clearsigned .sjson copy.
func (l *Layout) writeJSON(rel string, v any) error {
	data, err := json.MarshalIndent(v, "", " ")
	if err != nil {
		return fmt.Errorf("replica: %s: %w", rel, err)
	}
	data = append(data, '\n')
	if err := writeAtomic(l.abs(rel), data, l.opts.Now); err != nil {
		return fmt.Errorf("replica: %w", err)
	}
	sjson := rel[:len(rel)-len(".json")] + ".sjson"
	if err := writeAtomic(l.abs(sjson), l.key.Clearsign(data), l.opts.Now); err != nil {
		return fmt.Errorf("replica: %w", err)
	}
	return nil
}
