package config

import (
	"sort"
	"strconv"

	"go.yaml.in/yaml/v3"
)

// AddedFile is the file in the image directory's private directory
// (<dir>/.fetchd/images.yaml) that keeps the images added through `fetchd
// serve`'s API (the web UI's "add an image"). It has the config file's
// images: syntax and rules, limited to the keys addedKeys: an added image
// takes the config file's update policy and retention.
const AddedFile = "images.yaml"

var addedKeys = []string{"source", "release", "arch", "variant", "url", "checksum", "format"}

// ParseAdded reads the added-images file: a mapping with the one key
// images, each image as the config file would declare it.
func (c *Config) ParseAdded(file string, data []byte) ([]Image, error) {
	p := &parser{file: file, baseDir: "/"}
	root, err := p.document(data)
	if err != nil {
		return nil, err
	}
	var images []Image
	err = p.mapping(root, "", []string{"images"}, func(_ string, _, v *yaml.Node) error {
		if err := p.mapping(v, "images", nil, func(name string, _, iv *yaml.Node) error {
			return p.mapping(iv, child("images", name), addedKeys, func(string, *yaml.Node, *yaml.Node) error { return nil })
		}); err != nil {
			return err
		}
		var err error
		images, err = p.images(v, c.Update)
		return err
	})
	if err != nil {
		return nil, err
	}
	for i := range images {
		images[i].Added = true
		images[i].Retain = c.Retain
	}
	return images, nil
}

// AddImages adds images to the configuration. The config file wins: an
// added image whose name the file declares too (or one that differs from
// it only in case) is left out, and its name is returned.
func (c *Config) AddImages(images []Image) (skipped []string) {
	taken := map[string]bool{}
	for _, im := range c.Images {
		taken[foldName(im.Name)] = true
	}
	for _, im := range images {
		if taken[foldName(im.Name)] {
			skipped = append(skipped, im.Name)
			continue
		}
		taken[foldName(im.Name)] = true
		c.Images = append(c.Images, im)
	}
	sort.Slice(c.Images, func(i, j int) bool { return c.Images[i].Name < c.Images[j].Name })
	return skipped
}

// Declared says where the config declares an image, for messages: "FILE
// line N", or "the built-in default".
func (c *Config) Declared(im Image) string {
	switch {
	case im.Added:
		return AddedFile
	case c.File == "":
		return "the built-in default configuration"
	case im.Line > 0:
		return c.File + " line " + strconv.Itoa(im.Line)
	}
	return c.File
}
