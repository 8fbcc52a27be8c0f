package version_test

import (
	"fmt"

	"github.com/sandlabx/fetchd/sdk/version"
)

func ExampleNewest() {
	// Build serials as listed in Ubuntu's simplestreams, in no useful order.
	serials := []string{"20240423.1", "20240501", "20150227.2", "20240423"}
	newest, ok := version.Newest(serials)
	fmt.Println(newest, ok)
	// Output:
	// 20240501 true
}

func ExampleSort() {
	// Alpine point releases: a byte-wise sort would put 3.19.10 before 3.19.9.
	vs := []string{"3.19.10", "3.22.1-r1", "3.19.9", "3.22.1-r0"}
	version.Sort(vs)
	fmt.Println(vs)
	// Output:
	// [3.19.9 3.19.10 3.22.1-r0 3.22.1-r1]
}

func ExampleCompare() {
	fmt.Println(version.Compare("20250115-2000", "20250210-2019"))
	fmt.Println(version.Compare("r10", "r9"))
	fmt.Println(version.Compare("24.04", "24.04"))
	// Output:
	// -1
	// 1
	// 0
}
